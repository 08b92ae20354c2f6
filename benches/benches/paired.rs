//! Every comparison of BENCHMARKS.md, its sides interleaved round by round
//! (see `money_benches::paired`), printed as markdown tables with the load
//! average before and after each.
//!
//! `MONEY_BENCH_QUICK=1` runs a few rounds only (to try the harness). The
//! PostgreSQL part uses `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`; `MONEY_BENCH_NO_DB=1` skips
//! it (and says so).
#![allow(missing_docs)]

use std::hint::black_box;

use garde::Validate;
use money_benches::db::{self, BenchDb};
use money_benches::garde_rules::GardeAccount;
use money_benches::paired::{Paired, Quartiles, Report};
use money_benches::plain::PlainAccount;
use money_benches::{
    Account, Balance, RemoteAccount, every_rule_broken_sample, hand, invalid_sample, sample,
    sample_json, samples,
};
use money_core::pg::decode_numeric_binary;
use money_core::{Decimal, MoneyModel};
use sqlx::{FromRow, Row};

const INPUTS: usize = 1024;

fn quick() -> bool {
    std::env::var_os("MONEY_BENCH_QUICK").is_some_and(|value| value != "0")
}

/// `full` rounds, or 3 in a quick run.
fn rounds(full: usize) -> usize {
    if quick() { 3 } else { full }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn print(report: &Report, load_before: &str) {
    println!("{report}");
    println!(
        "load average (1, 5, 15 min): {load_before} before, {} after\n",
        load()
    );
}

fn print_speedup(label: &str, quartiles: Quartiles) {
    println!(
        "{label}: {:.2}x (q1-q3 {:.2}-{:.2}), per round\n",
        quartiles.median, quartiles.q1, quartiles.q3
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter is not supported.
    println!("# paired comparisons\n");
    println!(
        "{} cores, load average at start {}\n",
        std::thread::available_parallelism().map_or(0, |cores| cores.get()),
        load()
    );
    cpu();
    if std::env::var_os("MONEY_BENCH_NO_DB").is_some_and(|value| value != "0") {
        println!("PostgreSQL comparisons skipped: MONEY_BENCH_NO_DB is set");
        return;
    }
    postgres();
}

fn cpu() {
    let accounts = samples(0, INPUTS);
    let garde_accounts: Vec<GardeAccount> = accounts.iter().map(GardeAccount::from).collect();
    let at = |n: u64| n as usize % INPUTS;

    let before = load();
    let report = Paired::new("1. validate(), three money fields", rounds(41), 1_000_000)
        .side("hand-written", |n| {
            black_box(hand::validate(black_box(&accounts[at(n)])).is_ok());
        })
        .side("generated validate()", |n| {
            black_box(black_box(&accounts[at(n)]).validate().is_ok());
        })
        .side("garde, custom rules", |n| {
            black_box(black_box(&garde_accounts[at(n)]).validate().is_ok());
        })
        .run();
    print(&report, &before);

    // The error path: a row that breaks one rule of each money field, and
    // one that breaks every rule that can break at once.
    for (label, account) in [
        (
            "1. validate(), error path, 3 rules broken",
            invalid_sample(),
        ),
        (
            "1. validate(), error path, every rule broken (8)",
            every_rule_broken_sample(),
        ),
    ] {
        let garde_account = GardeAccount::from(&account);
        let before = load();
        let report = Paired::new(label, rounds(41), 200_000)
            .side("hand-written", |_| {
                black_box(hand::validate(black_box(&account)).is_ok());
            })
            .side("hand-written, same information", |_| {
                black_box(hand::validate_reported(black_box(&account)).is_ok());
            })
            .side("generated validate()", |_| {
                black_box(black_box(&account).validate().is_ok());
            })
            .side("garde, custom rules", |_| {
                black_box(black_box(&garde_account).validate().is_ok());
            })
            .run();
        print(&report, &before);
        // Issue 15's target is against the hand-written code that returns
        // the same information: that ratio, round by round.
        let (same, generated) = (&report.sides[1], &report.sides[2]);
        let ratios: Vec<f64> = generated
            .per_round_ns
            .iter()
            .zip(&same.per_round_ns)
            .map(|(generated, same)| generated / same)
            .collect();
        let quartiles = Quartiles::of(&ratios);
        println!(
            "generated over hand-written with the same information: {:.3} (q1-q3 {:.3}-{:.3}), per round\n",
            quartiles.median, quartiles.q1, quartiles.q3
        );
    }

    let texts: Vec<String> = (0..INPUTS as u64).map(sample_json).collect();
    let before = load();
    let report = Paired::new("2. JSON deserialize", rounds(41), 20_000)
        .side("serde_json + rust_decimal serde-str, unchecked", |n| {
            black_box(serde_json::from_str::<PlainAccount>(black_box(&texts[at(n)])).is_ok());
        })
        .side("generated #[money(serde)], checked while reading", |n| {
            black_box(serde_json::from_str::<Account>(black_box(&texts[at(n)])).is_ok());
        })
        .side(
            "the same through serde_derive (a model with a serde attribute)",
            |n| {
                black_box(serde_json::from_str::<RemoteAccount>(black_box(&texts[at(n)])).is_ok());
            },
        )
        .side("generated #[money(serde)] + validate()", |n| {
            let account: Account = serde_json::from_str(black_box(&texts[at(n)])).expect("valid");
            black_box(account.validate().is_ok());
        })
        .run();
    print(&report, &before);
}

fn postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let bench = runtime.block_on(BenchDb::connect());
    let version = runtime.block_on(bench.server_version());
    println!(
        "PostgreSQL {version} at {} (schema {}, dropped at the end)\n",
        db::database_url(),
        bench.schema
    );
    let pool = &bench.pool;

    // Ids: raw side even, generated side odd, never reused.
    let before = load();
    let report = Paired::new(
        "3. PostgreSQL round trip: insert one row, read it back",
        rounds(61),
        100,
    )
    .side("raw sqlx, hand-written binds and FromRow", |n| {
        black_box(runtime.block_on(db::roundtrip_raw(pool, &sample(2 * n))));
    })
    .side("generated insert + FromRow", |n| {
        black_box(runtime.block_on(db::roundtrip_generated(pool, &sample(2 * n + 1))));
    })
    .run();
    print(&report, &before);

    // The same without waiting for the WAL flush at each commit: what
    // remains is client and server CPU and the loopback, where a
    // difference between the sides would show.
    let relaxed = runtime.block_on(bench.pool_with(&[("synchronous_commit", "off")]));
    let before = load();
    let report = Paired::new(
        "3b. PostgreSQL round trip, synchronous_commit = off",
        rounds(61),
        100,
    )
    .side("raw sqlx, hand-written binds and FromRow", |n| {
        black_box(runtime.block_on(db::roundtrip_raw(&relaxed, &sample(2 * n + 1_000_000))));
    })
    .side("generated insert + FromRow", |n| {
        black_box(runtime.block_on(db::roundtrip_generated(
            &relaxed,
            &sample(2 * n + 1_000_001),
        )));
    })
    .run();
    print(&report, &before);
    runtime.block_on(relaxed.close());
    runtime.block_on(bench.truncate());

    let rows = samples(0, 100_000);
    let before = load();
    let report = Paired::new("4. bulk insert", rounds(7), 1)
        .setup(|| runtime.block_on(bench.truncate()))
        .rows_per_call(100_000)
        .side("COPY FROM STDIN (text), no checks", |_| {
            runtime.block_on(db::bulk_copy(pool, &rows));
        })
        .side("generated insert_many", |_| {
            runtime.block_on(db::bulk_insert_many(pool, &rows));
        })
        .rows_per_call(5_000)
        .side("generated insert, row by row, one transaction", |_| {
            runtime.block_on(db::bulk_row_by_row(pool, &rows[..5_000]));
        })
        .rows_per_call(500)
        .side("generated insert, row by row, autocommit", |_| {
            runtime.block_on(db::bulk_row_by_row_autocommit(pool, &rows[..500]));
        })
        .run();
    print(&report, &before);
    print_speedup(
        "insert_many rows/s over row by row (one transaction) rows/s",
        report.speedup_per_row(1, 2),
    );
    print_speedup(
        "insert_many rows/s over row by row (autocommit) rows/s",
        report.speedup_per_row(1, 3),
    );
    print_speedup(
        "insert_many rows/s over COPY rows/s",
        report.speedup_per_row(1, 0),
    );
    runtime.block_on(bench.truncate());

    let decoded = runtime.block_on(bench.decode_rows(10_000));
    let before = load();
    let report = Paired::new("5a. numeric decode, 10,000 values per call", rounds(41), 20)
        .side("sqlx Decimal", |_| {
            let sum = decoded.iter().fold(Decimal::ZERO, |sum, row| {
                db::fold(sum, row.try_get::<Decimal, _>(1).expect("numeric"))
            });
            black_box(sum);
        })
        .side("money_core::pg::decode_numeric_binary", |_| {
            let sum = decoded.iter().fold(Decimal::ZERO, |sum, row| {
                let raw = row.try_get_raw(1).expect("column");
                let bytes = raw.as_bytes().expect("not null");
                db::fold(sum, decode_numeric_binary(bytes).expect("numeric"))
            });
            black_box(sum);
        })
        .side("MoneyValue through sqlx (checked)", |_| {
            let sum = decoded.iter().fold(Decimal::ZERO, |sum, row| {
                let balance: Balance = row.try_get(1).expect("numeric");
                db::fold(sum, balance.into())
            });
            black_box(sum);
        })
        .run();
    print(&report, &before);

    let before = load();
    let report = Paired::new("5b. row decode, 10,000 rows per call", rounds(41), 20)
        .side("FromRow by hand, sqlx Decimal, unchecked", |_| {
            for row in &decoded {
                black_box(PlainAccount::from_row(row).expect("row"));
            }
        })
        .side("generated FromRow, checked", |_| {
            for row in &decoded {
                black_box(Account::from_row(row).expect("row"));
            }
        })
        .run();
    print(&report, &before);

    drop(decoded);
    runtime.block_on(bench.drop());
}
