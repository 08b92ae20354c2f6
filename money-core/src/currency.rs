//! ISO 4217 currencies: the active codes and their minor units, from the
//! `iso_currency` crate's copy of the ISO list.
//!
//! A currency column (`#[money(currency)]`) accepts exactly the active codes
//! ([`Currency::from_code`]): three upper-case letters, as ISO writes them.
//! An amount declared with `currency_field = "..."` may have at most as many
//! digits after the point as its row's currency has minor units
//! ([`Currency::minor_units`]): JPY 0, USD 2, BHD 3, CLF 4.
//!
//! # Codes without minor units
//! ISO gives no minor unit to gold, silver and the other special codes
//! (XAU, XAG, XPD, XPT, XDR, XBA to XBD, XSU, XUA, XTS, XXX): they are
//! quantities, not cash. For them [`Currency::minor_units`] is `None`, and
//! an amount in them is limited by its column's declared scale only, in
//! Rust and in the database alike. Declare the scale that such a quantity
//! needs (troy ounces of gold to 4 places, say) if the column may hold one.
//!
//! # Superseded codes
//! Codes ISO has withdrawn (HRK, BGN, SLL, VES, CUC, ZWL, ...) are not
//! currencies here: a column refuses them, as it refuses any other text.
//! Moving a table off a withdrawn code is a data migration, not something a
//! constraint should paper over.

use std::fmt;
use std::str::FromStr;

use iso_currency::IntoEnumIterator;

/// An active ISO 4217 currency.
///
/// ```
/// use money_core::Currency;
///
/// let yen: Currency = "JPY".parse().unwrap();
/// assert_eq!(yen.code(), "JPY");
/// assert_eq!(yen.minor_units(), Some(0));
/// assert_eq!(Currency::from_code("BHD").and_then(|c| c.minor_units()), Some(3));
/// assert_eq!(Currency::from_code("XAU").unwrap().minor_units(), None);
/// // Lower case, withdrawn and unknown codes are not currencies.
/// assert!(Currency::from_code("usd").is_none());
/// assert!(Currency::from_code("HRK").is_none());
/// assert!(Currency::from_code("USD ").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

/// A text that is not an active ISO 4217 code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{code:?} is not an active ISO 4217 currency code (three upper-case letters, such as \"USD\")"
)]
pub struct UnknownCurrency {
    /// The text, cut to 16 characters.
    pub code: String,
}

impl UnknownCurrency {
    pub(crate) fn new(code: &str) -> Self {
        UnknownCurrency {
            code: code.chars().take(16).collect(),
        }
    }
}

impl Currency {
    /// The currency whose alphabetic code is exactly `code`, if ISO 4217
    /// lists it as active.
    #[inline]
    pub fn from_code(code: &str) -> Option<Currency> {
        iso_currency::Currency::from_code(code)
            .filter(|currency| currency.is_superseded().is_none())
            .map(Currency)
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the point of the currency's minor unit (cents: 2), or
    /// `None` for the codes ISO gives none (XAU, XDR, ...).
    pub fn minor_units(self) -> Option<u32> {
        self.0.exponent().map(u32::from)
    }

    /// The `iso_currency` value, for its other data (name, numeric code,
    /// countries, symbol).
    pub fn iso(self) -> iso_currency::Currency {
        self.0
    }

    /// Every active currency, in order of code.
    pub fn all() -> impl Iterator<Item = Currency> {
        // Sorted once: the DDL of every currency CHECK lists them all.
        static ALL: std::sync::OnceLock<Vec<Currency>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let mut all: Vec<Currency> = iso_currency::Currency::iter()
                .filter(|currency| currency.is_superseded().is_none())
                .map(Currency)
                .collect();
            all.sort_by_key(|currency| Currency::code(*currency));
            all
        })
        .iter()
        .copied()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::from_code(code).ok_or_else(|| UnknownCurrency::new(code))
    }
}

impl TryFrom<iso_currency::Currency> for Currency {
    type Error = UnknownCurrency;
    /// Fails for a superseded code.
    fn try_from(currency: iso_currency::Currency) -> Result<Self, Self::Error> {
        Currency::from_code(currency.code()).ok_or_else(|| UnknownCurrency::new(currency.code()))
    }
}

impl From<Currency> for iso_currency::Currency {
    fn from(currency: Currency) -> Self {
        currency.0
    }
}

impl AsRef<str> for Currency {
    fn as_ref(&self) -> &str {
        self.code()
    }
}

/// The active codes grouped by their minor units, for the groups with
/// fewer than `scale` (the others are limited by the column's scale alone),
/// smallest first; codes in order within a group. What a minor-units CHECK
/// lists.
pub(crate) fn codes_by_minor_units(scale: u32) -> Vec<(u32, Vec<&'static str>)> {
    let mut groups: Vec<(u32, Vec<&'static str>)> = Vec::new();
    for currency in Currency::all() {
        let Some(units) = minor_units_below(Some(currency.code()), scale) else {
            continue;
        };
        match groups.iter_mut().find(|(group, _)| *group == units) {
            Some((_, codes)) => codes.push(currency.code()),
            None => groups.push((units, vec![currency.code()])),
        }
    }
    groups.sort_by_key(|(units, _)| *units);
    groups
}

/// The limit [`Rule::MinorUnits`](crate::Rule::MinorUnits) puts on an
/// amount of `currency` in a column of `scale`: the currency's minor units
/// when they are fewer than the scale, else none (a currency with as many
/// minor units or more, a code without minor units, an unknown code, NULL):
/// the column's scale rule is then the only limit. Exactly the codes the
/// CHECK lists ([`codes_by_minor_units`]), so Rust and SQL judge alike.
#[inline]
pub(crate) fn minor_units_below(currency: Option<&str>, scale: u32) -> Option<u32> {
    currency
        .and_then(Currency::from_code)
        .and_then(Currency::minor_units)
        .filter(|units| *units < scale)
}

/// A field that holds a currency code: `String`, [`Currency`], or an
/// `Option` of either (a nullable column).
#[diagnostic::on_unimplemented(
    message = "a `#[money(currency)]` field must be `String`, `money_core::Currency` or an `Option` of them, not `{Self}`",
    label = "not a currency code",
    note = "change the field's type, or remove `#[money(currency)]`"
)]
pub trait CurrencyField {
    /// Whether the column accepts NULL.
    const NULLABLE: bool;
    /// The code as held, or `None` for NULL.
    fn currency_code(&self) -> Option<&str>;
    /// The field holding `code`: `None` when it cannot (NULL in a NOT NULL
    /// field; a text that is no active code in a [`Currency`] field).
    fn from_code(code: Option<String>) -> Option<Self>
    where
        Self: Sized;
}

impl CurrencyField for String {
    const NULLABLE: bool = false;
    #[inline]
    fn currency_code(&self) -> Option<&str> {
        Some(self)
    }
    fn from_code(code: Option<String>) -> Option<Self> {
        code
    }
}

impl CurrencyField for Option<String> {
    const NULLABLE: bool = true;
    #[inline]
    fn currency_code(&self) -> Option<&str> {
        self.as_deref()
    }
    fn from_code(code: Option<String>) -> Option<Self> {
        Some(code)
    }
}

impl CurrencyField for Currency {
    const NULLABLE: bool = false;
    #[inline]
    fn currency_code(&self) -> Option<&str> {
        Some(Currency::code(*self))
    }
    fn from_code(code: Option<String>) -> Option<Self> {
        Currency::from_code(&code?)
    }
}

impl CurrencyField for Option<Currency> {
    const NULLABLE: bool = true;
    #[inline]
    fn currency_code(&self) -> Option<&str> {
        self.map(Currency::code)
    }
    fn from_code(code: Option<String>) -> Option<Self> {
        match code {
            None => Some(None),
            Some(code) => Currency::from_code(&code).map(Some),
        }
    }
}

/// A [`Currency`] is written as its code and read from exactly an active
/// code.
#[cfg(feature = "serde")]
impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an active ISO 4217 currency code, such as \"USD\"")
            }
            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<Currency, E> {
                code.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(CodeVisitor)
    }
}

/// The JSON Schema of a currency code: a string, one of the active codes.
#[cfg(feature = "schemars")]
pub(crate) fn code_schema(nullable: bool) -> schemars::Schema {
    let mut codes: Vec<serde_json::Value> = Currency::all()
        .map(|currency| serde_json::Value::from(currency.code()))
        .collect();
    let kind = if nullable {
        codes.push(serde_json::Value::Null);
        serde_json::json!(["string", "null"])
    } else {
        serde_json::json!("string")
    };
    schemars::json_schema!({
        "type": kind,
        "enum": codes,
        "description": "An active ISO 4217 currency code."
    })
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        code_schema(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_examples() {
        let units = |code| Currency::from_code(code).and_then(Currency::minor_units);
        assert_eq!(units("JPY"), Some(0));
        assert_eq!(units("USD"), Some(2));
        assert_eq!(units("BHD"), Some(3));
        assert_eq!(units("CLF"), Some(4));
        assert_eq!(units("XAU"), None);
        assert_eq!(units("XDR"), None);
        assert!(Currency::from_code("XAU").is_some());
    }

    #[test]
    fn only_exact_active_codes() {
        for bad in [
            "", "usd", "Usd", "US", "USDX", "USD ", " USD", "HRK", "BGN", "ZZZ", "€",
        ] {
            assert!(Currency::from_code(bad).is_none(), "{bad:?}");
        }
        let all: Vec<Currency> = Currency::all().collect();
        assert!(all.len() > 150, "{}", all.len());
        assert!(all.windows(2).all(|pair| pair[0].code() < pair[1].code()));
        for currency in &all {
            let code = currency.code();
            assert_eq!(code.len(), 3);
            assert!(code.bytes().all(|byte| byte.is_ascii_uppercase()), "{code}");
            assert_eq!(Currency::from_code(code), Some(*currency));
        }
    }

    #[test]
    fn groups_cover_codes_with_fewer_minor_units_than_the_scale() {
        let groups = codes_by_minor_units(4);
        let units: Vec<u32> = groups.iter().map(|(units, _)| *units).collect();
        assert_eq!(units, [0, 2, 3]);
        assert!(groups[0].1.contains(&"JPY"));
        assert!(groups[1].1.contains(&"USD"));
        assert!(groups[2].1.contains(&"BHD"));
        assert!(groups.iter().all(|(_, codes)| !codes.contains(&"CLF")));
        assert!(groups.iter().all(|(_, codes)| !codes.contains(&"XAU")));
        assert_eq!(codes_by_minor_units(0), Vec::new());
    }

    #[test]
    fn a_limit_only_below_the_column_scale() {
        assert_eq!(minor_units_below(Some("JPY"), 4), Some(0));
        assert_eq!(minor_units_below(Some("USD"), 2), None);
        assert_eq!(minor_units_below(Some("CLF"), 2), None);
        assert_eq!(minor_units_below(Some("XAU"), 4), None);
        assert_eq!(minor_units_below(Some("nope"), 4), None);
        assert_eq!(minor_units_below(None, 4), None);
    }
}
