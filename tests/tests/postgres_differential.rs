//! The proof that Rust and PostgreSQL agree: for every spec of a matrix,
//! generated values are checked with `validate()` and inserted through the
//! generated DDL, and the two verdicts must be equal. On rejection the
//! database must name a constraint that `validate()` also reported; on
//! acceptance it must store exactly the value Rust says it stores.

use money_core::{Decimal, Dialect};
use money_tests::matrix::{self, Case, Summary, Tally, Verdict};
use money_tests::pg;

/// Values sent per call of `try_insert`.
const BATCH: usize = 2_000;

const TRY_INSERT: &str = r#"
CREATE FUNCTION try_insert(target text, first_id bigint, amounts numeric[])
RETURNS TABLE(ordinal int, code text, violated text, stored numeric)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
    FOR i IN 1 .. coalesce(array_length(amounts, 1), 0) LOOP
        ordinal := i;
        BEGIN
            EXECUTE format('INSERT INTO %I (id, amount) VALUES ($1, $2) RETURNING amount', target)
                INTO stored USING first_id + i, amounts[i];
            code := '00000';
            violated := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, violated = CONSTRAINT_NAME;
            stored := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
"#;

async fn run_case(pool: &sqlx::PgPool, case: &Case, values: &[Decimal]) -> Tally {
    let table = case.name();
    sqlx::raw_sql(sqlx::AssertSqlSafe((case.create_table_sql)(
        Dialect::Postgres,
    )))
    .execute(pool)
    .await
    .expect("the generated DDL runs");
    let mut tally = Tally::default();
    for (batch_index, batch) in values.chunks(BATCH).enumerate() {
        let first_id = (batch_index * BATCH) as i64;
        let rows: Vec<(i32, String, Option<String>, Option<Decimal>)> =
            sqlx::query_as("SELECT ordinal, code, violated, stored FROM try_insert($1, $2, $3)")
                .bind(table)
                .bind(first_id)
                .bind(batch)
                .fetch_all(pool)
                .await
                .expect("try_insert runs");
        assert_eq!(rows.len(), batch.len(), "one verdict per value");
        for (position, state, constraint, stored) in rows {
            let value = batch[position as usize - 1];
            let verdict = match (state.as_str(), constraint, stored) {
                ("00000", _, Some(stored)) => Verdict::Stored(stored),
                ("23514", Some(constraint), None) => Verdict::Violated(constraint),
                (state, constraint, stored) => Verdict::Other(format!(
                    "sqlstate {state} constraint {constraint:?} stored {stored:?}"
                )),
            };
            tally.record(case, value, verdict, "as numeric[] element");
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_postgres_agree_on_every_value() {
    let schema = pg::fresh_schema().await;
    sqlx::raw_sql(TRY_INSERT)
        .execute(&schema.pool)
        .await
        .expect("create try_insert");
    let mut summary = Summary::new("PostgreSQL");
    for (index, case) in matrix::cases().iter().enumerate() {
        let values = matrix::values_for(index, case.spec());
        let tally = run_case(&schema.pool, case, &values).await;
        summary.add(case, tally, "");
    }
    schema.drop().await;
    summary.finish();
}
