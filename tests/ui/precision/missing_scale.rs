use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19)]
    balance: Decimal,
}

fn main() {}
