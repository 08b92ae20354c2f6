//! Criterion: PostgreSQL round trips, bulk inserts and `numeric` decode.
//!
//! Uses the server named by `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`, in a schema of its own that
//! is dropped at the end (see `money_benches::db`).
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use money_benches::db::{self, BenchDb};
use money_benches::plain::PlainAccount;
use money_benches::{Account, Balance, sample, samples};
use money_core::Decimal;
use money_core::pg::decode_numeric_binary;
use sqlx::{FromRow, Row};
use tokio::runtime::Runtime;

/// Rows a bulk insert writes.
const BULK_ROWS: usize = 100_000;
/// Rows the row-by-row inserts write (fewer: reported as rows/s).
const ROW_BY_ROW_ROWS: usize = 5_000;
const AUTOCOMMIT_ROWS: usize = 500;
/// Rows the decode benchmarks read, fetched once.
const DECODE_ROWS: usize = 10_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn postgres(c: &mut Criterion) {
    let runtime = runtime();
    let bench = runtime.block_on(BenchDb::connect());
    let version = runtime.block_on(bench.server_version());
    eprintln!(
        "PostgreSQL {version} at {} (schema {})",
        db::database_url(),
        bench.schema
    );
    let pool = &bench.pool;
    let ids = AtomicU64::new(1);
    let next_id = || ids.fetch_add(1, Ordering::Relaxed);

    let mut group = c.benchmark_group("roundtrip");
    group.bench_function("raw sqlx, hand-written binds", |b| {
        b.iter(|| runtime.block_on(db::roundtrip_raw(pool, &sample(next_id()))))
    });
    group.bench_function("generated insert + FromRow", |b| {
        b.iter(|| runtime.block_on(db::roundtrip_generated(pool, &sample(next_id()))))
    });
    group.finish();

    // Bulk: a fresh table for every call; the TRUNCATE is not timed.
    let rows = samples(0, BULK_ROWS);
    let mut group = c.benchmark_group("bulk_insert");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    macro_rules! bulk {
        ($name:expr, $rows:expr, $insert:path) => {{
            let rows: &[Account] = $rows;
            group.throughput(Throughput::Elements(rows.len() as u64));
            group.bench_function($name, |b| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        runtime.block_on(bench.truncate());
                        let started = Instant::now();
                        let written = runtime.block_on($insert(pool, rows));
                        total += started.elapsed();
                        assert_eq!(written, rows.len() as u64);
                    }
                    total
                })
            });
        }};
    }
    bulk!("COPY FROM STDIN (text), 100k rows", &rows, db::bulk_copy);
    bulk!(
        "generated insert_many, 100k rows",
        &rows,
        db::bulk_insert_many
    );
    bulk!(
        "generated insert row by row, one transaction, 5k rows",
        &rows[..ROW_BY_ROW_ROWS],
        db::bulk_row_by_row
    );
    bulk!(
        "generated insert row by row, autocommit, 500 rows",
        &rows[..AUTOCOMMIT_ROWS],
        db::bulk_row_by_row_autocommit
    );
    group.finish();
    runtime.block_on(bench.truncate());

    // Decode: rows fetched once, then decoded in memory.
    let decoded = runtime.block_on(bench.decode_rows(DECODE_ROWS as i64));
    let mut group = c.benchmark_group("numeric_decode");
    group.throughput(Throughput::Elements(DECODE_ROWS as u64));
    group.bench_function("sqlx Decimal", |b| {
        b.iter(|| {
            decoded.iter().fold(Decimal::ZERO, |sum, row| {
                db::fold(sum, row.try_get::<Decimal, _>(1).expect("numeric"))
            })
        })
    });
    group.bench_function("money_core::pg::decode_numeric_binary", |b| {
        b.iter(|| {
            decoded.iter().fold(Decimal::ZERO, |sum, row| {
                let raw = row.try_get_raw(1).expect("column");
                let bytes = raw.as_bytes().expect("not null");
                db::fold(sum, decode_numeric_binary(bytes).expect("numeric"))
            })
        })
    });
    group.bench_function("MoneyValue through sqlx (checked)", |b| {
        b.iter(|| {
            decoded.iter().fold(Decimal::ZERO, |sum, row| {
                let balance: Balance = row.try_get(1).expect("numeric");
                db::fold(sum, balance.into())
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("row_decode");
    group.throughput(Throughput::Elements(DECODE_ROWS as u64));
    group.bench_function("FromRow by hand, sqlx Decimal", |b| {
        b.iter(|| {
            for row in &decoded {
                black_box(PlainAccount::from_row(row).expect("row"));
            }
        })
    });
    group.bench_function("generated FromRow (checked)", |b| {
        b.iter(|| {
            for row in &decoded {
                black_box(Account::from_row(row).expect("row"));
            }
        })
    });
    group.finish();

    drop(decoded);
    runtime.block_on(bench.drop());
}

criterion_group!(benches, postgres);
criterion_main!(benches);
