//! Ledger transfers per second on a 3-node MariaDB Galera cluster against a
//! single MariaDB server, with the same workload, in alternating rounds of
//! one run (BENCHMARKS.md, section 12).
//!
//! ```text
//! env -u MYSQL_URL cargo run --release -p money-ledger --example galera_tps -- \
//!     [--seconds S] [--rounds R] [--workers W] [--accounts N]
//! ```
//!
//! The cluster is `money_tests::galera`'s (three `mariadbd` nodes on
//! loopback, started here); the single server is `money_tests::mysql`'s
//! private one (started here unless `MYSQL_URL` names another). Each round
//! runs the workload for S seconds (default 10) on the single server, then
//! on the cluster; R rounds (default 3). W workers (default 6) each book
//! `Ledger::transfer`s between random accounts among N (default 100), of
//! 0.01 to 100.00 from balances of 1,000,000 (no overdraft); on the cluster
//! worker `i` books on node `i % 3` (its own pool), so every node takes
//! writes. Prints, per round and target, transfers/s and retries per
//! transfer (attempts beyond the first: deadlocks, and on the cluster
//! certification conflicts), then the medians, and the load average
//! before and after.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use money_core::Decimal;
use money_ledger::{Account, Ledger, LedgerDatabase};
use money_tests::galera::{self, NODES};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{MySql, MySqlPool};

struct Settings {
    seconds: u64,
    rounds: usize,
    workers: usize,
    accounts: i64,
}

fn parse() -> Result<Settings, String> {
    let mut settings = Settings {
        seconds: 10,
        rounds: 3,
        workers: 6,
        accounts: 100,
    };
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut iter = arguments.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|error| format!("{flag} {value}: {error}"))?;
        if number == 0 {
            return Err(format!("{flag} must be at least 1"));
        }
        match flag.as_str() {
            "--seconds" => settings.seconds = number,
            "--rounds" => settings.rounds = number as usize,
            "--workers" => settings.workers = number as usize,
            "--accounts" if number >= 2 => settings.accounts = number as i64,
            "--accounts" => return Err("--accounts must be at least 2".to_owned()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(settings)
}

/// What one target did in one round.
#[derive(Default, Clone, Copy)]
struct Tally {
    booked: u64,
    retries: u64,
    errors: u64,
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// Creates the ledger's tables and `accounts` accounts through `pool`.
async fn setup(pool: &MySqlPool, accounts: i64) -> Result<(), String> {
    let ledger = Ledger::new(pool.clone());
    ledger
        .create_schema()
        .await
        .map_err(|error| format!("creating the tables: {error}"))?;
    for id in 1..=accounts {
        ledger
            .open_account(&Account {
                id,
                currency: "USD".to_owned(),
                balance: Decimal::new(1_000_000, 0),
            })
            .await
            .map_err(|error| format!("opening account {id}: {error}"))?;
    }
    Ok(())
}

/// `settings.seconds` of transfers by `settings.workers` workers, worker `i`
/// on `ledgers[i % ledgers.len()]`; ids start at `first_id`.
async fn round(ledgers: &[Ledger<MySql>], settings: &Settings, first_id: i64) -> Tally {
    let until = Instant::now() + Duration::from_secs(settings.seconds);
    let mut tasks = Vec::new();
    for worker in 0..settings.workers {
        let ledger = ledgers[worker % ledgers.len()].clone();
        let accounts = settings.accounts;
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(first_id as u64 ^ worker as u64);
            let mut tally = Tally::default();
            let mut id = first_id + (worker as i64 + 1) * 100_000_000;
            while Instant::now() < until {
                id += 1;
                let from = rng.i64(1..=accounts);
                let mut to = rng.i64(1..accounts);
                if to >= from {
                    to += 1;
                }
                let amount = Decimal::new(rng.i64(1..=10_000), 2);
                match ledger.transfer(id, from, to, amount).await {
                    Ok(posted) => {
                        tally.booked += 1;
                        tally.retries += u64::from(posted.attempts - 1);
                    }
                    Err(error) => {
                        if tally.errors == 0 {
                            eprintln!("worker {worker}: {error}");
                        }
                        tally.errors += 1;
                    }
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap_or_default();
        total.booked += tally.booked;
        total.retries += tally.retries;
        total.errors += tally.errors;
    }
    total
}

async fn run(settings: Settings) -> Result<(), String> {
    println!("load average before: {}", load_average());
    let galera = galera::cluster().await;
    let cluster_database = galera.fresh_database().await;
    let per_node = settings.workers.div_ceil(NODES) as u32;
    let mut cluster_pools = Vec::new();
    for node in 0..NODES {
        let options: MySqlConnectOptions = galera
            .url(node, &cluster_database)
            .parse()
            .map_err(|error| format!("node {node}'s URL: {error}"))?;
        let pool = MySqlPoolOptions::new()
            .max_connections(per_node)
            .connect_with(options.pipes_as_concat(false))
            .await
            .map_err(|error| format!("a pool on node {node}: {error}"))?;
        cluster_pools.push(pool);
    }
    setup(&cluster_pools[0], settings.accounts).await?;
    let single = money_tests::mysql::fresh_database().await;
    let single_pool = MySqlPoolOptions::new()
        .max_connections(settings.workers as u32)
        .connect_with((*single.pool.connect_options()).clone())
        .await
        .map_err(|error| format!("a pool on the single server: {error}"))?;
    setup(&single_pool, settings.accounts).await?;
    let version = money_tests::mysql::version(&single_pool).await;
    println!(
        "{} workers, {} accounts, {} s per round and target, {} rounds; single server {version} \
         (MYSQL_URL: {}); cluster of {NODES} Galera nodes on ports {:?}; transactions {:?}",
        settings.workers,
        settings.accounts,
        settings.seconds,
        settings.rounds,
        std::env::var("MYSQL_URL").unwrap_or_else(|_| "unset, private server".to_owned()),
        galera.client_ports(),
        <MySql as LedgerDatabase>::default_options().get_isolation(),
    );

    let single_ledgers = [Ledger::new(single_pool.clone())];
    let cluster_ledgers: Vec<Ledger<MySql>> = cluster_pools
        .iter()
        .map(|pool| Ledger::new(pool.clone()))
        .collect();
    let (mut single_tps, mut cluster_tps) = (Vec::new(), Vec::new());
    let (mut single_retries, mut cluster_retries) = (Vec::new(), Vec::new());
    for index in 0..settings.rounds {
        let first_id = (index as i64 + 1) * 10_000_000_000;
        for (name, ledgers, tps, retries) in [
            (
                "single",
                &single_ledgers[..],
                &mut single_tps,
                &mut single_retries,
            ),
            (
                "galera",
                &cluster_ledgers[..],
                &mut cluster_tps,
                &mut cluster_retries,
            ),
        ] {
            let tally = round(ledgers, &settings, first_id).await;
            let rate = tally.booked as f64 / settings.seconds as f64;
            let per_transfer = tally.retries as f64 / tally.booked.max(1) as f64;
            println!(
                "round {} {name}: {} transfers, {rate:.1} transfers/s, {} retries ({per_transfer:.3} per transfer), {} errors; load {}",
                index + 1,
                tally.booked,
                tally.retries,
                tally.errors,
                load_average()
            );
            tps.push(rate);
            retries.push(per_transfer);
        }
    }
    let (single_median, cluster_median) = (median(&mut single_tps), median(&mut cluster_tps));
    println!(
        "median: single {single_median:.1} transfers/s ({:.3} retries per transfer), galera {cluster_median:.1} transfers/s ({:.3} retries per transfer); galera/single {:.2}",
        median(&mut single_retries),
        median(&mut cluster_retries),
        cluster_median / single_median
    );
    println!("load average after: {}", load_average());
    single_pool.close().await;
    single.drop().await;
    for pool in cluster_pools {
        pool.close().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match parse() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
