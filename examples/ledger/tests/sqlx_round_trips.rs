//! Round trips per ledger transfer, counted on the wire by a proxy in front
//! of the real server (`money_tests::roundtrips`), against pgbench running
//! the same SQL (`benches/pgbench/transfer.sql`, the script of BENCHMARKS.md
//! section 7) through the same proxy. `Ledger::transfer_on` (through
//! `money_sqlx::transaction_on`) must cost no more round trips than pgbench:
//! `BEGIN` with the statement timeout in one message, no pool ping.
//!
//! Needs `pgbench` (Debian: `postgresql-client`) on `PATH` or beside the
//! server binaries. With a `DATABASE_URL` that needs a password, set
//! `PGPASSWORD` for pgbench too.

mod support;

use std::path::PathBuf;
use std::process::Command;

use money_core::Decimal;
use money_tests::dec;
use money_tests::pg::{count, database_url};
use money_tests::roundtrips::RoundTripCounter;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use support::ledger_with;

/// Accounts 1 to `ACCOUNTS`, in EUR, as `ledger_tps setup` opens them.
const ACCOUNTS: i64 = 10;

/// Where pgbench is: `PATH`, else beside a Debian-style server install.
fn pgbench() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("pgbench"))
        .find(|candidate| candidate.is_file());
    let beside_server = || {
        std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|version| version.path().join("bin/pgbench"))
            .find(|candidate| candidate.is_file())
    };
    on_path.or_else(beside_server).unwrap_or_else(|| {
        panic!("pgbench not found on PATH or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-client)")
    })
}

/// Runs `transactions` transactions of the script with one client through
/// the proxy, ids starting after `first_sequence`, and returns the round
/// trips the proxy counted (connection start-up and statement preparation
/// included).
async fn pgbench_round_trips(
    counter: &RoundTripCounter,
    server: &PgConnectOptions,
    schema: &str,
    transactions: u32,
    first_sequence: u32,
) -> usize {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../benches/pgbench/transfer.sql"
    );
    let before = counter.count();
    let mut command = Command::new(pgbench());
    command
        .args(["-n", "-M", "prepared", "-c", "1", "-j", "1"])
        .arg(format!("--transactions={transactions}"))
        .arg(format!("--define=accounts={ACCOUNTS}"))
        .arg(format!("--define=sequence={first_sequence}"))
        .arg(format!("--file={script}"))
        .arg(format!("--host={}", counter.socket_dir().display()))
        .arg(format!("--port={}", counter.port()))
        .arg(format!("--username={}", server.get_username()))
        .arg(server.get_database().unwrap_or("postgres"))
        .env("PGOPTIONS", format!("-c search_path={schema}"))
        .env("PGSSLMODE", "disable");
    // pgbench blocks its thread; the proxy's tasks run on the others.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("pgbench thread")
        .unwrap_or_else(|error| panic!("cannot run pgbench: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let processed = format!("number of transactions actually processed: {transactions}/");
    assert!(
        stdout.contains(&processed),
        "pgbench did not run {transactions} transactions: {stdout}"
    );
    assert!(
        stdout.contains("number of failed transactions: 0 ")
            && !stdout.contains("number of transactions retried"),
        "pgbench retried or failed: {stdout}"
    );
    counter.count() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_on_a_held_connection_costs_the_round_trips_of_pgbench_running_its_sql() {
    let opening: Vec<(i64, &str, &str)> = (1..=ACCOUNTS).map(|id| (id, "EUR", "1000000")).collect();
    let (schema, ledger) = ledger_with(&opening).await;
    let server: PgConnectOptions = database_url().parse().expect("test URL");
    let counter = RoundTripCounter::start(&server).await;

    // pgbench: the difference between two runs of different lengths leaves
    // out connecting and preparing, which both runs pay once.
    let short = pgbench_round_trips(&counter, &server, &schema.name, 3, 0).await;
    let long = pgbench_round_trips(&counter, &server, &schema.name, 13, 1_000).await;
    assert!(long > short, "pgbench: {short} then {long} round trips");
    let pgbench_per_transfer = (long - short) as f64 / 10.0;

    // The ledger, on one connection through the same proxy; two transfers
    // first, so that sqlx has prepared every statement.
    let mut connection = counter
        .client_options(&server)
        .options([("search_path", schema.name.as_str())])
        .connect()
        .await
        .expect("connect through the proxy");
    let amount = |cents: i64| Decimal::new(cents, 2);
    for id in 1..=2 {
        ledger
            .transfer_on(&mut connection, id, 1, 2, amount(id))
            .await
            .expect("warm-up transfer");
    }
    let before = counter.count();
    const TRANSFERS: i64 = 10;
    for id in 3..3 + TRANSFERS {
        let (from, to) = (1 + id % ACCOUNTS, 1 + (id + 3) % ACCOUNTS);
        let posted = ledger
            .transfer_on(&mut connection, id, from, to, amount(id))
            .await
            .expect("transfer");
        assert_eq!(posted.attempts, 1);
        assert!(!posted.replayed);
    }
    let ledger_round_trips = counter.count() - before;
    let ledger_per_transfer = ledger_round_trips as f64 / TRANSFERS as f64;

    assert_eq!(
        ledger_per_transfer, pgbench_per_transfer,
        "round trips per transfer: ledger {ledger_per_transfer}, pgbench {pgbench_per_transfer}"
    );
    // BEGIN with its timeout, five statements, the aborted check, COMMIT.
    assert_eq!(ledger_round_trips, 8 * TRANSFERS as usize);

    // Every transfer of both sides was booked: 16 by pgbench, 12 by the ledger.
    assert_eq!(count(&schema.pool, "transfers").await, 16 + 2 + TRANSFERS);
    let total: Decimal = sqlx::query_scalar(r#"SELECT sum("balance") FROM "accounts""#)
        .fetch_one(&schema.pool)
        .await
        .expect("sum of balances");
    assert_eq!(total, dec("1000000") * Decimal::from(ACCOUNTS));

    connection.close().await.expect("close");
    drop(counter);
    schema.drop().await;
}
