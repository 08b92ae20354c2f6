//! Helpers for the ledger's tests (`tests/*.rs`, each a crate of its own
//! that uses what it needs of them), on the servers of `money_tests`, the
//! workspace's test harness: the ledgers in fresh schemas or databases, and
//! the bank test's checker ([`bank`]).
#![allow(dead_code)]

pub mod bank;

use money_ledger::{Account, Ledger, LedgerDatabase};
use rust_decimal::Decimal;
use sqlx::{MySql, MySqlPool, PgPool};

use money_tests::dec;
use money_tests::mysql::TestDatabase;
use money_tests::pg::{TestSchema, count, fresh_schema};

/// A ledger in a fresh schema with `accounts` opened: `(id, currency,
/// balance)`.
///
/// # Panics
///
/// When the schema or an account cannot be created.
pub async fn ledger_with(accounts: &[(i64, &str, &str)]) -> (TestSchema, Ledger) {
    let schema = fresh_schema().await;
    let ledger = Ledger::new(schema.pool.clone());
    open_accounts(&ledger, accounts).await;
    (schema, ledger)
}

/// [`ledger_with`] on MariaDB/MySQL: a ledger in a fresh database of the
/// test server (`money_tests::mysql`).
///
/// # Panics
///
/// When the database or an account cannot be created.
pub async fn mysql_ledger_with(accounts: &[(i64, &str, &str)]) -> (TestDatabase, Ledger<MySql>) {
    let database = money_tests::mysql::fresh_database().await;
    let ledger = Ledger::new(database.pool.clone());
    open_accounts(&ledger, accounts).await;
    (database, ledger)
}

/// Creates the ledger's tables and opens `accounts`.
///
/// # Panics
///
/// When a table or an account cannot be created.
pub async fn open_accounts<DB: LedgerDatabase>(
    ledger: &Ledger<DB>,
    accounts: &[(i64, &str, &str)],
) {
    ledger
        .create_schema()
        .await
        .expect("create the ledger's tables");
    for (id, currency, balance) in accounts {
        ledger
            .open_account(&Account {
                id: *id,
                currency: (*currency).to_owned(),
                balance: dec(balance),
            })
            .await
            .expect("open account");
    }
}

/// Every account's balance, by id, from one snapshot.
///
/// # Panics
///
/// When the read fails.
pub async fn balances<DB: LedgerDatabase>(ledger: &Ledger<DB>) -> Vec<(i64, Decimal)> {
    ledger
        .accounts()
        .await
        .expect("read accounts")
        .into_iter()
        .map(|account| (account.id, account.balance))
        .collect()
}

/// How many transfers are stored.
///
/// # Panics
///
/// When the count fails.
pub async fn stored_transfers(pool: &PgPool) -> i64 {
    count(pool, "transfers").await
}

/// How many rows `table` (a table name, not user input) holds on MariaDB/MySQL.
///
/// # Panics
///
/// When the count fails.
pub async fn mysql_count(pool: &MySqlPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM `{table}`"
    )))
    .fetch_one(pool)
    .await
    .unwrap_or_else(|error| panic!("counting {table}: {error}"))
}
