//! Helpers for the ledger's tests (`tests/*.rs`, each a crate of its own
//! that uses what it needs of them), on the servers of `money_tests`, the
//! workspace's test harness: the ledgers in fresh schemas or databases, and
//! the bank test's checker ([`bank`]).
#![allow(dead_code)]

/// A line on stderr written past the test harness's capture: the bank runs
/// print their outcome in every run (`#[macro_use] mod support;`).
#[allow(unused_macros)]
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Each named behaviour, a function generic over [`Server`], as a test on
/// PostgreSQL (`postgres::name`) and on MariaDB/MySQL (`mysql::name`),
/// with the test attribute written before its name.
#[allow(unused_macros)]
macro_rules! on_both_databases {
    ($($(#[$attribute:meta])* $name:ident),* $(,)?) => {
        mod postgres {
            $($(#[$attribute])* async fn $name() {
                super::$name::<sqlx::Postgres>().await;
            })*
        }
        mod mysql {
            $($(#[$attribute])* async fn $name() {
                super::$name::<sqlx::MySql>().await;
            })*
        }
    };
}

pub mod bank;

use std::future::Future;

use money_ledger::{Account, Ledger, LedgerDatabase};
use rust_decimal::Decimal;
use sqlx::mysql::MySqlPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::{MySql, MySqlPool, PgPool, Pool, Postgres};

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

/// A database the ledger's behaviours run on alike (`tests/ledger.rs`):
/// PostgreSQL or MariaDB/MySQL, in a fresh store of the test server.
pub trait Server: LedgerDatabase {
    /// The fresh schema (PostgreSQL) or database (MariaDB/MySQL).
    type Store: Store<Self>;

    /// A ledger in a fresh store with `accounts` opened: `(id, currency,
    /// balance)`.
    fn ledger_with(
        accounts: &[(i64, &str, &str)],
    ) -> impl Future<Output = (Self::Store, Ledger<Self>)>;
}

/// What the tests read and do in a store besides the ledger.
pub trait Store<DB: sqlx::Database> {
    /// How many rows `table` holds.
    fn count(&self, table: &str) -> impl Future<Output = i64>;
    /// Runs `sql`, a test's own statement.
    fn execute(&self, sql: &str) -> impl Future<Output = ()>;
    /// Runs `sql`, which the database must refuse: its error.
    fn refused(&self, sql: &str) -> impl Future<Output = sqlx::Error>;
    /// Another pool of up to `connections` on the same store.
    fn pool_of(&self, connections: u32) -> impl Future<Output = Pool<DB>>;
    /// Drops the store.
    fn remove(self) -> impl Future<Output = ()>;
}

impl Server for Postgres {
    type Store = TestSchema;
    async fn ledger_with(accounts: &[(i64, &str, &str)]) -> (TestSchema, Ledger<Postgres>) {
        ledger_with(accounts).await
    }
}

impl Store<Postgres> for TestSchema {
    async fn count(&self, table: &str) -> i64 {
        count(&self.pool, table).await
    }
    async fn execute(&self, sql: &str) {
        money_tests::pg::execute(&self.pool, sql).await;
    }
    async fn refused(&self, sql: &str) -> sqlx::Error {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .expect_err(sql)
    }
    async fn pool_of(&self, connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(connections)
            .connect_with((*self.pool.connect_options()).clone())
            .await
            .expect("pool")
    }
    async fn remove(self) {
        self.drop().await;
    }
}

impl Server for MySql {
    type Store = TestDatabase;
    async fn ledger_with(accounts: &[(i64, &str, &str)]) -> (TestDatabase, Ledger<MySql>) {
        mysql_ledger_with(accounts).await
    }
}

impl Store<MySql> for TestDatabase {
    async fn count(&self, table: &str) -> i64 {
        mysql_count(&self.pool, table).await
    }
    async fn execute(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
    async fn refused(&self, sql: &str) -> sqlx::Error {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .expect_err(sql)
    }
    async fn pool_of(&self, connections: u32) -> MySqlPool {
        MySqlPoolOptions::new()
            .max_connections(connections)
            .connect_with((*self.pool.connect_options()).clone())
            .await
            .expect("pool")
    }
    async fn remove(self) {
        self.drop().await;
    }
}
