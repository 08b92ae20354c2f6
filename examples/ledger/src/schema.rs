//! The ledger's schema: the DDL of each model, as the derive renders it
//! (foreign keys included, in dependency order) for PostgreSQL or
//! MariaDB/MySQL, then what the derive does not declare: a CHECK across two
//! columns and an index.

use money_core::{Dialect, MoneyModel, Table, ddl};
use sqlx::{AssertSqlSafe, MySqlConnection, PgConnection};

use crate::{Account, Conversion, Entry, FxRate, Transfer};

/// The ledger's declarations, in any order ([`ddl::create_tables`] orders
/// them): what [`statements_for`] renders before its extras, and what
/// `money_sqlx::schema::verify` checks a live ledger against.
pub const TABLES: [&Table; 5] = [
    Conversion::DEFINITION,
    Entry::DEFINITION,
    Transfer::DEFINITION,
    FxRate::DEFINITION,
    Account::DEFINITION,
];

/// Every statement of the PostgreSQL schema, in order: `CREATE TABLE` of
/// each model, each after the tables its foreign keys reference
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
    statements_for(Dialect::Postgres)
}

/// [`statements`] rendered for `dialect`, from the same declarations:
/// `Dialect::Postgres` or `Dialect::MySql` (the dialects the ledger runs
/// on). Every type, CHECK constraint, key and foreign key is what the
/// derive renders for the dialect: the timestamps (`time::OffsetDateTime`)
/// are `timestamptz` on PostgreSQL and `datetime(6)` holding UTC on
/// MariaDB/MySQL.
///
/// # Errors
///
/// As [`statements`].
///
/// ```
/// use money_core::Dialect;
///
/// let statements = money_ledger::schema::statements_for(Dialect::MySql).unwrap();
/// assert!(statements[0].contains("CONSTRAINT `accounts_balance_min` CHECK (`balance` >= 0)"));
/// assert!(statements.iter().any(|statement| statement.contains("`as_of` datetime(6) NOT NULL")));
/// assert!(statements.iter().all(|statement| !statement.contains("timestamptz")));
/// ```
pub fn statements_for(dialect: Dialect) -> Result<Vec<String>, ddl::OrderError> {
    let mut statements = ddl::create_tables(&TABLES, dialect)?;
    let quote = |name: &str| ddl::quote(dialect, name);
    statements.push(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} <> {})",
        quote("transfers"),
        quote("transfers_distinct_accounts"),
        quote("debit_account_id"),
        quote("credit_account_id"),
    ));
    statements.push(format!(
        "CREATE INDEX {} ON {} ({})",
        quote("journal_entries_account_idx"),
        quote("journal_entries"),
        quote("account_id"),
    ));
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

/// Creates the ledger's tables in the connection's current database on
/// MariaDB/MySQL, one statement at a time. MariaDB commits each DDL
/// statement on its own (DDL is not transactional there): when one fails,
/// the tables created before it stay, and the error names the statement.
/// On a Galera cluster each statement is replicated to every node (total
/// order isolation).
///
/// # Errors
///
/// The database's error, when a table already exists for instance; a
/// [`ddl::OrderError`] as `sqlx::Error::Configuration`.
pub async fn create_mysql(connection: &mut MySqlConnection) -> Result<(), sqlx::Error> {
    let statements = statements_for(Dialect::MySql)
        .map_err(|error| sqlx::Error::Configuration(Box::new(error)))?;
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&mut *connection)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(_) => sqlx::Error::Configuration(
                    format!("creating the ledger's schema, `{statement}` failed: {error}").into(),
                ),
                other => other,
            })?;
    }
    Ok(())
}
