use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, min = 0, max = 9.5)]
    balance: Decimal,
}

fn main() {}
