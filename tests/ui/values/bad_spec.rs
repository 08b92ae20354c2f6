use money_core::{Decimal, MoneyValue};

#[derive(MoneyValue)]
#[money(precision = 4, scale = 6, min = "1.5", max = "1")]
struct Amount(Decimal);

fn main() {}
