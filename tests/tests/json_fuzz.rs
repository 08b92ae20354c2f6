//! Arbitrary bytes and mangled JSON documents: reading never panics, and a
//! value that is accepted is exactly the value written in the document.
//! (`fuzz/` holds the same property as a cargo-fuzz target for long runs.)

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

/// Reads `bytes` both ways and checks what was accepted.
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
    assert_eq!(written(&value["amount"]), Some(document.amount), "{value}");
    match document.rounded {
        Some(rounded) => assert_eq!(written(&value["rounded"]), Some(rounded), "{value}"),
        None => assert!(
            matches!(value.get("rounded"), None | Some(Value::Null)),
            "{value}"
        ),
    }
    if let Some(fee) = document.fee {
        assert_eq!(written(&value["fee"]), Some(*fee.as_ref()), "{value}");
    }
    true
}

const SEEDS: &[&str] = &[
    r#"{"amount":"12.5","rounded":"1.005","fee":"-99.99"}"#,
    r#"{"amount":"0.0001","rounded":null}"#,
    r#"{"amount":-7,"fee":5}"#,
    r#"{"amount":"999999999999999.9999","rounded":"99999999.994"}"#,
    r#"{"amount":"-0","rounded":"0.00000000000000000000000000000"}"#,
];

#[test]
fn no_panic_and_nothing_accepted_that_differs_from_its_input() {
    let mut rng = fastrand::Rng::with_seed(0xF022);
    let alphabet = b"0123456789.-+eE\" ,:{}[]nulltruefalseNaInfiy\\u00";
    let mut accepted = 0;
    let rounds = 200_000;
    for round in 0..rounds {
        let mut bytes = SEEDS[round % SEEDS.len()].as_bytes().to_vec();
        for _ in 0..rng.usize(0..6) {
            match rng.u8(0..5) {
                0 if !bytes.is_empty() => {
                    let at = rng.usize(..bytes.len());
                    bytes[at] = alphabet[rng.usize(..alphabet.len())];
                }
                1 => {
                    let at = rng.usize(..=bytes.len());
                    bytes.insert(at, alphabet[rng.usize(..alphabet.len())]);
                }
                2 if !bytes.is_empty() => {
                    let at = rng.usize(..bytes.len());
                    bytes.remove(at);
                }
                3 => {
                    let at = rng.usize(..=bytes.len());
                    let digits: Vec<u8> =
                        (0..rng.usize(1..40)).map(|_| rng.u8(b'0'..=b'9')).collect();
                    bytes.splice(at..at, digits);
                }
                _ => {
                    let at = rng.usize(..=bytes.len());
                    bytes.insert(at, rng.u8(..));
                }
            }
        }
        accepted += usize::from(check(&bytes));
    }
    // Pure noise too.
    for _ in 0..20_000 {
        let bytes: Vec<u8> = (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect();
        check(&bytes);
    }
    // Long inputs are refused without being parsed.
    let long = format!(r#"{{"amount":"{}"}}"#, "1".repeat(1 << 20));
    assert!(!check(long.as_bytes()));
    eprintln!("json fuzz: {rounds} mangled documents, {accepted} accepted and checked");
    assert!(
        accepted > rounds / 20,
        "too few accepted documents: {accepted}"
    );
}
