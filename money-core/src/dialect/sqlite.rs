//! SQLite: amounts stored as integer minor units, and the exact conversions
//! between a [`Decimal`] and those units.
//!
//! SQLite has no exact decimal type: `numeric` and `decimal` columns store a
//! float as soon as a value has a fractional part. A money column therefore
//! holds an SQLite `INTEGER` of minor units, `v * 10^S` (`12.34` at scale 2
//! is `1234`), which is exact, and so is `sum()` (SQLite's integer `sum()`
//! fails with "integer overflow" rather than wrapping or going float). The
//! column's `CHECK` constraints enforce the rules on the units themselves, so
//! that a row written by another client obeys them too.
//!
//! # Precision: at most 18
//! `10^18 - 1` minor units still fit SQLite's signed 64-bit integer
//! (`i64::MAX` is about `9.2 * 10^18`), `10^19 - 1` do not. A spec with
//! precision above [`MAX_PRECISION`] cannot be stored on SQLite: its largest
//! valid values have no `INTEGER` form. Its DDL is still rendered (with a
//! digits bound SQLite can only compare as a float), but such a model must
//! not target SQLite; see [`supports`].
//!
//! # The column and its CHECKs, and why
//! The column is declared without a type, so it has BLOB affinity: SQLite
//! stores every value exactly as the client sent it, and the CHECKs judge
//! that. With `integer` affinity SQLite would convert a text such as
//! `'12345678901234567.5'` to a float, find the float integral and store the
//! integer `12345678901234568`: a silent rounding no CHECK could see.
//!
//! | rule | CHECK |
//! |---|---|
//! | `_digits` | `CASE typeof(x) WHEN 'integer' THEN x > -10^P AND x < 10^P WHEN 'text' THEN u = '' OR u GLOB '*[^0-9]*' OR length(ltrim(u, '0')) <= P WHEN 'real' THEN abs(x) < 10^P ELSE 1 END`, where `u` is the text without one leading `-` |
//! | `_scale` | `typeof(x) IN ('integer', 'null')` (NULL is for `NOT NULL` to judge) |
//! | `_min`, `_max` | `x >= min * 10^S`, `x <= max * 10^S` |
//!
//! - `_scale` refuses whatever is not an `INTEGER`: a value with digits
//!   beyond the scale sent as the exact text of its units (`'12345.6'`), a
//!   float, a blob, and any text, even `'12345'`: a writer must bind an
//!   integer. In `on_excess_scale = "round"` mode the rule set has no scale
//!   rule (Rust rounds before encoding, see [`stored_units`]); the CHECK is
//!   still rendered, under the same `_scale` name, as an integrity guard
//!   against other clients, which must round themselves.
//! - `_digits` compares integers exactly (no `abs()`, which fails with
//!   "integer overflow" on `-2^63`). A unit count too large for 64 bits can
//!   only arrive as text; `_digits` judges a plain integer text (`-?[0-9]+`)
//!   by its digit count once leading zeros are dropped, which is exact, so
//!   more than `P` digits is reported as too many digits, as validation
//!   reports it (`abs()` would read the text as a float and round
//!   `999999999999999999` up to `10^18`). Any other text (a decimal point,
//!   spaces, an exponent, letters, an empty text) passes `_digits` and is
//!   refused by `_scale`. A float is judged by its magnitude, exactly
//!   (`10^P` is an exact double for `P <= 18`; an infinity is too many
//!   digits); a blob passes `_digits` whatever its bytes (`abs()` would
//!   read a blob of digit characters as a number); `_scale` refuses both.
//! - SQLite checks the CHECKs of a row in the order they are declared and
//!   reports the first that fails (`CHECK constraint failed: name`); they are
//!   declared digits, scale, min, max, the order validation reports them.

use std::fmt;

use rust_decimal::Decimal;

use super::Renderer;
use crate::rules::Rule;
use crate::spec::{ExcessScale, MAX_PRECISION as DECIMAL_MAX_PRECISION, MoneySpec};
use crate::table::Scalar;

/// The largest precision SQLite can store: `10^18 - 1` minor units fit a
/// signed 64-bit `INTEGER`, `10^19 - 1` do not.
pub const MAX_PRECISION: u32 = money_spec_core::SQLITE_MAX_PRECISION;

/// Whether a column declared with `spec` can be stored on SQLite: its
/// precision is at most [`MAX_PRECISION`].
///
/// ```
/// use money_core::{MoneyModel, Decimal, dialect::sqlite};
///
/// #[derive(MoneyModel)]
/// struct Wide {
///     #[money(precision = 19, scale = 4)]
///     amount: Decimal,
/// }
///
/// let spec = Wide::DEFINITION.columns()[0].money_spec().unwrap();
/// assert!(!sqlite::supports(spec));
/// ```
pub fn supports(spec: &MoneySpec) -> bool {
    spec.precision() <= MAX_PRECISION
}

/// Why a value has no minor-unit form at a scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitsError {
    /// The value has digits beyond the scale (trailing zeros do not count):
    /// `1.234` at scale 2.
    ExcessScale {
        /// The value.
        value: Decimal,
        /// The scale.
        scale: u32,
    },
    /// The units do not fit a signed 64-bit integer.
    OutOfRange {
        /// The value.
        value: Decimal,
        /// The scale.
        scale: u32,
    },
    /// The scale is above 28, which no declaration can have.
    ScaleTooLarge {
        /// The scale.
        scale: u32,
    },
}

impl fmt::Display for UnitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitsError::ExcessScale { value, scale } => write!(
                f,
                "{value} has more than {scale} digits after the point, so it is no whole number of minor units"
            ),
            UnitsError::OutOfRange { value, scale } => write!(
                f,
                "{value} at scale {scale} is more minor units than a 64-bit SQLite INTEGER holds"
            ),
            UnitsError::ScaleTooLarge { scale } => write!(
                f,
                "scale {scale} is above {DECIMAL_MAX_PRECISION}, the most a Decimal holds"
            ),
        }
    }
}

impl std::error::Error for UnitsError {}

/// `value * 10^scale` as an integer: the minor units SQLite stores.
/// Trailing zeros do not matter (`1.20000` at scale 2 is `120`); a digit
/// beyond the scale is an error, never rounded away.
///
/// ```
/// use money_core::{Decimal, dialect::sqlite::{to_units, UnitsError}};
///
/// let value: Decimal = "-12.340".parse().unwrap();
/// assert_eq!(to_units(value, 2), Ok(-1234));
/// let excess: Decimal = "12.345".parse().unwrap();
/// assert!(matches!(to_units(excess, 2), Err(UnitsError::ExcessScale { .. })));
/// assert!(matches!(to_units(Decimal::MAX, 0), Err(UnitsError::OutOfRange { .. })));
/// ```
pub fn to_units(value: Decimal, scale: u32) -> Result<i64, UnitsError> {
    if scale > DECIMAL_MAX_PRECISION {
        return Err(UnitsError::ScaleTooLarge { scale });
    }
    let mantissa = value.mantissa();
    let value_scale = value.scale();
    let units = if scale >= value_scale {
        // At most 10^28 and |mantissa| < 2^96: the product can pass i128.
        10_i128
            .checked_pow(scale - value_scale)
            .and_then(|factor| mantissa.checked_mul(factor))
    } else {
        // value_scale <= 28, so the divisor fits easily.
        let divisor = 10_i128.pow(value_scale - scale);
        if mantissa % divisor != 0 {
            return Err(UnitsError::ExcessScale { value, scale });
        }
        Some(mantissa / divisor)
    };
    units
        .and_then(|units| i64::try_from(units).ok())
        .ok_or(UnitsError::OutOfRange { value, scale })
}

/// The units SQLite stores for `value` in a column declared with `spec`: in
/// [`ExcessScale::Round`] mode the value is first rounded as
/// [`MoneySpec::stored_value`] rounds it (half away from zero), in
/// [`ExcessScale::Reject`] mode a digit beyond the scale is an error.
///
/// ```
/// use money_core::{MoneyModel, Decimal, dialect::sqlite::stored_units};
///
/// #[derive(MoneyModel)]
/// struct Price {
///     #[money(precision = 10, scale = 2, on_excess_scale = "round")]
///     amount: Decimal,
/// }
///
/// let spec = Price::DEFINITION.columns()[0].money_spec().unwrap();
/// assert_eq!(stored_units(spec, "-2.345".parse().unwrap()), Ok(-235));
/// ```
pub fn stored_units(spec: &MoneySpec, value: Decimal) -> Result<i64, UnitsError> {
    to_units(spec.stored_value(value), spec.scale())
}

/// The stored units back as an amount with exactly `scale` digits after the
/// point: `1234` at scale 2 is `12.34`.
///
/// ```
/// use money_core::dialect::sqlite::from_units;
///
/// assert_eq!(from_units(-1234, 2).unwrap().to_string(), "-12.34");
/// assert_eq!(from_units(i64::MIN, 18).unwrap().to_string(), "-9.223372036854775808");
/// assert!(from_units(1, 29).is_err());
/// ```
pub fn from_units(units: i64, scale: u32) -> Result<Decimal, UnitsError> {
    Decimal::try_from_i128_with_scale(i128::from(units), scale)
        .map_err(|_| UnitsError::ScaleTooLarge { scale })
}

/// The exact decimal text of `value * 10^scale`, whether or not it is a
/// whole number or fits 64 bits: `12.345` at scale 2 is `1234.5`, `10^20` at
/// scale 4 is `1000000000000000000000000`. No exponent, no leading zeros,
/// no trailing zeros after the point, no point for a whole number, no minus
/// sign on zero.
///
/// It is what another client would write for a value that has no
/// [`to_units`] form; the CHECKs refuse it (see the module docs).
///
/// ```
/// use money_core::{Decimal, dialect::sqlite::units_text};
///
/// let value: Decimal = "-12.3450".parse().unwrap();
/// assert_eq!(units_text(value, 2).unwrap(), "-1234.5");
/// assert_eq!(units_text("0.00001".parse().unwrap(), 2).unwrap(), "0.001");
/// assert_eq!(units_text(Decimal::MAX, 2).unwrap(), "7922816251426433759354395033500");
/// ```
pub fn units_text(value: Decimal, scale: u32) -> Result<String, UnitsError> {
    if scale > DECIMAL_MAX_PRECISION {
        return Err(UnitsError::ScaleTooLarge { scale });
    }
    let mantissa = value.mantissa();
    if mantissa == 0 {
        return Ok("0".to_owned());
    }
    let mut digits = mantissa.unsigned_abs().to_string();
    let value_scale = value.scale();
    let mut text = String::with_capacity(digits.len() + 60);
    if mantissa < 0 {
        text.push('-');
    }
    if scale >= value_scale {
        // Both at most 28: at most 28 zeros.
        digits.extend(std::iter::repeat_n('0', (scale - value_scale) as usize));
        text.push_str(&digits);
        return Ok(text);
    }
    let fraction_len = (value_scale - scale) as usize;
    if digits.len() <= fraction_len {
        let padding = fraction_len - digits.len();
        digits.insert_str(0, &"0".repeat(padding + 1));
    }
    let (whole, fraction) = digits.split_at(digits.len() - fraction_len);
    text.push_str(whole);
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
    Ok(text)
}

/// `10^exponent` as integer text: the digits bound in minor units.
fn power_of_ten_text(exponent: u32) -> String {
    let mut text = String::with_capacity(exponent as usize + 1);
    text.push('1');
    text.extend(std::iter::repeat_n('0', exponent as usize));
    text
}

/// A bound in minor units, as an SQL literal. Declared bounds fit the scale
/// (the derive checks it), so this is an integer; the exact text is used
/// whatever happens, never a rounded one.
fn units_literal(bound: Decimal, scale: u32) -> String {
    match to_units(bound, scale) {
        Ok(units) => units.to_string(),
        Err(_) => units_text(bound, scale).unwrap_or_else(|_| bound.to_string()),
    }
}

pub(crate) struct Sqlite;

impl Renderer for Sqlite {
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn money_type(&self, _spec: &MoneySpec) -> String {
        // No declared type: BLOB affinity, no conversion of what a client
        // sends (see the module docs).
        String::new()
    }

    fn scalar_type(&self, scalar: Scalar) -> &'static str {
        match scalar {
            Scalar::SmallInt => "smallint",
            Scalar::Integer => "integer",
            Scalar::BigInt => "bigint",
            Scalar::Boolean => "boolean",
            Scalar::Text => "text",
            Scalar::Timestamp => "text",
        }
    }

    fn currency_type(&self) -> &'static str {
        "text"
    }

    fn placeholder(&self, index: usize) -> String {
        format!("?{index}")
    }

    fn check(&self, column: &str, spec: &MoneySpec, rule: &Rule) -> String {
        let scale = spec.scale();
        match rule {
            Rule::Digits { precision, .. } => {
                let bound = power_of_ten_text(*precision);
                // The text after an optional leading '-': a plain integer
                // text is judged by its digit count, exactly (`abs()` would
                // read it as a float and round `999999999999999999` up to
                // 10^18); any other text is left to `_scale`.
                let unsigned = format!("substr({column}, 1 + (substr({column}, 1, 1) = '-'))");
                format!(
                    "CASE typeof({column}) WHEN 'integer' THEN {column} > -{bound} AND {column} < {bound} \
                     WHEN 'text' THEN {unsigned} = '' OR {unsigned} GLOB '*[^0-9]*' \
                     OR length(ltrim({unsigned}, '0')) <= {precision} \
                     WHEN 'real' THEN abs({column}) < {bound} ELSE 1 END"
                )
            }
            // NULL is NOT NULL's business (and an Option field's right).
            Rule::Scale { .. } => format!("typeof({column}) IN ('integer', 'null')"),
            Rule::Min(min) => format!("{column} >= {}", units_literal(*min, scale)),
            Rule::Max(max) => format!("{column} <= {}", units_literal(*max, scale)),
            // Units of 10^-scale: at most `units` digits after the point is
            // a multiple of 10^(scale - units).
            Rule::MinorUnits {
                scale,
                currency_column,
            } => super::minor_units_check(self, *scale, currency_column, |units| {
                format!("{column} % {} = 0", power_of_ten_text(scale - units))
            }),
            Rule::Currency => self.currency_check(column),
        }
    }

    fn guard_rules(&self, spec: &MoneySpec) -> Vec<Rule> {
        match spec.on_excess_scale() {
            // The rule set has it already.
            ExcessScale::Reject => Vec::new(),
            // Rust rounds before encoding; other clients must send integers
            // too.
            ExcessScale::Round => vec![Rule::Scale {
                scale: spec.scale(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::create_table;
    use crate::dialect::Dialect;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("test literal")
    }

    use crate::dialect::fixture::ACCOUNTS;

    #[test]
    fn create_table_sql() {
        assert_eq!(
            create_table(&ACCOUNTS, Dialect::Sqlite),
            r#"CREATE TABLE "accounts" (
    "id" bigint NOT NULL,
    "balance" NOT NULL,
    "fee",
    "order" bigint,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "accounts_order_key" UNIQUE ("order"),
    CONSTRAINT "accounts_balance_digits" CHECK (CASE typeof("balance") WHEN 'integer' THEN "balance" > -1000000000000000000 AND "balance" < 1000000000000000000 WHEN 'text' THEN substr("balance", 1 + (substr("balance", 1, 1) = '-')) = '' OR substr("balance", 1 + (substr("balance", 1, 1) = '-')) GLOB '*[^0-9]*' OR length(ltrim(substr("balance", 1 + (substr("balance", 1, 1) = '-')), '0')) <= 18 WHEN 'real' THEN abs("balance") < 1000000000000000000 ELSE 1 END),
    CONSTRAINT "accounts_balance_scale" CHECK (typeof("balance") IN ('integer', 'null')),
    CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0),
    CONSTRAINT "accounts_fee_digits" CHECK (CASE typeof("fee") WHEN 'integer' THEN "fee" > -10000000000 AND "fee" < 10000000000 WHEN 'text' THEN substr("fee", 1 + (substr("fee", 1, 1) = '-')) = '' OR substr("fee", 1 + (substr("fee", 1, 1) = '-')) GLOB '*[^0-9]*' OR length(ltrim(substr("fee", 1 + (substr("fee", 1, 1) = '-')), '0')) <= 10 WHEN 'real' THEN abs("fee") < 10000000000 ELSE 1 END),
    CONSTRAINT "accounts_fee_scale" CHECK (typeof("fee") IN ('integer', 'null')),
    CONSTRAINT "accounts_fee_min" CHECK ("fee" >= -100),
    CONSTRAINT "accounts_fee_max" CHECK ("fee" <= 99999)
);"#
        );
    }

    #[test]
    fn units_are_exact() {
        assert_eq!(to_units(dec("1.20000"), 2), Ok(120));
        assert_eq!(to_units(dec("-0.01"), 2), Ok(-1));
        assert_eq!(to_units(dec("-0.000"), 2), Ok(0));
        assert_eq!(to_units(dec("0"), 28), Ok(0));
        assert_eq!(to_units(dec("5"), 18), Ok(5_000_000_000_000_000_000));
        assert_eq!(
            to_units(dec("99999999999999.9999"), 4),
            Ok(999_999_999_999_999_999)
        );
        assert!(matches!(
            to_units(dec("999999999999999.9999"), 4),
            Err(UnitsError::OutOfRange { .. })
        ));
        assert_eq!(to_units(dec("-922337203685477.5808"), 4), Ok(i64::MIN));
        assert!(matches!(
            to_units(dec("922337203685477.5808"), 4),
            Err(UnitsError::OutOfRange { .. })
        ));
        assert!(matches!(
            to_units(dec("10"), 18),
            Err(UnitsError::OutOfRange { .. })
        ));
        assert!(matches!(
            to_units(Decimal::MAX, 28),
            Err(UnitsError::OutOfRange { .. })
        ));
        assert!(matches!(
            to_units(dec("0.0000000000000000000000000001"), 27),
            Err(UnitsError::ExcessScale { .. })
        ));
        assert_eq!(
            to_units(dec("1"), 29),
            Err(UnitsError::ScaleTooLarge { scale: 29 })
        );
    }

    #[test]
    fn units_round_trip() {
        for (text, scale) in [
            ("0", 0),
            ("-12.34", 2),
            ("0.000000000000000001", 18),
            ("-9.223372036854775808", 18),
            ("922337203685477.5807", 4),
        ] {
            let value = dec(text);
            let units = to_units(value, scale).expect("fits");
            let back = from_units(units, scale).expect("valid scale");
            assert_eq!(back, value);
            assert_eq!(back.scale(), scale);
            assert_eq!(
                units_text(value, scale).expect("valid scale"),
                units.to_string()
            );
        }
    }

    #[test]
    fn units_text_is_exact() {
        let cases = [
            ("12.345", 2, "1234.5"),
            ("-12.3450", 2, "-1234.5"),
            ("0.00001", 2, "0.001"),
            ("-0.00001", 0, "-0.00001"),
            (
                "0.0000000000000000000000000001",
                0,
                "0.0000000000000000000000000001",
            ),
            ("-0.000", 4, "0"),
            ("1.5", 28, "15000000000000000000000000000"),
            ("10000000000000000", 4, "100000000000000000000"),
            ("12345678901234.56785", 4, "123456789012345678.5"),
        ];
        for (value, scale, expected) in cases {
            assert_eq!(
                units_text(dec(value), scale).expect("valid scale"),
                expected
            );
        }
        assert_eq!(
            units_text(Decimal::MIN, 28).expect("valid scale"),
            format!("-79228162514264337593543950335{}", "0".repeat(28))
        );
        assert!(units_text(Decimal::ONE, 29).is_err());
    }

    #[test]
    fn precision_limit() {
        let fits = MoneySpec::new_unchecked(18, 0, None, None, ExcessScale::Reject);
        let too_wide = MoneySpec::new_unchecked(19, 0, None, None, ExcessScale::Reject);
        assert!(supports(&fits));
        assert!(!supports(&too_wide));
        // The largest value of an 18-digit column fits, one more digit would not.
        assert!(to_units(fits.magnitude_bound() - Decimal::ONE, 0).is_ok());
        assert!(to_units(too_wide.magnitude_bound() - Decimal::ONE, 0).is_err());
    }
}
