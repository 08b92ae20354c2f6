//! What `money_sqlx::schema::verify` costs for 1 table and for 200 tables
//! on PostgreSQL (`BENCHMARKS.md`, section 9): the catalog is read once per
//! call for all tables, not once per table.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --release -p money-benches --bin verify_scale -- [rounds]
//! ```
//!
//! Works in a schema of its own (`money_verify_scale`), dropped at the end.
//! Each table has a primary key, a money column with four CHECKs and a
//! currency column with its CHECK, like `accounts`; each round runs `verify`
//! once on 1 table and once on 200, alternating, and the medians are printed
//! with their quartiles.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use money_benches::db::database_url;
use money_benches::paired::Quartiles;
// Tables built at run time, as generated code builds them: through the
// hidden `__private` constructors (200 derived structs would measure the
// same thing and take a minute to compile).
use money_core::__private::{column, money_spec, table};
use money_core::{Column, ColumnType, Decimal, Dialect, ExcessScale, Scalar, Table, ddl};
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Executor};

const SCHEMA: &str = "money_verify_scale";
const TABLES: usize = 200;

/// `count` tables `scale_0` .. like `accounts`, leaked (a benchmark's
/// lifetime is the process's).
fn tables(count: usize) -> Vec<&'static Table> {
    let spec = money_spec(19, 4, Some(Decimal::ZERO), None, ExcessScale::Reject, None);
    // Shared by every table, so without the constraint names the derive
    // writes per table: money-core computes them, as it does for any
    // column it was given no names for.
    let columns: &'static [Column] = Box::leak(Box::new([
        column(
            "id",
            "id",
            ColumnType::Scalar(Scalar::BigInt),
            false,
            true,
            &[],
        ),
        column(
            "currency",
            "currency",
            ColumnType::Currency,
            false,
            false,
            &[],
        ),
        column(
            "balance",
            "balance",
            ColumnType::Money(spec),
            false,
            false,
            &[],
        ),
    ]));
    (0..count)
        .map(|index| {
            let name: &'static str = Box::leak(format!("scale_{index}").into_boxed_str());
            let table: &'static Table = Box::leak(Box::new(table(name, columns, &[], &[])));
            table
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(20);
    match run(rounds).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(rounds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let url = database_url();
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    admin
        .execute(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"
        )))
        .await?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|connection, _| {
            Box::pin(async move {
                connection
                    .execute(AssertSqlSafe(format!("SET search_path TO {SCHEMA}")))
                    .await
                    .map(drop)
            })
        })
        .connect(&url)
        .await?;
    let all = tables(TABLES);
    for table in &all {
        pool.execute(AssertSqlSafe(ddl::create_table(table, Dialect::Postgres)))
            .await?;
    }
    // The catalog as autovacuum keeps it: without this, a server with
    // autovacuum off (as some test servers run) holds the dead catalog rows
    // of every earlier run's DROP SCHEMA, and looking up 200 table names
    // wades through them. A role that may not vacuum the catalog gets a
    // warning, not an error.
    admin
        .execute("VACUUM (ANALYZE) pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_constraint, pg_catalog.pg_namespace")
        .await?;
    let one = &all[..1];
    // Warm up: plans, catalog caches.
    for _ in 0..2 {
        assert!(money_sqlx::schema::verify(&pool, one).await?.is_clean());
        assert!(money_sqlx::schema::verify(&pool, &all).await?.is_clean());
    }
    let (mut single, mut many) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let report = money_sqlx::schema::verify(&pool, one).await?;
        single.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(report.is_clean(), "{report}");
        let start = Instant::now();
        let report = money_sqlx::schema::verify(&pool, &all).await?;
        many.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(report.is_clean(), "{report}");
    }
    let (single, many) = (Quartiles::of(&single), Quartiles::of(&many));
    println!(
        "verify, 1 table:      median {:.1} ms (q1 {:.1}, q3 {:.1}), {rounds} rounds",
        single.median, single.q1, single.q3
    );
    println!(
        "verify, {TABLES} tables: median {:.1} ms (q1 {:.1}, q3 {:.1}), {rounds} rounds",
        many.median, many.q1, many.q3
    );
    println!("ratio (medians): {:.2}x", many.median / single.median);
    pool.close().await;
    admin
        .execute(AssertSqlSafe(format!("DROP SCHEMA {SCHEMA} CASCADE")))
        .await?;
    Ok(())
}
