//! Transfers per second of the ledger example (`money_ledger::Ledger::transfer`)
//! with concurrent workers, and the database both it and the pgbench script
//! `benches/pgbench/transfer.sql` run against (see section 7 of
//! `BENCHMARKS.md`; `benches/ledger-vs-pgbench.sh` alternates the two).
//!
//! ```text
//! ledger_tps url                     the bench database's URL (for pgbench)
//! ledger_tps setup [--accounts N]    (re)create the ledger's tables, N accounts
//! ledger_tps run [--seconds S] [--workers W] [--accounts N]
//!                [--test-before-acquire true|false]
//!                [--held-connection true|false]
//!                                    S seconds of transfers, W workers
//!                                    (held: each worker takes one pooled
//!                                    connection for the whole run and calls
//!                                    Ledger::transfer_on on it)
//! ledger_tps summary                 transfers, entries and the balance total
//! ledger_tps drop                    drop the bench database
//! ledger_tps server-pid              the postmaster's pid, for a local server
//! ledger_tps quartiles X...          median (q1-q3) of the numbers
//! ```
//!
//! The server is `DATABASE_URL`, else the benchmarks' default
//! (`money_benches::db::DEFAULT_DATABASE_URL`); everything happens in a
//! database of its own on that server, [`DATABASE`], created by `setup`.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use money_benches::db::database_url;
use money_benches::paired::Quartiles;
use money_core::Decimal;
use money_ledger::{Account, Ledger, LedgerError};
use money_sqlx::{ModelExt, Retryable};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection, PgPool};

/// The database the comparison works in, on the `DATABASE_URL` server.
const DATABASE: &str = "money_ledger_bench";

/// Every account's opening balance: 1,000,000.0000, against transfers of
/// at most 100.00, so that no account runs dry during a run.
const OPENING_BALANCE: i64 = 1_000_000;

/// Transfer amounts are 0.01 to 100.00: `random(1, MAX_CENTS)` cents.
const MAX_CENTS: u64 = 10_000;

/// Transfer ids are `(worker + 1) * ID_STRIDE + sequence`, unique per run
/// (the pgbench script builds them the same way from `:client_id`).
const ID_STRIDE: i64 = 1_000_000_000_000;

/// The ledger's tables, dropped before `setup` re-creates them.
const TABLES: &str = r#"DROP TABLE IF EXISTS "fx_conversions", "journal_entries", "transfers", "fx_rates", "accounts""#;

struct Settings {
    seconds: u64,
    workers: usize,
    accounts: i64,
    /// sqlx's `PgPoolOptions::test_before_acquire` (default `true`: a ping,
    /// one round trip, each time a connection leaves the pool).
    test_before_acquire: bool,
    /// Each worker keeps one connection and books with
    /// `Ledger::transfer_on` (no pool in between, no ping).
    held_connection: bool,
}

fn parse(arguments: &[String]) -> Result<Settings, String> {
    let mut settings = Settings {
        seconds: 20,
        workers: 8,
        accounts: 10_000,
        test_before_acquire: true,
        held_connection: false,
    };
    let mut iter = arguments.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .ok()
                .filter(|number| *number > 0)
                .ok_or_else(|| format!("{what} must be a positive integer, got {value:?}"))
        };
        match flag.as_str() {
            "--seconds" => settings.seconds = number("--seconds")?,
            "--workers" => settings.workers = number("--workers")? as usize,
            "--accounts" => {
                settings.accounts = number("--accounts")?.max(2).min(i64::MAX as u64) as i64
            }
            "--test-before-acquire" => {
                settings.test_before_acquire = value
                    .parse()
                    .map_err(|_| format!("--test-before-acquire is true or false, got {value:?}"))?
            }
            "--held-connection" => {
                settings.held_connection = value
                    .parse()
                    .map_err(|_| format!("--held-connection is true or false, got {value:?}"))?
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(settings)
}

/// The server's URL with the bench database in place of its own.
fn bench_options() -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = database_url().parse()?;
    Ok(options.database(DATABASE))
}

async fn admin_connection() -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect(&database_url()).await
}

async fn create_database() -> Result<(), sqlx::Error> {
    let mut admin = admin_connection().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(DATABASE)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{DATABASE}""#)))
            .execute(&mut admin)
            .await?;
    }
    admin.close().await
}

async fn drop_database() -> Result<(), sqlx::Error> {
    let mut admin = admin_connection().await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        r#"DROP DATABASE IF EXISTS "{DATABASE}""#
    )))
    .execute(&mut admin)
    .await?;
    admin.close().await
}

/// Drops and re-creates the ledger's tables (its own DDL, `schema::create`),
/// opens `accounts` accounts in EUR with [`OPENING_BALANCE`], then
/// `VACUUM ANALYZE "accounts"` and a `CHECKPOINT`, so that every round of
/// either side starts from the same state.
///
/// Only `accounts` is analyzed: statistics that say `transfers` is empty
/// make PostgreSQL plan the foreign-key checks on it as sequential scans,
/// which under SERIALIZABLE take a predicate lock on the whole table, and
/// then most transfers fail with a serialization failure (BENCHMARKS.md,
/// section 7). Without statistics the planner assumes a small table and
/// uses the primary key, as it does once the table has grown.
async fn setup(accounts: i64) -> Result<(), Box<dyn std::error::Error>> {
    create_database().await?;
    let mut connection = bench_options()?.connect().await?;
    sqlx::raw_sql(TABLES).execute(&mut connection).await?;
    money_ledger::schema::create(&mut connection).await?;
    let rows: Vec<Account> = (1..=accounts)
        .map(|id| Account {
            id,
            currency: "EUR".to_owned(),
            balance: Decimal::from(OPENING_BALANCE),
        })
        .collect();
    for chunk in rows.chunks(10_000) {
        Account::insert_many(chunk, &mut connection).await?;
    }
    // Two messages: VACUUM cannot run in the implicit transaction of a
    // multi-statement simple query.
    for statement in [r#"VACUUM ANALYZE "accounts""#, "CHECKPOINT"] {
        sqlx::raw_sql(statement).execute(&mut connection).await?;
    }
    connection.close().await?;
    Ok(())
}

#[derive(Debug, Default)]
struct Tally {
    transfers: u64,
    retries: u64,
    overdrafts: u64,
    gave_up: u64,
    other_failures: u64,
    first_error: Option<String>,
}

async fn worker(ledger: Ledger, worker: usize, accounts: i64, until: Instant, held: bool) -> Tally {
    let mut tally = Tally::default();
    let mut connection = if held {
        match ledger.pool().acquire().await {
            Ok(connection) => Some(connection),
            Err(error) => {
                tally.other_failures += 1;
                tally.first_error = Some(error.to_string());
                return tally;
            }
        }
    } else {
        None
    };
    let mut random = fastrand::Rng::with_seed(worker as u64 + 1);
    let first_id = (worker as i64 + 1) * ID_STRIDE;
    let mut sequence = 0_i64;
    while Instant::now() < until {
        sequence += 1;
        // The same draw as the pgbench script: a debit account, then a
        // different credit account, uniformly.
        let from = random.i64(1..=accounts);
        let to = 1 + (from + random.i64(0..=accounts - 2)) % accounts;
        let amount = Decimal::new(random.u64(1..=MAX_CENTS) as i64, 2);
        let id = first_id + sequence;
        let posted = match connection.as_mut() {
            Some(connection) => ledger.transfer_on(connection, id, from, to, amount).await,
            None => ledger.transfer(id, from, to, amount).await,
        };
        match posted {
            Ok(posted) => {
                tally.transfers += 1;
                tally.retries += u64::from(posted.attempts - 1);
            }
            Err(error) => {
                match &error {
                    LedgerError::BelowMinimum { .. } => tally.overdrafts += 1,
                    error if error.is_retryable() => tally.gave_up += 1,
                    _ => tally.other_failures += 1,
                }
                tally.first_error.get_or_insert_with(|| error.to_string());
            }
        }
    }
    tally
}

async fn run(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(settings.workers as u32)
        .test_before_acquire(settings.test_before_acquire)
        .connect_with(bench_options()?)
        .await?;
    // Open every connection before the clock starts, as pgbench does.
    let mut warm = Vec::with_capacity(settings.workers);
    for _ in 0..settings.workers {
        warm.push(pool.acquire().await?);
    }
    drop(warm);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let ledger = Arc::new(Ledger::new(pool.clone()));
    let started = Instant::now();
    let until = started + Duration::from_secs(settings.seconds);
    let handles: Vec<_> = (0..settings.workers)
        .map(|index| {
            let ledger = Ledger::clone(&ledger);
            tokio::spawn(worker(
                ledger,
                index,
                settings.accounts,
                until,
                settings.held_connection,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        let tally = handle.await?;
        total.transfers += tally.transfers;
        total.retries += tally.retries;
        total.overdrafts += tally.overdrafts;
        total.gave_up += tally.gave_up;
        total.other_failures += tally.other_failures;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    pool.close().await;
    let failures = total.overdrafts + total.gave_up + total.other_failures;
    println!(
        "ledger: workers={} seconds={elapsed:.3} transfers={} tps={:.1} retries={} failures={failures} (overdrafts={} gave_up={} other={})",
        settings.workers,
        total.transfers,
        total.transfers as f64 / elapsed,
        total.retries,
        total.overdrafts,
        total.gave_up,
        total.other_failures,
    );
    if let Some(error) = total.first_error {
        eprintln!("ledger: first failure: {error}");
    }
    Ok(())
}

/// What the tables hold: a check that both sides booked what they counted
/// and that money was conserved.
async fn summary() -> Result<(), Box<dyn std::error::Error>> {
    let mut connection = bench_options()?.connect().await?;
    let (transfers, entries, total, accounts): (i64, i64, Decimal, i64) = sqlx::query_as(
        r#"SELECT (SELECT count(*) FROM "transfers"), (SELECT count(*) FROM "journal_entries"),
                  (SELECT sum("balance") FROM "accounts"), (SELECT count(*) FROM "accounts")"#,
    )
    .fetch_one(&mut connection)
    .await?;
    connection.close().await?;
    println!(
        "summary: transfers={transfers} entries={entries} accounts={accounts} balance_total={total}"
    );
    Ok(())
}

/// Prints the process id of the server's postmaster, when the server runs
/// on this machine (the parent of this connection's backend), so that the
/// script can read the CPU time of the backends that have exited
/// (`cutime` + `cstime` in `/proc/<pid>/stat`); nothing otherwise.
async fn server_pid() -> Result<(), Box<dyn std::error::Error>> {
    let mut connection = admin_connection().await?;
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut connection)
        .await?;
    // Read while the backend is alive: `pid (comm) state ppid ...`.
    let parent = std::fs::read_to_string(format!("/proc/{backend}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = stat.rsplit_once(')')?.1;
            after_name.split_whitespace().nth(1)?.parse::<u32>().ok()
        });
    connection.close().await?;
    if let Some(parent) = parent {
        println!("{parent}");
    }
    Ok(())
}

/// Prints `median (q1-q3)` of the numbers given, nearest rank, as the
/// paired harness computes them.
fn quartiles(values: &[String]) -> ExitCode {
    let numbers: Result<Vec<f64>, _> = values.iter().map(|value| value.parse::<f64>()).collect();
    match numbers {
        Ok(numbers) if !numbers.is_empty() => {
            let quartiles = Quartiles::of(&numbers);
            // Nearest rank picks values given, so they print as given.
            println!("{} ({}-{})", quartiles.median, quartiles.q1, quartiles.q3);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("ledger_tps quartiles: expected numbers, got {values:?}");
            ExitCode::from(2)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: ledger_tps url | setup [--accounts N] | run [--seconds S] [--workers W] [--accounts N] [--test-before-acquire BOOL] | summary | drop | server-pid | quartiles X..."
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = arguments.split_first() else {
        return usage();
    };
    if command == "quartiles" {
        return quartiles(rest);
    }
    let settings = match parse(rest) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("ledger_tps: {message}");
            return usage();
        }
    };
    let outcome: Result<(), Box<dyn std::error::Error>> = match command.as_str() {
        "url" => bench_options()
            .map(|options| {
                let mut url = options.to_url_lossy();
                url.set_query(None);
                println!("{url}");
            })
            .map_err(Into::into),
        "setup" => setup(settings.accounts).await,
        "run" => run(&settings).await,
        "summary" => summary().await,
        "drop" => drop_database().await.map_err(Into::into),
        "server-pid" => server_pid().await,
        _ => return usage(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ledger_tps {command}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use money_core::{Dialect, MoneyModel, ddl};
    use money_ledger::{Entry, Transfer};

    use super::*;

    /// The pgbench scripts must keep naming the ledger's tables and columns
    /// as its models render them: a renamed column would otherwise leave
    /// them measuring another schema, or failing.
    #[test]
    fn pgbench_scripts_use_the_ledgers_generated_sql() {
        let transfers = ddl::insert_sql(Transfer::DEFINITION, Dialect::Postgres, false);
        let transfers = transfers.split(" VALUES").next().unwrap_or_default();
        let entries = format!(
            r#"INSERT INTO "journal_entries" ({}) SELECT * FROM UNNEST("#,
            ddl::column_list(Entry::DEFINITION, Dialect::Postgres)
        );
        let returning = format!(
            "ON CONFLICT DO NOTHING RETURNING {};",
            ddl::column_list(Transfer::DEFINITION, Dialect::Postgres)
        );
        for script in [
            include_str!("../../pgbench/transfer.sql"),
            include_str!("../../pgbench/transfer-two-syncs.sql"),
        ] {
            for expected in [transfers, &entries, &returning] {
                assert!(script.contains(expected), "{expected} not in the script");
            }
        }
    }

    #[test]
    fn options_parse_and_refuse_nonsense() {
        let arguments = |text: &str| {
            text.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        let settings = parse(&arguments("--seconds 3 --workers 2 --accounts 50")).expect("parse");
        assert_eq!(
            (settings.seconds, settings.workers, settings.accounts),
            (3, 2, 50)
        );
        assert!(settings.test_before_acquire);
        assert!(parse(&arguments("--seconds 0")).is_err());
        assert!(parse(&arguments("--workers")).is_err());
        assert!(parse(&arguments("--test-before-acquire maybe")).is_err());
        assert!(parse(&arguments("--colour blue")).is_err());
    }
}
