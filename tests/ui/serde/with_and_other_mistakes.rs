use money_core::{Decimal, MoneyModel};

mod as_float {}

// The serde attributes are judged with the rest of the declaration: both
// mistakes are reported by one compile.
#[derive(MoneyModel)]
#[money(serde)]
struct Payment {
    #[money(precision = 19, scale = 4)]
    #[serde(with = "as_float")]
    amount: Decimal,
    #[money(precision = 4, scale = 6)]
    fee: Decimal,
}

fn main() {}
