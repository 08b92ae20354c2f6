use money_core::{Decimal, MoneyModel, MoneyValue};

#[derive(MoneyModel)]
#[money(crate = "money_core", table = "accounts")]
#[money(crate = "::money_core")]
struct Account {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyValue)]
#[money(crate = "money_core", precision = 10, scale = 2, crate = "money_core")]
struct Fee(Decimal);

fn main() {}
