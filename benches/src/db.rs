//! PostgreSQL for the benchmarks: the server, a schema of their own, and
//! each side of every database comparison.
//!
//! The benchmarks use the server named by `DATABASE_URL`, else
//! [`DEFAULT_DATABASE_URL`] (a PostgreSQL on 127.0.0.1:5432, user
//! `postgres`, database `test`, trust authentication). They do not start a
//! server of their own: a timing against a server started with a throwaway
//! configuration would say little. Everything happens in a schema created
//! for the run (`money_bench_<pid>`) and dropped at its end.

use std::fmt::Write as _;

use money_core::{Decimal, Dialect, MoneyModel, ddl};
use money_sqlx::ModelExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use crate::Account;
use crate::plain::PlainAccount;

/// The server the benchmarks use when `DATABASE_URL` is unset or empty.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The insert written by hand: the same text as the generated one, so both
/// sides prepare the same statement.
pub const RAW_INSERT: &str = r#"INSERT INTO "bench_accounts" ("id", "balance", "overdraft_limit", "fee") VALUES ($1, $2, $3, $4)"#;

/// The read of one row, for both sides.
pub const SELECT_ONE: &str =
    r#"SELECT "id", "balance", "overdraft_limit", "fee" FROM "bench_accounts" WHERE "id" = $1"#;

/// `COPY` of the same columns, text format.
pub const COPY_IN: &str =
    r#"COPY "bench_accounts" ("id", "balance", "overdraft_limit", "fee") FROM STDIN"#;

/// Rows of `numeric` values shaped like [`Account`]s (10 to 14 significant
/// digits at scale 4, scale 2 fees, a NULL every fourth row), made by the
/// server, for the decode comparisons.
pub const DECODE_ROWS: &str = r#"SELECT g::bigint AS "id",
       (123456.7890 + g * 0.7919)::numeric AS "balance",
       CASE WHEN g % 4 = 0 THEN NULL ELSE 5000000000.0000 + g * 0.0001 END AS "overdraft_limit",
       ((g % 100000) * 0.01)::numeric(10, 2) AS "fee"
  FROM generate_series(1, $1) AS g"#;

/// `DATABASE_URL`, else [`DEFAULT_DATABASE_URL`].
pub fn database_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => DEFAULT_DATABASE_URL.to_owned(),
    }
}

/// A schema of the benchmarks' own, holding the `bench_accounts` table
/// created from [`Account`]'s generated DDL, and a pool whose connections
/// see only that schema.
#[derive(Debug)]
pub struct BenchDb {
    /// Two connections, `search_path` set to the schema.
    pub pool: PgPool,
    /// `money_bench_<pid>`.
    pub schema: String,
}

impl BenchDb {
    /// Creates the schema and the table.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached; the message names the URL and
    /// how to choose another.
    pub async fn connect() -> BenchDb {
        let url = database_url();
        let mut admin = PgConnection::connect(&url).await.unwrap_or_else(|error| {
            panic!(
                "the PostgreSQL benchmarks need a server: cannot connect to {url} ({error}); \
                 set DATABASE_URL to one (they default to {DEFAULT_DATABASE_URL})"
            )
        });
        let schema = format!("money_bench_{}", std::process::id());
        for sql in [
            format!(r#"DROP SCHEMA IF EXISTS "{schema}" CASCADE"#),
            format!(r#"CREATE SCHEMA "{schema}""#),
        ] {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .expect("create the benchmark schema");
        }
        admin.close().await.expect("close");
        let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.options([("search_path", schema.as_str())]))
            .await
            .expect("open the benchmark pool");
        sqlx::raw_sql(AssertSqlSafe(Account::create_table_sql(Dialect::Postgres)))
            .execute(&pool)
            .await
            .expect("create bench_accounts");
        BenchDb { pool, schema }
    }

    /// Another pool (two connections) on the same schema, with extra
    /// session settings such as `("synchronous_commit", "off")`.
    pub async fn pool_with(&self, settings: &[(&str, &str)]) -> PgPool {
        let options: PgConnectOptions = database_url().parse().expect("a PostgreSQL URL");
        let mut all = vec![("search_path", self.schema.as_str())];
        all.extend_from_slice(settings);
        PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.options(all))
            .await
            .expect("open a benchmark pool")
    }

    /// Empties `bench_accounts`.
    pub async fn truncate(&self) {
        sqlx::query("TRUNCATE bench_accounts")
            .execute(&self.pool)
            .await
            .expect("truncate");
    }

    /// Drops the schema and closes the pool.
    pub async fn drop(self) {
        let sql = format!(r#"DROP SCHEMA IF EXISTS "{}" CASCADE"#, self.schema);
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .expect("drop the benchmark schema");
        self.pool.close().await;
    }

    /// The server's version, for the record.
    pub async fn server_version(&self) -> String {
        sqlx::query_scalar("SHOW server_version")
            .fetch_one(&self.pool)
            .await
            .expect("server_version")
    }

    /// `count` rows of [`DECODE_ROWS`], fetched once.
    pub async fn decode_rows(&self, count: i64) -> Vec<PgRow> {
        sqlx::query(DECODE_ROWS)
            .bind(count)
            .fetch_all(&self.pool)
            .await
            .expect("decode rows")
    }
}

/// Generated side of the round trip: `insert` (validates, binds every
/// column), then the row read back through the generated, validating
/// `FromRow`.
pub async fn roundtrip_generated(pool: &PgPool, account: &Account) -> Account {
    account.insert(pool).await.expect("insert");
    sqlx::query_as::<_, Account>(SELECT_ONE)
        .bind(account.id)
        .fetch_one(pool)
        .await
        .expect("select")
}

/// Raw side of the round trip: hand-written binds, and a `FromRow` written
/// as sqlx's derive would write it, with sqlx's `Decimal` decode.
pub async fn roundtrip_raw(pool: &PgPool, account: &Account) -> PlainAccount {
    sqlx::query(RAW_INSERT)
        .bind(account.id)
        .bind(account.balance)
        .bind(account.overdraft_limit)
        .bind(account.fee)
        .execute(pool)
        .await
        .expect("insert");
    sqlx::query_as::<_, PlainAccount>(SELECT_ONE)
        .bind(account.id)
        .fetch_one(pool)
        .await
        .expect("select")
}

/// Generated batch insert: one `INSERT ... SELECT * FROM UNNEST(...)`.
pub async fn bulk_insert_many(pool: &PgPool, rows: &[Account]) -> u64 {
    Account::insert_many(rows, pool).await.expect("insert_many")
}

/// Row by row with the generated `insert`, all rows in one transaction
/// (the fastest way to insert row by row: one commit).
pub async fn bulk_row_by_row(pool: &PgPool, rows: &[Account]) -> u64 {
    let mut transaction = pool.begin().await.expect("begin");
    for row in rows {
        row.insert(&mut *transaction).await.expect("insert");
    }
    transaction.commit().await.expect("commit");
    rows.len() as u64
}

/// Row by row with the generated `insert` on the pool: one commit per row,
/// as a loop over `insert(&pool)` does.
pub async fn bulk_row_by_row_autocommit(pool: &PgPool, rows: &[Account]) -> u64 {
    for row in rows {
        row.insert(pool).await.expect("insert");
    }
    rows.len() as u64
}

/// `COPY ... FROM STDIN` in text format through sqlx's `copy_in_raw`, the
/// text built from the rows in the timed section; no validation.
pub async fn bulk_copy(pool: &PgPool, rows: &[Account]) -> u64 {
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
    let mut connection = pool.acquire().await.expect("acquire");
    let mut copy = connection.copy_in_raw(COPY_IN).await.expect("copy in");
    copy.send(text.into_bytes()).await.expect("copy data");
    copy.finish().await.expect("copy finish")
}

/// Sums `value` so the optimizer cannot drop a decode.
#[inline]
pub fn fold(sum: Decimal, value: Decimal) -> Decimal {
    // Cheap and never overflows: only the low bits matter.
    Decimal::from_parts(
        (sum.mantissa() as u32) ^ (value.mantissa() as u32),
        0,
        0,
        false,
        0,
    )
}

/// The generated insert's SQL, to check [`RAW_INSERT`] against.
pub fn generated_insert_sql() -> String {
    ddl::insert_sql(Account::DEFINITION, Dialect::Postgres, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_insert_is_the_generated_text() {
        assert_eq!(generated_insert_sql(), RAW_INSERT);
    }
}
