use money_core::{Decimal, MoneyModel};

mod as_float {}

#[derive(MoneyModel)]
#[money(serde)]
struct Payment {
    #[money(precision = 19, scale = 4)]
    #[serde(with = "as_float")]
    amount: Decimal,
}

fn main() {}
