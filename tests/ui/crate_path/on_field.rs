use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(crate = "money_core", precision = 19, scale = 4)]
    balance: Decimal,
}

fn main() {}
