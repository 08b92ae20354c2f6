use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(serde)]
struct Payment<T> {
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
    #[money(skip)]
    tag: T,
}

fn main() {}
