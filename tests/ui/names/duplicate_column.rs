use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
    #[money(precision = 19, scale = 4, column = "balance")]
    available: Decimal,
}

fn main() {}
