//! The bank workload, Jepsen style, against a real PostgreSQL: 16 workers
//! move money between 8 accounts with `money_ledger::Ledger::transfer` and
//! read all balances, while a fault task terminates their backends
//! (`pg_terminate_backend`) and cancels their statements
//! (`pg_cancel_backend`) at random moments, and half of the workers go
//! through a proxy that the fault task arms to cut a connection right after
//! the server answered its `COMMIT` (`money_tests::proxy`). Every transfer ends ok, failed
//! (rolled back) or unknown (the connection died at commit, or the call
//! timed out); unknown ones are resolved afterwards by resubmitting the same
//! transfer id. Then `support::bank::check` compares what the clients
//! saw with what the database holds (see there for the invariants);
//! `bank_checker.rs` shows that each of those checks fails on a state that
//! breaks it.
//!
//! Time bounds the run (30 s by default); nothing about time is asserted.
//! The random choices (accounts, amounts, operations, fault pauses and
//! targets) come from a fixed seed; the interleaving is the scheduler's.
//! `BANK_SEED` and `BANK_SECONDS` override seed and duration. The run prints
//! its parameters and results on stderr, even under `cargo test`'s capture:
//!
//! ```text
//! cargo test -p money-ledger --test bank
//! ```

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use money_ledger::{Ledger, LedgerError, Receipt, minimum_balance};
use money_sqlx::{Retryable, TransactionOptions, transaction};
use money_tests::dec;
use money_tests::faults::{self, FaultPlan};
use money_tests::pg::{database_url, fresh_schema};
use money_tests::proxy::CommitCutter;
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use support::bank::{
    History, Outcome, Submitted, check, load_state, open_bank, resolve, run_length, submit_fresh,
};
use tokio::time::timeout;

const DEFAULT_SEED: u64 = 0x0B4D_5EED_2025;
const DEFAULT_SECONDS: u64 = 30;
const ACCOUNTS: i64 = 8;
const WORKERS: usize = 16;
const INITIAL_BALANCE: &str = "1000.00";
const CURRENCY: &str = "USD";
/// Transfer amounts: 0.01 to 200.00, in cents.
const MAX_AMOUNT_CENTS: i64 = 20_000;
/// Of 100 operations: this many reads, this many resubmissions of a booked
/// transfer (half with its payload, half with another), the rest transfers.
const READ_PERCENT: u32 = 15;
const RESUBMIT_PERCENT: u32 = 10;
/// Faults every 5 to 60 ms: 20% arm the commit cutter (for the workers
/// behind the proxy), 35% terminate a backend, the others cancel a running
/// statement.
const FAULTS: FaultPlan = FaultPlan {
    pause_ms: (5, 60),
    cut_percent: 20,
    terminate_percent: 35,
};
/// Bound on every single client operation; an operation that runs out is
/// dropped, and a transfer whose outcome is then unknown is resolved later.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a worker waits for its connection.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);
/// Resubmissions of an unknown transfer before giving up on it.
const RESOLVE_TRIES: usize = 5;
/// Setup, draining, resolution and checks together stay under this (on top
/// of the run itself); beyond it the test fails as a hang.
const OVERHEAD_BOUND: Duration = Duration::from_secs(180);

struct Parameters {
    seed: u64,
    run: Duration,
}

impl Parameters {
    fn from_env() -> Self {
        Self {
            seed: std::env::var("BANK_SEED")
                .ok()
                .and_then(|value| value.trim().parse::<u64>().ok())
                .unwrap_or(DEFAULT_SEED),
            run: run_length(DEFAULT_SECONDS, 1),
        }
    }
}

/// What one worker saw.
#[derive(Default)]
struct WorkerLog {
    ok: Vec<(i64, Submitted)>,
    failed: Vec<(i64, String)>,
    unknown: Vec<(i64, Submitted)>,
    reads: Vec<Vec<(i64, Decimal)>>,
    read_failures: usize,
    retries: u64,
    replays: usize,
    conflicts: usize,
    resubmissions_interrupted: usize,
    violations: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_workload_under_killed_connections_keeps_every_invariant() {
    let parameters = Parameters::from_env();
    let bound = parameters.run + OVERHEAD_BOUND;
    match timeout(bound, run_bank(&parameters)).await {
        Ok(()) => {}
        Err(_) => panic!("the bank test did not finish within {bound:?}: something hangs"),
    }
}

async fn run_bank(parameters: &Parameters) {
    let schema = fresh_schema().await;
    let admin = Ledger::new(schema.pool.clone());
    let initial = open_bank(&admin, ACCOUNTS, CURRENCY, dec(INITIAL_BALANCE)).await;
    let minimum = minimum_balance().expect("Account declares a minimum balance");
    let prefix = format!("bank_{}_w", schema.name);
    let worker_options = Ledger::default_options();
    report!(
        "bank: seed {:#x}, {ACCOUNTS} accounts of {INITIAL_BALANCE} {CURRENCY} (minimum {minimum}), \
         {WORKERS} workers for {:?}, operations {}% reads / {}% resubmissions / {}% transfers of \
         0.01..={}.00, faults every {}..={} ms ({}% cut a connection after COMMIT \
         (the odd workers connect through the cutting proxy), {}% \
         pg_terminate_backend, the rest pg_cancel_backend), per-operation timeout {OPERATION_TIMEOUT:?}, transactions: {:?} \
         up to {} attempts, deadline {:?}, statement timeout {:?}",
        parameters.seed,
        parameters.run,
        READ_PERCENT,
        RESUBMIT_PERCENT,
        100 - READ_PERCENT - RESUBMIT_PERCENT,
        MAX_AMOUNT_CENTS / 100,
        FAULTS.pause_ms.0,
        FAULTS.pause_ms.1,
        FAULTS.cut_percent,
        FAULTS.terminate_percent,
        worker_options.get_isolation(),
        worker_options.get_max_attempts(),
        worker_options.get_deadline(),
        worker_options.get_statement_timeout(),
    );

    let connect_options: PgConnectOptions = database_url().parse().expect("database URL");
    let connect_options = connect_options.options([("search_path", schema.name.as_str())]);
    let cutter = CommitCutter::start(&connect_options).await;
    let started = Instant::now();
    let stop = started + parameters.run;
    let mut pools = Vec::with_capacity(WORKERS);
    let mut workers = Vec::with_capacity(WORKERS);
    for index in 0..WORKERS {
        // One connection per worker, tagged so that the fault task can find
        // it; the pool reconnects after a kill (it tests a connection before
        // handing it out). Odd workers go through the cutting proxy.
        let options = if index % 2 == 1 {
            cutter.client_options(&connect_options)
        } else {
            connect_options.clone()
        };
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(CONTROL_TIMEOUT)
            .connect_lazy_with(options.application_name(&format!("{prefix}{index}")));
        pools.push(pool.clone());
        let ledger = Ledger::with_options(pool, worker_options.clone());
        let seed = worker_seed(parameters.seed, index);
        workers.push(tokio::spawn(worker(index, ledger, seed, stop)));
    }
    let cutter = std::sync::Arc::new(cutter);
    let faults = tokio::spawn(faults::inject(
        connect_options
            .clone()
            .application_name(&format!("bank_{}_faults", schema.name)),
        prefix.clone(),
        std::sync::Arc::clone(&cutter),
        FAULTS,
        worker_seed(parameters.seed, WORKERS),
        stop,
    ));

    let mut logs = Vec::with_capacity(WORKERS);
    for handle in workers {
        logs.push(handle.await.expect("worker task"));
    }
    let faults = faults.await.expect("fault task");
    let elapsed = started.elapsed();
    for pool in &pools {
        pool.close().await;
    }
    faults::drain_backends(&schema.pool, &prefix).await;
    let cuts_delivered = cutter.cuts();
    drop(cutter);

    // Merge what the workers saw.
    let mut history = History {
        initial,
        minimum,
        ..History::default()
    };
    let mut failure_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut violations = Vec::new();
    let (mut retries, mut read_failures, mut replays, mut conflicts, mut interrupted) =
        (0, 0, 0, 0, 0);
    for log in logs {
        history.ok.extend(log.ok);
        for (transfer_id, reason) in log.failed {
            history.failed.insert(transfer_id);
            *failure_reasons.entry(reason).or_default() += 1;
        }
        unknown.extend(log.unknown);
        history.reads.extend(log.reads);
        read_failures += log.read_failures;
        retries += log.retries;
        replays += log.replays;
        conflicts += log.conflicts;
        interrupted += log.resubmissions_interrupted;
        violations.extend(log.violations);
    }
    let ok_in_run = history.ok.len();
    let failed_in_run = history.failed.len();

    // Resolve unknown outcomes: resubmit the same transfer, with no faults.
    let resolution = resolve(
        &admin,
        &unknown,
        RESOLVE_TRIES,
        OPERATION_TIMEOUT,
        &mut history,
        &mut violations,
    )
    .await;

    let mut connection = schema.pool.acquire().await.expect("connection");
    execute_on(&mut connection, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    let state = load_state(&mut connection)
        .await
        .expect("read the final state");
    execute_on(&mut connection, "COMMIT").await;
    drop(connection);
    violations.extend(check(&history, &state));

    let seconds = elapsed.as_secs_f64();
    let attempted = ok_in_run + failed_in_run + unknown.len();
    report!(
        "bank: {attempted} transfers in {seconds:.1} s ({:.0} transfers/s submitted, {:.0}/s booked), \
         {retries} retries of booked transfers (serialization failures and lost connections)",
        attempted as f64 / seconds,
        ok_in_run as f64 / seconds,
    );
    report!(
        "bank: outcomes: {ok_in_run} ok, {failed_in_run} failed (rolled back), {} unknown",
        unknown.len()
    );
    for (reason, count) in &failure_reasons {
        report!("bank:   failed: {count} {reason}");
    }
    report!("bank:   {resolution}");
    report!(
        "bank: reads: {} consistent snapshots checked, {read_failures} interrupted; \
         resubmissions: {replays} replays returned the first receipt, {conflicts} changed payloads \
         refused as conflicts, {interrupted} interrupted by faults",
        history.reads.len()
    );
    report!(
        "bank: faults: {} commit cuts armed ({cuts_delivered} connections cut after COMMIT), \
         {} pg_terminate_backend ({} delivered), {} pg_cancel_backend ({} delivered), \
         {} times no worker backend to hit (none active for a cancel), {} fault-task errors",
        faults.cuts_armed,
        faults.terminate_requested,
        faults.terminate_delivered,
        faults.cancel_requested,
        faults.cancel_delivered,
        faults.no_target,
        faults.control_errors
    );
    report!(
        "bank: final state: {state}; {} violation(s)",
        violations.len()
    );

    assert!(
        violations.is_empty(),
        "bank invariants broken (seed {:#x}):\n{}",
        parameters.seed,
        violations.join("\n")
    );
    assert_eq!(
        resolution.unresolved, 0,
        "unknown transfers left unresolved"
    );
    // A run that booked nothing, read nothing or hit nothing proved nothing.
    assert!(ok_in_run > 0, "no transfer was booked");
    assert!(!history.reads.is_empty(), "no read succeeded");
    assert!(
        faults.terminate_delivered + faults.cancel_delivered + cuts_delivered > 0,
        "no fault was delivered"
    );
    schema.drop().await;
}

/// A worker's own seed, derived from the run's.
fn worker_seed(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

async fn worker(index: usize, ledger: Ledger, seed: u64, stop: Instant) -> WorkerLog {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut log = WorkerLog::default();
    let mut booked: Vec<(i64, Submitted, Receipt)> = Vec::new();
    let read_options = TransactionOptions::default()
        .read_only(true)
        .max_attempts(5)
        .deadline(Duration::from_secs(5))
        .statement_timeout(Some(Duration::from_secs(2)));
    let first_id = (index as i64 + 1) * 10_000_000;
    let mut sequence = 0;
    while Instant::now() < stop {
        let roll = rng.u32(0..100);
        if roll < READ_PERCENT {
            match timeout(
                OPERATION_TIMEOUT,
                read_balances(ledger.pool(), &read_options),
            )
            .await
            {
                Ok(Ok(balances)) => log.reads.push(balances),
                _ => log.read_failures += 1,
            }
        } else if roll < READ_PERCENT + RESUBMIT_PERCENT && !booked.is_empty() {
            let (transfer_id, submitted, receipt) = &booked[rng.usize(..booked.len())];
            resubmit(
                &ledger,
                &mut rng,
                *transfer_id,
                submitted,
                receipt,
                &mut log,
            )
            .await;
        } else {
            sequence += 1;
            let transfer_id = first_id + sequence;
            let submitted = Submitted::random(&mut rng, ACCOUNTS, MAX_AMOUNT_CENTS);
            match submit_fresh(&ledger, transfer_id, &submitted, OPERATION_TIMEOUT).await {
                Outcome::Replayed(posted) => log.violations.push(format!(
                    "fresh transfer {transfer_id} reported as a replay: {posted:?}"
                )),
                Outcome::Booked(posted) => {
                    log.retries += u64::from(posted.attempts - 1);
                    log.ok.push((transfer_id, submitted.clone()));
                    booked.push((transfer_id, submitted, posted.receipt));
                }
                Outcome::Unknown => log.unknown.push((transfer_id, submitted)),
                Outcome::Failed(error) => log.failed.push((transfer_id, failure_reason(&error))),
            }
        }
    }
    log
}

/// Sends a booked transfer again: with its payload it must come back as a
/// replay of the first receipt, with another amount as a conflict. An
/// error a fault explains is counted, anything else is a violation.
async fn resubmit(
    ledger: &Ledger,
    rng: &mut fastrand::Rng,
    transfer_id: i64,
    submitted: &Submitted,
    receipt: &Receipt,
    log: &mut WorkerLog,
) {
    let same_payload = rng.bool();
    let amount = if same_payload {
        submitted.amount
    } else {
        submitted.amount + Decimal::new(1, 2)
    };
    let outcome = timeout(
        OPERATION_TIMEOUT,
        ledger.transfer(transfer_id, submitted.from, submitted.to, amount),
    )
    .await;
    let fault = |error: &LedgerError| {
        matches!(
            error,
            LedgerError::OutcomeUnknown { .. } | LedgerError::Database(_)
        )
    };
    match (same_payload, outcome) {
        (true, Ok(Ok(posted))) if posted.replayed && posted.receipt == *receipt => log.replays += 1,
        (false, Ok(Err(LedgerError::IdConflict { existing, .. })))
            if existing.amount == submitted.amount =>
        {
            log.conflicts += 1;
        }
        (_, Err(_)) => log.resubmissions_interrupted += 1,
        (_, Ok(Err(error))) if fault(&error) => log.resubmissions_interrupted += 1,
        (_, other) => log.violations.push(format!(
            "resubmission of booked transfer {transfer_id} ({submitted:?}) with amount {amount}: {other:?}"
        )),
    }
}

/// A short name for why a transfer failed, for the report.
fn failure_reason(error: &LedgerError) -> String {
    match error {
        LedgerError::BelowMinimum { constraint, .. } => {
            format!("refused by {constraint} (insufficient funds)")
        }
        LedgerError::Database(database) if database.is_retryable() => {
            "retry budget spent on serialization failures".to_owned()
        }
        LedgerError::Database(database) => match database.sqlstate().as_deref() {
            Some("57014") => "statement cancelled (57014)".to_owned(),
            Some("57P01") => "connection terminated (57P01)".to_owned(),
            Some(code) => format!("database error {code}"),
            None => match database {
                money_sqlx::Error::Database(sqlx::Error::Io(_)) => {
                    "connection lost (I/O error)".to_owned()
                }
                money_sqlx::Error::Database(sqlx::Error::PoolTimedOut) => {
                    "no connection within the acquire timeout".to_owned()
                }
                other => format!("other: {other}"),
            },
        },
        other => format!("other: {other}"),
    }
}

/// All balances, from one read-only SERIALIZABLE snapshot.
async fn read_balances(
    pool: &PgPool,
    options: &TransactionOptions,
) -> Result<Vec<(i64, Decimal)>, sqlx::Error> {
    let committed = transaction(pool, options, |connection| {
        Box::pin(async move {
            sqlx::query_as::<_, (i64, Decimal)>(
                r#"SELECT "id", "balance" FROM "accounts" ORDER BY "id""#,
            )
            .fetch_all(&mut *connection)
            .await
        })
    })
    .await?;
    Ok(committed.value)
}

async fn execute_on(connection: &mut PgConnection, sql: &'static str) {
    sqlx::raw_sql(sql)
        .execute(&mut *connection)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}
