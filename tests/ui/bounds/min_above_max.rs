use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, min = "100", max = "10")]
    balance: Decimal,
}

fn main() {}
