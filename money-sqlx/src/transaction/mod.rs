//! Retrying transactions on PostgreSQL and MariaDB/MySQL: [`transaction`] runs a closure in a
//! SERIALIZABLE (or chosen isolation) transaction and runs it again when the database reports a
//! serialization failure (SQLSTATE `40001`) or a deadlock (`40P01`; MariaDB/MySQL `1213`, also a
//! Galera certification conflict), including a failure at `COMMIT`, and when the host went away
//! before `COMMIT` was sent (see [`RetryCause`]). A `COMMIT` whose answer was lost is an unknown
//! outcome, never retried.
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
//!   committed (PostgreSQL answers `COMMIT` of an aborted transaction with a silent `ROLLBACK`);
//! - a connection lost after `COMMIT` was sent is reported as such
//!   ([`Retryable::commit_outcome_unknown`]), not retried.
//!
//! Each call runs inside a `tracing` span named `transaction` (target
//! `money_sqlx::transaction`, level `INFO`) with the fields `isolation`, `read_only` and
//! `max_attempts`, and records on it the current `attempt`, the `sqlstate` of the last error, the
//! last `backoff` and, at the end, `attempts` and `outcome` (`committed`, `failed` for an error
//! that is not retried, `exhausted` when the attempt budget is spent, `deadline`). Each retry is a
//! `WARN` event with `attempt`, `sqlstate`, `phase` (where the error came: `begin`, `body`,
//! `check` for the aborted-transaction check, `commit`), `reason` ([`RetryCause::as_str`]:
//! `conflict`, `read_only`, `shutdown`, `connection_lost`, ...) and `backoff`; giving up after
//! retries is a `WARN` event too, as is an unknown outcome (`outcome` = `unknown`), an error that
//! is not retried a `DEBUG` event, a commit a `DEBUG` event. The span's `db.system.name` is
//! `postgresql`, or `mysql` for MariaDB and MySQL alike (sqlx's driver does not say which server
//! it reached). The library never prints.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use sqlx::{Database, Transaction};
use tracing::Instrument;
use tracing::field::{Empty, debug as debug_field};

mod database;
mod options;
mod source;

pub use database::TransactionDatabase;
pub use options::{IsolationLevel, TransactionOptions};
pub use source::TransactionPool;

pub use crate::driver::AsConnection;
pub use crate::retry::{
    DEADLOCK_DETECTED, RetryCause, Retryable, SERIALIZATION_FAILURE, is_retryable_sqlstate,
};

/// The connection type of a database, as the closure of [`transaction`] receives it.
pub type ConnectionOf<DB> = <DB as Database>::Connection;

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
/// transaction again while it fails with a [retryable](Retryable::retry_cause) error before its
/// `COMMIT` was sent, or with a conflict at `COMMIT`.
///
/// `pool` is a `PgPool`, a `MySqlPool` or a [`ClusterPool`](crate::cluster::ClusterPool) of
/// either (see [`TransactionPool`]). Each attempt takes a connection from the pool and:
///
/// 1. opens the transaction at the [isolation level](TransactionOptions::isolation), with the
///    [statement timeout](TransactionOptions::statement_timeout), in one message, one round
///    trip (PostgreSQL: `BEGIN ISOLATION LEVEL ...; SET LOCAL statement_timeout = ...`;
///    MariaDB/MySQL: see [below](#mariadb-and-mysql));
/// 2. calls `body` with the connection, inside the open transaction: run every statement of the
///    transaction on it, and nothing else on other connections;
/// 3. on `Ok`, checks on PostgreSQL that the transaction is not aborted (one extra round trip,
///    see below) and commits it; on `Err`, rolls it back.
///
/// # What is retried
///
/// Every failure is classified once, by [`RetryCause`] (through [`Retryable::retry_cause`] for
/// the closure's errors):
///
/// - a conflict (serialization failure `40001`, deadlock `40P01`, MariaDB/MySQL `1213`, which
///   is also how Galera reports a certification conflict at `COMMIT`) at `BEGIN`, at any
///   statement or at `COMMIT`: retried;
/// - a host that went away **before `COMMIT` was sent**: a connection that died (I/O error) or
///   was refused, a pool that timed out, a read-only session (`25006`: a standby; not when the
///   transaction was opened [read-only](TransactionOptions::read_only) on purpose), a server
///   shutting down or starting (`57P01`, `57P02`, `57P03`), a Galera node that is not ready
///   (`1047`): retried on a fresh connection from the pool. A
///   [`ClusterPool`](crate::cluster::ClusterPool) is first [rerouted](crate::cluster::ClusterPool::reroute)
///   to the host that is writable now, within what is left of the deadline; the connection
///   that failed is closed, never returned to the pool;
/// - a connection lost **after `COMMIT` was sent** (an I/O error, or the server ending the
///   session, at `COMMIT`): the transaction may or may not have committed. It is **never
///   retried**; the error is [`Retryable::commit_outcome_unknown`], which for
///   [`crate::Error`] is [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), a value to
///   match, not a message to read. Resolve it with an idempotency key (resubmit the same
///   request), as the ledger example does;
/// - anything else (a CHECK violation, a unique violation, a domain error of the closure):
///   rolled back and returned at once.
///
/// A retry rolls back, returns the connection to the pool, sleeps a random time between zero
/// and `min(max_backoff, initial_backoff * 2^(retry - 1))` and starts the next attempt. The
/// loop ends with the last error when the [attempt budget](TransactionOptions::max_attempts)
/// is spent, or when the sleep would reach past the [deadline](TransactionOptions::deadline):
/// the helper never sleeps past it and never starts an attempt after it.
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
/// `"deadline"`, `"unknown"` or `"failed"`), and a closure that needs it can count its calls.
/// A caller that must tell "gave up after retries" apart can ask [`Retryable::retry_cause`] of
/// the error: only a give-up returns an error that has one.
///
/// # Aborted transactions
///
/// When a statement fails, PostgreSQL aborts the transaction, and a later `COMMIT` silently rolls
/// it back instead of failing. So that a body that swallowed a statement error and returned `Ok`
/// is not reported as [`Committed`], the helper runs `SELECT 1` before `COMMIT`; in an aborted
/// transaction that fails with SQLSTATE `25P02` (in_failed_sql_transaction), which is returned
/// and not retried (the statement error that caused it is no longer known).
///
/// # MariaDB and MySQL
///
/// `SET TRANSACTION ISOLATION LEVEL ...` (which applies to the next transaction only) and
/// `START TRANSACTION` (`READ ONLY` when asked) travel in one text-protocol message. The
/// statement timeout is MariaDB's `max_statement_time` (whole milliseconds, as seconds); it is
/// a session variable there, so the helper sets it in the same message and sets it back to
/// `DEFAULT` after the transaction ends, which costs one more round trip, only when a timeout
/// is asked for. MySQL has no `max_statement_time` (its `max_execution_time` covers `SELECT`
/// only): a statement timeout on MySQL fails at `BEGIN` with MySQL's error.
///
/// A failed statement does not abort a MariaDB/MySQL transaction: the statement alone is
/// undone and the transaction goes on, so `COMMIT` cannot silently drop work and no check is
/// needed before it. A deadlock (`1213`) is different: the server rolls the whole transaction
/// back, and statements after it run **outside any transaction** (autocommit), so a body must
/// never swallow a `1213`: return it and let the helper retry. On Galera, a certification
/// conflict arrives as `1213` at `COMMIT` and is retried like a deadlock; Galera does not give
/// SERIALIZABLE across nodes (see the README, "On a cluster").
///
/// # Connections
///
/// A connection whose rollback fails, or whose host went away, is closed instead of going back
/// to the pool. If the returned future is dropped mid-attempt, the transaction is rolled back
/// when the connection goes back to the pool (sqlx queues the `ROLLBACK`).
///
/// The helper adds no round trip of its own to taking and returning the connection, but the
/// pool does, and the pool's options are the caller's: sqlx pings a connection when it leaves
/// the pool unless the pool was built with `PgPoolOptions::test_before_acquire(false)`, and
/// always pings it when it goes back. An attempt on a pooled connection that died meanwhile
/// fails at `BEGIN` with an I/O error, before any statement of the body ran, and is retried on
/// another connection. A worker that runs many transactions can keep one connection and call
/// [`transaction_on`], which goes through no pool at all.
///
/// # Errors
///
/// The first error that is not retried, or the last retryable one once the attempt budget or
/// the deadline is spent. Errors of the helper's own statements (acquiring a connection,
/// `BEGIN`, `COMMIT`) reach `E` through `From<sqlx::Error>`, except a `COMMIT` whose outcome is
/// unknown, which reaches it through [`Retryable::commit_outcome_unknown`].
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
pub async fn transaction<P, T, E, F>(
    pool: &P,
    options: &TransactionOptions,
    body: F,
) -> Result<Committed<T>, E>
where
    P: TransactionPool + ?Sized,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<P::Database>,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let span = transaction_span::<P::Database>(options);
    retry_loop(Source::Pool(pool), options, body, span.clone())
        .instrument(span)
        .await
}

/// [`transaction`] on a connection the caller already holds (a `PgConnection`, a
/// `MySqlConnection`, or a pooled connection of either): every attempt runs on `connection`,
/// so no attempt goes through a pool.
///
/// This is the variant with no round trip that the transaction itself does not need. Each
/// attempt is `BEGIN` (with the statement timeout in the same message), the body's statements,
/// the aborted-transaction check (PostgreSQL) and `COMMIT`; a transaction body of `n`
/// statements costs `n + 3` round trips on PostgreSQL, the same as the same SQL sent by
/// `pgbench` with `BEGIN` and the timeout in one pipeline (`benches/pgbench/transfer.sql`;
/// counted by the test `sqlx_round_trips`). Through [`transaction`], every attempt also takes a
/// connection from the pool and gives it back, which costs sqlx's pings: one when the
/// connection leaves the pool if the pool was built with `test_before_acquire(true)` (sqlx's
/// default), and one when it goes back (always). A worker that keeps a connection
/// (`pool.acquire()` once, or a `PgConnection` of its own) and calls this saves both.
///
/// `connection` must not be inside a transaction already (sqlx then refuses the custom `BEGIN`
/// with [`sqlx::Error::InvalidSavePointStatement`], returned without a retry).
///
/// The retries, backoff, deadline, `tracing` records and errors are those of [`transaction`],
/// with one difference: a failure that needs another connection (its
/// [`RetryCause::leaves_host`]: the connection died, the session is read-only, the server is
/// shutting down) and a failed rollback after a failed attempt are returned at once, since
/// every attempt would run on the same connection; the caller should drop it and take another.
/// The backoff sleeps while holding the connection, since it is the caller's.
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
pub async fn transaction_on<C, T, E, F>(
    connection: &mut C,
    options: &TransactionOptions,
    body: F,
) -> Result<Committed<T>, E>
where
    C: AsConnection + ?Sized,
    C::Database: TransactionDatabase,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<C::Database>,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let span = transaction_span::<C::Database>(options);
    let source: Source<'_, sqlx::Pool<C::Database>, C::Database> =
        Source::Held(connection.as_connection());
    retry_loop(source, options, body, span.clone())
        .instrument(span)
        .await
}

fn transaction_span<DB: TransactionDatabase>(options: &TransactionOptions) -> tracing::Span {
    tracing::info_span!(
        "transaction",
        // OpenTelemetry's database conventions (see `crate::telemetry`); `map_error` in the body
        // records the refusal's fields here.
        db.system.name = DB::SYSTEM_NAME,
        otel.status_code = Empty,
        db.response.status_code = Empty,
        error.type = Empty,
        money.field = Empty,
        money.constraint = Empty,
        isolation = options.isolation.as_sql(),
        read_only = options.read_only,
        max_attempts = options.max_attempts,
        attempt = Empty,
        sqlstate = Empty,
        reason = Empty,
        backoff = Empty,
        attempts = Empty,
        outcome = Empty,
    )
}

/// Where the attempts get their connection.
enum Source<'a, P: ?Sized, DB: Database> {
    /// A new connection from the pool for every attempt.
    Pool(&'a P),
    /// The caller's connection, for every attempt.
    Held(&'a mut DB::Connection),
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
    /// Why running the transaction again may succeed, when it may.
    cause: Option<RetryCause>,
    /// `COMMIT` was sent and its answer lost: the transaction may have committed.
    outcome_unknown: bool,
    /// The connection is in an unknown state (its rollback failed) or on a host that went
    /// away: close it rather than return it to the pool.
    broken: bool,
}

impl<E: Retryable> Failure<E> {
    /// A failure of the closure.
    fn of_body(error: E, broken: bool) -> Self {
        Self {
            cause: error.retry_cause(),
            error,
            phase: Phase::Body,
            outcome_unknown: false,
            broken,
        }
    }
}

impl<E: From<sqlx::Error> + Retryable> Failure<E> {
    /// A failure of the helper's own statement before `COMMIT`.
    fn of_helper(phase: Phase, error: sqlx::Error, broken: bool) -> Self {
        Self {
            cause: RetryCause::of(&error),
            error: E::from(error),
            phase,
            outcome_unknown: false,
            broken,
        }
    }

    /// A failure at `COMMIT`: a rollback the server reported, or an unknown outcome.
    fn of_commit<DB: TransactionDatabase>(error: sqlx::Error) -> Self {
        if DB::commit_rolled_back(&error) {
            return Self::of_helper(Phase::Commit, error, false);
        }
        Self {
            cause: None,
            error: E::commit_outcome_unknown(error),
            phase: Phase::Commit,
            outcome_unknown: true,
            broken: true,
        }
    }
}

async fn retry_loop<P, DB, T, E, F>(
    mut source: Source<'_, P, DB>,
    options: &TransactionOptions,
    mut body: F,
    span: tracing::Span,
) -> Result<Committed<T>, E>
where
    P: TransactionPool<Database = DB> + ?Sized,
    DB: TransactionDatabase,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<DB>,
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
        let reason = failure.cause.map(RetryCause::as_str);
        if let Some(reason) = reason {
            span.record("reason", reason);
        }
        let give_up = |outcome: &'static str| {
            span.record("attempts", attempt);
            span.record("outcome", outcome);
        };

        if failure.outcome_unknown {
            give_up("unknown");
            tracing::warn!(
                attempt,
                sqlstate,
                phase,
                "transaction outcome unknown: the connection failed after COMMIT was sent; not retried"
            );
            return Err(failure.error);
        }
        let held = matches!(source, Source::Held(_));
        // A held connection whose rollback failed, or whose host went away, cannot run
        // another attempt.
        let retried = match failure.cause {
            None => false,
            // A transaction opened READ ONLY on purpose refuses writes on every host.
            Some(RetryCause::ReadOnly) if options.read_only => false,
            Some(cause) => !held || !(failure.broken || cause.leaves_host()),
        };
        if !retried {
            give_up("failed");
            tracing::debug!(
                attempt,
                sqlstate,
                phase,
                reason,
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
                reason,
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
        if let (Source::Pool(pool), Some(true)) =
            (&source, failure.cause.map(RetryCause::leaves_host))
        {
            let within =
                deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            pool.after_host_failure(within).await;
        }
        let backoff = full_jitter(options.backoff_ceiling(attempt));
        if before_deadline(Instant::now().checked_add(backoff)) {
            span.record("backoff", debug_field(backoff));
            sqlx_core::rt::sleep(backoff).await;
            // The retry event is a fact, not a plan: it comes once the sleep is over and the
            // next attempt starts now, before the deadline (a timer that woke past it gives
            // up below instead).
            if before_deadline(Some(Instant::now())) {
                tracing::warn!(
                    attempt,
                    sqlstate,
                    phase,
                    reason,
                    backoff = ?backoff,
                    "transaction failed with a retryable error; retrying"
                );
                continue;
            }
        }
        give_up("deadline");
        tracing::warn!(
            attempts = attempt,
            sqlstate,
            phase,
            reason,
            elapsed = ?started.elapsed(),
            "transaction gave up: deadline reached"
        );
        return Err(failure.error);
    }
}

/// One attempt: on its own pooled connection, which goes back to the pool (or is closed, when
/// broken) before any backoff sleep, so that a sleeping retry holds no connection; or on the
/// caller's connection.
async fn run_attempt<P, DB, T, E, F>(
    source: &mut Source<'_, P, DB>,
    options: &TransactionOptions,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    P: TransactionPool<Database = DB> + ?Sized,
    DB: TransactionDatabase,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<DB>,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let pool = match source {
        Source::Pool(pool) => *pool,
        Source::Held(connection) => {
            let outcome = run_in_transaction::<DB, T, E, F>(connection, options, body).await;
            if !reset_session::<DB>(connection, options).await {
                tracing::warn!(
                    "transaction: the session setting of the statement timeout could not be reset; drop this connection"
                );
            }
            return outcome;
        }
    };
    let mut connection = pool
        .sqlx_pool()
        .acquire()
        .await
        .map_err(|error| Failure::of_helper(Phase::Begin, error, false))?;
    let outcome = run_in_transaction::<DB, T, E, F>(&mut connection, options, body).await;
    let moved_on = match &outcome {
        Ok(_) => false,
        Err(failure) => failure.broken || failure.cause.is_some_and(RetryCause::leaves_host),
    };
    // A connection that keeps a session setting of the transaction is not handed out again.
    if moved_on || !reset_session::<DB>(&mut connection, options).await {
        connection.close_on_drop();
    }
    outcome
}

/// Undoes the session settings of `BEGIN` (MariaDB's `max_statement_time`); `false` when that
/// failed.
async fn reset_session<DB: TransactionDatabase>(
    connection: &mut ConnectionOf<DB>,
    options: &TransactionOptions,
) -> bool {
    match DB::reset_session(connection, options) {
        None => true,
        Some(reset) => reset.await.is_ok(),
    }
}

/// `BEGIN`, statement timeout, body, aborted check and `COMMIT` on one connection; a rollback on
/// any error before `COMMIT`.
async fn run_in_transaction<DB, T, E, F>(
    connection: &mut ConnectionOf<DB>,
    options: &TransactionOptions,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    DB: TransactionDatabase,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<DB>,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let begin = DB::begin_statement(options);
    let error = match Transaction::<DB>::begin(&mut *connection, Some(begin)).await {
        Ok(transaction) => return run_body::<DB, T, E, F>(transaction, body).await,
        Err(error) => error,
    };
    let broken = DB::rollback_failed_begin(&mut *connection).await.is_err();
    Err(Failure::of_helper(Phase::Begin, error, broken))
}

/// The body, aborted check and `COMMIT` in the open transaction; a rollback on any error before
/// `COMMIT`.
async fn run_body<DB, T, E, F>(
    mut transaction: Transaction<'_, DB>,
    body: &mut F,
) -> Result<T, Failure<E>>
where
    DB: TransactionDatabase,
    E: From<sqlx::Error> + Retryable,
    F: for<'c> FnMut(
        &'c mut ConnectionOf<DB>,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>,
{
    let value = match body(&mut transaction).await {
        Ok(value) => value,
        Err(error) => {
            let broken = transaction.rollback().await.is_err();
            return Err(Failure::of_body(error, broken));
        }
    };

    if let Err(error) = DB::check_not_aborted(&mut transaction).await {
        let broken = transaction.rollback().await.is_err();
        return Err(Failure::of_helper(Phase::Check, error, broken));
    }

    // A failed COMMIT has ended the transaction on the server (or the connection); sqlx queues
    // a ROLLBACK (a no-op then) that runs, with a liveness check, when the connection goes
    // back to the pool, and the pool closes the connection if that check fails.
    transaction
        .commit()
        .await
        .map_err(Failure::of_commit::<DB>)?;
    Ok(value)
}

/// A duration drawn uniformly from `[0, ceiling]`.
fn full_jitter(ceiling: Duration) -> Duration {
    let nanoseconds = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanoseconds))
}

#[cfg(all(test, feature = "postgres"))]
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
        use database::timeout_milliseconds;
        assert_eq!(timeout_milliseconds(Duration::from_millis(100)), 100);
        assert_eq!(timeout_milliseconds(Duration::from_micros(100_001)), 101);
        assert_eq!(timeout_milliseconds(Duration::ZERO), 1);
        assert_eq!(timeout_milliseconds(Duration::MAX), 2_147_483_647);
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
            <sqlx::Postgres as TransactionDatabase>::begin_statement(
                &options.statement_timeout(Some(Duration::from_millis(1500)))
            )
            .as_str(),
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
