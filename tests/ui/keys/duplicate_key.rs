use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, precision = 18)]
    #[money(scale = 4)]
    balance: Decimal,
}

fn main() {}
