//! How a [`transaction`](super::transaction) runs: isolation, attempts,
//! deadline, backoff, statement timeout.

use std::fmt;
use std::time::Duration;

/// Isolation level of the transactions [`transaction`](super::transaction()) opens.
///
/// ```
/// use money_sqlx::IsolationLevel;
///
/// assert_eq!(IsolationLevel::default(), IsolationLevel::Serializable);
/// assert_eq!(IsolationLevel::RepeatableRead.as_sql(), "REPEATABLE READ");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IsolationLevel {
    /// `SERIALIZABLE`: committed transactions behave as if run one at a time. The default, and
    /// the level money code should use unless it has a reason not to.
    #[default]
    Serializable,
    /// `REPEATABLE READ`: one snapshot for the whole transaction; a concurrent update of a row
    /// this transaction then updates is a `40001`, but write skew is possible.
    RepeatableRead,
    /// `READ COMMITTED`: each statement sees what was committed before it started; PostgreSQL's
    /// own default. Deadlocks (`40P01`) are still retried.
    ReadCommitted,
}

impl IsolationLevel {
    /// The level as PostgreSQL spells it in `BEGIN ISOLATION LEVEL ...` and MariaDB/MySQL in
    /// `SET TRANSACTION ISOLATION LEVEL ...`.
    pub const fn as_sql(self) -> &'static str {
        match self {
            Self::Serializable => "SERIALIZABLE",
            Self::RepeatableRead => "REPEATABLE READ",
            Self::ReadCommitted => "READ COMMITTED",
        }
    }

    /// The PostgreSQL statement that opens a transaction at this level. Every combination is a
    /// literal, so no SQL is built at run time.
    #[cfg(feature = "postgres")]
    pub(super) const fn begin_statement(self, read_only: bool) -> &'static str {
        match (self, read_only) {
            (Self::Serializable, false) => "BEGIN ISOLATION LEVEL SERIALIZABLE",
            (Self::Serializable, true) => "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY",
            (Self::RepeatableRead, false) => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            (Self::RepeatableRead, true) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            (Self::ReadCommitted, false) => "BEGIN ISOLATION LEVEL READ COMMITTED",
            (Self::ReadCommitted, true) => "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY",
        }
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_sql())
    }
}

/// How [`transaction`](super::transaction()) runs and retries: isolation, attempt budget, deadline, backoff,
/// statement timeout and read-only mode. Build it from [`TransactionOptions::default`] (or
/// [`TransactionOptions::new`]) with the builder methods.
///
/// ```
/// use std::time::Duration;
/// use money_sqlx::{IsolationLevel, TransactionOptions};
///
/// let options = TransactionOptions::new()
///     .isolation(IsolationLevel::RepeatableRead)
///     .max_attempts(5)
///     .deadline(Duration::from_secs(2))
///     .statement_timeout(Some(Duration::from_millis(500)));
/// assert_eq!(options.get_max_attempts(), 5);
/// assert!(!options.is_read_only());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionOptions {
    pub(super) isolation: IsolationLevel,
    pub(super) max_attempts: u32,
    pub(super) deadline: Duration,
    pub(super) initial_backoff: Duration,
    pub(super) max_backoff: Duration,
    pub(super) statement_timeout: Option<Duration>,
    pub(super) read_only: bool,
}

/// SERIALIZABLE, read-write, at most 10 attempts within 30 s, backoff from 5 ms up to 500 ms,
/// no statement timeout.
impl Default for TransactionOptions {
    fn default() -> Self {
        Self {
            isolation: IsolationLevel::Serializable,
            max_attempts: 10,
            deadline: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(500),
            statement_timeout: None,
            read_only: false,
        }
    }
}

impl TransactionOptions {
    /// The defaults: see [`TransactionOptions::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Isolation level of every attempt (default [`IsolationLevel::Serializable`]).
    #[must_use]
    pub fn isolation(mut self, isolation: IsolationLevel) -> Self {
        self.isolation = isolation;
        self
    }

    /// Most attempts, the first one included (default 10). `0` is taken as `1`: the closure
    /// always runs at least once.
    #[must_use]
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Time after the call's start past which no new attempt starts and no backoff sleeps
    /// (default 30 s). The first attempt always runs, and an attempt under way is not cut short
    /// (use [`Self::statement_timeout`] for that).
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Backoff ceiling before the first retry (default 5 ms); it doubles with each further
    /// retry, up to [`Self::max_backoff`].
    #[must_use]
    pub fn initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Largest backoff ceiling (default 500 ms). The sleep before a retry is drawn uniformly
    /// between zero and the ceiling ("full jitter").
    #[must_use]
    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// `statement_timeout` for the statements of each attempt, set with the equivalent of
    /// `SET LOCAL` so that it ends with the transaction (default `None`: the server's setting).
    /// Rounded up to whole milliseconds, at least 1 ms (PostgreSQL reads 0 as "no timeout").
    /// A statement that runs out of time fails with SQLSTATE `57014` (query_canceled), which is
    /// not retried.
    #[must_use]
    pub fn statement_timeout(mut self, statement_timeout: Option<Duration>) -> Self {
        self.statement_timeout = statement_timeout;
        self
    }

    /// Open the transactions `READ ONLY` (default `false`): any write fails with SQLSTATE
    /// `25006`, which is then not retried (without it, a `25006` means a standby and is).
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The isolation level.
    pub fn get_isolation(&self) -> IsolationLevel {
        self.isolation
    }

    /// The attempt budget (at least 1).
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall deadline, counted from the start of the call.
    pub fn get_deadline(&self) -> Duration {
        self.deadline
    }

    /// The backoff ceiling before the first retry.
    pub fn get_initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The largest backoff ceiling.
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The statement timeout, if any.
    pub fn get_statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// Whether the transactions are read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Upper bound of the sleep after `failed_attempts` failed attempts:
    /// `min(max_backoff, initial_backoff * 2^(failed_attempts - 1))`, without overflow.
    pub(super) fn backoff_ceiling(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff)
    }
}
