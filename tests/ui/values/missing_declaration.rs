use money_core::{Decimal, MoneyValue};

#[derive(MoneyValue)]
struct Amount(Decimal);

fn main() {}
