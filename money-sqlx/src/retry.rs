//! Which failures are worth running a transaction again for, and where: the
//! one place that classifies them ([`RetryCause::of`]). MariaDB and MySQL
//! report a deadlock or a Galera certification conflict (1213) with SQLSTATE
//! `40001` too.

use std::borrow::Cow;
use std::fmt;

/// SQLSTATE `40001`, `serialization_failure`: PostgreSQL aborted the transaction to keep the
/// SERIALIZABLE (or REPEATABLE READ) guarantee; running it again may succeed. MariaDB/MySQL
/// report a deadlock and a Galera certification conflict (error 1213) with it too.
pub const SERIALIZATION_FAILURE: &str = "40001";

/// SQLSTATE `40P01`, `deadlock_detected`: PostgreSQL aborted this transaction to break a
/// deadlock; running it again may succeed.
pub const DEADLOCK_DETECTED: &str = "40P01";

/// SQLSTATE `25006`, `read_only_sql_transaction`: the session refuses writes (a hot standby,
/// or a primary fenced read-only).
pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";

/// SQLSTATE `57P01`, `admin_shutdown`: the server is shutting down or an administrator
/// terminated the session (`pg_terminate_backend`).
pub const ADMIN_SHUTDOWN: &str = "57P01";

/// SQLSTATE `57P02`, `crash_shutdown`: another server process crashed and the server is
/// resetting.
pub const CRASH_SHUTDOWN: &str = "57P02";

/// SQLSTATE `57P03`, `cannot_connect_now`: the server is starting up, shutting down or in
/// recovery.
pub const CANNOT_CONNECT_NOW: &str = "57P03";

/// MariaDB Galera's error 1047 (`ER_UNKNOWN_COM_ERROR`, SQLSTATE `08S01`), "WSREP has not yet
/// prepared node for application use": the node is outside the primary component.
pub const WSREP_NOT_READY: u16 = 1047;

/// Whether a SQLSTATE names a conflict that running the whole transaction again may cure:
/// [`SERIALIZATION_FAILURE`] or [`DEADLOCK_DETECTED`]. (The failures of a host that went away
/// are in [`RetryCause`].)
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

/// Why an attempt that failed *before its `COMMIT` was sent* may succeed when run again, and
/// where: on any connection ([`RetryCause::Conflict`]) or on another host than the one that
/// failed (every other cause).
///
/// [`transaction`](crate::transaction()) asks it of every failure (through
/// [`Retryable::retry_cause`]); an error at `COMMIT` is judged apart, since the transaction may
/// have committed (see [`Retryable::commit_outcome_unknown`]).
///
/// ```
/// use money_sqlx::RetryCause;
///
/// let refused = sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
/// assert_eq!(RetryCause::of(&refused), Some(RetryCause::ConnectionRefused));
/// assert!(RetryCause::ConnectionRefused.leaves_host());
/// assert_eq!(RetryCause::of(&sqlx::Error::RowNotFound), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryCause {
    /// A serialization failure or deadlock (`40001`, `40P01`; MariaDB/MySQL `1213`, which is
    /// also a Galera certification conflict): the transaction lost a conflict.
    Conflict,
    /// `25006`: the session is read-only (a standby, or a fenced primary).
    ReadOnly,
    /// `57P01`, `57P02`: the server is shutting down, or terminated the session.
    Shutdown,
    /// `57P03`, or Galera's `1047`: the server is up but not ready (starting, in recovery,
    /// outside the primary component).
    NotReady,
    /// The connection died (an I/O error: reset, closed, broken pipe).
    ConnectionLost,
    /// No server listens where the connection went.
    ConnectionRefused,
    /// The pool found no usable connection within its acquire timeout.
    PoolTimedOut,
}

impl RetryCause {
    /// The cause of `error`, or `None` when running the transaction again would not help.
    pub fn of(error: &sqlx::Error) -> Option<Self> {
        match error {
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Some(Self::ConnectionRefused)
            }
            sqlx::Error::Io(_) => Some(Self::ConnectionLost),
            sqlx::Error::PoolTimedOut => Some(Self::PoolTimedOut),
            sqlx::Error::Database(database) => {
                #[cfg(feature = "mysql")]
                if database
                    .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                    .is_some_and(|mysql| mysql.number() == WSREP_NOT_READY)
                {
                    return Some(Self::NotReady);
                }
                match database.code()?.as_ref() {
                    SERIALIZATION_FAILURE | DEADLOCK_DETECTED => Some(Self::Conflict),
                    READ_ONLY_SQL_TRANSACTION => Some(Self::ReadOnly),
                    ADMIN_SHUTDOWN | CRASH_SHUTDOWN => Some(Self::Shutdown),
                    CANNOT_CONNECT_NOW => Some(Self::NotReady),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether the next attempt must go to another connection, on the host that qualifies now
    /// (everything but [`RetryCause::Conflict`]).
    pub fn leaves_host(self) -> bool {
        !matches!(self, Self::Conflict)
    }

    /// The cause as the `tracing` records name it: `conflict`, `read_only`, `shutdown`,
    /// `not_ready`, `connection_lost`, `connection_refused`, `pool_timed_out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conflict => "conflict",
            Self::ReadOnly => "read_only",
            Self::Shutdown => "shutdown",
            Self::NotReady => "not_ready",
            Self::ConnectionLost => "connection_lost",
            Self::ConnectionRefused => "connection_refused",
            Self::PoolTimedOut => "pool_timed_out",
        }
    }
}

impl fmt::Display for RetryCause {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What [`transaction`](crate::transaction()) needs of the closure's error type: whether an
/// error is worth retrying, and how to say that a `COMMIT` may or may not have happened.
///
/// Implemented for [`sqlx::Error`] and [`crate::Error`]; an application error type that wraps
/// `sqlx::Error` delegates to it, and says `false` for its own domain errors:
///
/// ```
/// use std::borrow::Cow;
/// use money_sqlx::{RetryCause, Retryable};
///
/// #[derive(Debug)]
/// enum TransferError {
///     Database(sqlx::Error),
///     /// The connection died after `COMMIT` was sent: booked or not, nobody knows.
///     OutcomeUnknown(sqlx::Error),
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
///             Self::OutcomeUnknown(_) | Self::InsufficientFunds => false,
///         }
///     }
///
///     fn retry_cause(&self) -> Option<RetryCause> {
///         match self {
///             Self::Database(error) => error.retry_cause(),
///             Self::OutcomeUnknown(_) | Self::InsufficientFunds => None,
///         }
///     }
///
///     fn sqlstate(&self) -> Option<Cow<'_, str>> {
///         match self {
///             Self::Database(error) | Self::OutcomeUnknown(error) => error.sqlstate(),
///             Self::InsufficientFunds => None,
///         }
///     }
///
///     fn commit_outcome_unknown(cause: sqlx::Error) -> Self {
///         Self::OutcomeUnknown(cause)
///     }
/// }
///
/// assert!(!TransferError::InsufficientFunds.is_retryable());
/// assert!(!TransferError::Database(sqlx::Error::RowNotFound).is_retryable());
/// ```
pub trait Retryable {
    /// `true` when the error is a conflict (serialization failure, deadlock) that running the
    /// whole transaction again may cure.
    fn is_retryable(&self) -> bool;

    /// The SQLSTATE of the database error behind this error, if any, for the `tracing` records.
    /// The default says there is none.
    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// Why running the transaction again may succeed, when it may: a conflict, or a host that
    /// went away before `COMMIT` was sent (a dead connection, a standby, a server shutting
    /// down). The default knows conflicts only ([`Self::is_retryable`]); an error type that
    /// wraps `sqlx::Error` should delegate to [`RetryCause::of`] (as `sqlx::Error`'s and
    /// [`crate::Error`]'s do), so that a connection lost in the closure is retried too.
    fn retry_cause(&self) -> Option<RetryCause> {
        self.is_retryable().then_some(RetryCause::Conflict)
    }

    /// The error for a `COMMIT` that was sent and whose answer never came (`cause`: the
    /// connection died, or the server ended the session): the transaction may or may not have
    /// committed, so it is never retried. The default is `Self::from(cause)`; override it with
    /// a variant the caller can match ([`crate::Error::OutcomeUnknown`] does), and resolve it
    /// with an idempotency key.
    fn commit_outcome_unknown(cause: sqlx::Error) -> Self
    where
        Self: Sized + From<sqlx::Error>,
    {
        Self::from(cause)
    }
}

/// A conflict (`40001`, `40P01`, MariaDB/MySQL `1213`) is retryable; [`RetryCause::of`] says
/// which other failures [`transaction`](crate::transaction()) runs again (before `COMMIT`
/// was sent). An I/O error is not retryable in itself: at `COMMIT` the transaction may or may
/// not have committed, and running it again could apply it twice.
impl Retryable for sqlx::Error {
    fn is_retryable(&self) -> bool {
        RetryCause::of(self) == Some(RetryCause::Conflict)
    }

    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        self.as_database_error()?.code()
    }

    fn retry_cause(&self) -> Option<RetryCause> {
        RetryCause::of(self)
    }
}
