//! What the ledger does with currencies beyond the models' declarations:
//! checks a request before it is booked, and rounds a converted amount.
//!
//! The codes and their minor units are money-core's
//! ([`money_core::Currency`], the active ISO 4217 list): the models declare
//! their currency columns `#[money(currency)]` and their amounts
//! `currency_field = "currency"`, so `validate()`, JSON and the database's
//! CHECKs hold every stored amount to its currency's minor units. The
//! checks here say the same earlier, with the ledger's own errors.

use money_core::{Currency, Decimal, round_like_database};

/// The scale of the ledger's amount columns: the digits an amount in a
/// currency without ISO minor units (XAU, XDR) may have.
pub const LEDGER_SCALE: u32 = 4;

/// Why an amount or a code is not money in a currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CurrencyError {
    /// Not an active ISO 4217 code: unknown, withdrawn, lowercase, padded.
    #[error("unknown currency code {code:?}")]
    UnknownCode {
        /// The code as given.
        code: String,
    },
    /// More digits after the point than the currency's minor units.
    #[error("{amount} {code} has more digits after the point than {code}'s {minor_units}")]
    TooPrecise {
        /// The currency.
        code: String,
        /// Its minor units.
        minor_units: u32,
        /// The amount.
        amount: Decimal,
    },
    /// `amount * rate` does not fit a `Decimal`.
    #[error("{amount} * {rate} does not fit a decimal")]
    Overflow {
        /// The source amount.
        amount: Decimal,
        /// The rate.
        rate: Decimal,
    },
}

/// Digits after the point an amount in `code` may have: its minor units
/// (`USD` 2, `JPY` 0, `KWD` 3), or [`LEDGER_SCALE`] for a code without
/// (`XAU`), as the columns' CHECKs allow.
///
/// ```
/// use money_ledger::currency::minor_units;
///
/// assert_eq!(minor_units("JPY").unwrap(), 0);
/// assert_eq!(minor_units("XAU").unwrap(), 4);
/// assert!(minor_units("usd").is_err());
/// ```
///
/// # Errors
///
/// [`CurrencyError::UnknownCode`] for a text that is no active ISO 4217
/// code.
pub fn minor_units(code: &str) -> Result<u32, CurrencyError> {
    let currency = Currency::from_code(code).ok_or_else(|| CurrencyError::UnknownCode {
        code: code.to_owned(),
    })?;
    Ok(currency
        .minor_units()
        .map_or(LEDGER_SCALE, |units| units.min(LEDGER_SCALE)))
}

/// Checks that `amount` is a whole number of `code`'s minor units
/// (`10.50 USD` is, `10.505 USD` and `1.5 JPY` are not). Trailing zeros do
/// not count: `10.5000 USD` is fine.
///
/// # Errors
///
/// [`CurrencyError::UnknownCode`] or [`CurrencyError::TooPrecise`].
pub fn check_amount(code: &str, amount: Decimal) -> Result<(), CurrencyError> {
    let minor_units = minor_units(code)?;
    if amount.normalize().scale() > minor_units {
        return Err(CurrencyError::TooPrecise {
            code: code.to_owned(),
            minor_units,
            amount,
        });
    }
    Ok(())
}

/// A converted amount: the exact product, what is booked, and the
/// difference, which is reported rather than hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// `amount * rate`, exactly.
    pub exact: Decimal,
    /// `exact` rounded to the target currency's minor units, half away from
    /// zero: what is booked.
    pub booked: Decimal,
    /// `booked - exact`: positive when the receiver gets more than the exact
    /// product, at most half a minor unit either way.
    pub rounding_difference: Decimal,
}

/// Converts `amount` at `rate` into `target` and rounds to its minor units,
/// half away from zero.
///
/// Why half away from zero: it is how PostgreSQL's `round()` and
/// `numeric(p, s)` round, so the database and Rust agree on every booked
/// amount (rust_decimal's `round_dp` rounds half to even and would not), it
/// is symmetric for debits and credits, and it is the rule most payment
/// networks state for conversions. The difference is returned and stored
/// with the conversion, so nothing disappears in the rounding.
///
/// ```
/// use money_core::Decimal;
/// use money_ledger::currency::convert;
///
/// let amount: Decimal = "10.25".parse().unwrap();
/// let rate: Decimal = "1.1".parse().unwrap();
/// let converted = convert(amount, rate, "USD").unwrap();
/// assert_eq!(converted.exact.to_string(), "11.275");
/// assert_eq!(converted.booked.to_string(), "11.28"); // half away from zero
/// assert_eq!(converted.rounding_difference.to_string(), "0.005");
/// ```
///
/// # Errors
///
/// [`CurrencyError::UnknownCode`] for `target`, [`CurrencyError::Overflow`]
/// when the product does not fit a `Decimal`.
pub fn convert(amount: Decimal, rate: Decimal, target: &str) -> Result<Converted, CurrencyError> {
    let minor_units = minor_units(target)?;
    let exact = amount
        .checked_mul(rate)
        .ok_or(CurrencyError::Overflow { amount, rate })?;
    let booked = round_like_database(exact, minor_units);
    Ok(Converted {
        exact,
        booked,
        rounding_difference: booked - exact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("test literal")
    }

    #[test]
    fn amounts_in_minor_units() {
        assert!(check_amount("USD", dec("10.50")).is_ok());
        assert!(check_amount("USD", dec("10.5000")).is_ok());
        assert!(check_amount("JPY", dec("1500")).is_ok());
        assert!(matches!(
            check_amount("USD", dec("10.505")),
            Err(CurrencyError::TooPrecise { minor_units: 2, .. })
        ));
        assert!(matches!(
            check_amount("JPY", dec("1.5")),
            Err(CurrencyError::TooPrecise { minor_units: 0, .. })
        ));
        assert!(matches!(
            check_amount("US ", dec("1")),
            Err(CurrencyError::UnknownCode { .. })
        ));
    }

    #[test]
    fn conversions_round_half_away_from_zero_and_report_the_difference() {
        // 0.125 -> 0.13 (half to even would give 0.12).
        let converted = convert(dec("0.25"), dec("0.5"), "EUR").unwrap();
        assert_eq!(
            (
                converted.exact,
                converted.booked,
                converted.rounding_difference
            ),
            (dec("0.125"), dec("0.13"), dec("0.005"))
        );
        // Rounding down is reported as a negative difference.
        let converted = convert(dec("100"), dec("1.23456789"), "USD").unwrap();
        assert_eq!(converted.booked, dec("123.46"));
        assert_eq!(converted.rounding_difference, dec("0.003211"));
        let converted = convert(dec("100"), dec("149.123"), "JPY").unwrap();
        assert_eq!(converted.booked, dec("14912"));
        assert_eq!(converted.rounding_difference, dec("-0.3"));
        // The booked amount plus its difference is always the exact product.
        for (amount, rate) in [("12.34", "0.91234567"), ("0.01", "0.00000001")] {
            let converted = convert(dec(amount), dec(rate), "KWD").unwrap();
            assert_eq!(
                converted.booked - converted.rounding_difference,
                converted.exact
            );
            assert!(converted.rounding_difference.abs() <= dec("0.0005"));
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(matches!(
            convert(Decimal::MAX, dec("2"), "USD"),
            Err(CurrencyError::Overflow { .. })
        ));
    }
}
