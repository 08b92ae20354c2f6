use money_core::{Decimal, MoneyValue};

#[derive(MoneyValue)]
#[money(precision = 19, scale = 4, column = "amount", primary_key)]
struct Amount(Decimal);

fn main() {}
