use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Payment {
    #[money(currency, precision = 19, scale = 4)]
    a: Decimal,
    #[money(currency, sql_type = "char(3)")]
    b: String,
    #[money(currency = "USD")]
    c: String,
}

fn main() {}
