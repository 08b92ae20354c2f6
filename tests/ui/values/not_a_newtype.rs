use money_core::{Decimal, MoneyValue};

#[derive(MoneyValue)]
#[money(precision = 19, scale = 4)]
struct Amount {
    value: Decimal,
}

fn main() {}
