//! Which database errors are worth running a transaction again for. MariaDB
//! and MySQL report a deadlock (1213) with SQLSTATE `40001` too.

use std::borrow::Cow;

/// SQLSTATE `40001`, `serialization_failure`: PostgreSQL aborted the transaction to keep the
/// SERIALIZABLE (or REPEATABLE READ) guarantee; running it again may succeed.
pub const SERIALIZATION_FAILURE: &str = "40001";

/// SQLSTATE `40P01`, `deadlock_detected`: PostgreSQL aborted this transaction to break a
/// deadlock; running it again may succeed.
pub const DEADLOCK_DETECTED: &str = "40P01";

/// Whether a SQLSTATE names a failure that running the whole transaction again may cure:
/// [`SERIALIZATION_FAILURE`] or [`DEADLOCK_DETECTED`].
///
/// ```
/// use money_sqlx::is_retryable_sqlstate;
///
/// assert!(is_retryable_sqlstate("40001"));
/// assert!(is_retryable_sqlstate("40P01"));
/// assert!(!is_retryable_sqlstate("23505")); // unique_violation
/// ```
pub fn is_retryable_sqlstate(sqlstate: &str) -> bool {
    sqlstate == SERIALIZATION_FAILURE || sqlstate == DEADLOCK_DETECTED
}

/// Whether an error is worth retrying: SQLSTATE `40001` (serialization_failure) or `40P01`
/// (deadlock_detected).
///
/// [`transaction`](crate::transaction()) needs it on the closure's error type. Implemented for [`sqlx::Error`]; an
/// application error type that wraps `sqlx::Error` delegates to it, and says `false` for its
/// own domain errors:
///
/// ```
/// use std::borrow::Cow;
/// use money_sqlx::Retryable;
///
/// #[derive(Debug)]
/// enum TransferError {
///     Database(sqlx::Error),
///     InsufficientFunds,
/// }
///
/// impl From<sqlx::Error> for TransferError {
///     fn from(error: sqlx::Error) -> Self {
///         Self::Database(error)
///     }
/// }
///
/// impl Retryable for TransferError {
///     fn is_retryable(&self) -> bool {
///         match self {
///             Self::Database(error) => error.is_retryable(),
///             Self::InsufficientFunds => false,
///         }
///     }
///
///     fn sqlstate(&self) -> Option<Cow<'_, str>> {
///         match self {
///             Self::Database(error) => error.sqlstate(),
///             Self::InsufficientFunds => None,
///         }
///     }
/// }
///
/// assert!(!TransferError::InsufficientFunds.is_retryable());
/// assert!(!TransferError::Database(sqlx::Error::RowNotFound).is_retryable());
/// ```
pub trait Retryable {
    /// `true` when running the whole transaction again may succeed.
    fn is_retryable(&self) -> bool;

    /// The SQLSTATE of the database error behind this error, if any, for the `tracing` records.
    /// The default says there is none.
    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        None
    }
}

/// Retryable when the database answered `40001` or `40P01`. Errors of the connection itself
/// (I/O, TLS, pool timeouts) are not: after an I/O error at `COMMIT` the transaction may or may
/// not have committed, and running it again could apply it twice.
impl Retryable for sqlx::Error {
    fn is_retryable(&self) -> bool {
        self.sqlstate()
            .is_some_and(|sqlstate| is_retryable_sqlstate(&sqlstate))
    }

    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        self.as_database_error()?.code()
    }
}
