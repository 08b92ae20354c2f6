//! The ledger's schema: the DDL of each model, as the derive renders it,
//! then the foreign keys, which the derive does not declare.

use money_core::{Dialect, MoneyModel};
use sqlx::{AssertSqlSafe, PgConnection};

use crate::{Account, Conversion, Entry, FxRate, Transfer};

/// Foreign keys and the one cross-column rule. None of them reads another
/// table at insert time in a way PostgreSQL would not re-check: foreign keys
/// are enforced on both sides.
const CONSTRAINTS: &[&str] = &[
    r#"ALTER TABLE "transfers"
        ADD CONSTRAINT "transfers_debit_account_fkey" FOREIGN KEY ("debit_account_id") REFERENCES "accounts" ("id"),
        ADD CONSTRAINT "transfers_credit_account_fkey" FOREIGN KEY ("credit_account_id") REFERENCES "accounts" ("id"),
        ADD CONSTRAINT "transfers_distinct_accounts" CHECK ("debit_account_id" <> "credit_account_id")"#,
    r#"ALTER TABLE "journal_entries"
        ADD CONSTRAINT "journal_entries_transfer_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers" ("transfer_id"),
        ADD CONSTRAINT "journal_entries_account_fkey" FOREIGN KEY ("account_id", "currency") REFERENCES "accounts" ("id", "currency")"#,
    r#"CREATE INDEX "journal_entries_account_idx" ON "journal_entries" ("account_id")"#,
    r#"ALTER TABLE "fx_conversions"
        ADD CONSTRAINT "fx_conversions_transfer_fkey" FOREIGN KEY ("transfer_id") REFERENCES "transfers" ("transfer_id"),
        ADD CONSTRAINT "fx_conversions_rate_fkey" FOREIGN KEY ("rate_id") REFERENCES "fx_rates" ("id")"#,
];

/// Every statement of the schema, in order: `CREATE TABLE` of each model,
/// then the foreign keys.
///
/// ```
/// let statements = money_ledger::schema::statements();
/// assert!(statements[0].contains(r#"CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0)"#));
/// ```
pub fn statements() -> Vec<String> {
    let mut statements = vec![
        Account::create_table_sql(Dialect::Postgres),
        Transfer::create_table_sql(Dialect::Postgres),
        Entry::create_table_sql(Dialect::Postgres),
        FxRate::create_table_sql(Dialect::Postgres),
        Conversion::create_table_sql(Dialect::Postgres),
    ];
    statements.extend(CONSTRAINTS.iter().map(|statement| (*statement).to_owned()));
    statements
}

/// Creates the ledger's tables in the connection's current schema (the
/// first of its `search_path`), all or nothing: one simple-protocol message,
/// which PostgreSQL runs as a single transaction.
///
/// # Errors
///
/// The database's error, when a table already exists for instance.
pub async fn create(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let script = statements().join(";\n");
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(connection)
        .await?;
    Ok(())
}
