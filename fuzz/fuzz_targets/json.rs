//! Reading money from arbitrary bytes: never a panic, and an accepted
//! amount is exactly the value written. Run by hand:
//! `cargo +nightly fuzz run json` (see the README).
#![no_main]

use libfuzzer_sys::fuzz_target;
use money_core::{Decimal, MoneyModel, MoneyValue, parse_decimal};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 12, scale = 2, min = "-100")]
struct Fee(Decimal);

#[derive(Debug, MoneyModel)]
#[money(serde)]
struct Document {
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
    #[money(precision = 10, scale = 2, on_excess_scale = "round", min = "0")]
    rounded: Option<Decimal>,
    fee: Option<Fee>,
}

fn written(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(text) => parse_decimal(text).ok(),
        Value::Number(number) => number
            .as_i64()
            .map(Decimal::from)
            .or_else(|| number.as_u64().map(Decimal::from)),
        _ => None,
    }
}

fuzz_target!(|bytes: &[u8]| {
    let _ = serde_json::from_slice::<Fee>(bytes);
    let Ok(document) = serde_json::from_slice::<Document>(bytes) else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    assert_eq!(written(&value["amount"]), Some(document.amount));
    if let Some(rounded) = document.rounded {
        assert_eq!(written(&value["rounded"]), Some(rounded));
    }
    if let Some(fee) = document.fee {
        assert_eq!(written(&value["fee"]), Some(*fee.as_ref()));
    }
});
