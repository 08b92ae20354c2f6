//! Every shape of currency field: `String`, `Currency`, and `Option` of
//! both, as the currency of an amount or on their own.
use money_core::{Currency, Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(dialects(postgres, mysql, sqlite), unique(currency, quote))]
struct Rate {
    #[money(currency)]
    currency: String,
    #[money(currency)]
    quote: Currency,
    #[money(currency)]
    settlement: Option<String>,
    #[money(currency)]
    fee_currency: Option<Currency>,
    #[money(precision = 18, scale = 4, currency_field = "currency")]
    amount: Decimal,
    #[money(precision = 18, scale = 4, currency_field = "quote")]
    quoted: Option<Decimal>,
    #[money(precision = 18, scale = 4, currency_field = "settlement")]
    settled: Decimal,
    #[money(precision = 18, scale = 0, currency_field = "fee_currency")]
    fee: Decimal,
    // A `Currency` field is a currency column without the attribute too.
    plain: Currency,
}

fn main() {
    let rate = Rate {
        currency: "JPY".to_owned(),
        quote: Currency::from_code("USD").unwrap(),
        settlement: None,
        fee_currency: None,
        amount: Decimal::new(15, 0),
        quoted: Some(Decimal::new(1505, 2)),
        settled: Decimal::new(15, 4),
        fee: Decimal::new(3, 0),
        plain: Currency::from_code("EUR").unwrap(),
    };
    assert!(rate.validate().is_ok());
    let constraints: Vec<String> = Rate::DEFINITION.constraints().map(|c| c.name).collect();
    assert!(constraints.contains(&"rate_plain_currency".to_owned()));
    // At scale 0 no currency has fewer minor units: no rule.
    assert!(!constraints.contains(&"rate_fee_minor_units".to_owned()));
}
