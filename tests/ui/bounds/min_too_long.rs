use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 28, scale = 28, min = "0.00000000000000000000000000001")]
    balance: Decimal,
}

fn main() {}
