use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 29, scale = 2)]
    balance: Decimal,
}

fn main() {}
