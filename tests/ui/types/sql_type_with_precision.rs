use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, sql_type = "money")]
    balance: Decimal,
}

fn main() {}
