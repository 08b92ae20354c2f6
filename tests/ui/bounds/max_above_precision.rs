use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 5, scale = 2, max = "1000")]
    balance: Decimal,
}

fn main() {}
