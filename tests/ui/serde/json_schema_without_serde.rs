use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(json_schema)]
struct Payment {
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {}
