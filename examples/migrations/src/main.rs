//! Applies the migrations embedded in this binary to the database named by
//! `DATABASE_URL` and prints what it applied; without `DATABASE_URL`, prints
//! the migrations it would apply.
//!
//! ```text
//! cargo run -p money-migrations-example
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run -p money-migrations-example
//! ```
//!
//! `check` compares the database with the models instead
//! ([`money_sqlx::schema::verify`]) and applies nothing: it prints the
//! report and the fix and exits with 1 on drift, prints that the schema is
//! clean and exits with 0 when it is, and exits with 2 when it cannot tell
//! (no `DATABASE_URL`, a connection or catalog error).
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run -p money-migrations-example -- check
//! ```
//!
//! `check` also takes a MariaDB/MySQL (`mysql://...`, `mariadb://...`) or
//! SQLite (`sqlite://path.db`) URL, for a database whose tables come from
//! the models' DDL for that dialect (the migrations are PostgreSQL's).
//!
//! The tables and `_sqlx_migrations` go into the first schema of the
//! connection's `search_path`; to use another one, add
//! `?options=-csearch_path%3Dmy_schema` to the URL.

use std::process::ExitCode;

use money_migrations_example::{MIGRATOR, apply};
use sqlx::PgPool;

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("check") => return check(&url).await,
        Some(other) => {
            eprintln!(
                "error: unknown command `{other}`; run without arguments to migrate, or `check` to compare the database with the models"
            );
            return ExitCode::from(2);
        }
    }
    if url.is_empty() {
        print_plan();
        return ExitCode::SUCCESS;
    }
    match run(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `check`: the database against the models, the fix on drift.
async fn check(url: &str) -> ExitCode {
    if url.is_empty() {
        eprintln!("error: `check` needs DATABASE_URL, the database to compare with the models");
        return ExitCode::from(2);
    }
    let tables = money_examples::TABLES;
    let report = if url.starts_with("mysql:") || url.starts_with("mariadb:") {
        match sqlx::MySqlPool::connect(url).await {
            Ok(pool) => money_sqlx::schema::verify(&pool, tables)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("cannot connect: {error}")),
        }
    } else if url.starts_with("sqlite:") {
        match money_sqlx::sqlite::open(url).await {
            Ok(pool) => money_sqlx::schema::verify(&pool, tables)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("cannot open: {error}")),
        }
    } else {
        match PgPool::connect(url).await {
            Ok(pool) => money_sqlx::schema::verify(&pool, tables)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("cannot connect: {error}")),
        }
    };
    match report {
        Ok(report) if report.is_clean() => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Ok(report) => {
            println!("{report}\n");
            println!("-- The fix, in order (read the comments before running it):");
            for fix in report.fix_sql() {
                println!("{fix}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Without a database: every embedded migration, with its SQL.
fn print_plan() {
    println!(
        "DATABASE_URL is not set. With it, this binary applies these {} migration(s), \
         skipping the ones the database has already applied:\n",
        MIGRATOR.iter().count()
    );
    for migration in MIGRATOR.iter() {
        println!(
            "-- version {} ({})\n{}\n",
            migration.version,
            migration.description,
            migration.sql.as_str().trim_end()
        );
    }
}

async fn run(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let pool = PgPool::connect(url).await?;
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await?;
    let outcome = apply(&pool).await?;
    for migration in &outcome {
        println!(
            "{} {:>4} {}",
            if migration.applied_now {
                "applied        "
            } else {
                "already applied"
            },
            migration.version,
            migration.description
        );
    }
    let applied = outcome
        .iter()
        .filter(|migration| migration.applied_now)
        .count();
    println!(
        "{applied} migration(s) applied, {} already there, in schema {}",
        outcome.len() - applied,
        schema
            .as_deref()
            .unwrap_or("(none: the search_path names no existing schema)")
    );
    pool.close().await;
    Ok(())
}
