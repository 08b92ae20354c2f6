use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(min = "0")]
    balance: Decimal,
}

fn main() {}
