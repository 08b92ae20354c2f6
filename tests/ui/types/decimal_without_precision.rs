use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    id: i64,
    balance: Decimal,
}

fn main() {}
