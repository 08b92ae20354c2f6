use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(scale = 2)]
    balance: Decimal,
}

fn main() {}
