//! Money value types: a newtype over [`Decimal`] that carries its
//! declaration, so a value of the type is valid by construction.

use rust_decimal::Decimal;

use crate::parse::{ParseDecimalError, parse_decimal};
use crate::rules::{Broken, Rule};
use crate::spec::MoneySpec;

/// A newtype over [`Decimal`] declared once with `#[derive(MoneyValue)]`:
///
/// ```
/// use money_core::{Decimal, MoneyValue};
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, MoneyValue)]
/// #[money(precision = 19, scale = 4, min = "0")]
/// pub struct Amount(Decimal);
///
/// let amount: Amount = "12.50".parse().unwrap();
/// assert_eq!(amount.to_string(), "12.50");
/// assert_eq!(*amount.as_ref(), Decimal::new(1250, 2));
/// let error = "-1".parse::<Amount>().unwrap_err();
/// assert_eq!(error.to_string(), "Amount: -1 is below the minimum 0");
/// assert!(Amount::try_from(Decimal::new(123_456_78, 5)).is_err());
/// ```
///
/// The derive gives `TryFrom<Decimal>`, `FromStr` (exact, see
/// [`parse_decimal`]), `Display`, `AsRef<Decimal>`, `From<Amount> for
/// Decimal`, and a column type: a model field of type `Amount` needs no
/// attribute and contributes the value's rules to the table's DDL.
pub trait MoneyValue: Sized {
    /// The declaration.
    const SPEC: MoneySpec;
    /// The type's name, for error messages.
    const NAME: &'static str;

    /// The amount.
    fn amount(&self) -> Decimal;

    /// Wraps a value that is known to obey [`SPEC`](Self::SPEC) as stored.
    #[doc(hidden)]
    fn from_stored_unchecked(stored: Decimal) -> Self;

    /// The value, rounded in round mode, if it obeys every rule.
    fn new(value: Decimal) -> Result<Self, ValueError> {
        let stored = Self::SPEC.stored_value(value);
        if Self::SPEC.accepts(value) {
            return Ok(Self::from_stored_unchecked(stored));
        }
        match Self::SPEC.rules().find(|rule| !rule.holds(stored)) {
            None => Ok(Self::from_stored_unchecked(stored)),
            Some(rule) => Err(ValueError::Broken {
                type_name: Self::NAME,
                rule,
                value,
                stored,
            }),
        }
    }

    /// Reads the text exactly ([`parse_decimal`]) and checks it.
    fn parse(text: &str) -> Result<Self, ValueError> {
        let value = parse_decimal(text).map_err(|source| ValueError::Parse {
            type_name: Self::NAME,
            source,
        })?;
        Self::new(value)
    }
}

/// Why a value is not a valid money value of its type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The text is not an exact decimal.
    #[error("{type_name}: {source}")]
    Parse {
        /// The value type's name.
        type_name: &'static str,
        /// What is wrong with the text.
        source: ParseDecimalError,
    },
    /// A value read from the database is not a `Decimal` at all (NaN, an
    /// infinity, more digits than a `Decimal` holds exactly).
    #[error("{type_name}: {source}")]
    Stored {
        /// The value type's name.
        type_name: &'static str,
        /// What is wrong with the stored value.
        source: crate::StoredAmountError,
    },
    /// The value breaks a rule of the declaration (the first one found, in
    /// the order of [`MoneySpec::rules`]).
    #[error("{type_name}: {}", Broken { rule: *rule, amount: Some((*value, *stored)), code: None })]
    Broken {
        /// The value type's name.
        type_name: &'static str,
        /// The broken rule.
        rule: Rule,
        /// The value as given.
        value: Decimal,
        /// The value as it would be stored (rounded in round mode).
        stored: Decimal,
    },
}
