//! What both examples share: the database from `DATABASE_URL`, a schema of
//! their own, and dropping it at the end.

use std::error::Error;
use std::process::ExitCode;

use money_ledger::Ledger;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// A ledger in a fresh schema `money_ledger_<example>_<pid>` of the
/// `DATABASE_URL` database, or the exit code after saying how to set it.
pub async fn open(example: &str) -> Result<(Ledger, String), ExitCode> {
    let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!(
            "DATABASE_URL is not set. This example needs a PostgreSQL database it may create a \
             schema in (it drops it at the end), for instance:\n\n    \
             DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run -p money-ledger --example {example}\n"
        );
        return Err(ExitCode::from(2));
    };
    match connect(&url, example).await {
        Ok(opened) => Ok(opened),
        Err(error) => {
            eprintln!("cannot prepare the example's schema on DATABASE_URL: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}

async fn connect(url: &str, example: &str) -> Result<(Ledger, String), Box<dyn Error>> {
    let schema = format!("money_ledger_{example}_{}", std::process::id());
    let mut connection = PgConnection::connect(url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.options([("search_path", schema.as_str())]))
        .await?;
    let ledger = Ledger::new(pool);
    ledger.create_schema().await?;
    println!("schema {schema}: tables created");
    Ok((ledger, schema))
}

/// Drops the example's schema and closes the pool.
pub async fn close(ledger: Ledger, schema: &str) -> Result<(), Box<dyn Error>> {
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
        .execute(ledger.pool())
        .await?;
    ledger.pool().close().await;
    println!("schema {schema} dropped");
    Ok(())
}
