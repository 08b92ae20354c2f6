//! One side of a CPU-bound comparison, run `N` times, for
//! `valgrind --tool=callgrind` (see `benches/callgrind.sh`): each scenario
//! is a function of its own, never inlined, named `scenario_<name>`, so
//! that `--toggle-collect` counts its instructions and nothing else
//! (no start-up, no input building, no connection).
//!
//! `scenario <name> [N]`; `scenario list` prints the names. N is calls,
//! except for `bulk_*`, where it is rows written by one call. The decode
//! scenarios fetch their rows from PostgreSQL first, and the round trip
//! and bulk scenarios write to it (`DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`): for those, the count is the
//! client's instructions only, the server being another process.
#![forbid(unsafe_code)]

use std::hint::black_box;

use garde::Validate;
use money_benches::db::{self, BenchDb};
use money_benches::garde_rules::GardeAccount;
use money_benches::plain::PlainAccount;
use money_benches::{
    Account, Balance, every_rule_broken_sample, hand, invalid_sample, sample, sample_json, samples,
};
use money_core::pg::decode_numeric_binary;
use money_core::{Decimal, MoneyModel};
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Row};
use tokio::runtime::Runtime;

const INPUTS: usize = 1024;

const NAMES: &[&str] = &[
    "validate_hand",
    "validate_generated",
    "validate_garde",
    "validate_invalid_hand",
    "validate_invalid_generated",
    "validate_invalid_hand_reported",
    "validate_every_hand",
    "validate_every_hand_reported",
    "validate_every_generated",
    "json_plain",
    "json_generated",
    "json_serialize_plain",
    "json_serialize_generated",
    "decode_sqlx",
    "decode_ours",
    "decode_value",
    "row_plain",
    "row_generated",
    "roundtrip_raw",
    "roundtrip_generated",
    "bulk_copy",
    "bulk_insert_many",
    "bulk_row_by_row",
];

#[inline(never)]
fn scenario_validate_hand(accounts: &[Account], calls: usize) -> usize {
    (0..calls)
        .filter(|n| hand::validate(black_box(&accounts[n % INPUTS])).is_ok())
        .count()
}

#[inline(never)]
fn scenario_validate_generated(accounts: &[Account], calls: usize) -> usize {
    (0..calls)
        .filter(|n| black_box(&accounts[n % INPUTS]).validate().is_ok())
        .count()
}

#[inline(never)]
fn scenario_validate_garde(accounts: &[GardeAccount], calls: usize) -> usize {
    (0..calls)
        .filter(|n| black_box(&accounts[n % INPUTS]).validate().is_ok())
        .count()
}

/// The error path: one account that breaks one rule of each money field,
/// every broken rule reported.
#[inline(never)]
fn scenario_validate_invalid_hand(account: &Account, calls: usize) -> usize {
    (0..calls)
        .map(|_| hand::validate(black_box(account)).map_or_else(|errors| errors.len(), |()| 0))
        .sum()
}

#[inline(never)]
fn scenario_validate_invalid_generated(account: &Account, calls: usize) -> usize {
    (0..calls)
        .map(|_| {
            black_box(account)
                .validate()
                .map_or_else(|errors| errors.len(), |()| 0)
        })
        .sum()
}

/// The error path against a hand-written validator that returns what the
/// generated one does (table, column, rule, stored value, currency too).
#[inline(never)]
fn scenario_validate_invalid_hand_reported(account: &Account, calls: usize) -> usize {
    (0..calls)
        .map(|_| {
            hand::validate_reported(black_box(account)).map_or_else(|errors| errors.len(), |()| 0)
        })
        .sum()
}

#[inline(never)]
fn scenario_json_serialize_plain(accounts: &[PlainAccount], calls: usize) -> usize {
    (0..calls)
        .map(|n| {
            serde_json::to_string(black_box(&accounts[n % INPUTS])).map_or(0, |text| text.len())
        })
        .sum()
}

#[inline(never)]
fn scenario_json_serialize_generated(accounts: &[Account], calls: usize) -> usize {
    (0..calls)
        .map(|n| {
            serde_json::to_string(black_box(&accounts[n % INPUTS])).map_or(0, |text| text.len())
        })
        .sum()
}

#[inline(never)]
fn scenario_json_plain(texts: &[String], calls: usize) -> usize {
    (0..calls)
        .filter(|n| serde_json::from_str::<PlainAccount>(black_box(&texts[n % INPUTS])).is_ok())
        .count()
}

#[inline(never)]
fn scenario_json_generated(texts: &[String], calls: usize) -> usize {
    (0..calls)
        .filter(|n| serde_json::from_str::<Account>(black_box(&texts[n % INPUTS])).is_ok())
        .count()
}

#[inline(never)]
fn scenario_decode_sqlx(rows: &[PgRow], calls: usize) -> Decimal {
    (0..calls).fold(Decimal::ZERO, |sum, n| {
        let row = &rows[n % rows.len()];
        db::fold(sum, row.try_get::<Decimal, _>(1).expect("numeric"))
    })
}

#[inline(never)]
fn scenario_decode_ours(rows: &[PgRow], calls: usize) -> Decimal {
    (0..calls).fold(Decimal::ZERO, |sum, n| {
        let raw = rows[n % rows.len()].try_get_raw(1).expect("column");
        let bytes = raw.as_bytes().expect("not null");
        db::fold(sum, decode_numeric_binary(bytes).expect("numeric"))
    })
}

#[inline(never)]
fn scenario_decode_value(rows: &[PgRow], calls: usize) -> Decimal {
    (0..calls).fold(Decimal::ZERO, |sum, n| {
        let balance: Balance = rows[n % rows.len()].try_get(1).expect("numeric");
        db::fold(sum, balance.into())
    })
}

#[inline(never)]
fn scenario_row_plain(rows: &[PgRow], calls: usize) -> usize {
    (0..calls)
        .filter(|n| PlainAccount::from_row(&rows[n % rows.len()]).is_ok())
        .count()
}

#[inline(never)]
fn scenario_row_generated(rows: &[PgRow], calls: usize) -> usize {
    (0..calls)
        .filter(|n| Account::from_row(&rows[n % rows.len()]).is_ok())
        .count()
}

#[inline(never)]
fn scenario_roundtrip_raw(runtime: &Runtime, pool: &PgPool, calls: usize) -> usize {
    for n in 0..calls {
        black_box(runtime.block_on(db::roundtrip_raw(pool, &sample(n as u64))));
    }
    calls
}

#[inline(never)]
fn scenario_roundtrip_generated(runtime: &Runtime, pool: &PgPool, calls: usize) -> usize {
    for n in 0..calls {
        black_box(runtime.block_on(db::roundtrip_generated(pool, &sample(n as u64))));
    }
    calls
}

#[inline(never)]
fn scenario_bulk_copy(runtime: &Runtime, pool: &PgPool, rows: &[Account]) -> u64 {
    runtime.block_on(db::bulk_copy(pool, rows))
}

#[inline(never)]
fn scenario_bulk_insert_many(runtime: &Runtime, pool: &PgPool, rows: &[Account]) -> u64 {
    runtime.block_on(db::bulk_insert_many(pool, rows))
}

#[inline(never)]
fn scenario_bulk_row_by_row(runtime: &Runtime, pool: &PgPool, rows: &[Account]) -> u64 {
    runtime.block_on(db::bulk_row_by_row(pool, rows))
}

/// Runs `scenario` against a fresh benchmark schema; client instructions
/// only are counted (the server is another process).
fn with_db(scenario: impl FnOnce(&Runtime, &PgPool) -> String) -> String {
    let runtime = runtime();
    let bench = runtime.block_on(BenchDb::connect());
    // One statement of each kind before counting: connections opened and
    // statements prepared, as in a running service.
    runtime.block_on(async {
        db::roundtrip_raw(&bench.pool, &sample(u64::MAX >> 2)).await;
        db::roundtrip_generated(&bench.pool, &sample(u64::MAX >> 3)).await;
        db::bulk_insert_many(&bench.pool, &samples(u64::MAX >> 4, 2)).await;
        bench.truncate().await;
    });
    let result = scenario(&runtime, &bench.pool);
    runtime.block_on(bench.drop());
    result
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn fetch_rows() -> Vec<PgRow> {
    let runtime = runtime();
    runtime.block_on(async {
        let bench = BenchDb::connect().await;
        let rows = bench.decode_rows(INPUTS as i64).await;
        bench.drop().await;
        rows
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    let calls: usize = args
        .next()
        .map(|text| text.parse().expect("N is a number"))
        .unwrap_or(10_000);
    let accounts = samples(0, INPUTS);
    let result = match name.as_str() {
        "list" => {
            println!("{}", NAMES.join("\n"));
            return;
        }
        "validate_hand" => scenario_validate_hand(&accounts, calls).to_string(),
        "validate_generated" => scenario_validate_generated(&accounts, calls).to_string(),
        "validate_invalid_hand" => {
            scenario_validate_invalid_hand(&invalid_sample(), calls).to_string()
        }
        "validate_invalid_generated" => {
            scenario_validate_invalid_generated(&invalid_sample(), calls).to_string()
        }
        "validate_invalid_hand_reported" => {
            scenario_validate_invalid_hand_reported(&invalid_sample(), calls).to_string()
        }
        // The error path with every rule that can break at once broken
        // (eight): the same functions as `validate_invalid_*` (LLVM would
        // merge identical ones), on another account; `callgrind.sh`
        // collects them under those names.
        "validate_every_hand" => {
            scenario_validate_invalid_hand(&every_rule_broken_sample(), calls).to_string()
        }
        "validate_every_hand_reported" => {
            scenario_validate_invalid_hand_reported(&every_rule_broken_sample(), calls).to_string()
        }
        "validate_every_generated" => {
            scenario_validate_invalid_generated(&every_rule_broken_sample(), calls).to_string()
        }
        "json_serialize_plain" => {
            let plain: Vec<PlainAccount> = (0..INPUTS as u64)
                .map(|n| serde_json::from_str(&sample_json(n)).expect("valid"))
                .collect();
            scenario_json_serialize_plain(&plain, calls).to_string()
        }
        "json_serialize_generated" => {
            scenario_json_serialize_generated(&accounts, calls).to_string()
        }
        "validate_garde" => {
            let accounts: Vec<GardeAccount> = accounts.iter().map(GardeAccount::from).collect();
            scenario_validate_garde(&accounts, calls).to_string()
        }
        "json_plain" | "json_generated" => {
            let texts: Vec<String> = (0..INPUTS as u64).map(sample_json).collect();
            match name.as_str() {
                "json_plain" => scenario_json_plain(&texts, calls).to_string(),
                _ => scenario_json_generated(&texts, calls).to_string(),
            }
        }
        "decode_sqlx" => scenario_decode_sqlx(&fetch_rows(), calls).to_string(),
        "decode_ours" => scenario_decode_ours(&fetch_rows(), calls).to_string(),
        "decode_value" => scenario_decode_value(&fetch_rows(), calls).to_string(),
        "row_plain" => scenario_row_plain(&fetch_rows(), calls).to_string(),
        "row_generated" => scenario_row_generated(&fetch_rows(), calls).to_string(),
        "roundtrip_raw" => {
            with_db(|runtime, pool| scenario_roundtrip_raw(runtime, pool, calls).to_string())
        }
        "roundtrip_generated" => {
            with_db(|runtime, pool| scenario_roundtrip_generated(runtime, pool, calls).to_string())
        }
        "bulk_copy" | "bulk_insert_many" | "bulk_row_by_row" => {
            let rows = samples(0, calls);
            with_db(|runtime, pool| {
                match name.as_str() {
                    "bulk_copy" => scenario_bulk_copy(runtime, pool, &rows),
                    "bulk_insert_many" => scenario_bulk_insert_many(runtime, pool, &rows),
                    _ => scenario_bulk_row_by_row(runtime, pool, &rows),
                }
                .to_string()
            })
        }
        other => {
            eprintln!("unknown scenario {other:?}; one of: {}", NAMES.join(", "));
            std::process::exit(2);
        }
    };
    println!("{name} x {calls}: {result}");
}
