use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 0, scale = 0)]
    balance: Decimal,
}

fn main() {}
