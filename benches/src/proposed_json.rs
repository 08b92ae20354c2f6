//! A prototype of the change BENCHMARKS.md proposes for reading amounts
//! from JSON, built from money-core's public pieces so that it can be
//! measured without touching money-core.
//!
//! Today `money_core::json` reads an amount with `parse_decimal` (which
//! scans the text, then hands it to `Decimal::from_str_exact`, which scans
//! it again) and checks it with `json::check`, which walks
//! `MoneySpec::rules()` and compares with rust_decimal's general `cmp`. The
//! proposal adds a fast path for the common case: one scan of a plain
//! `-?digits(.digits)?` of at most 19 digits builds the mantissa, and the
//! inlined integer test of [`proposed::holds_integer`] checks it. Anything
//! else (longer texts, `-0`, a broken rule, any error) takes today's path,
//! `json::deserialize_field`, so verdicts and messages are unchanged.

use core::fmt;

use money_core::{Decimal, MoneyModel, MoneySpec};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::{Account, proposed};

/// [`Account`]'s JSON read with the proposed fast path.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProposedJsonAccount {
    /// The primary key.
    pub id: i64,
    /// `(19, 4)`, `min = 0`.
    #[serde(deserialize_with = "balance")]
    pub balance: Decimal,
    /// Nullable `(19, 4)`.
    #[serde(deserialize_with = "overdraft_limit", default)]
    pub overdraft_limit: Option<Decimal>,
    /// `(10, 2)`, `0 <= fee <= 1000`.
    #[serde(deserialize_with = "fee")]
    pub fee: Decimal,
}

#[inline(always)]
fn spec(index: usize) -> &'static MoneySpec {
    <Account as MoneyModel>::DEFINITION.columns()[index]
        .money_spec()
        .expect("a money column")
}

fn balance<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    read(deserializer, spec(1), "balance", false).map(Option::unwrap_or_default)
}

fn overdraft_limit<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    read(deserializer, spec(2), "overdraft_limit", true)
}

fn fee<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    read(deserializer, spec(3), "fee", false).map(Option::unwrap_or_default)
}

#[inline(always)]
fn read<'de, D: Deserializer<'de>>(
    deserializer: D,
    spec: &'static MoneySpec,
    key: &'static str,
    nullable: bool,
) -> Result<Option<Decimal>, D::Error> {
    deserializer.deserialize_any(FastVisitor {
        spec,
        key,
        nullable,
    })
}

/// `-?digits(.digits)?` with at most 19 digits in all (every amount of a
/// `(19, 4)` column), in one scan and 64-bit arithmetic; `None` for
/// anything else (which then takes the full path).
#[inline(always)]
pub fn parse_plain(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    // 19 digits and a point.
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0u32;
    let mut point = None;
    for (index, &byte) in digits.iter().enumerate() {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                count += 1;
            }
            b'.' if point.is_none() && index > 0 && index + 1 < digits.len() => {
                point = Some(index);
            }
            _ => return None,
        }
    }
    if count > 19 || (negative && mantissa == 0) {
        return None;
    }
    let scale = point.map_or(0, |point| (digits.len() - point - 1) as u32);
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

/// Reads one amount; `None` only for a JSON null in a nullable field.
struct FastVisitor {
    spec: &'static MoneySpec,
    key: &'static str,
    nullable: bool,
}

impl FastVisitor {
    /// Today's path, for everything the fast path does not take.
    fn full<E: de::Error>(&self, text: &str) -> Result<Option<Decimal>, E> {
        money_core::json::deserialize_field::<Decimal, _>(
            de::value::StrDeserializer::<E>::new(text),
            self.spec,
            self.key,
        )
        .map(Some)
    }
}

impl<'de> Visitor<'de> for FastVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a string, such as \"12.50\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        match parse_plain(text) {
            Some(value) if proposed::holds_integer(self.spec, value) => Ok(Some(value)),
            _ => self.full(text),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.full(&value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.full(&value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        money_core::json::deserialize_field::<Decimal, _>(
            de::value::F64Deserializer::<E>::new(value),
            self.spec,
            self.key,
        )
        .map(Some)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(None)
        } else {
            Err(E::custom(format_args!(
                "{}: null is not an amount",
                self.key
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_json;

    #[test]
    fn parse_plain_agrees_with_parse_decimal() {
        for text in [
            "0",
            "-0",
            "1",
            "-1",
            "1.20",
            "123456.7890",
            "0.0001",
            "-12.5",
            "007.50",
            "1234567890123456789012345678",
            "12345678901234567890123456789",
            "1.",
            ".5",
            "1..2",
            "+1",
            "1e3",
            "",
            "-",
            "1.2.3",
            " 1",
            "NaN",
            "-0.00",
        ] {
            if let Some(value) = parse_plain(text) {
                let exact = money_core::parse_decimal(text).expect(text);
                assert_eq!((value, value.scale()), (exact, exact.scale()), "{text}");
            }
        }
    }

    #[test]
    fn same_results_as_the_generated_deserializer() {
        let mut documents: Vec<String> = (0..2_000).map(sample_json).collect();
        for amount in [
            "\"1.23456\"",
            "\"-1\"",
            "\"1000000000000000\"",
            "\"1000.01\"",
            "5",
            "-5",
            "null",
            "\"1.20000\"",
            "\"-0\"",
            "\"-0.00\"",
            "1.5",
            "\"abc\"",
            "\"\"",
            "\"007.50\"",
            "\"0.000000000000000000000000000001\"",
            "1e3",
        ] {
            for field in ["balance", "overdraft_limit", "fee"] {
                let mut fields = vec![
                    ("balance", "\"1.00\"".to_owned()),
                    ("overdraft_limit", "null".to_owned()),
                    ("fee", "\"2.50\"".to_owned()),
                ];
                for (name, value) in &mut fields {
                    if *name == field {
                        *value = amount.to_owned();
                    }
                }
                let body: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("\"{name}\":{value}"))
                    .collect();
                documents.push(format!("{{\"id\":1,{}}}", body.join(",")));
            }
        }
        for document in &documents {
            let generated = serde_json::from_str::<Account>(document);
            let proposed = serde_json::from_str::<ProposedJsonAccount>(document);
            match (generated, proposed) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        (a.id, a.balance, a.overdraft_limit, a.fee),
                        (b.id, b.balance, b.overdraft_limit, b.fee),
                        "{document}"
                    );
                    assert_eq!(a.balance.scale(), b.balance.scale(), "{document}");
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{document}")
                }
                (a, b) => panic!("{document}: {a:?} vs {b:?}"),
            }
        }
    }
}
