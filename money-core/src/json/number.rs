//! A JSON number's text, read exactly.

use rust_decimal::Decimal;

use crate::parse::{MAX_DECIMAL_TEXT_LEN, ParseDecimalError, parse_decimal};

/// Reads a JSON number's text (`-12.5`, `1.25e2`, `5E-3`) exactly: the
/// digits as [`parse_decimal`] reads them, then the exponent applied without
/// rounding. What a `Decimal` cannot hold exactly (more than 28 digits after
/// the point, a magnitude of 2^96 or more) is an error, as is anything
/// longer than [`MAX_DECIMAL_TEXT_LEN`].
///
/// ```
/// use money_core::json::parse_json_number;
/// assert_eq!(parse_json_number("1.25e2").unwrap().to_string(), "125");
/// assert_eq!(parse_json_number("1.50E1").unwrap().to_string(), "15.0");
/// assert_eq!(parse_json_number("-5e-3").unwrap().to_string(), "-0.005");
/// assert!(parse_json_number("1e-29").is_err());
/// assert!(parse_json_number("1e29").is_err());
/// ```
pub fn parse_json_number(text: &str) -> Result<Decimal, ParseDecimalError> {
    if text.len() > MAX_DECIMAL_TEXT_LEN {
        return Err(ParseDecimalError::TooLong { len: text.len() });
    }
    let Some(at) = text.find(['e', 'E']) else {
        return parse_decimal(text);
    };
    let value = match parse_decimal(&text[..at]) {
        Err(ParseDecimalError::Empty) => return Err(ParseDecimalError::Syntax),
        other => other?,
    };
    let exponent = &text[at + 1..];
    let (negative, digits) = match exponent.as_bytes().first() {
        Some(b'-') => (true, &exponent[1..]),
        Some(b'+') => (false, &exponent[1..]),
        _ => (false, exponent),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ParseDecimalError::Syntax);
    }
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let digits = digits.trim_start_matches('0');
    // A non-zero value of at most 100 digits times 10^±1000 is never exact.
    if digits.len() > 3 {
        return Err(ParseDecimalError::Inexact);
    }
    let magnitude: i32 = digits.parse().unwrap_or(0);
    scaled(value, if negative { -magnitude } else { magnitude })
}

/// `value * 10^exponent`, exactly.
fn scaled(value: Decimal, exponent: i32) -> Result<Decimal, ParseDecimalError> {
    let mut mantissa = value.mantissa();
    let mut scale = value.scale() as i32 - exponent;
    // Zeros at the end of the digits can go (`100e-30` is `1e-28`).
    while scale > Decimal::MAX_SCALE as i32 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale > Decimal::MAX_SCALE as i32 {
        return Err(ParseDecimalError::Inexact);
    }
    if scale < 0 {
        let factor = u32::try_from(-scale)
            .ok()
            .and_then(|power| 10i128.checked_pow(power))
            .ok_or(ParseDecimalError::Inexact)?;
        mantissa = mantissa
            .checked_mul(factor)
            .ok_or(ParseDecimalError::Inexact)?;
        scale = 0;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale as u32)
        .map_err(|_| ParseDecimalError::Inexact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_are_applied_exactly() {
        for (text, shown) in [
            ("0", "0"),
            ("-0", "0"),
            ("12.50", "12.50"),
            ("1e0", "1"),
            ("1E+2", "100"),
            ("12.5e-1", "1.25"),
            ("0e999999", "0"),
            ("1e-28", "0.0000000000000000000000000001"),
            ("100000e-33", "0.0000000000000000000000000001"),
            (
                "7.9228162514264337593543950335e28",
                "79228162514264337593543950335",
            ),
        ] {
            assert_eq!(
                parse_json_number(text)
                    .map(|value| value.to_string())
                    .as_deref(),
                Ok(shown),
                "{text}"
            );
        }
    }

    #[test]
    fn what_cannot_be_exact_is_refused() {
        use ParseDecimalError::*;
        for (text, error) in [
            ("1e-29", Inexact),
            ("1e29", Inexact),
            ("7.9228162514264337593543950336e28", Inexact),
            ("1e1000", Inexact),
            ("1e-1000", Inexact),
            ("1e", Syntax),
            ("1e+", Syntax),
            ("1e1.5", Syntax),
            ("e5", Syntax),
            ("1e 5", Syntax),
            ("NaN", NotFinite),
        ] {
            assert_eq!(parse_json_number(text), Err(error), "{text}");
        }
        let long = format!("1e{}", "0".repeat(200));
        assert_eq!(parse_json_number(&long), Err(TooLong { len: 202 }));
    }
}
