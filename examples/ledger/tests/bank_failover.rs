//! The bank workload on a PostgreSQL primary with a synchronous standby
//! (`money_tests::pg_replica`): 8 workers move money between 8 accounts with
//! `money_ledger::Ledger` on a cluster pool (`money_sqlx::cluster`), and
//! mid-run the primary is SIGKILLed and the standby promoted, as a failover
//! manager would. `money_sqlx::transaction` retries the transfers that
//! failed before their COMMIT was sent on the new primary (rerouting the
//! pool), and reports a transfer whose COMMIT answer was lost as
//! `OutcomeUnknown`, resolved afterwards by resubmitting the same id. Then
//! `support::bank::check` compares what the clients saw with what the new
//! primary holds: every transfer acknowledged ok (before the kill or after)
//! is there, once, and every invariant holds.
//!
//! About 30 s (`BANK_SECONDS` sets the run, 20 s by default; the kill comes
//! at a quarter of it). Prints its counts on stderr:
//!
//! ```text
//! cargo test -p money-ledger --test bank_failover
//! ```

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use money_ledger::{Ledger, LedgerError, minimum_balance};
use money_sqlx::cluster::{HostAddr, PgCluster};
use money_tests::dec;
use money_tests::pg_replica::ReplicaPair;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use support::bank::{
    History, Merged, Workload, check, load_state, open_bank, resolve, run_length, worker,
};
use tokio::time::timeout;

const SEED: u64 = 0xFA11_0BE2_2026;
const ACCOUNTS: i64 = 8;
const WORKERS: usize = 8;
const INITIAL_BALANCE: &str = "1000.00";
const MAX_AMOUNT_CENTS: i64 = 20_000;
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// What the workers share.
const WORKLOAD: Workload = Workload {
    seed: SEED,
    accounts: ACCOUNTS,
    max_cents: MAX_AMOUNT_CENTS,
    limit: OPERATION_TIMEOUT,
    failure_reason,
};
const RESOLVE_TRIES: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_workload_survives_a_primary_kill_and_promotion() {
    let run = run_length(20, 4);
    match timeout(run + Duration::from_secs(180), run_bank(run)).await {
        Ok(()) => {}
        Err(_) => panic!("the failover bank test did not finish in time: something hangs"),
    }
}

async fn run_bank(run: Duration) {
    let pair = ReplicaPair::start().await;
    let url = ReplicaPair::read_write_url([pair.primary_port, pair.standby_port]);
    let cluster = url
        .parse::<PgCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(15))
        .with_connect_timeout(Duration::from_secs(2));
    let pool = cluster
        .connect_with(
            PgPoolOptions::new()
                .max_connections(WORKERS as u32)
                .acquire_timeout(Duration::from_secs(3)),
        )
        .await
        .expect("a pool on the primary");
    let options = Ledger::default_options().deadline(Duration::from_secs(25));
    let ledger = Ledger::on_cluster(pool.clone(), options.clone());
    let initial = open_bank(&ledger, ACCOUNTS, "USD", dec(INITIAL_BALANCE)).await;
    report!(
        "bank_failover: seed {SEED:#x}, {ACCOUNTS} accounts of {INITIAL_BALANCE}, {WORKERS} workers \
         for {run:?} on a primary (port {}) with a synchronous standby (port {}); the primary is \
         SIGKILLed at {:?} and the standby promoted; transactions {:?}, up to {} attempts, deadline {:?}",
        pair.primary_port,
        pair.standby_port,
        run / 4,
        options.get_isolation(),
        options.get_max_attempts(),
        options.get_deadline(),
    );

    let started = Instant::now();
    let stop = started + run;
    let mut workers = Vec::with_capacity(WORKERS);
    for index in 0..WORKERS {
        let ledger = ledger.clone();
        workers.push(tokio::spawn(worker(index, ledger, stop, WORKLOAD)));
    }
    tokio::time::sleep(run / 4).await;
    let killed_at = Instant::now();
    pair.kill_primary();
    pair.promote_standby();
    let promoted_at = Instant::now();
    let promoted_after = promoted_at.duration_since(killed_at);

    let mut history = History {
        initial,
        minimum: minimum_balance().expect("a declared minimum"),
        ..History::default()
    };
    let mut merged = Merged::default();
    // Acknowledged before the kill; between the kill and the end of the promotion (answers the
    // old primary sent before it died, read late); after the promotion (only the new primary
    // can have answered them).
    let (mut before_kill, mut during, mut after_kill) = (0, 0, 0);
    let mut first_after_kill: Option<Duration> = None;
    for handle in workers {
        let log = handle.await.expect("worker task");
        for at in &merged.absorb(&mut history, log) {
            if *at < killed_at {
                before_kill += 1;
            } else if *at < promoted_at {
                during += 1;
            } else {
                after_kill += 1;
                let since = at.duration_since(killed_at);
                first_after_kill = Some(first_after_kill.map_or(since, |first| first.min(since)));
            }
        }
    }
    let Merged {
        unknown,
        failure_reasons,
        retries,
        mut violations,
    } = merged;
    let elapsed = started.elapsed();
    let (ok_in_run, failed_in_run) = (history.ok.len(), history.failed.len());

    // The pool is on the new primary now; resolve the unknown outcomes there.
    assert_eq!(
        pool.current_host(),
        HostAddr::new("127.0.0.1", pair.standby_port),
        "the pool follows the promotion"
    );
    let resolution = resolve(
        &ledger,
        &unknown,
        RESOLVE_TRIES,
        OPERATION_TIMEOUT,
        &mut history,
        &mut violations,
    )
    .await;

    // The final state, read on the new primary itself.
    let mut new_primary = PgConnection::connect(&pair.standby_url())
        .await
        .expect("a connection to the new primary");
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut new_primary)
        .await
        .expect("BEGIN");
    let state = load_state(&mut new_primary).await.expect("the final state");
    sqlx::raw_sql("COMMIT")
        .execute(&mut new_primary)
        .await
        .expect("COMMIT");
    violations.extend(check(&history, &state));

    let attempted = ok_in_run + failed_in_run + unknown.len();
    report!(
        "bank_failover: {attempted} transfers in {:.1} s, {retries} retries of booked transfers \
         (serialization conflicts and the failover together)",
        elapsed.as_secs_f64()
    );
    report!(
        "bank_failover: outcomes: {ok_in_run} ok ({before_kill} acknowledged before the kill, \
         {during} between the kill and the end of the promotion, {after_kill} after it), \
         {failed_in_run} failed (rolled back), {} unknown",
        unknown.len()
    );
    for (reason, count) in &failure_reasons {
        report!("bank_failover:   failed: {count} {reason}");
    }
    report!("bank_failover:   {resolution}");
    report!(
        "bank_failover: fault: 1 primary SIGKILL, standby promoted {:.2} s after it; first transfer \
         acknowledged after the promotion (so by the new primary) {} after the kill",
        promoted_after.as_secs_f64(),
        first_after_kill.map_or_else(
            || "never".to_owned(),
            |first| format!("{:.2} s", first.as_secs_f64())
        )
    );
    report!(
        "bank_failover: final state on the new primary: {state}; {} violation(s)",
        violations.len()
    );

    assert!(
        violations.is_empty(),
        "bank invariants broken on the new primary:\n{}",
        violations.join("\n")
    );
    assert_eq!(
        resolution.unresolved, 0,
        "unknown transfers left unresolved"
    );
    assert!(before_kill > 0, "nothing was booked before the kill");
    assert!(after_kill > 0, "nothing was booked on the new primary");
    pool.pool().close().await;
}

fn failure_reason(error: &LedgerError) -> String {
    match error {
        LedgerError::BelowMinimum { constraint, .. } => {
            format!("refused by {constraint} (insufficient funds)")
        }
        other => format!("{other}"),
    }
}
