use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 10, scale = 0, max = "99.5")]
    balance: Decimal,
}

fn main() {}
