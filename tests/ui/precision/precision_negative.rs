use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = -1, scale = 4294967296)]
    balance: Decimal,
}

fn main() {}
