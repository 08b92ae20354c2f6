//! `money_sqlx::transaction` against a real PostgreSQL: serialization failures (at a statement
//! and at `COMMIT`) are retried until the work commits, nothing else is, and the attempt budget,
//! the deadline, the statement timeout and the isolation level do what the options say.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use money_sqlx::{IsolationLevel, Retryable, TransactionOptions, transaction};
use money_tests::pg::{execute, fresh_schema};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::{Barrier, Notify};

/// SQLSTATE of a database error, `None` for any other error.
fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error.sqlstate().map(Cow::into_owned)
}

async fn count_rows(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// A statement that always fails with a serialization failure, as a contended transaction would.
const FORCED_SERIALIZATION_FAILURE: &str =
    "DO $$ BEGIN RAISE EXCEPTION 'forced serialization failure' USING ERRCODE = '40001'; END $$";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contended_serializable_increments_lose_no_update() {
    const COUNTERS: i64 = 4;
    const TASKS: usize = 16;
    const INCREMENTS_PER_TASK: usize = 25;

    let schema = fresh_schema().await;
    execute(
        &schema.pool,
        "CREATE TABLE counters (id bigint PRIMARY KEY, value bigint NOT NULL)",
    )
    .await;
    execute(
        &schema.pool,
        "INSERT INTO counters SELECT id, 0 FROM generate_series(1, 4) AS id",
    )
    .await;

    // This test is about lost updates, not about how many retries 16 writers on 4 rows need: a
    // budget that no call should reach, so that every call commits.
    let options = TransactionOptions::default()
        .max_attempts(1_000)
        .deadline(Duration::from_secs(120));
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let pool = schema.pool.clone();
            let options = options.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::with_capacity(INCREMENTS_PER_TASK);
                for _ in 0..INCREMENTS_PER_TASK {
                    let id = fastrand::i64(1..=COUNTERS);
                    let outcome = transaction(&pool, &options, move |conn| {
                        Box::pin(async move {
                            let value: i64 =
                                sqlx::query_scalar("SELECT value FROM counters WHERE id = $1")
                                    .bind(id)
                                    .fetch_one(&mut *conn)
                                    .await?;
                            // Widen the read-to-write window so that conflicts are certain.
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            sqlx::query("UPDATE counters SET value = $1 WHERE id = $2")
                                .bind(value + 1)
                                .bind(id)
                                .execute(&mut *conn)
                                .await?;
                            Ok::<_, sqlx::Error>(())
                        })
                    })
                    .await;
                    outcomes.push(outcome.map(|committed| committed.attempts));
                }
                outcomes
            })
        })
        .collect();

    let mut calls = 0_u32;
    let mut attempts = 0_u32;
    let mut most_attempts_of_a_call = 0_u32;
    for task in tasks {
        for outcome in task.await.expect("an increment task panicked") {
            calls += 1;
            match outcome {
                Ok(attempts_of_call) => {
                    attempts += attempts_of_call;
                    most_attempts_of_a_call = most_attempts_of_a_call.max(attempts_of_call);
                }
                Err(error) => panic!(
                    "an increment failed after its retries: {error} (SQLSTATE {:?})",
                    sqlstate(&error)
                ),
            }
        }
    }
    let elapsed = started.elapsed();

    let total = count_rows(&schema.pool, "SELECT sum(value)::bigint FROM counters").await;
    let expected = i64::try_from(TASKS * INCREMENTS_PER_TASK).expect("small count");
    assert_eq!(total, expected, "an update was lost");
    assert_eq!(calls as usize, TASKS * INCREMENTS_PER_TASK);
    assert!(
        attempts > calls,
        "no retry happened ({calls} calls, {attempts} attempts): the workload was not contended"
    );
    println!(
        "contended SERIALIZABLE increments: {calls} calls, {attempts} attempts, {} retries, \
         at most {most_attempts_of_a_call} attempts for one call, sum {total}, {:.2} s",
        attempts - calls,
        elapsed.as_secs_f64()
    );
    schema.drop().await;
}

#[tokio::test]
async fn serialization_failure_at_commit_is_retried() {
    let schema = fresh_schema().await;
    execute(
        &schema.pool,
        "CREATE TABLE shifts (id bigint PRIMARY KEY, value bigint NOT NULL)",
    )
    .await;
    execute(&schema.pool, "INSERT INTO shifts VALUES (1, 0), (2, 0)").await;
    let (capture, _guard) = Capture::install();

    // Write skew: each transaction reads both rows and writes one of them. Both read, then both
    // write, then `first` commits and `second` commits; SERIALIZABLE must fail `second` at COMMIT
    // (no statement of it fails), and its retry then sees `first`'s write.
    let read_barrier = Arc::new(Barrier::new(2));
    let write_barrier = Arc::new(Barrier::new(2));
    let first_committed = Arc::new(Notify::new());
    let options = TransactionOptions::default();

    let first = {
        let (read_barrier, write_barrier) = (read_barrier.clone(), write_barrier.clone());
        let first_committed = first_committed.clone();
        let calls = Arc::new(AtomicU32::new(0));
        let options = &options;
        let pool = &schema.pool;
        async move {
            let outcome = transaction(pool, options, |conn| {
                let attempt = calls.fetch_add(1, Ordering::SeqCst) + 1;
                let (read_barrier, write_barrier) = (read_barrier.clone(), write_barrier.clone());
                Box::pin(async move {
                    let sum = sum_of_shifts(conn).await?;
                    if attempt == 1 {
                        read_barrier.wait().await;
                    }
                    set_shift(conn, 1, sum + 1).await?;
                    if attempt == 1 {
                        write_barrier.wait().await;
                    }
                    Ok::<_, sqlx::Error>(attempt)
                })
            })
            .await;
            first_committed.notify_one();
            outcome
        }
    };

    let second_bodies_completed = Arc::new(Mutex::new(Vec::new()));
    let second = {
        let bodies_completed = second_bodies_completed.clone();
        let calls = Arc::new(AtomicU32::new(0));
        transaction(&schema.pool, &options, move |conn| {
            let attempt = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let (read_barrier, write_barrier) = (read_barrier.clone(), write_barrier.clone());
            let first_committed = first_committed.clone();
            let bodies_completed = bodies_completed.clone();
            Box::pin(async move {
                let sum = sum_of_shifts(conn).await?;
                if attempt == 1 {
                    read_barrier.wait().await;
                }
                set_shift(conn, 2, sum + 10).await?;
                if attempt == 1 {
                    write_barrier.wait().await;
                    first_committed.notified().await;
                }
                bodies_completed
                    .lock()
                    .expect("bodies_completed lock")
                    .push(attempt);
                Ok::<_, sqlx::Error>(attempt)
            })
        })
    };

    let (first, second) = tokio::join!(first, second);
    let first = first.expect("the first transaction commits");
    let second = second.expect("the second transaction commits after a retry");
    assert_eq!((first.value, first.attempts), (1, 1));
    assert_eq!(
        (second.value, second.attempts),
        (2, 2),
        "the second transaction commits on its second attempt"
    );
    // Its first attempt ran its body to the end and returned Ok: the failure came after it.
    assert_eq!(
        *second_bodies_completed
            .lock()
            .expect("bodies_completed lock"),
        [1, 2]
    );
    let retries = capture.events_with_message("retrying");
    assert_eq!(retries.len(), 1, "one retry event: {retries:#?}");
    assert_eq!(
        retries[0].get("sqlstate").map(String::as_str),
        Some("40001")
    );
    assert_eq!(retries[0].get("phase").map(String::as_str), Some("commit"));
    assert_eq!(retries[0].get("level").map(String::as_str), Some("WARN"));

    // As if `first` then `second` ran alone: 1, then 1 + 10. (Write skew would leave 1 and 10.)
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, value FROM shifts ORDER BY id")
        .fetch_all(&schema.pool)
        .await
        .expect("read shifts");
    assert_eq!(rows, [(1, 1), (2, 11)]);
    schema.drop().await;
}

async fn sum_of_shifts(conn: &mut sqlx::PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT sum(value)::bigint FROM shifts")
        .fetch_one(conn)
        .await
}

async fn set_shift(conn: &mut sqlx::PgConnection, id: i64, value: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE shifts SET value = $1 WHERE id = $2")
        .bind(value)
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}

/// An application error: a database error, or a domain rule of the closure.
#[derive(Debug)]
enum TransferError {
    Database(sqlx::Error),
    InsufficientFunds,
}

impl From<sqlx::Error> for TransferError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl Retryable for TransferError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Database(error) => error.is_retryable(),
            Self::InsufficientFunds => false,
        }
    }
}

#[tokio::test]
async fn errors_that_are_not_retryable_end_at_once() {
    let schema = fresh_schema().await;
    execute(
        &schema.pool,
        "CREATE TABLE payments (id bigint PRIMARY KEY)",
    )
    .await;
    let options = TransactionOptions::default();

    // A unique violation (23505) from a statement.
    let calls = AtomicU32::new(0);
    let error = transaction(&schema.pool, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            for _ in 0..2 {
                sqlx::query("INSERT INTO payments VALUES (1)")
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("a duplicate key fails");
    assert_eq!(sqlstate(&error).as_deref(), Some("23505"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A domain error of the closure, after a write.
    let calls = AtomicU32::new(0);
    let error = transaction(&schema.pool, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("INSERT INTO payments VALUES (2)")
                .execute(&mut *conn)
                .await?;
            Err::<(), _>(TransferError::InsufficientFunds)
        })
    })
    .await
    .expect_err("the closure's error is returned");
    assert!(
        matches!(error, TransferError::InsufficientFunds),
        "{error:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Both were rolled back.
    assert_eq!(
        count_rows(&schema.pool, "SELECT count(*) FROM payments").await,
        0
    );
    schema.drop().await;
}

#[tokio::test]
async fn a_body_that_swallows_a_statement_error_is_not_reported_committed() {
    let schema = fresh_schema().await;
    execute(
        &schema.pool,
        "CREATE TABLE payments (id bigint PRIMARY KEY)",
    )
    .await;

    let calls = AtomicU32::new(0);
    let error = transaction(&schema.pool, &TransactionOptions::default(), |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("INSERT INTO payments VALUES (1)")
                .execute(&mut *conn)
                .await?;
            // The error is dropped, yet PostgreSQL has aborted the transaction: COMMIT would
            // answer with a silent ROLLBACK.
            let _ignored = sqlx::query("SELECT 1 / 0").execute(&mut *conn).await;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("an aborted transaction is not committed");
    assert_eq!(sqlstate(&error).as_deref(), Some("25P02"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        count_rows(&schema.pool, "SELECT count(*) FROM payments").await,
        0
    );
    schema.drop().await;
}

#[tokio::test]
async fn retries_stop_at_max_attempts_and_at_the_deadline() {
    let schema = fresh_schema().await;
    let (capture, _guard) = Capture::install();

    let calls = AtomicU32::new(0);
    let options = TransactionOptions::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5));
    let error = transaction(&schema.pool, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query(FORCED_SERIALIZATION_FAILURE)
                .execute(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("a transaction that always fails gives up");
    assert_eq!(sqlstate(&error).as_deref(), Some("40001"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(capture.events_with_message("retrying").len(), 3);
    let span = capture.last_transaction_span();
    assert_eq!(span.get("attempts").map(String::as_str), Some("4"));
    assert_eq!(span.get("outcome").map(String::as_str), Some("exhausted"));
    assert_eq!(span.get("sqlstate").map(String::as_str), Some("40001"));

    // A large attempt budget, so that the deadline is what stops it.
    const DEADLINE: Duration = Duration::from_millis(200);
    let attempt_starts = Mutex::new(Vec::new());
    let options = TransactionOptions::default()
        .max_attempts(1_000_000)
        .deadline(DEADLINE)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(20));
    let started = Instant::now();
    let error = transaction(&schema.pool, &options, |conn| {
        attempt_starts
            .lock()
            .expect("attempt_starts lock")
            .push(Instant::now());
        Box::pin(async move {
            sqlx::query(FORCED_SERIALIZATION_FAILURE)
                .execute(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("a transaction that always fails gives up at the deadline");
    let elapsed = started.elapsed();
    assert_eq!(sqlstate(&error).as_deref(), Some("40001"), "{error}");
    let attempt_starts = attempt_starts.into_inner().expect("attempt_starts lock");
    let attempts = attempt_starts.len();
    assert!(attempts > 1, "only {attempts} attempt before the deadline");
    assert!(
        elapsed < DEADLINE + Duration::from_secs(5),
        "gave up only after {elapsed:?}"
    );
    // No attempt starts after the deadline. The deadline counts from the call's start, which is
    // no later than the first body's start. The "retrying" event comes when the backoff sleep
    // has ended and the next attempt starts, and only if that is before the deadline; the body
    // runs later, after the connection is acquired and `BEGIN` has run, which takes as long as
    // the machine makes it take, so a body's start is not the measure. The last retry event's
    // time is, and the sleep it reports ended no later than it.
    let retries: Vec<Fields> = capture
        .events_with_message("retrying")
        .into_iter()
        .filter(|event| event_time(event) >= since_base(started))
        .collect();
    assert_eq!(
        retries.len(),
        attempts - 1,
        "one retry event before each later attempt"
    );
    let last_retry = retries.last().expect("at least one retry");
    for retry in &retries {
        let backoff = parse_duration(&retry["backoff"]);
        assert!(
            backoff <= Duration::from_millis(20),
            "a backoff of {backoff:?} is above max_backoff"
        );
    }
    let last_start_no_earlier_than = event_time(last_retry);
    let deadline_no_later_than = since_base(attempt_starts[0]) + DEADLINE;
    assert!(
        last_start_no_earlier_than < deadline_no_later_than,
        "the last attempt started at {last_start_no_earlier_than:?} or later, after the deadline \
         at {deadline_no_later_than:?} (since the capture began)"
    );
    let span = capture.last_transaction_span();
    assert_eq!(span.get("attempts"), Some(&attempts.to_string()));
    assert_eq!(span.get("outcome").map(String::as_str), Some("deadline"));
    println!("deadline {DEADLINE:?}: {attempts} attempts, gave up after {elapsed:?}");
    schema.drop().await;
}

#[tokio::test]
async fn statement_timeout_cancels_a_slow_statement_and_is_not_retried() {
    let schema = fresh_schema().await;
    // One connection, so the next transaction runs on the same session as the timed-out one.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*schema.pool.connect_options()).clone())
        .await
        .expect("a one-connection pool");

    let calls = AtomicU32::new(0);
    let options = TransactionOptions::default().statement_timeout(Some(Duration::from_millis(100)));
    let started = Instant::now();
    let error = transaction(&pool, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("SELECT pg_sleep(5)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("the statement times out");
    let elapsed = started.elapsed();
    assert_eq!(sqlstate(&error).as_deref(), Some("57014"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");

    // The timeout was local to that transaction.
    let setting = transaction(&pool, &TransactionOptions::default(), |conn| {
        Box::pin(async move {
            sqlx::query_scalar::<_, String>("SHOW statement_timeout")
                .fetch_one(&mut *conn)
                .await
        })
    })
    .await
    .expect("SHOW statement_timeout");
    assert_eq!(setting.value, "0");
    pool.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn transactions_run_at_the_requested_isolation_and_mode() {
    let schema = fresh_schema().await;
    let show = |options: TransactionOptions| {
        let pool = schema.pool.clone();
        async move {
            transaction(&pool, &options, |conn| {
                Box::pin(async move {
                    let isolation: String = sqlx::query_scalar("SHOW transaction_isolation")
                        .fetch_one(&mut *conn)
                        .await?;
                    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok::<_, sqlx::Error>((isolation, read_only))
                })
            })
            .await
            .expect("SHOW inside the transaction")
            .value
        }
    };
    let owned = |(isolation, read_only): (&str, &str)| (isolation.to_owned(), read_only.to_owned());

    assert_eq!(
        show(TransactionOptions::default()).await,
        owned(("serializable", "off"))
    );
    assert_eq!(
        show(TransactionOptions::default().isolation(IsolationLevel::RepeatableRead)).await,
        owned(("repeatable read", "off"))
    );
    assert_eq!(
        show(TransactionOptions::default().isolation(IsolationLevel::ReadCommitted)).await,
        owned(("read committed", "off"))
    );
    assert_eq!(
        show(TransactionOptions::default().read_only(true)).await,
        owned(("serializable", "on"))
    );

    // A write in a read-only transaction fails (25006) and is not retried.
    execute(
        &schema.pool,
        "CREATE TABLE payments (id bigint PRIMARY KEY)",
    )
    .await;
    let calls = AtomicU32::new(0);
    let error = transaction(
        &schema.pool,
        &TransactionOptions::default().read_only(true),
        |conn| {
            calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                sqlx::query("INSERT INTO payments VALUES (1)")
                    .execute(&mut *conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })
        },
    )
    .await
    .expect_err("a write in a read-only transaction fails");
    assert_eq!(sqlstate(&error).as_deref(), Some("25006"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    schema.drop().await;
}

/// The `tracing` records of one test: its events and the fields of its `transaction` spans.
///
/// `tracing` caches per call site whether anyone listens, and with a thread-local default
/// subscriber that cache can be filled from another test's thread, which has none. So one
/// [`Router`] is the global subscriber and hands each record to the [`Capture`] installed on the
/// current thread, if any. Use it from a current-thread runtime, where every task of the test
/// runs on the test's thread.
#[derive(Clone, Default)]
struct Capture {
    inner: Arc<CaptureInner>,
}

#[derive(Default)]
struct CaptureInner {
    events: Mutex<Vec<Fields>>,
    /// Fields of the `transaction` spans, by span id, in creation order.
    spans: Mutex<BTreeMap<u64, Fields>>,
}

type Fields = BTreeMap<String, String>;

thread_local! {
    static THREAD_CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

/// Removes the thread's [`Capture`] when dropped.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        THREAD_CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

impl Capture {
    fn install() -> (Self, CaptureGuard) {
        static ROUTER: Once = Once::new();
        ROUTER.call_once(|| {
            tracing::subscriber::set_global_default(Router::default())
                .expect("no other global tracing subscriber in this test binary");
        });
        BASE.get_or_init(Instant::now);
        let capture = Self::default();
        THREAD_CAPTURE.with(|slot| *slot.borrow_mut() = Some(capture.clone()));
        (capture, CaptureGuard)
    }

    fn on_thread<R>(action: impl FnOnce(&Capture) -> R) -> Option<R> {
        THREAD_CAPTURE.with(|slot| slot.borrow().as_ref().map(action))
    }

    /// Events of money_sqlx whose message contains `needle`.
    fn events_with_message(&self, needle: &str) -> Vec<Fields> {
        self.inner
            .events
            .lock()
            .expect("events lock")
            .iter()
            .filter(|event| {
                event
                    .get("target")
                    .is_some_and(|target| target.starts_with("money_sqlx"))
                    && event
                        .get("message")
                        .is_some_and(|message| message.contains(needle))
            })
            .cloned()
            .collect()
    }

    fn last_transaction_span(&self) -> Fields {
        self.inner
            .spans
            .lock()
            .expect("spans lock")
            .last_key_value()
            .map(|(_, fields)| fields.clone())
            .expect("a transaction span was recorded")
    }
}

/// The instant the captures count from (set when the first [`Capture`] is installed).
static BASE: OnceLock<Instant> = OnceLock::new();

/// `instant` as time since [`BASE`] (zero before it).
fn since_base(instant: Instant) -> Duration {
    instant.saturating_duration_since(*BASE.get_or_init(Instant::now))
}

/// When a captured event was recorded, since [`BASE`].
fn event_time(event: &Fields) -> Duration {
    Duration::from_nanos(event["at_ns"].parse().expect("at_ns is a number"))
}

/// A `Duration` from its `Debug` text (`850µs`, `1.25ms`, `2s`, `12ns`).
fn parse_duration(text: &str) -> Duration {
    let split = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or_else(|| panic!("a duration with a unit: {text}"));
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("a duration: {text}"));
    let seconds = match unit {
        "s" => number,
        "ms" => number / 1e3,
        "µs" => number / 1e6,
        "ns" => number / 1e9,
        _ => panic!("unknown unit in {text}"),
    };
    Duration::from_secs_f64(seconds)
}

struct FieldVisitor<'a>(&'a mut Fields);

impl tracing::field::Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// The global subscriber: gives every span a process-wide id and passes records to the current
/// thread's [`Capture`].
#[derive(Default)]
struct Router {
    next_span: AtomicU64,
}

impl tracing::Subscriber for Router {
    fn enabled(&self, _metadata: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.next_span.fetch_add(1, Ordering::SeqCst) + 1;
        let metadata = attributes.metadata();
        if metadata.name() == "transaction" && metadata.target().starts_with("money_sqlx") {
            Capture::on_thread(|capture| {
                let mut fields = Fields::new();
                attributes.record(&mut FieldVisitor(&mut fields));
                capture
                    .inner
                    .spans
                    .lock()
                    .expect("spans lock")
                    .insert(id, fields);
            });
        }
        tracing::span::Id::from_u64(id)
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        Capture::on_thread(|capture| {
            if let Some(fields) = capture
                .inner
                .spans
                .lock()
                .expect("spans lock")
                .get_mut(&span.into_u64())
            {
                values.record(&mut FieldVisitor(fields));
            }
        });
    }

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        Capture::on_thread(|capture| {
            let mut fields = Fields::new();
            fields.insert("target".to_owned(), event.metadata().target().to_owned());
            fields.insert("level".to_owned(), event.metadata().level().to_string());
            fields.insert(
                "at_ns".to_owned(),
                since_base(Instant::now()).as_nanos().to_string(),
            );
            event.record(&mut FieldVisitor(&mut fields));
            capture
                .inner
                .events
                .lock()
                .expect("events lock")
                .push(fields);
        });
    }

    fn enter(&self, _span: &tracing::span::Id) {}

    fn exit(&self, _span: &tracing::span::Id) {}
}
