use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, column = "Balance")]
    balance: Decimal,
}

fn main() {}
