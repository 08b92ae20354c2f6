use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 5, scale = 2, min = "-1000.00")]
    balance: Decimal,
}

fn main() {}
