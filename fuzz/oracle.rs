// The property both JSON fuzzers check, in one place: included by
// `fuzz/fuzz_targets/json.rs` (cargo-fuzz) and `tests/tests/json_fuzz.rs`
// (the same property in `cargo test`). Reading never panics, and a value that
// is accepted is exactly the value written in the document.

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

/// The exact value of a JSON value as written: a string read exactly, or an
/// integer.
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

/// A field of the document as written: by name in an object, by position in
/// an array (serde's derive reads a struct from a JSON array too, in
/// declaration order), `null` where absent.
fn field<'v>(value: &'v Value, name: &str, position: usize) -> &'v Value {
    match value {
        Value::Array(items) => items.get(position).unwrap_or(&Value::Null),
        other => other.get(name).unwrap_or(&Value::Null),
    }
}

/// Reads `bytes` both ways and checks what was accepted; `true` when the
/// document was accepted (and so checked).
fn check(bytes: &[u8]) -> bool {
    let Ok(document) = serde_json::from_slice::<Document>(bytes) else {
        let _ = serde_json::from_slice::<Fee>(bytes);
        return false;
    };
    // serde_json skips an unknown field's value without checking its
    // escapes, so a document we accept may not parse as a `Value`; then its
    // amounts cannot be compared (an unknown field is never an amount).
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    assert_eq!(
        written(field(&value, "amount", 0)),
        Some(document.amount),
        "{value}"
    );
    match document.rounded {
        Some(rounded) => assert_eq!(
            written(field(&value, "rounded", 1)),
            Some(rounded),
            "{value}"
        ),
        None => assert_eq!(field(&value, "rounded", 1), &Value::Null, "{value}"),
    }
    match document.fee {
        Some(fee) => assert_eq!(
            written(field(&value, "fee", 2)),
            Some(*fee.as_ref()),
            "{value}"
        ),
        None => assert_eq!(field(&value, "fee", 2), &Value::Null, "{value}"),
    }
    true
}
