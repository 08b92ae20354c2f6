use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precison = 19, scale = 4)]
    balance: Decimal,
}

fn main() {}
