use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account(i64, Decimal);

fn main() {}
