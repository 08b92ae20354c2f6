//! The ledger's schema: the DDL of each model, as the derive renders it
//! (foreign keys included, in dependency order), then what the derive does
//! not declare: a CHECK across two columns and an index.

use money_core::{Dialect, MoneyModel, ddl};
use sqlx::{AssertSqlSafe, PgConnection};

use crate::{Account, Conversion, Entry, FxRate, Transfer};

/// What the declarations cannot say: a rule that compares two columns of a
/// row, and an index for reading an account's entries.
const EXTRAS: &[&str] = &[
    r#"ALTER TABLE "transfers"
        ADD CONSTRAINT "transfers_distinct_accounts" CHECK ("debit_account_id" <> "credit_account_id")"#,
    r#"CREATE INDEX "journal_entries_account_idx" ON "journal_entries" ("account_id")"#,
];

/// Every statement of the schema, in order: `CREATE TABLE` of each model,
/// each after the tables its foreign keys reference
/// ([`ddl::create_tables`]), then the extras.
///
/// # Errors
///
/// [`ddl::OrderError`] if the declarations' foreign keys formed a cycle
/// (they do not: the doctest below creates the order).
///
/// ```
/// let statements = money_ledger::schema::statements().unwrap();
/// assert!(statements[0].contains(r#"CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0)"#));
/// assert!(statements.iter().any(|statement| statement.contains(
///     r#"CONSTRAINT "journal_entries_account_id_currency_fkey" FOREIGN KEY ("account_id", "currency") REFERENCES "accounts" ("id", "currency")"#
/// )));
/// ```
pub fn statements() -> Result<Vec<String>, ddl::OrderError> {
    let mut statements = ddl::create_tables(
        &[
            Conversion::DEFINITION,
            Entry::DEFINITION,
            Transfer::DEFINITION,
            FxRate::DEFINITION,
            Account::DEFINITION,
        ],
        Dialect::Postgres,
    )?;
    statements.extend(EXTRAS.iter().map(|statement| (*statement).to_owned()));
    Ok(statements)
}

/// Creates the ledger's tables in the connection's current schema (the
/// first of its `search_path`), all or nothing: one simple-protocol message,
/// which PostgreSQL runs as a single transaction.
///
/// # Errors
///
/// The database's error, when a table already exists for instance; a
/// [`ddl::OrderError`] as `sqlx::Error::Configuration`.
pub async fn create(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let script = statements()
        .map_err(|error| sqlx::Error::Configuration(Box::new(error)))?
        .join(";\n");
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(connection)
        .await?;
    Ok(())
}
