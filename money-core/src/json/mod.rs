//! Amounts in JSON (and any serde format): strings, never floats; exact on
//! the way in, validated against the declaration, never rounded.
//!
//! # The format
//! - An amount is written as a string with exactly `scale` digits after the
//!   point: `"123.4500"` at scale 4, `"-7"` at scale 0. Trailing zeros past
//!   the scale are dropped and missing ones added, so equal values always
//!   serialize to the same text (stable hashes, signatures, idempotency
//!   keys). A value with more digits than the scale (which only a
//!   round-mode field or an invalid value can hold) is written with all of
//!   them: serializing never rounds.
//! - `None` is `null`.
//! - Reading accepts a string in the grammar of [`parse_decimal`]
//!   (`-?digits(.digits)?`, at most [`MAX_DECIMAL_TEXT_LEN`] bytes, at most
//!   28 significant digits), read exactly: no rounding, no exponent, no
//!   `NaN`, no spaces. Trailing zeros are fine (`"1.20000"` at scale 4 is
//!   `1.2`).
//! - A JSON number is accepted when it can be read exactly: an integer that
//!   fits `i64` or `u64` (`5`, `-12`), or any number when serde_json's
//!   `arbitrary_precision` feature is on (serde_json then hands over the
//!   number's text, which is read with the same rules plus an exponent).
//!   Without that feature every other number (a fraction, an exponent, `-0`,
//!   an integer beyond 64 bits) arrives as an `f64` that may already have
//!   lost the digits written (an `f64` zero can come from `1e-400`), and is
//!   refused with a message that says so and asks for a string.
//! - The value must obey every rule of the declaration; the error names the
//!   field as it appears in the JSON and the broken rule:
//!   `balance: 1.23456 has 5 digits after the point, at most 4 allowed`.
//!   A round-mode field is not rounded here: the value is kept as sent and
//!   rounded where the declaration says, in the database (see
//!   [`MoneySpec::stored_value`]).
//!
//! Non-human-readable formats (bincode, postcard) carry the same string.

mod fast;
pub(crate) mod field;
mod number;
mod pattern;
#[cfg(feature = "schemars")]
mod schema;

use core::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::parse::{MAX_DECIMAL_TEXT_LEN, parse_decimal};
use crate::rules::Broken;
use crate::spec::MoneySpec;
use crate::table::MoneyField;

pub use number::parse_json_number;
pub use pattern::amount_pattern;
#[cfg(feature = "schemars")]
pub use schema::amount_schema;

/// The JSON Schema of a currency field: a string, one of the active ISO
/// 4217 codes (or `null` when `nullable`).
#[cfg(feature = "schemars")]
pub fn currency_schema(nullable: bool) -> schemars::Schema {
    crate::currency::code_schema(nullable)
}

/// The most significant digits an amount may have in JSON: a `Decimal`
/// holds 28 for every magnitude (29 only below 7.9e28), and a declaration
/// at most 28.
pub const MAX_SIGNIFICANT_DIGITS: u32 = money_spec_core::MAX_PRECISION;

/// The canonical text of `value` at `scale`: trailing zeros dropped or
/// added so that exactly `scale` digits follow the point, unless the value
/// needs more (then all of them, never rounded). Zero has no sign.
///
/// ```
/// use money_core::{Decimal, json::canonical};
/// let value = |text: &str| text.parse::<Decimal>().unwrap();
/// assert_eq!(canonical(value("123.45"), 4).to_string(), "123.4500");
/// assert_eq!(canonical(value("1.2000000"), 4).to_string(), "1.2000");
/// assert_eq!(canonical(value("1.23456"), 4).to_string(), "1.23456");
/// assert_eq!(canonical(value("-0.00"), 2).to_string(), "0.00");
/// assert_eq!(canonical(value("5"), 0).to_string(), "5");
/// ```
pub fn canonical(value: Decimal, scale: u32) -> Canonical {
    let mut value = value;
    if value.is_zero() {
        value = Decimal::ZERO;
    } else if value.scale() > scale {
        value = value.normalize();
    }
    if value.scale() < scale {
        // Only adds zeros; a mantissa that would overflow keeps fewer.
        value.rescale(scale);
    }
    Canonical(value)
}

/// An amount in its canonical text: see [`canonical`]. `Display` writes it
/// and `Serialize` writes it as a string, without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Canonical(Decimal);

impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Canonical {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Serializes an amount (`Decimal` or `Option<Decimal>`) declared with
/// `spec`: its canonical string ([`canonical`]), or `null` for `None`. This
/// is what a `#[money(serde)]` model writes for a money field, for code
/// that writes one amount of a declaration read at run time.
///
/// ```
/// use money_core::{Decimal, MoneyModel, json::serialize_field};
///
/// #[derive(MoneyModel)]
/// struct Fee {
///     #[money(precision = 10, scale = 2)]
///     amount: Decimal,
/// }
///
/// let spec = Fee::DEFINITION.columns()[0].money_spec().unwrap();
/// let mut out = Vec::new();
/// let value: Decimal = "1.5".parse().unwrap();
/// serialize_field(&value, spec, &mut serde_json::Serializer::new(&mut out)).unwrap();
/// assert_eq!(out, br#""1.50""#);
/// ```
pub fn serialize_field<F, S>(field: &F, spec: &MoneySpec, serializer: S) -> Result<S::Ok, S::Error>
where
    F: MoneyField,
    S: Serializer,
{
    match field.amount() {
        Some(value) if F::NULLABLE => serializer.serialize_some(&canonical(value, spec.scale())),
        Some(value) => serializer.collect_str(&canonical(value, spec.scale())),
        None => serializer.serialize_none(),
    }
}

/// Deserializes an amount declared with `spec`, exactly and validated, as
/// a `#[money(serde)]` model reads a money field; `key` is the field's name
/// in the JSON, which error messages start with. For code that reads one
/// amount of a declaration known at run time.
///
/// ```
/// use money_core::{Decimal, MoneyModel, json::deserialize_field};
///
/// #[derive(MoneyModel)]
/// struct Fee {
///     #[money(precision = 10, scale = 2)]
///     amount: Decimal,
/// }
///
/// let spec = Fee::DEFINITION.columns()[0].money_spec().unwrap();
/// let read = |json: &str| {
///     let mut deserializer = serde_json::Deserializer::from_str(json);
///     deserialize_field::<Decimal, _>(&mut deserializer, spec, "amount")
/// };
/// assert_eq!(read(r#""1.50""#).unwrap(), "1.5".parse::<Decimal>().unwrap());
/// let error = read(r#""1.005""#).unwrap_err().to_string();
/// assert!(error.starts_with("amount: 1.005 has 3 digits after the point"), "{error}");
/// ```
#[inline]
pub fn deserialize_field<'de, F, D>(
    deserializer: D,
    spec: &MoneySpec,
    key: &'static str,
) -> Result<F, D::Error>
where
    F: MoneyField,
    D: Deserializer<'de>,
{
    let visitor = AmountVisitor {
        label: key,
        spec,
        nullable: F::NULLABLE,
    };
    let amount = read(deserializer, visitor, F::NULLABLE)?;
    F::from_amount(amount)
        .ok_or_else(|| de::Error::custom(format_args!("{key}: null is not an amount")))
}

fn read<'de, D: Deserializer<'de>>(
    deserializer: D,
    visitor: AmountVisitor<'_>,
    nullable: bool,
) -> Result<Option<Decimal>, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(visitor)
    } else if nullable {
        deserializer.deserialize_option(visitor)
    } else {
        deserializer.deserialize_str(visitor)
    }
}

/// The broken rule, if any, as the error message states it.
fn check(spec: &MoneySpec, value: Decimal) -> Result<(), Broken<'static>> {
    if spec.accepts(value) {
        return Ok(());
    }
    let stored = spec.stored_value(value);
    match spec.rules().find(|rule| !rule.holds(stored)) {
        None => Ok(()),
        Some(rule) => Err(Broken {
            rule,
            amount: Some((value, stored)),
            code: None,
        }),
    }
}

/// Reads one amount (a string, an exact JSON number, or null) and checks
/// it, so that errors carry the position of the value.
struct AmountVisitor<'a> {
    /// What messages start with: the field's JSON name, or the value type's
    /// name.
    label: &'static str,
    spec: &'a MoneySpec,
    nullable: bool,
}

impl AmountVisitor<'_> {
    fn error<E: de::Error>(&self, message: impl fmt::Display) -> E {
        E::custom(format_args!("{}: {message}", self.label))
    }

    fn text<E: de::Error>(&self, text: &str) -> Result<Option<Decimal>, E> {
        match fast::plain_amount(text) {
            Some(value) if self.spec.accepts(value) => Ok(Some(value)),
            // Read again, to state what is wrong, or to read what the fast
            // path does not.
            _ => self.exact_text(text),
        }
    }

    /// Any text, read exactly, with the message of whatever is wrong: what
    /// [`text`](Self::text) does when the fast path does not take the text.
    fn exact_text<E: de::Error>(&self, text: &str) -> Result<Option<Decimal>, E> {
        let value = parse_decimal(text).map_err(|error| self.error(error))?;
        self.significant(value)
    }

    fn significant<E: de::Error>(&self, value: Decimal) -> Result<Option<Decimal>, E> {
        if significant_digits(value) > MAX_SIGNIFICANT_DIGITS {
            return Err(self.error(format_args!(
                "{value} has more than {MAX_SIGNIFICANT_DIGITS} significant digits"
            )));
        }
        check(self.spec, value).map_err(|broken| self.error(broken))?;
        Ok(Some(value))
    }

    fn integer<E: de::Error>(&self, value: i128) -> Result<Option<Decimal>, E> {
        match Decimal::try_from_i128_with_scale(value, 0) {
            Ok(value) => self.significant(value),
            Err(_) => Err(self.error(format_args!(
                "{value} has more than {MAX_SIGNIFICANT_DIGITS} significant digits"
            ))),
        }
    }
}

/// Digits from the first non-zero one to the last non-zero one, counting
/// the zeros between the point and them: what the mantissa needs once
/// trailing zeros are dropped.
fn significant_digits(value: Decimal) -> u32 {
    const LIMIT: u128 = 10u128.pow(MAX_SIGNIFICANT_DIGITS);
    if value.mantissa().unsigned_abs() < LIMIT {
        return 0; // at most 28: the common case, without dividing
    }
    let mantissa = value.normalize().mantissa().unsigned_abs();
    if mantissa < LIMIT {
        0
    } else {
        MAX_SIGNIFICANT_DIGITS + 1
    }
}

impl<'de> Visitor<'de> for AmountVisitor<'_> {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a string, such as \"12.50\"")?;
        if self.nullable {
            f.write_str(", or null")?;
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        self.text(text)
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        match core::str::from_utf8(bytes) {
            Ok(text) => self.text(text),
            Err(_) => Err(de::Error::invalid_value(
                de::Unexpected::Bytes(bytes),
                &self,
            )),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.integer(value.into())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.integer(value.into())
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Self::Value, E> {
        self.integer(value)
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Self::Value, E> {
        match i128::try_from(value) {
            Ok(value) => self.integer(value),
            Err(_) => Err(self.error(format_args!(
                "{value} has more than {MAX_SIGNIFICANT_DIGITS} significant digits"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Err(self.error(format_args!(
            "a JSON number that is not a 64-bit integer (a fraction, an exponent, -0, or an \
             integer beyond 64 bits) cannot be read exactly: it arrived as the binary float \
             {value:?}; send the amount as a string, such as \"12.50\""
        )))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(None)
        } else {
            Err(self.error("null is not an amount"))
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let inner = AmountVisitor {
            nullable: false,
            ..self
        };
        read(deserializer, inner, false)
    }

    /// serde_json with `arbitrary_precision` hands a number over as a map
    /// with one private key and the number's text as its value.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let key: Option<Key> = map.next_key()?;
        if key.is_none_or(|key| !key.0) {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        let text: NumberText = map.next_value()?;
        let value = parse_json_number(&text.0).map_err(|error| self.error(error))?;
        if map.next_key::<Key>()?.is_some() {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        self.significant(value)
    }
}

/// The key under which serde_json's `arbitrary_precision` passes a number.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Whether a map key is serde_json's private number token.
struct Key(bool);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Key(key == NUMBER_TOKEN))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A number's text, refused unread when longer than any amount can be.
struct NumberText(String);

impl<'de> de::Deserialize<'de> for NumberText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = NumberText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number's text")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<NumberText, E> {
                if text.len() > MAX_DECIMAL_TEXT_LEN {
                    return Err(E::custom(crate::parse::ParseDecimalError::TooLong {
                        len: text.len(),
                    }));
                }
                Ok(NumberText(text.to_owned()))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Implements `Serialize` and `Deserialize` for a money value type (feature
/// `serde`; nothing without it). Generated code calls it.
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_value {
    ($ty:ident) => {
        #[automatically_derived]
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> $crate::__private::Result<S::Ok, S::Error> {
                $crate::__private::json::serialize_value(self, serializer)
            }
        }

        #[automatically_derived]
        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> $crate::__private::Result<Self, D::Error> {
                $crate::__private::json::deserialize_value(deserializer)
            }
        }
    };
}

/// Emits a model's generated serde impls (feature `serde`). Generated code
/// calls it for `#[money(serde)]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_model {
    ($($tokens:tt)*) => {
        $($tokens)*
    };
}
