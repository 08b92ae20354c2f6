//! The bank workload on a three-node MariaDB Galera cluster
//! (`money_tests::galera`): 6 workers move money between 8 accounts with
//! `money_ledger::Ledger<MySql>`, two workers per node, each on a cluster pool
//! (`money_sqlx::cluster`) that starts on its node and passes to the next one
//! when its node goes away. Meanwhile two kinds of faults:
//!
//! - a node is SIGKILLed a quarter into the run; once the two others have
//!   formed a cluster without it (and booked transfers as a cluster of two
//!   for 3 s), it is restarted and rejoins by incremental state transfer
//!   (IST), checked in its log;
//! - throughout the run, a nemesis kills the workers' connections from
//!   another session (`KILL CONNECTION`), on every running node, busy ones
//!   first.
//!
//! Transfers that conflict across nodes fail certification (`1213`) and are
//! retried by `money_sqlx::transaction`; those whose COMMIT answer was lost
//! are `OutcomeUnknown`, resolved afterwards by resubmitting the same id.
//! Once the faults stop and the cluster is synced, the state is read on each
//! of the three nodes: all three must be equal, and
//! `support::bank::check` must find every invariant holding on each.
//!
//! About 30 s (`BANK_SECONDS` sets the run, 20 s by default). Prints its
//! counts on stderr, past the harness's capture:
//!
//! ```text
//! cargo test -p money-ledger --test bank_galera
//! ```

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use money_ledger::{Ledger, LedgerDatabase, LedgerError, minimum_balance};
use money_sqlx::cluster::MySqlCluster;
use money_tests::dec;
use money_tests::galera::{self, Galera, NODES};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, Connection, MySql, MySqlConnection, MySqlPool};
use support::bank::{
    History, Merged, State, Workload, check, load_state, open_bank, resolve, run_length, worker,
};
use tokio::time::timeout;

const SEED: u64 = 0x6A1E_2A00_2026;
const ACCOUNTS: i64 = 8;
const WORKERS: usize = 6;
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
/// The node SIGKILLed and restarted.
const KILLED_NODE: usize = 1;
/// How long it stays down once the two others have formed a cluster without
/// it.
const DOWN_FOR: Duration = Duration::from_secs(3);

/// What the connection killer did.
#[derive(Default)]
struct Kills {
    /// Connections killed while running a statement.
    busy: u64,
    /// Idle connections of the workers' pools killed (none was busy).
    idle: u64,
    /// Rounds that found no connection of the workers to kill.
    none: u64,
    /// KILLs that failed (the connection had gone, the node was leaving).
    failed: u64,
    /// The first failure, for the report.
    first_failure: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_workload_on_galera_survives_a_node_kill_and_killed_connections() {
    let run = run_length(20, 8);
    match timeout(run + Duration::from_secs(300), run_bank(run)).await {
        Ok(()) => {}
        Err(_) => panic!("the Galera bank test did not finish in time: something hangs"),
    }
}

/// A pool on `node` whose sessions wait, before each statement, until the
/// node has applied every write set committed before it anywhere in the
/// cluster (`wsrep_sync_wait`): reads there see what other nodes committed.
async fn causal_pool(galera: &Galera, node: usize, database: &str) -> MySqlPool {
    let options: MySqlConnectOptions = galera.url(node, database).parse().expect("node URL");
    MySqlPoolOptions::new()
        .max_connections(2)
        .after_connect(|connection, _| {
            Box::pin(async move {
                sqlx::raw_sql("SET SESSION wsrep_sync_wait = 15")
                    .execute(connection)
                    .await
                    .map(|_| ())
            })
        })
        .connect_with(options.pipes_as_concat(false))
        .await
        .unwrap_or_else(|error| panic!("a pool on node {node}: {error}"))
}

async fn run_bank(run: Duration) {
    let galera = galera::cluster().await;
    let _faults = galera.faults().write().await;
    let database = galera.fresh_database().await;
    let options = <MySql as LedgerDatabase>::default_options().deadline(Duration::from_secs(25));

    let setup_pool = causal_pool(galera, 0, &database).await;
    let setup = Ledger::with_options(setup_pool.clone(), options.clone());
    let initial = open_bank(&setup, ACCOUNTS, "USD", dec(INITIAL_BALANCE)).await;
    // Every node has the accounts before the workers start.
    for node in 0..NODES {
        let pool = causal_pool(galera, node, &database).await;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&pool)
            .await
            .expect("count accounts");
        assert_eq!(count, ACCOUNTS, "node {node}");
        pool.close().await;
    }
    report!(
        "bank_galera: seed {SEED:#x}, {ACCOUNTS} accounts of {INITIAL_BALANCE}, {WORKERS} workers \
         ({} per node, each on a cluster pool starting on its node) for {run:?} on a {NODES}-node \
         Galera cluster (client ports {:?}); node {KILLED_NODE} is SIGKILLed at {:?} and restarted \
         {DOWN_FOR:?} after the two others formed a cluster without it; connections killed \
         throughout; transactions {:?}, up to {} attempts, \
         deadline {:?}",
        WORKERS / NODES,
        galera.client_ports(),
        run / 4,
        options.get_isolation(),
        options.get_max_attempts(),
        options.get_deadline(),
    );

    let started = Instant::now();
    let stop = started + run;
    let mut workers = Vec::with_capacity(WORKERS);
    let mut pools = Vec::with_capacity(WORKERS);
    for index in 0..WORKERS {
        let node = index % NODES;
        let order: Vec<usize> = (0..NODES).map(|step| (node + step) % NODES).collect();
        let cluster = galera
            .multi_host_url(&order, &database)
            .parse::<MySqlCluster>()
            .expect("valid URL")
            .with_wait(Duration::from_secs(15))
            .with_connect_timeout(Duration::from_secs(2));
        let pool = cluster
            .connect_with(
                MySqlPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(3)),
            )
            .await
            .unwrap_or_else(|error| panic!("a cluster pool from node {node}: {error}"));
        pools.push(pool.pool().clone());
        let ledger = Ledger::on_cluster(pool, options.clone());
        workers.push(tokio::spawn(worker(index, ledger, stop, WORKLOAD)));
    }
    let node_down = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn(kill_connections(
        galera,
        database.clone(),
        Arc::clone(&node_down),
        stop,
    ));

    tokio::time::sleep(run / 4).await;
    node_down.store(true, Ordering::SeqCst);
    let killed_at = Instant::now();
    galera.kill(KILLED_NODE);
    // The two others notice (after `evs.suspect_timeout`) and go on as a
    // cluster of two; the node stays down a while longer.
    galera
        .wait_synced()
        .await
        .expect("the two other nodes form a cluster");
    let reformed_at = Instant::now();
    tokio::time::sleep(DOWN_FOR).await;
    let log_before = galera.log(KILLED_NODE).len();
    let restarting_at = Instant::now();
    galera.restart(KILLED_NODE).await;
    let rejoined_in = restarting_at.elapsed();
    node_down.store(false, Ordering::SeqCst);
    let rejoin_log = galera.log(KILLED_NODE);
    let rejoined_by_ist = rejoin_log
        .get(log_before..)
        .unwrap_or_default()
        .contains("IST received");

    let mut history = History {
        initial,
        minimum: minimum_balance().expect("a declared minimum"),
        ..History::default()
    };
    let mut merged = Merged::default();
    let (mut before_kill, mut reforming, mut while_down, mut rejoining) = (0, 0, 0, 0);
    let mut after_rejoin = 0;
    let rejoined_at = restarting_at + rejoined_in;
    for handle in workers {
        let log = handle.await.expect("worker task");
        for at in &merged.absorb(&mut history, log) {
            if *at < killed_at {
                before_kill += 1;
            } else if *at < reformed_at {
                reforming += 1;
            } else if *at < restarting_at {
                while_down += 1;
            } else if *at < rejoined_at {
                rejoining += 1;
            } else {
                after_rejoin += 1;
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
    let kills = killer.await.expect("connection killer");
    for pool in pools {
        pool.close().await;
    }
    let (ok_in_run, failed_in_run) = (history.ok.len(), history.failed.len());

    // The faults are over: the cluster must come back whole.
    galera.wait_synced().await.expect("the cluster syncs");

    // Unknown outcomes, resolved by resubmitting the same id (on node 0).
    let resolution = resolve(
        &setup,
        &unknown,
        RESOLVE_TRIES,
        OPERATION_TIMEOUT,
        &mut history,
        &mut violations,
    )
    .await;
    setup_pool.close().await;

    // Galera's own counters of lost conflicts (the killed node's restart
    // reset its own).
    let (mut cert_failures, mut bf_aborts) = (0_u64, 0_u64);
    for node in 0..NODES {
        let counter = |value: Option<String>| -> u64 {
            value.and_then(|value| value.parse().ok()).unwrap_or(0)
        };
        cert_failures += counter(galera.status(node, "wsrep_local_cert_failures").await);
        bf_aborts += counter(galera.status(node, "wsrep_local_bf_aborts").await);
    }

    // The final state, read on each node.
    let mut states: Vec<State> = Vec::with_capacity(NODES);
    for node in 0..NODES {
        let state = node_state(galera, node, &database).await;
        for violation in check(&history, &state) {
            violations.push(format!("node {node}: {violation}"));
        }
        states.push(state);
    }
    for node in 1..NODES {
        let (first, other) = (&states[0], &states[node]);
        if first.accounts != other.accounts {
            violations.push(format!(
                "node {node}'s balances differ from node 0's: {:?} against {:?}",
                other.accounts, first.accounts
            ));
        }
        if first.transfers != other.transfers {
            violations.push(format!(
                "node {node} holds {} transfers, node 0 {}, or their payloads differ",
                other.transfers.len(),
                first.transfers.len()
            ));
        }
        if first.entries != other.entries {
            violations.push(format!(
                "node {node} holds {} journal entries, node 0 {}, or they differ",
                other.entries.len(),
                first.entries.len()
            ));
        }
    }

    let attempted = ok_in_run + failed_in_run + unknown.len();
    report!(
        "bank_galera: {attempted} transfers in {:.1} s, {retries} retries of booked transfers \
         (certification conflicts, deadlocks, killed connections and the node kill together)",
        elapsed.as_secs_f64()
    );
    report!(
        "bank_galera: outcomes: {ok_in_run} ok ({before_kill} acknowledged before the node kill, \
         {reforming} before the two others had formed a cluster without it, {while_down} \
         while they ran as a cluster of two, {rejoining} while node {KILLED_NODE} rejoined, \
         {after_rejoin} after it rejoined), {failed_in_run} failed (rolled back), {} unknown",
        unknown.len()
    );
    for (reason, count) in &failure_reasons {
        report!("bank_galera:   failed: {count} {reason}");
    }
    report!("bank_galera:   {resolution}");
    report!(
        "bank_galera: faults: node {KILLED_NODE} SIGKILLed once, the two others a cluster of two \
         {:.2} s after the kill, node {KILLED_NODE} down {:.1} s more, rejoined {} in {:.2} s after \
         its restart; connections killed: {} busy, {} idle ({} rounds found none, {} \
         KILLs failed{})",
        reformed_at.duration_since(killed_at).as_secs_f64(),
        DOWN_FOR.as_secs_f64(),
        if rejoined_by_ist {
            "by IST"
        } else {
            "NOT by IST"
        },
        rejoined_in.as_secs_f64(),
        kills.busy,
        kills.idle,
        kills.none,
        kills.failed,
        kills
            .first_failure
            .as_deref()
            .map_or_else(String::new, |error| format!(", the first: {error}"))
    );
    report!(
        "bank_galera: Galera counters, summed over the nodes: {cert_failures} local certification \
         failures, {bf_aborts} local transactions aborted by a replicated one (brute-force aborts)"
    );
    report!(
        "bank_galera: final state on each of the {NODES} nodes: {}; {} violation(s)",
        states[0],
        violations.len()
    );

    assert!(
        violations.is_empty(),
        "bank invariants broken on the Galera cluster:\n{}",
        violations.join("\n")
    );
    assert_eq!(
        resolution.unresolved, 0,
        "unknown transfers left unresolved"
    );
    assert!(
        rejoined_by_ist,
        "node {KILLED_NODE} did not rejoin by IST; its log since the restart:\n{}",
        rejoin_log.get(log_before..).unwrap_or_default()
    );
    assert!(before_kill > 0, "nothing was booked before the node kill");
    assert!(
        while_down > 0,
        "nothing was booked while the two other nodes ran without node {KILLED_NODE}"
    );
    assert!(
        kills.busy + kills.idle > 0,
        "the nemesis killed no connection"
    );
}

/// The ledger's tables on `node`, read in one snapshot after the node has
/// applied everything committed before the read.
async fn node_state(galera: &Galera, node: usize, database: &str) -> State {
    let mut connection = galera.connect(node, database).await;
    sqlx::raw_sql(
        "SET SESSION wsrep_sync_wait = 15;
         SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
         START TRANSACTION READ ONLY",
    )
    .execute(&mut connection)
    .await
    .unwrap_or_else(|error| panic!("a snapshot on node {node}: {error}"));
    let state = load_state(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("the state on node {node}: {error}"));
    sqlx::raw_sql("COMMIT")
        .execute(&mut connection)
        .await
        .expect("COMMIT");
    let _ = connection.close().await;
    state
}

/// A failure, by kind: the refusal's constraint, or the database's error
/// number and message (without the connection ids and values that vary).
fn failure_reason(error: &LedgerError) -> String {
    match error {
        LedgerError::BelowMinimum { constraint, .. } => {
            format!("refused by {constraint} (insufficient funds)")
        }
        other => {
            let text = other.to_string();
            let kind: String = text
                .chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .take(120)
                .collect();
            kind
        }
    }
}

/// Until `stop`: every 150-450 ms, on a running node chosen at random, kills
/// one connection of the workers (in `database`): one running a statement
/// if there is one, else an idle one. Never touches the node that is down.
async fn kill_connections(
    galera: &'static Galera,
    database: String,
    node_down: Arc<AtomicBool>,
    stop: Instant,
) -> Kills {
    let mut rng = fastrand::Rng::with_seed(SEED.rotate_left(17));
    let mut kills = Kills::default();
    while Instant::now() < stop {
        tokio::time::sleep(Duration::from_millis(rng.u64(150..450))).await;
        let node = rng.usize(0..NODES);
        if node == KILLED_NODE && node_down.load(Ordering::SeqCst) {
            continue;
        }
        let attempt = async {
            let options: MySqlConnectOptions = galera.url(node, "mysql").parse()?;
            let mut control = MySqlConnection::connect_with(&options).await?;
            let candidates: Vec<(i64, String)> = sqlx::query_as(
                "SELECT ID, COMMAND FROM information_schema.PROCESSLIST
                 WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND IN ('Query', 'Sleep')",
            )
            .bind(&database)
            .fetch_all(&mut control)
            .await?;
            let busy: Vec<i64> = candidates
                .iter()
                .filter(|(_, command)| command == "Query")
                .map(|(id, _)| *id)
                .collect();
            let (pick, was_busy) = if busy.is_empty() {
                match candidates.first() {
                    Some((id, _)) => (*id, false),
                    None => {
                        let _ = control.close().await;
                        return Ok::<_, sqlx::Error>(None);
                    }
                }
            } else {
                (busy[rng.usize(0..busy.len())], true)
            };
            let killed = sqlx::raw_sql(AssertSqlSafe(format!("KILL CONNECTION {pick}")))
                .execute(&mut control)
                .await;
            let _ = control.close().await;
            Ok(Some((was_busy, killed.is_ok())))
        };
        match timeout(Duration::from_secs(5), attempt).await {
            Ok(Ok(Some((true, true)))) => kills.busy += 1,
            Ok(Ok(Some((false, true)))) => kills.idle += 1,
            Ok(Ok(None)) => kills.none += 1,
            // The node went away, the connection had ended: nothing killed.
            Ok(Ok(Some((_, false)))) => kills.failed += 1,
            Ok(Err(error)) => {
                kills.failed += 1;
                kills.first_failure.get_or_insert_with(|| error.to_string());
            }
            Err(_) => {
                kills.failed += 1;
                kills
                    .first_failure
                    .get_or_insert_with(|| "no answer within 5 s".to_owned());
            }
        }
    }
    kills
}
