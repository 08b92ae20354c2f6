use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, min = "1e3")]
    balance: Decimal,
}

fn main() {}
