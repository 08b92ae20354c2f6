use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Payment {
    #[money(currency)]
    currency: String,
    quote_currency: String,
    #[money(skip)]
    cached: String,
    // A typo, with the nearest field.
    #[money(precision = 19, scale = 4, currency_field = "curency")]
    a: Decimal,
    // A field that is not declared a currency.
    #[money(precision = 19, scale = 4, currency_field = "quote_currency")]
    b: Decimal,
    // A skipped field.
    #[money(precision = 19, scale = 4, currency_field = "cached")]
    c: Decimal,
    // Not a money field.
    #[money(currency_field = "currency")]
    d: i64,
}

fn main() {}
