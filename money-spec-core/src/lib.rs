//! What money-core and money-derive both need, in one place: the limits of
//! a money declaration, the exact decimal reader, the excess-scale mode, the
//! kinds of rules and the names of the constraints that enforce them.
//!
//! money-derive is a proc-macro crate that money-core re-exports, so it
//! cannot depend on money-core; both depend on this crate instead, and a
//! limit checked at compile time is the limit checked at run time. Use it
//! through money-core, which re-exports what is public API.
#![forbid(unsafe_code)]

pub mod naming;

use core::fmt;

use rust_decimal::Decimal;

/// The most significant digits a [`Decimal`] can hold for every magnitude,
/// and so the largest precision a declaration may ask for.
pub const MAX_PRECISION: u32 = 28;

/// The most digits after the point a [`Decimal`] holds (its largest scale).
pub const MAX_SCALE: u32 = 28;

/// The largest precision SQLite can store: amounts are stored there as
/// 64-bit integer minor units, which hold 18 digits whatever they are.
pub const SQLITE_MAX_PRECISION: u32 = 18;

/// The longest identifier PostgreSQL keeps, in bytes (it truncates longer
/// ones); constraint names are built to fit it.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// The longest text [`parse_decimal`] reads. A `Decimal` has at most 29
/// significant digits; the rest of the budget allows leading zeros, trailing
/// zeros and a sign. Longer input is refused before any parsing, so a
/// megabyte of digits costs nothing.
pub const MAX_DECIMAL_TEXT_LEN: usize = 100;

/// What a value with more digits after the point than the declared scale
/// turns into: `#[money(on_excess_scale = "reject")]` (the default) or
/// `"round"`.
///
/// ```
/// use money_spec_core::ExcessScale;
/// assert_eq!(ExcessScale::default(), ExcessScale::Reject);
/// assert_eq!(ExcessScale::from_name("round"), Some(ExcessScale::Round));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExcessScale {
    /// The value is invalid, in Rust and in the database. Money never changes
    /// silently.
    #[default]
    Reject,
    /// The value is rounded to the scale, half away from zero, exactly as
    /// PostgreSQL and MySQL round on input; the other rules are checked on the
    /// rounded value, as the database checks them.
    Round,
}

impl ExcessScale {
    /// Every mode.
    pub const ALL: [ExcessScale; 2] = [ExcessScale::Reject, ExcessScale::Round];

    /// The names `on_excess_scale` takes, in the order of [`ALL`](Self::ALL).
    pub const NAMES: [&'static str; 2] = [ExcessScale::ALL[0].name(), ExcessScale::ALL[1].name()];

    /// The name `#[money(on_excess_scale = "...")]` takes for this mode.
    pub const fn name(self) -> &'static str {
        match self {
            ExcessScale::Reject => "reject",
            ExcessScale::Round => "round",
        }
    }

    /// The mode named `name`, as `on_excess_scale` writes it.
    pub fn from_name(name: &str) -> Option<ExcessScale> {
        ExcessScale::ALL
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

/// Which rule, without its limit: what a database constraint name maps back
/// to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Too many digits before the point (`Rule::Digits`).
    Digits,
    /// Too many digits after the point (`Rule::Scale`).
    Scale,
    /// Below the minimum (`Rule::Min`).
    Min,
    /// Above the maximum (`Rule::Max`).
    Max,
    /// More digits after the point than the row's currency has (`Rule::MinorUnits`).
    MinorUnits,
    /// Not an active ISO 4217 code (`Rule::Currency`).
    Currency,
}

impl RuleKind {
    /// Every kind, in the order validation reports them.
    pub const ALL: [RuleKind; 6] = [
        RuleKind::Digits,
        RuleKind::Scale,
        RuleKind::MinorUnits,
        RuleKind::Min,
        RuleKind::Max,
        RuleKind::Currency,
    ];

    /// Its place in [`ALL`](Self::ALL): where a column's table of
    /// constraint names keeps its name.
    ///
    /// ```
    /// use money_spec_core::RuleKind;
    /// for (position, kind) in RuleKind::ALL.into_iter().enumerate() {
    ///     assert_eq!(kind.position(), position);
    /// }
    /// ```
    pub const fn position(self) -> usize {
        match self {
            RuleKind::Digits => 0,
            RuleKind::Scale => 1,
            RuleKind::MinorUnits => 2,
            RuleKind::Min => 3,
            RuleKind::Max => 4,
            RuleKind::Currency => 5,
        }
    }

    /// The last part of the constraint name: `digits`, `scale`,
    /// `minor_units`, `min`, `max`, `currency`.
    ///
    /// PostgreSQL checks a row's CHECK constraints in alphabetical order of
    /// name and reports the first that fails; `digits` sorts first, so a
    /// `NaN` written by raw SQL (which passes `>= min` because PostgreSQL
    /// sorts NaN above every number) is reported as a digits violation.
    pub const fn suffix(self) -> &'static str {
        match self {
            RuleKind::Digits => "digits",
            RuleKind::Scale => "scale",
            RuleKind::Min => "min",
            RuleKind::Max => "max",
            RuleKind::MinorUnits => "minor_units",
            RuleKind::Currency => "currency",
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suffix())
    }
}

/// Why a text is not an exact decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseDecimalError {
    /// The text is empty.
    Empty,
    /// Longer than [`MAX_DECIMAL_TEXT_LEN`].
    TooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// `NaN`, `Infinity` and the like.
    NotFinite,
    /// Not `-?digits(.digits)?`: spaces, `+`, exponents, separators, letters.
    Syntax,
    /// Well formed, but a `Decimal` cannot hold it exactly: more than 28
    /// significant digits after the point (trailing zeros aside) or a
    /// magnitude of 2^96 or more.
    Inexact,
}

impl fmt::Display for ParseDecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseDecimalError::Empty => {
                f.write_str("empty string, expected a decimal number such as \"12.50\"")
            }
            ParseDecimalError::TooLong { len } => write!(
                f,
                "{len} characters, more than the {MAX_DECIMAL_TEXT_LEN} a decimal amount may have"
            ),
            ParseDecimalError::NotFinite => {
                f.write_str("not a number: NaN and infinities are never amounts")
            }
            ParseDecimalError::Syntax => f.write_str(
                "not a plain decimal number: expected digits with an optional leading '-' and one '.', such as \"-12.50\"",
            ),
            ParseDecimalError::Inexact => write!(
                f,
                "more digits than a decimal amount holds exactly (at most {MAX_SCALE} after the point, magnitude below 7.9e28)"
            ),
        }
    }
}

impl std::error::Error for ParseDecimalError {}

/// Reads `-?digits(.digits)?` exactly into a [`Decimal`], keeping the scale
/// as written (`"1.20"` has scale 2).
///
/// Unlike `Decimal::from_str`, it never rounds: digits a `Decimal` cannot
/// hold are an error, except trailing zeros after the point, which are
/// dropped as far as needed (`"1.000…0"` with 40 zeros is exactly 1).
/// `NaN`, infinities, empty strings, spaces, `+`, exponents and `_` are
/// refused, and so is anything longer than [`MAX_DECIMAL_TEXT_LEN`], before
/// looking at its content.
///
/// ```
/// use money_spec_core::{parse_decimal, ParseDecimalError};
/// assert_eq!(parse_decimal("-12.50").unwrap().to_string(), "-12.50");
/// assert_eq!(parse_decimal("1.00000000000000000000000000001"), Err(ParseDecimalError::Inexact));
/// assert_eq!(parse_decimal(" 1"), Err(ParseDecimalError::Syntax));
/// assert_eq!(parse_decimal("NaN"), Err(ParseDecimalError::NotFinite));
/// ```
pub fn parse_decimal(text: &str) -> Result<Decimal, ParseDecimalError> {
    if text.is_empty() {
        return Err(ParseDecimalError::Empty);
    }
    if text.len() > MAX_DECIMAL_TEXT_LEN {
        return Err(ParseDecimalError::TooLong { len: text.len() });
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word))
    {
        return Err(ParseDecimalError::NotFinite);
    }
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (unsigned, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (fraction.is_empty() && unsigned.ends_with('.'))
    {
        return Err(ParseDecimalError::Syntax);
    }
    // Trailing zeros past what a Decimal holds change nothing: drop them.
    let significant_fraction = if fraction.len() > MAX_SCALE as usize {
        let trimmed = fraction.trim_end_matches('0');
        &fraction[..trimmed.len().max(MAX_SCALE as usize).min(fraction.len())]
    } else {
        fraction
    };
    let exact = if significant_fraction.len() == fraction.len() {
        Decimal::from_str_exact(text)
    } else {
        let sign = if text.starts_with('-') { "-" } else { "" };
        Decimal::from_str_exact(&format!("{sign}{whole}.{significant_fraction}"))
    };
    match exact {
        Ok(value) => Ok(value),
        // Too many digits in all: trailing zeros after the point may be
        // what overflows 96 bits (`999999999999999999.99999999990`).
        Err(_) if significant_fraction.ends_with('0') => {
            let sign = if text.starts_with('-') { "-" } else { "" };
            let fraction = significant_fraction.trim_end_matches('0');
            let trimmed = if fraction.is_empty() {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            };
            Decimal::from_str_exact(&trimmed).map_err(|_| ParseDecimalError::Inexact)
        }
        Err(_) => Err(ParseDecimalError::Inexact),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals_as_written() {
        for (text, shown) in [
            ("0", "0"),
            ("-0", "0"),
            ("12.50", "12.50"),
            ("007.5", "7.5"),
            (
                "-0.0000000000000000000000000001",
                "-0.0000000000000000000000000001",
            ),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
        ] {
            assert_eq!(
                parse_decimal(text)
                    .map(|value| value.to_string())
                    .as_deref(),
                Ok(shown),
                "{text}"
            );
        }
        let padded = format!("1.{}", "0".repeat(60));
        assert_eq!(parse_decimal(&padded), Ok(Decimal::ONE));
        // 30 digits, the last a zero: exact once the zero is dropped.
        assert_eq!(
            parse_decimal("999999999999999999.99999999990")
                .map(|value| value.to_string())
                .as_deref(),
            Ok("999999999999999999.9999999999")
        );
    }

    #[test]
    fn refuses_everything_else() {
        use ParseDecimalError::*;
        for (text, error) in [
            ("", Empty),
            ("NaN", NotFinite),
            ("-Infinity", NotFinite),
            ("inf", NotFinite),
            (" 1", Syntax),
            ("1 ", Syntax),
            ("+1", Syntax),
            ("1e3", Syntax),
            ("1_000", Syntax),
            (".5", Syntax),
            ("5.", Syntax),
            ("-", Syntax),
            ("1.2.3", Syntax),
            ("0x10", Syntax),
            ("١٢", Syntax),
            ("1.00000000000000000000000000001", Inexact),
            ("79228162514264337593543950336", Inexact),
        ] {
            assert_eq!(parse_decimal(text), Err(error), "{text:?}");
        }
        let huge = "9".repeat(1 << 20);
        assert_eq!(parse_decimal(&huge), Err(TooLong { len: 1 << 20 }));
    }
}
