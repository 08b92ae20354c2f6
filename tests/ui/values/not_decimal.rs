use money_core::MoneyValue;

#[derive(MoneyValue)]
#[money(precision = 19, scale = 4)]
struct Amount(f64);

fn main() {}
