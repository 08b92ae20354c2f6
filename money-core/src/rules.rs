//! The rules a money value obeys, described as data.
//!
//! Every rule is checked in Rust by [`Rule::holds`] and rendered for each
//! database by that dialect's renderer, one CHECK constraint per rule, named
//! by [`crate::naming::constraint_name`] with the rule's
//! [`RuleKind::suffix`].
//!
//! # Adding a rule
//! Add the variant here and its [`RuleKind`] in money-spec-core (with its
//! place in [`RuleKind::ALL`], the order of reporting, and its constraint
//! name's suffix; the derive names the constraints of each column from
//! them). Every place that decides a
//! rule matches on `Rule` without a wildcard arm, so the build then fails at
//! each one until it handles the new variant:
//! - here: [`Rule::kind`], [`Rule::holds_for`], [`Rule::holds_for_code`],
//!   `Display for Rule` and the message of a broken rule (`Broken`);
//! - the declaration: `MoneySpec::rules` (where the rule comes from) and
//!   the fast path `MoneySpec::accepts`, whose `match` is
//!   `decided_by_accepts` in `spec.rs`;
//! - the dialects: `dialect::decimal_check` (PostgreSQL, MariaDB/MySQL)
//!   and `Sqlite::check` in `dialect/sqlite.rs` (plus `guard_rules` if the
//!   dialect needs a guard);
//! - validation's error path: `record_broken_rules` in `validate.rs`;
//! - JSON: the schema's pattern, `amount_pattern` in `json/pattern.rs`;
//!   a rule that needs another field of the row is checked after the row
//!   is read, as `check_minor_units` in `json/field.rs` does for
//!   [`Rule::MinorUnits`] through `MoneySpec::minor_units_rule`;
//! - error mapping: the limit a client reads, `limit` in `problem.rs`.
//!
//! The derive needs no change unless the rule has a new key, and then its
//! limits come from money-spec-core, which the derive and this crate share.

use std::fmt;

use rust_decimal::Decimal;

use crate::spec::compare;

pub use money_spec_core::RuleKind;

/// One rule of a money column, with its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `|v| < bound` where `bound = 10^(precision - scale)`: no more digits
    /// before the point than the column holds. In the database this rule also
    /// rejects `NaN` and the infinities, which a Rust [`Decimal`] cannot hold.
    Digits {
        /// Declared precision.
        precision: u32,
        /// Declared scale.
        scale: u32,
        /// `10^(precision - scale)`.
        bound: Decimal,
    },
    /// At most `scale` digits after the point once trailing zeros are dropped
    /// (`v == round(v, scale)`): `1.20000` is valid at scale 4, `1.23456` is
    /// not. Only in [`ExcessScale::Reject`](crate::ExcessScale::Reject) mode.
    Scale {
        /// Declared scale.
        scale: u32,
    },
    /// `v >= min`.
    Min(Decimal),
    /// `v <= max`.
    Max(Decimal),
    /// At most as many digits after the point as the currency in the same
    /// row has minor units (`currency_field = "..."`): JPY 0, USD 2, BHD 3.
    /// A currency with as many minor units as `scale` or more, a code
    /// without minor units (XAU, XDR: see [`crate::currency`]), an unknown
    /// code or NULL put no limit here: the column's scale rule is the limit,
    /// as in the database, whose CHECK lists only the codes it limits. Checked with
    /// [`Rule::holds_for`], which takes the currency.
    MinorUnits {
        /// The amount column's declared scale.
        scale: u32,
        /// The column that holds the row's currency code.
        currency_column: &'static str,
    },
    /// The column holds an active ISO 4217 code (`#[money(currency)]`):
    /// see [`Currency::from_code`](crate::Currency::from_code). A rule of a
    /// currency column, not of an amount: checked with
    /// [`Rule::holds_for_code`].
    Currency,
}

/// The rule as a reader would state it: `at most 15 digits before the point`,
/// `at most 4 digits after the point`, `at least 0`, `at most 9999.99`.
///
/// ```
/// use money_core::{Decimal, Rule};
/// assert_eq!(Rule::Min(Decimal::ZERO).to_string(), "at least 0");
/// assert_eq!(Rule::Scale { scale: 4 }.to_string(), "at most 4 digits after the point");
/// ```
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Digits {
                precision, scale, ..
            } => write!(
                f,
                "at most {} digits before the point (precision {precision}, scale {scale})",
                // The fields are public: a hand-built rule may have scale >
                // precision, and formatting it must not panic.
                precision.saturating_sub(*scale)
            ),
            Rule::Scale { scale } => write!(f, "at most {scale} digits after the point"),
            Rule::Min(min) => write!(f, "at least {min}"),
            Rule::Max(max) => write!(f, "at most {max}"),
            Rule::MinorUnits {
                scale,
                currency_column,
            } => write!(
                f,
                "at most the minor units of the currency in `{currency_column}` after the point (at most {scale})"
            ),
            Rule::Currency => f.write_str("an active ISO 4217 currency code"),
        }
    }
}

impl Rule {
    /// Which rule this is.
    pub const fn kind(&self) -> RuleKind {
        match self {
            Rule::Digits { .. } => RuleKind::Digits,
            Rule::Scale { .. } => RuleKind::Scale,
            Rule::Min(_) => RuleKind::Min,
            Rule::Max(_) => RuleKind::Max,
            Rule::MinorUnits { .. } => RuleKind::MinorUnits,
            Rule::Currency => RuleKind::Currency,
        }
    }

    /// Whether `stored` (the value as the database stores it, see
    /// [`MoneySpec::stored_value`](crate::MoneySpec::stored_value)) obeys
    /// this rule, in a row without a currency: a [`Rule::MinorUnits`]
    /// then holds (the scale rule is the limit), and
    /// [`Rule::Currency`], a rule of codes, holds for every amount. See
    /// [`Rule::holds_for`].
    ///
    /// ```
    /// use money_core::{Rule, Decimal};
    /// let scale = Rule::Scale { scale: 4 };
    /// assert!(scale.holds("1.20000".parse().unwrap()));
    /// assert!(!scale.holds("1.23456".parse().unwrap()));
    /// ```
    #[inline]
    pub fn holds(&self, stored: Decimal) -> bool {
        self.holds_for(stored, None)
    }

    /// Whether `stored` obeys this rule in a row whose currency column
    /// holds `currency` (`None` for NULL or no currency column).
    ///
    /// ```
    /// use money_core::{Rule, Decimal};
    /// let rule = Rule::MinorUnits { scale: 4, currency_column: "currency" };
    /// let amount: Decimal = "1.50".parse().unwrap();
    /// assert!(rule.holds_for(amount, Some("USD")));
    /// assert!(!rule.holds_for(amount, Some("JPY")));
    /// // Gold has no minor units: the column's scale is the limit.
    /// assert!(rule.holds_for("1.2345".parse().unwrap(), Some("XAU")));
    /// ```
    #[inline]
    pub fn holds_for(&self, stored: Decimal, currency: Option<&str>) -> bool {
        match *self {
            Rule::Digits { bound, .. } => compare(stored.abs(), bound).is_lt(),
            Rule::Scale { scale } => fraction_digits(stored) <= scale,
            Rule::Min(min) => compare(stored, min).is_ge(),
            Rule::Max(max) => compare(stored, max).is_le(),
            Rule::MinorUnits { scale, .. } => crate::currency::minor_units_below(currency, scale)
                .is_none_or(|units| fraction_digits(stored) <= units),
            Rule::Currency => true,
        }
    }

    /// Whether the code `code` (of a currency column) obeys this rule: for
    /// [`Rule::Currency`], whether it is an active ISO 4217 code; every
    /// rule of amounts holds.
    ///
    /// ```
    /// use money_core::Rule;
    /// assert!(Rule::Currency.holds_for_code("EUR"));
    /// assert!(!Rule::Currency.holds_for_code("eur"));
    /// ```
    #[inline]
    pub fn holds_for_code(&self, code: &str) -> bool {
        match self {
            Rule::Currency => crate::currency::Currency::from_code(code).is_some(),
            Rule::Digits { .. }
            | Rule::Scale { .. }
            | Rule::Min(_)
            | Rule::Max(_)
            | Rule::MinorUnits { .. } => true,
        }
    }
}

/// A broken rule with the value that broke it, described for people:
/// `123.45678 has 5 digits after the point, at most 4 allowed`.
pub(crate) struct Broken<'a> {
    pub rule: Rule,
    /// The amount as given and as stored; `None` for a code's rule.
    pub amount: Option<(Decimal, Decimal)>,
    /// The code of a currency column, or the currency of the amount's row.
    pub code: Option<&'a str>,
}

impl fmt::Display for Broken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((value, stored)) = self.amount else {
            let code = self.code.unwrap_or_default();
            return write!(
                f,
                "{code:?} is not an active ISO 4217 currency code (three upper-case letters, such as \"USD\")"
            );
        };
        write!(f, "{value}")?;
        if stored != value {
            write!(f, " (rounded to {stored})")?;
        }
        match self.rule {
            Rule::Digits {
                precision, scale, ..
            } => write!(
                f,
                " has {} digits before the point, at most {} allowed (precision {precision}, scale {scale})",
                integer_digits(stored),
                precision.saturating_sub(scale),
            ),
            Rule::Scale { scale } => write!(
                f,
                " has {} digits after the point, at most {scale} allowed",
                fraction_digits(stored),
            ),
            Rule::MinorUnits { scale, .. } => write!(
                f,
                " has {} digits after the point, at most {} allowed in {}",
                fraction_digits(stored),
                crate::currency::minor_units_below(self.code, scale).unwrap_or(scale),
                self.code.unwrap_or("its currency"),
            ),
            Rule::Min(min) => write!(f, " is below the minimum {min}"),
            Rule::Max(max) => write!(f, " is above the maximum {max}"),
            Rule::Currency => write!(f, " is not a currency code"),
        }
    }
}

/// Digits after the point once trailing zeros are dropped.
#[inline]
pub(crate) fn fraction_digits(value: Decimal) -> u32 {
    let scale = value.scale();
    if scale == 0 {
        return 0;
    }
    let mantissa = value.mantissa();
    if mantissa % 10 != 0 {
        return scale;
    }
    value.normalize().scale()
}

/// Digits before the point of `|value|`, at least 1.
pub(crate) fn integer_digits(value: Decimal) -> u32 {
    let mut whole = value.abs().trunc().mantissa().unsigned_abs();
    let mut digits = 1;
    while whole >= 10 {
        whole /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("test literal")
    }

    #[test]
    fn fraction_digits_ignores_trailing_zeros() {
        assert_eq!(fraction_digits(dec("1.20000")), 1);
        assert_eq!(fraction_digits(dec("1.23456")), 5);
        assert_eq!(fraction_digits(dec("100")), 0);
        assert_eq!(fraction_digits(dec("0.0000000000000000000000000001")), 28);
        assert_eq!(fraction_digits(dec("-0.000")), 0);
    }

    #[test]
    fn integer_digits_counts_the_whole_part() {
        assert_eq!(integer_digits(dec("0.5")), 1);
        assert_eq!(integer_digits(dec("-999999999999999.9999")), 15);
        assert_eq!(integer_digits(dec("1000000000000000")), 16);
        assert_eq!(integer_digits(Decimal::MAX), 29);
    }

    #[test]
    fn a_hand_built_rule_with_scale_above_precision_formats_without_panicking() {
        let rule = Rule::Digits {
            precision: 2,
            scale: 4,
            bound: Decimal::ONE,
        };
        assert_eq!(
            rule.to_string(),
            "at most 0 digits before the point (precision 2, scale 4)"
        );
        let broken = Broken {
            rule,
            amount: Some((dec("5"), dec("5"))),
            code: None,
        };
        assert_eq!(
            broken.to_string(),
            "5 has 1 digits before the point, at most 0 allowed (precision 2, scale 4)"
        );
    }

    #[test]
    fn digits_rule_is_strict() {
        let rule = Rule::Digits {
            precision: 19,
            scale: 4,
            bound: dec("1000000000000000"),
        };
        assert!(rule.holds(dec("999999999999999.9999")));
        assert!(rule.holds(dec("-999999999999999.9999")));
        assert!(!rule.holds(dec("1000000000000000")));
        assert!(!rule.holds(dec("-1000000000000000.0000")));
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(Rule::Min(dec("0")).holds(dec("0.0000")));
        assert!(Rule::Min(dec("0")).holds(dec("-0")));
        assert!(!Rule::Min(dec("0")).holds(dec("-0.0001")));
        assert!(Rule::Max(dec("10.5")).holds(dec("10.50")));
        assert!(!Rule::Max(dec("10.5")).holds(dec("10.5000000000001")));
    }
}
