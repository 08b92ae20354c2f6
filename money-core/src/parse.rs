//! Reading decimals from text exactly: no rounding, no floats, no
//! surprises.

use rust_decimal::Decimal;

/// The longest text [`parse_decimal`] reads. A `Decimal` has at most 29
/// significant digits; the rest of the budget allows leading zeros, trailing
/// zeros and a sign. Longer input is refused before any parsing, so a
/// megabyte of digits costs nothing.
pub const MAX_DECIMAL_TEXT_LEN: usize = 100;

/// Why a text is not an exact decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseDecimalError {
    /// The text is empty.
    #[error("empty string, expected a decimal number such as \"12.50\"")]
    Empty,
    /// Longer than [`MAX_DECIMAL_TEXT_LEN`].
    #[error("{len} characters, more than the {MAX_DECIMAL_TEXT_LEN} a decimal amount may have")]
    TooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// `NaN`, `Infinity` and the like.
    #[error("not a number: NaN and infinities are never amounts")]
    NotFinite,
    /// Not `-?digits(.digits)?`: spaces, `+`, exponents, separators, letters.
    #[error(
        "not a plain decimal number: expected digits with an optional leading '-' and one '.', such as \"-12.50\""
    )]
    Syntax,
    /// Well formed, but a `Decimal` cannot hold it exactly: more than 28
    /// significant digits after the point (trailing zeros aside) or a
    /// magnitude of 2^96 or more.
    #[error(
        "more digits than a decimal amount holds exactly (at most 28 after the point, magnitude below 7.9e28)"
    )]
    Inexact,
}

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
/// use money_core::{parse_decimal, ParseDecimalError};
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
    let significant_fraction = if fraction.len() > 28 {
        let trimmed = fraction.trim_end_matches('0');
        &fraction[..trimmed.len().max(28).min(fraction.len())]
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
