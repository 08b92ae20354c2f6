//! Bulk loads on PostgreSQL (section 8 of `BENCHMARKS.md`).
//!
//! ```text
//! bulk_load compare [--rows N] [--rounds R]
//!     R rounds (default 7) of N rows (default 200,000) each, the sides in
//!     an order that rotates: `Account::bulk_insert` (binary COPY, rows by
//!     reference from a Vec), `psql \copy` of the same rows as COPY text
//!     from a file written before the clock starts (the psql process timed
//!     whole), and `Account::insert_many` (one UNNEST statement). The table
//!     is emptied before every side, outside the timing. Prints rows/s per
//!     side and round, and the per-round ratios with their median and
//!     quartiles.
//! bulk_load stream [--rows N]
//!     `Account::bulk_insert` of N rows (default 10,000,000) made one by
//!     one from an iterator, never held together; prints rows/s and the
//!     process's peak resident memory (VmHWM of /proc/self/status).
//! ```
//!
//! The server is `DATABASE_URL`, else `money_benches::db::DEFAULT_DATABASE_URL`;
//! everything happens in a schema of its own (`money_bench_<pid>`, dropped
//! at the end), in the `bench_accounts` table of `money_benches::Account`.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use money_benches::db::{BenchDb, database_url};
use money_benches::paired::Quartiles;
use money_benches::{Account, sample};
use money_sqlx::ModelExt;

fn flag(arguments: &[String], name: &str, default: u64) -> Result<u64, String> {
    match arguments.iter().position(|argument| argument == name) {
        None => Ok(default),
        Some(at) => arguments
            .get(at + 1)
            .and_then(|value| value.replace('_', "").parse().ok())
            .filter(|value| *value > 0)
            .ok_or_else(|| format!("{name} needs a positive integer")),
    }
}

fn uptime() -> String {
    Command::new("uptime")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|error| format!("uptime: {error}"))
}

/// `VmHWM` (peak resident set) of this process, in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The rows as COPY text, the format `psql \copy` reads by default.
fn copy_text(rows: &[Account]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(rows.len() * 48);
    for row in rows {
        let _ = write!(text, "{}\t{}\t", row.id, row.balance);
        match row.overdraft_limit {
            Some(limit) => {
                let _ = write!(text, "{limit}");
            }
            None => text.push_str("\\N"),
        }
        let _ = writeln!(text, "\t{}", row.fee);
    }
    text
}

fn psql_copy(schema: &str, file: &std::path::Path) -> Result<Duration, String> {
    let started = Instant::now();
    let output = Command::new("psql")
        .arg(database_url())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!(
            r#"\copy "bench_accounts" ("id", "balance", "overdraft_limit", "fee") FROM '{}'"#,
            file.display()
        ))
        .env("PGOPTIONS", format!("-c search_path={schema}"))
        .env("PGSSLMODE", "disable")
        .output()
        .map_err(|error| format!("cannot run psql: {error}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(elapsed)
}

async fn count(db: &BenchDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM bench_accounts")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

async fn compare(rows: u64, rounds: u64) -> Result<(), String> {
    let db = BenchDb::connect().await;
    let data: Vec<Account> = (1..=rows).map(sample).collect();
    let file = std::env::temp_dir().join(format!("money-bulk-{}.copy", std::process::id()));
    std::fs::File::create(&file)
        .and_then(|mut out| out.write_all(copy_text(&data).as_bytes()))
        .map_err(|error| format!("cannot write {}: {error}", file.display()))?;
    const SIDES: [&str; 3] = [
        "bulk_insert (binary COPY)",
        "psql \\copy (text)",
        "insert_many",
    ];
    println!("# bulk loads, {rows} rows x {rounds} rounds");
    println!("start: {}", uptime());
    let mut per_side: Vec<Vec<f64>> = vec![Vec::new(); SIDES.len()];
    // One warm-up round, not counted.
    for round in 0..=rounds {
        for offset in 0..SIDES.len() {
            let side = (round as usize + offset) % SIDES.len();
            db.truncate().await;
            let started = Instant::now();
            let elapsed = match side {
                0 => {
                    Account::bulk_insert(data.iter(), &db.pool)
                        .await
                        .map_err(|error| error.to_string())?;
                    started.elapsed()
                }
                1 => psql_copy(&db.schema, &file)?,
                _ => {
                    Account::insert_many(&data, &db.pool)
                        .await
                        .map_err(|error| error.to_string())?;
                    started.elapsed()
                }
            };
            let stored = count(&db).await;
            if stored != rows as i64 {
                return Err(format!("{}: {stored} rows stored, not {rows}", SIDES[side]));
            }
            if round > 0 {
                per_side[side].push(rows as f64 / elapsed.as_secs_f64());
            }
        }
        if round > 0 {
            let line: Vec<String> = (0..SIDES.len())
                .map(|side| {
                    format!(
                        "{}: {:.0}",
                        SIDES[side],
                        per_side[side].last().unwrap_or(&0.0)
                    )
                })
                .collect();
            println!("round {round}: rows/s {}", line.join(", "));
        }
    }
    println!("end: {}", uptime());
    let _ = std::fs::remove_file(&file);
    println!();
    println!("| side | rows/s, median (q1-q3) |");
    println!("|---|---:|");
    for (side, values) in per_side.iter().enumerate() {
        let q = Quartiles::of(values);
        println!(
            "| {} | {:.0} ({:.0}-{:.0}) |",
            SIDES[side], q.median, q.q1, q.q3
        );
    }
    println!();
    println!("| ratio, per round | median (q1-q3) |");
    println!("|---|---:|");
    for (of, to) in [(0, 1), (0, 2), (2, 1)] {
        let ratios: Vec<f64> = per_side[of]
            .iter()
            .zip(&per_side[to])
            .map(|(a, b)| a / b)
            .collect();
        let q = Quartiles::of(&ratios);
        println!(
            "| {} / {} | {:.3} ({:.3}-{:.3}) |",
            SIDES[of], SIDES[to], q.median, q.q1, q.q3
        );
    }
    db.drop().await;
    Ok(())
}

async fn stream(rows: u64) -> Result<(), String> {
    let db = BenchDb::connect().await;
    println!("# bulk_insert of {rows} rows from an iterator");
    println!("start: {}", uptime());
    println!("peak RSS before: {} kB", peak_rss_kb().unwrap_or(0));
    let started = Instant::now();
    let stored = Account::bulk_insert((1..=rows).map(sample), &db.pool)
        .await
        .map_err(|error| error.to_string())?;
    let elapsed = started.elapsed();
    println!("end: {}", uptime());
    let in_table = count(&db).await;
    println!(
        "stored {stored} rows (table: {in_table}) in {:.1} s: {:.0} rows/s; peak RSS (VmHWM) {} kB",
        elapsed.as_secs_f64(),
        stored as f64 / elapsed.as_secs_f64(),
        peak_rss_kb().unwrap_or(0)
    );
    db.drop().await;
    if in_table != rows as i64 {
        return Err(format!("{in_table} rows in the table, not {rows}"));
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let result = match arguments.first().map(String::as_str) {
        Some("compare") => match (
            flag(&arguments, "--rows", 200_000),
            flag(&arguments, "--rounds", 7),
        ) {
            (Ok(rows), Ok(rounds)) => compare(rows, rounds).await,
            (Err(error), _) | (_, Err(error)) => Err(error),
        },
        Some("stream") => match flag(&arguments, "--rows", 10_000_000) {
            Ok(rows) => stream(rows).await,
            Err(error) => Err(error),
        },
        _ => Err("usage: bulk_load compare [--rows N] [--rounds R] | stream [--rows N]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bulk_load: {error}");
            ExitCode::FAILURE
        }
    }
}
