//! What can be wrong with an amount read back from a database, whichever
//! the database.

use crate::parse::ParseDecimalError;

/// Why a value read from a database is no exact amount: what the decoders
/// of [`pg`](crate::pg) (PostgreSQL's binary and text `numeric`, also
/// MariaDB/MySQL's `DECIMAL` text) and of SQLite's minor units
/// ([`dialect::sqlite`](crate::dialect::sqlite)) refuse.
///
/// ```
/// use money_core::{StoredAmountError, pg::decode_numeric_text};
/// assert_eq!(decode_numeric_text("NaN"), Err(StoredAmountError::NaN));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoredAmountError {
    /// `NaN`.
    #[error("NaN is not an amount")]
    NaN,
    /// `Infinity` or `-Infinity`.
    #[error("an infinity is not an amount")]
    Infinite,
    /// More significant digits after the point than a `Decimal` holds, or a
    /// magnitude of 2^96 or more.
    #[error(
        "the stored numeric has more digits than a Decimal holds exactly (at most 28 after the point, magnitude below 7.9e28)"
    )]
    Inexact,
    /// The bytes are not a `numeric` in binary format.
    #[error("malformed binary numeric: {0}")]
    Malformed(&'static str),
    /// The text is not a plain decimal.
    #[error("malformed text numeric: {0}")]
    Text(ParseDecimalError),
    /// SQLite: the money column holds something other than an `INTEGER` of
    /// minor units.
    #[error("the stored value is {found}, not an INTEGER of minor units")]
    NotUnits {
        /// What was found, such as `a REAL (float)`.
        found: &'static str,
    },
    /// SQLite: the stored units have no exact amount at the column's scale.
    #[error("{0}")]
    Units(crate::dialect::sqlite::UnitsError),
}
