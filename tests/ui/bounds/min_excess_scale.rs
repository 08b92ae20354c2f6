use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 10, scale = 2, min = "0.001")]
    balance: Decimal,
}

fn main() {}
