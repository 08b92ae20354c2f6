use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = "19", scale = 4u8)]
    balance: Decimal,
}

fn main() {}
