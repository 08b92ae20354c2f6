//! Retrying PostgreSQL transactions: [`transaction`] runs a closure in a SERIALIZABLE (or
//! chosen isolation) transaction and runs it again when PostgreSQL reports a serialization
//! failure (SQLSTATE `40001`) or a deadlock (`40P01`), including a failure at `COMMIT`.
//!
//! Under SERIALIZABLE, PostgreSQL guarantees that every committed transaction behaves as if the
//! transactions had run one after another, and enforces it by aborting some of them: code that
//! moves money under SERIALIZABLE must be ready to run a transaction again, from its first
//! statement. [`transaction`] is that loop, with the parts that are easy to get wrong by hand:
//!
//! - the whole transaction is retried, not one statement, and a `40001` at `COMMIT` is retried
//!   like one at any statement;
//! - retries wait a bounded exponential backoff with full jitter, so that the transactions that
//!   collided do not collide again in lockstep;
//! - the retries stop at a maximum number of attempts and at an overall deadline, and the helper
//!   never sleeps past that deadline;
//! - an error that is not worth retrying (a CHECK violation, a unique violation, a domain error
//!   of the closure) ends the loop at once;
//! - a transaction whose body swallowed a statement error and returned `Ok` is not reported as
//!   committed (PostgreSQL answers `COMMIT` of an aborted transaction with a silent `ROLLBACK`).
//!
//! Each call runs inside a `tracing` span named `transaction` (target
//! `money_sqlx::transaction`, level `INFO`) with the fields `isolation`, `read_only` and
//! `max_attempts`, and records on it the current `attempt`, the `sqlstate` of the last error, the
//! last `backoff` and, at the end, `attempts` and `outcome` (`committed`, `failed` for an error
//! that is not retried, `exhausted` when the attempt budget is spent, `deadline`). Each retry is a
//! `WARN` event with `attempt`, `sqlstate`, `phase` (where the error came: `begin`, `body`,
//! `check` for the aborted-transaction check, `commit`) and `backoff`; giving up after retries is
//! a `WARN` event too, an error that is not retried a `DEBUG` event, a commit a `DEBUG` event.
//! The library never prints.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, SqlSafeStr, Transaction};
use tracing::Instrument;
use tracing::field::{Empty, debug as debug_field};

mod options;

pub use options::{IsolationLevel, TransactionOptions};

pub use crate::retry::{
    DEADLOCK_DETECTED, Retryable, SERIALIZATION_FAILURE, is_retryable_sqlstate,
};

/// What a successful [`transaction`] returns: the closure's value from the attempt that
/// committed, and how many attempts it took (1 when the first one committed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Committed<T> {
    /// The closure's value from the attempt that committed.
    pub value: T,
    /// Attempts made, the committed one included: `attempts - 1` retries.
    pub attempts: u32,
}

/// Runs `body` in a transaction on a connection from `pool`, commits it, and runs the whole
/// transaction again while it fails with a [`Retryable`] error, including a failure at `COMMIT`.
///
/// Each attempt takes a connection from the pool and:
///
/// 1. opens the transaction with `BEGIN ISOLATION LEVEL ...` (and `READ ONLY` when asked) and
///    sets the [statement timeout](TransactionOptions::statement_timeout) for this transaction
///    only (`SET LOCAL statement_timeout`), both in one simple-query message, one round trip;
/// 2. calls `body` with the connection, inside the open transaction: run every statement of the
///    transaction on it, and nothing else on other connections;
/// 3. on `Ok`, checks that the transaction is not aborted (one extra round trip, see below) and
///    commits it; on `Err`, rolls it back.
///
/// A retryable error (at `BEGIN`, in `body` or at `COMMIT`) rolls back, returns the connection
/// to the pool, sleeps a random time between zero and
/// `min(max_backoff, initial_backoff * 2^(retry - 1))` and starts the next attempt. The loop ends
/// with the last error when the [attempt budget](TransactionOptions::max_attempts) is spent, or
/// when the sleep would reach past the [deadline](TransactionOptions::deadline): the helper
/// never sleeps past it and never starts an attempt after it. Any other error rolls back and is
/// returned at once.
///
/// `body` is `FnMut` because it runs once per attempt: everything it does must be repeatable.
/// The future it returns may borrow the connection and nothing else that is not `'static`
/// (the signature is higher-ranked over the connection's lifetime, as sqlx's own
/// `Connection::transaction` is), so the closure copies or clones what the future needs into
/// its `async move` block. It returns a boxed future (the same type as
/// `futures::future::BoxFuture`), which `Box::pin(async move { ... })` produces.
///
/// # Attempts on failure
///
/// The error type is the closure's own, so an `Err` does not carry the attempt count: the
/// `transaction` span records it (field `attempts`, with `outcome` = `"exhausted"`,
/// `"deadline"` or `"failed"`), and a closure that needs it can count its calls. A caller that
/// must tell "gave up after retries" apart can compare [`Retryable::is_retryable`] on the error:
/// only a give-up returns a retryable error.
///
/// # Aborted transactions
///
/// When a statement fails, PostgreSQL aborts the transaction, and a later `COMMIT` silently rolls
/// it back instead of failing. So that a body that swallowed a statement error and returned `Ok`
/// is not reported as [`Committed`], the helper runs `SELECT 1` before `COMMIT`; in an aborted
/// transaction that fails with SQLSTATE `25P02` (in_failed_sql_transaction), which is returned
/// and not retried (the statement error that caused it is no longer known).
///
/// # Connections
///
/// A connection whose rollback fails is closed instead of going back to the pool. If the
/// returned future is dropped mid-attempt, the transaction is rolled back when the connection
/// goes back to the pool (sqlx queues the `ROLLBACK`).
///
/// The helper adds no round trip of its own to taking and returning the connection, but the
/// pool does, and the pool's options are the caller's: sqlx pings a connection when it leaves
/// the pool unless the pool was built with `PgPoolOptions::test_before_acquire(false)`, and
/// always pings it when it goes back. An attempt on a dead pooled connection fails at `BEGIN`
/// with an I/O error, before any statement of the body ran; it is not retried. A worker that
/// runs many transactions can keep one connection and call [`transaction_on`], which goes
/// through no pool at all.
///
/// # Errors
///
/// The first error that is not retryable, or the last retryable one once the attempt budget or
/// the deadline is spent. Errors of the helper's own statements (acquiring a connection,
/// `BEGIN`, `COMMIT`) reach `E` through `From<sqlx::Error>`.
///
/// # Example
///
/// ```no_run
/// use money_sqlx::{Committed, TransactionOptions, transaction};
///
/// /// Moves `cents` between two accounts; returns how many attempts it took.
/// async fn transfer(
///     pool: &sqlx::PgPool,
///     from: i64,
///     to: i64,
///     cents: i64,
/// ) -> Result<u32, sqlx::Error> {
///     let options = TransactionOptions::default();
///     let Committed { attempts, .. } = transaction(pool, &options, |conn| {
///         // Runs once per attempt; the future owns copies of what it uses.
///         Box::pin(async move {
///             sqlx::query("UPDATE accounts SET balance = balance - $1 WHERE id = $2")
///                 .bind(cents)
///                 .bind(from)
///                 .execute(&mut *conn)
///                 .await?;
///             sqlx::query("UPDATE accounts SET balance = balance + $1 WHERE id = $2")
///                 .bind(cents)
///                 .bind(to)
///                 .execute(&mut *conn)
///                 .await?;
///             Ok::<_, sqlx::Error>(())
///         })
///     })
///     .await?;
///     Ok(attempts)
/// }
/// ```
pub async fn transaction<T, E, F>(
    pool: &PgPool,
    options: &TransactionOptions,
    body: F,
) -> Result<Committed<T>, E>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let span = transaction_span(options);
    retry_loop(Source::Pool(pool), options, body, span.clone())
        .instrument(span)
        .await
}

/// [`transaction`] on a connection the caller already holds: every attempt runs on
/// `connection`, so no attempt goes through a pool.
///
/// This is the variant with no round trip that the transaction itself does not need. Each
/// attempt is `BEGIN` (with the statement timeout in the same message), the body's statements,
/// the aborted-transaction check and `COMMIT`; a transaction body of `n` statements costs `n + 3`
/// round trips, the same as the same SQL sent by `pgbench` with `BEGIN` and the timeout in one
/// pipeline (`benches/pgbench/transfer.sql`; counted by the test `sqlx_round_trips`). Through
/// [`transaction`], every attempt also takes a connection from the pool and gives it back, which
/// costs sqlx's pings: one when the connection leaves the pool if the pool was built with
/// `test_before_acquire(true)` (sqlx's default), and one when it goes back (always). A worker
/// that keeps a connection (`pool.acquire()` once, or a `PgConnection` of its own) and calls
/// this saves both.
///
/// `connection` must not be inside a transaction already (sqlx then refuses the custom `BEGIN`
/// with [`sqlx::Error::InvalidSavePointStatement`], returned without a retry).
///
/// The retries, backoff, deadline, `tracing` records and errors are those of [`transaction`];
/// the backoff sleeps while holding the connection, since it is the caller's. One difference:
/// when the rollback after a failed attempt fails too, the connection is in an unknown state,
/// and this returns the attempt's error at once instead of retrying on it (the caller should
/// drop or close the connection; [`transaction`] closes it and retries on another one).
///
/// # Errors
///
/// Those of [`transaction`].
///
/// # Example
///
/// ```no_run
/// use money_sqlx::{TransactionOptions, transaction_on};
/// use sqlx::Connection;
///
/// async fn worker(url: &str) -> Result<(), sqlx::Error> {
///     let mut connection = sqlx::PgConnection::connect(url).await?;
///     let options = TransactionOptions::default();
///     for id in 1..=100_i64 {
///         transaction_on(&mut connection, &options, |conn| {
///             Box::pin(async move {
///                 sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE id = $1")
///                     .bind(id)
///                     .execute(&mut *conn)
///                     .await?;
///                 Ok::<_, sqlx::Error>(())
///             })
///         })
///         .await?;
///     }
///     Ok(())
/// }
/// ```
pub async fn transaction_on<T, E, F>(
    connection: &mut PgConnection,
    options: &TransactionOptions,
    body: F,
) -> Result<Committed<T>, E>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let span = transaction_span(options);
    retry_loop(Source::Held(connection), options, body, span.clone())
        .instrument(span)
        .await
}

fn transaction_span(options: &TransactionOptions) -> tracing::Span {
    tracing::info_span!(
        "transaction",
        isolation = options.isolation.as_sql(),
        read_only = options.read_only,
        max_attempts = options.max_attempts,
        attempt = Empty,
        sqlstate = Empty,
        backoff = Empty,
        attempts = Empty,
        outcome = Empty,
    )
}

/// Where the attempts get their connection.
enum Source<'a> {
    /// A new connection from the pool for every attempt.
    Pool(&'a PgPool),
    /// The caller's connection, for every attempt.
    Held(&'a mut PgConnection),
}

/// Where in an attempt an error happened, for the `tracing` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Acquiring the connection, `BEGIN`, setting the statement timeout.
    Begin,
    /// The closure.
    Body,
    /// The aborted-transaction check before `COMMIT`.
    Check,
    /// `COMMIT`.
    Commit,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Self::Begin => "begin",
            Self::Body => "body",
            Self::Check => "check",
            Self::Commit => "commit",
        }
    }
}

/// An attempt that did not commit.
struct Failure<E> {
    error: E,
    phase: Phase,
    /// The connection is in an unknown state (its rollback failed): close it rather than return
    /// it to the pool.
    broken: bool,
}

impl<E> Failure<E> {
    fn new(phase: Phase, error: E) -> Self {
        Self {
            error,
            phase,
            broken: false,
        }
    }
}

async fn retry_loop<T, E, F>(
    mut source: Source<'_>,
    options: &TransactionOptions,
    mut body: F,
    span: tracing::Span,
) -> Result<Committed<T>, E>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let started = Instant::now();
    // A deadline too far to represent is no deadline.
    let deadline = started.checked_add(options.deadline);
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        span.record("attempt", attempt);

        let failure = match run_attempt(&mut source, options, &mut body).await {
            Ok(value) => {
                span.record("attempts", attempt);
                span.record("outcome", "committed");
                tracing::debug!(attempts = attempt, "transaction committed");
                return Ok(Committed {
                    value,
                    attempts: attempt,
                });
            }
            Err(failure) => failure,
        };

        let sqlstate = failure.error.sqlstate();
        let sqlstate = sqlstate.as_deref();
        if let Some(sqlstate) = sqlstate {
            span.record("sqlstate", sqlstate);
        }
        let phase = failure.phase.as_str();
        let give_up = |outcome: &'static str| {
            span.record("attempts", attempt);
            span.record("outcome", outcome);
        };

        // A held connection whose rollback failed cannot run another attempt.
        let unusable = failure.broken && matches!(source, Source::Held(_));
        if !failure.error.is_retryable() || unusable {
            give_up("failed");
            tracing::debug!(
                attempt,
                sqlstate,
                phase,
                "transaction failed with an error that is not retried"
            );
            return Err(failure.error);
        }
        if attempt >= options.max_attempts {
            give_up("exhausted");
            tracing::warn!(
                attempts = attempt,
                sqlstate,
                phase,
                "transaction gave up: attempt budget spent"
            );
            return Err(failure.error);
        }
        // Sleep only if it ends before the deadline, and start no attempt after it (the timer
        // may wake a little late).
        let before_deadline = |instant: Option<Instant>| match (instant, deadline) {
            (_, None) => true,
            (Some(instant), Some(deadline)) => instant < deadline,
            (None, Some(_)) => false,
        };
        let backoff = full_jitter(options.backoff_ceiling(attempt));
        if before_deadline(Instant::now().checked_add(backoff)) {
            span.record("backoff", debug_field(backoff));
            tracing::warn!(
                attempt,
                sqlstate,
                phase,
                backoff = ?backoff,
                "transaction failed with a retryable error; retrying"
            );
            tokio::time::sleep(backoff).await;
            if before_deadline(Some(Instant::now())) {
                continue;
            }
        }
        give_up("deadline");
        tracing::warn!(
            attempts = attempt,
            sqlstate,
            phase,
            elapsed = ?started.elapsed(),
            "transaction gave up: deadline reached"
        );
        return Err(failure.error);
    }
}

/// One attempt: on its own pooled connection, which goes back to the pool (or is closed, when
/// broken) before any backoff sleep, so that a sleeping retry holds no connection; or on the
/// caller's connection.
async fn run_attempt<T, E, F>(
    source: &mut Source<'_>,
    options: &TransactionOptions,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let pool = match source {
        Source::Pool(pool) => *pool,
        Source::Held(connection) => return run_in_transaction(connection, options, body).await,
    };
    let mut connection: PoolConnection<Postgres> = pool
        .acquire()
        .await
        .map_err(|error| Failure::new(Phase::Begin, E::from(error)))?;
    let outcome = run_in_transaction(&mut connection, options, body).await;
    if let Err(failure) = &outcome
        && failure.broken
    {
        connection.close_on_drop();
    }
    outcome
}

/// `BEGIN`, statement timeout, body, aborted check and `COMMIT` on one connection; a rollback on
/// any error before `COMMIT`.
async fn run_in_transaction<T, E, F>(
    connection: &mut PgConnection,
    options: &TransactionOptions,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    // `BEGIN` and the statement timeout travel in one simple-query message: one round trip.
    let begin = match options.statement_timeout {
        None => options
            .isolation
            .begin_statement(options.read_only)
            .into_sql_str(),
        Some(timeout) => AssertSqlSafe(begin_with_timeout(options, timeout)).into_sql_str(),
    };
    let error = match Transaction::begin(&mut *connection, Some(begin)).await {
        Ok(transaction) => return run_body(transaction, body).await,
        Err(error) => error,
    };
    // When `BEGIN` ran and the `SET LOCAL` after it failed, the server is left in an aborted
    // transaction that sqlx does not know about; a `ROLLBACK` ends it (outside a transaction it
    // is a warning, not an error).
    let broken = sqlx::raw_sql("ROLLBACK")
        .execute(&mut *connection)
        .await
        .is_err();
    Err(Failure {
        error: E::from(error),
        phase: Phase::Begin,
        broken,
    })
}

/// The body, aborted check and `COMMIT` in the open transaction; a rollback on any error before
/// `COMMIT`.
async fn run_body<T, E, F>(
    mut transaction: Transaction<'_, Postgres>,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut PgConnection,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let value = match body(&mut transaction).await {
        Ok(value) => value,
        Err(error) => {
            let broken = transaction.rollback().await.is_err();
            return Err(Failure {
                error,
                phase: Phase::Body,
                broken,
            });
        }
    };

    // In an aborted transaction any statement fails with 25P02, whereas COMMIT would report
    // success and roll back. The simple protocol keeps this to one round trip with no prepare.
    if let Err(error) = sqlx::raw_sql("SELECT 1").execute(&mut *transaction).await {
        let broken = transaction.rollback().await.is_err();
        return Err(Failure {
            error: E::from(error),
            phase: Phase::Check,
            broken,
        });
    }

    // A failed COMMIT has ended the transaction on the server; sqlx queues a ROLLBACK (a no-op
    // then) that runs, with a liveness check, when the connection goes back to the pool, and the
    // pool closes the connection if that check fails.
    transaction
        .commit()
        .await
        .map_err(|error| Failure::new(Phase::Commit, E::from(error)))?;
    Ok(value)
}

/// `BEGIN ISOLATION LEVEL ...; SET LOCAL statement_timeout = '...'`: the transaction and its
/// timeout in one simple-query message. The setting is a number the helper formats, never text
/// from elsewhere.
fn begin_with_timeout(options: &TransactionOptions, timeout: Duration) -> String {
    format!(
        "{}; SET LOCAL statement_timeout = '{}'",
        options.isolation.begin_statement(options.read_only),
        statement_timeout_setting(timeout)
    )
}

/// `statement_timeout` as PostgreSQL reads it: whole milliseconds, rounded up, between 1 ms and
/// the server's limit of `i32::MAX` ms.
fn statement_timeout_setting(timeout: Duration) -> String {
    const MAX_MILLISECONDS: u128 = i32::MAX as u128;
    let milliseconds = timeout
        .as_nanos()
        .div_ceil(1_000_000)
        .clamp(1, MAX_MILLISECONDS);
    format!("{milliseconds}ms")
}

/// A duration drawn uniformly from `[0, ceiling]`.
fn full_jitter(ceiling: Duration) -> Duration {
    let nanoseconds = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanoseconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_ceiling_doubles_from_initial_up_to_max() {
        let options = TransactionOptions::default();
        let ceilings: Vec<u128> = (1..=9)
            .map(|failed| options.backoff_ceiling(failed).as_millis())
            .collect();
        assert_eq!(ceilings, [5, 10, 20, 40, 80, 160, 320, 500, 500]);
    }

    #[test]
    fn backoff_ceiling_never_overflows() {
        let options = TransactionOptions::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        assert_eq!(options.backoff_ceiling(u32::MAX), Duration::MAX);
        let options = TransactionOptions::default();
        assert_eq!(
            options.backoff_ceiling(u32::MAX),
            Duration::from_millis(500)
        );
        assert_eq!(options.backoff_ceiling(0), Duration::from_millis(5));
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling() {
        let ceiling = Duration::from_millis(3);
        for _ in 0..1_000 {
            assert!(full_jitter(ceiling) <= ceiling);
        }
        assert_eq!(full_jitter(Duration::ZERO), Duration::ZERO);
        assert!(full_jitter(Duration::MAX) <= Duration::MAX);
    }

    #[test]
    fn statement_timeout_is_whole_milliseconds_rounded_up() {
        assert_eq!(
            statement_timeout_setting(Duration::from_millis(100)),
            "100ms"
        );
        assert_eq!(
            statement_timeout_setting(Duration::from_micros(100_001)),
            "101ms"
        );
        assert_eq!(statement_timeout_setting(Duration::ZERO), "1ms");
        assert_eq!(statement_timeout_setting(Duration::MAX), "2147483647ms");
    }

    #[test]
    fn begin_statements_name_the_level_and_mode() {
        for level in [
            IsolationLevel::Serializable,
            IsolationLevel::RepeatableRead,
            IsolationLevel::ReadCommitted,
        ] {
            let read_write = level.begin_statement(false);
            assert_eq!(read_write, format!("BEGIN ISOLATION LEVEL {level}"));
            assert_eq!(
                level.begin_statement(true),
                format!("{read_write} READ ONLY")
            );
        }
    }

    #[test]
    fn the_timeout_travels_with_begin() {
        let options = TransactionOptions::default().read_only(true);
        assert_eq!(
            begin_with_timeout(&options, Duration::from_millis(1500)),
            "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY; SET LOCAL statement_timeout = '1500ms'"
        );
    }

    #[test]
    fn max_attempts_is_at_least_one() {
        assert_eq!(
            TransactionOptions::new().max_attempts(0).get_max_attempts(),
            1
        );
    }

    #[test]
    fn only_serialization_failures_and_deadlocks_are_retryable() {
        assert!(is_retryable_sqlstate("40001"));
        assert!(is_retryable_sqlstate("40P01"));
        for other in ["23505", "23514", "57014", "25P02", "40002", "08006"] {
            assert!(!is_retryable_sqlstate(other), "{other}");
        }
        assert!(!sqlx::Error::RowNotFound.is_retryable());
        assert!(sqlx::Error::PoolTimedOut.sqlstate().is_none());
    }
}
