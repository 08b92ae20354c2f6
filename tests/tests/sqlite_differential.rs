//! The proof that Rust and SQLite agree, on the same spec matrix and values
//! as the PostgreSQL and MariaDB tests: each value is checked with
//! `validate()` and inserted through the generated DDL, and the two verdicts
//! must be equal. On rejection SQLite must name a constraint that
//! `validate()` also reported; on acceptance it must store exactly the units
//! of the value Rust says it stores.
//!
//! A value goes to SQLite as a writer would send it: its minor units as an
//! `INTEGER` when they are a whole number that fits 64 bits (in round mode
//! after Rust's rounding, as the encoder does), otherwise as the exact text
//! of its units (`'12345.6'`, `'100000000000000000000'`), which the CHECKs
//! must refuse under the right name. Specs with precision above 18 cannot be
//! stored on SQLite and are left out, each with a line saying so.

use money_core::ddl;
use money_core::dialect::sqlite as units;
use money_core::{Decimal, Dialect};
use money_tests::matrix::{self, Case, Summary, Tally, Verdict};
use money_tests::sqlite;
use sqlx::{Connection, Row, SqliteConnection};

/// Values inserted per transaction.
const BATCH: usize = 2_000;

/// What goes into the `amount` column for `value`.
enum Sent {
    /// The units as an SQLite `INTEGER`.
    Integer(i64),
    /// The exact text of the units, for a value that has no `INTEGER` form.
    Text(String),
}

fn encode(case: &Case, value: Decimal) -> Sent {
    let spec = case.spec();
    match units::stored_units(spec, value) {
        Ok(units) => Sent::Integer(units),
        Err(_) => Sent::Text(
            units::units_text(spec.stored_value(value), spec.scale())
                .expect("a declared scale is at most 28"),
        ),
    }
}

async fn run_case(
    connection: &mut SqliteConnection,
    case: &Case,
    values: &[Decimal],
) -> (Tally, usize) {
    sqlx::raw_sql(sqlx::AssertSqlSafe((case.create_table_sql)(
        Dialect::Sqlite,
    )))
    .execute(&mut *connection)
    .await
    .expect("the generated DDL runs");
    let insert = ddl::insert_sql(case.table, Dialect::Sqlite, true);
    let scale = case.spec().scale();
    let mut tally = Tally::default();
    let mut sent_as_text = 0;
    for (batch_index, batch) in values.chunks(BATCH).enumerate() {
        let mut transaction = connection.begin().await.expect("BEGIN");
        for (position, value) in batch.iter().enumerate() {
            let id = (batch_index * BATCH + position) as i64;
            let query = sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(id);
            let (query, path) = match encode(case, *value) {
                Sent::Integer(units) => (query.bind(units), format!("sent as INTEGER {units}")),
                Sent::Text(text) => {
                    sent_as_text += 1;
                    let path = format!("sent as text '{text}'");
                    (query.bind(text), path)
                }
            };
            let verdict = match query.fetch_one(&mut *transaction).await {
                Ok(row) => match row.try_get::<i64, _>(1) {
                    Ok(stored) => match units::from_units(stored, scale) {
                        Ok(stored) => Verdict::Stored(stored),
                        Err(error) => Verdict::Other(format!("stored units {stored}: {error}")),
                    },
                    Err(error) => Verdict::Other(format!("stored a non-integer: {error}")),
                },
                Err(error) => match sqlite::violated_check(&error) {
                    Some(constraint) => Verdict::Violated(constraint.to_owned()),
                    None => Verdict::Other(format!("error: {error}")),
                },
            };
            tally.record(case, *value, verdict, &path);
        }
        transaction.commit().await.expect("COMMIT");
    }
    (tally, sent_as_text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_sqlite_agree_on_every_value() {
    let mut connection = sqlite::fresh_database().await;
    let version = sqlite::version(&mut connection).await;
    let mut summary = Summary::new(format!("SQLite {version}"));
    for (index, case) in matrix::cases().iter().enumerate() {
        let spec = case.spec();
        if !units::supports(spec) {
            summary.exclude(
                case,
                &format!(
                    "precision {} > {}: 10^{} - 1 minor units do not fit SQLite's 64-bit INTEGER",
                    spec.precision(),
                    units::MAX_PRECISION,
                    spec.precision()
                ),
            );
            continue;
        }
        let values = matrix::values_for(index, spec);
        let (tally, sent_as_text) = run_case(&mut connection, case, &values).await;
        summary.add(case, tally, &format!("  ({sent_as_text} sent as text)"));
    }
    connection.close().await.expect("close SQLite");
    summary.finish();
}
