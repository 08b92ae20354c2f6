use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 4, scale = 5)]
    balance: Decimal,
}

fn main() {}
