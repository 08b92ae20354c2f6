//! The databases the ledger runs on: PostgreSQL and MariaDB/MySQL (a single
//! server or a Galera cluster), each with its SQL text.
//!
//! [`Ledger`](crate::Ledger) is generic over [`LedgerDatabase`], a sealed
//! trait implemented for [`sqlx::Postgres`] and [`sqlx::MySql`]. What the
//! ledger does is written once (`crate::ledger`, `crate::fx`); each database
//! supplies the statements, rendered in its dialect, and the way it keeps a
//! transfer correct:
//!
//! - **PostgreSQL**: SERIALIZABLE transactions ([`LedgerDatabase::default_options`]).
//!   Balances change by `UPDATE ... SET balance = balance + $2`, in account
//!   order, and the `accounts_balance_min` CHECK refuses an overdraft.
//! - **MariaDB/MySQL**: READ COMMITTED transactions whose first statement
//!   locks the two accounts with `SELECT ... FOR UPDATE` in ascending id
//!   order (and, across currencies, the two FX desk accounts, again in id
//!   order), so that two transfers touching the same accounts queue on the
//!   row locks instead of deadlocking on the foreign-key checks; balances
//!   change by the same relative `UPDATE`, which reads the latest committed
//!   balance whatever the snapshot, and the same declared CHECK refuses an
//!   overdraft (MariaDB enforces CHECK constraints since 10.2; error 4025,
//!   mapped to the field by money-sqlx). On a Galera cluster see
//!   [On Galera](#on-galera).
//!
//! # On Galera
//!
//! Galera does not give SERIALIZABLE across nodes: each node runs its
//! transactions under its own locks, and at `COMMIT` the cluster *certifies*
//! the transaction's write set against the write sets committed meanwhile
//! on other nodes; a transaction that wrote a row another node wrote in the
//! meantime fails with `1213` (SQLSTATE 40001), at any statement or at
//! `COMMIT`, and [`money_sqlx::transaction()`] runs it again. Galera
//! certifies the rows a transaction *writes*; the row locks of
//! `SELECT ... FOR UPDATE` order transactions on the node that takes them,
//! and the ledger does not count on them across nodes (whether Galera
//! certifies locking reads is not tested here). So write skew (two
//! transactions on two nodes each reading what the other writes) is
//! possible, and an invariant holds on Galera only if every transaction
//! that could break it *writes* the rows it depends on. The ledger's
//! invariants are built that way:
//!
//! - a balance is changed only by a relative `UPDATE` of its own row, and the
//!   declared `accounts_balance_min` CHECK is evaluated on the row written:
//!   two transfers on two nodes that both debit one account write the same
//!   row, so one of them is refused at certification and retried on the
//!   balance the other left, where the CHECK judges it again;
//! - a transfer id is stored once: two submissions of one id on two nodes
//!   both insert the same primary key, one fails certification, and its
//!   retry finds the row and replays it (or reports
//!   [`LedgerError::IdConflict`](crate::LedgerError::IdConflict));
//! - the journal entries and the balances are written in the same
//!   transaction, so they are certified (and applied on every node) together.
//!
//! What a user must do on Galera:
//!
//! 1. Keep every rule that spans rows in rows the transaction writes (or
//!    in a CHECK on a row it writes); never rely on a `SELECT` (locking or
//!    not) for a rule another node could break.
//! 2. Run writes through [`money_sqlx::transaction()`] (or
//!    [`money_sqlx::transaction_on`]), which retries `1213` and passes over a
//!    node that is not ready (`1047`); give it a cluster pool
//!    (`money_sqlx::cluster`) or spread pools over the nodes.
//! 3. Resolve [`LedgerError::OutcomeUnknown`](crate::LedgerError::OutcomeUnknown)
//!    by resubmitting the same transfer (same id, same payload), on any node.
//! 4. To read on one node what was committed on another, set
//!    `wsrep_sync_wait` (for example `SET SESSION wsrep_sync_wait = 1`) on the
//!    reading session: Galera applies write sets asynchronously after
//!    certification, so without it a read may not see a transfer that is
//!    already acknowledged.
//! 5. Use `READ COMMITTED` or `REPEATABLE READ` ([`LedgerDatabase::default_options`]
//!    picks READ COMMITTED); SERIALIZABLE is local to a node on Galera and
//!    buys nothing across nodes.
//!
//! The FX rate's freshness (see [`crate::fx`]) is a read: on Galera a
//! transfer may be priced, on its node, with the newest rate that node has
//! applied while a newer one is being committed elsewhere. The conversion
//! row records which rate and when, so an audit sees it; the freshness limit
//! still holds against that node's clock.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use money_core::Decimal;
use money_sqlx::cluster::ClusterDatabase;
use money_sqlx::{
    AsConnection, Idempotent, IsolationLevel, ModelExt, TransactionDatabase, TransactionOptions,
};
use sqlx::{Database, FromRow, Pool, Row};

use crate::{Account, Conversion, Entry, FxRate, Timestamp, Transfer};

/// A boxed, `Send` future borrowing for `'a`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Postgres {}
    impl Sealed for sqlx::MySql {}
}

/// A database the ledger runs on: [`sqlx::Postgres`] or [`sqlx::MySql`]
/// (MariaDB, MySQL, a MariaDB Galera cluster). Sealed: its methods are the
/// ledger's statements in that database's dialect, used by
/// [`Ledger`](crate::Ledger) and not meant to be called directly.
pub trait LedgerDatabase:
    TransactionDatabase
    + Database<Connection: AsConnection<Database = Self>>
    + ClusterDatabase
    + sealed::Sealed
{
    /// The transaction options of [`Ledger::new`](crate::Ledger::new): at
    /// most 20 attempts within 10 s, a 5 s statement timeout, and
    /// SERIALIZABLE on PostgreSQL, READ COMMITTED on MariaDB/MySQL (where
    /// row locks, the relative updates and the CHECK keep a transfer
    /// correct, and where SERIALIZABLE would only make every read a locking
    /// read, and means nothing across Galera nodes).
    fn default_options() -> TransactionOptions {
        TransactionOptions::default()
            .isolation(Self::ISOLATION)
            .max_attempts(20)
            .deadline(Duration::from_secs(10))
            .statement_timeout(Some(Duration::from_secs(5)))
    }

    /// The isolation level of [`LedgerDatabase::default_options`].
    #[doc(hidden)]
    const ISOLATION: IsolationLevel;

    /// Creates the tables ([`crate::schema::create`], [`crate::schema::create_mysql`]).
    #[doc(hidden)]
    fn create_schema(connection: &mut Self::Connection) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// The database's clock.
    #[doc(hidden)]
    fn now(pool: &Pool<Self>) -> BoxFuture<'_, Result<Timestamp, sqlx::Error>>;

    /// Inserts an account.
    #[doc(hidden)]
    fn insert_account<'a>(
        pool: &'a Pool<Self>,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<(), money_sqlx::Error>>;

    /// Inserts a rate.
    #[doc(hidden)]
    fn insert_rate<'a>(
        pool: &'a Pool<Self>,
        rate: &'a FxRate,
    ) -> BoxFuture<'a, Result<(), money_sqlx::Error>>;

    /// Every account, by id.
    #[doc(hidden)]
    fn accounts(
        connection: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<Vec<Account>, sqlx::Error>>;

    /// `(id, currency)` of the transfer's two accounts; on MariaDB/MySQL
    /// also locks them, in id order.
    #[doc(hidden)]
    fn transfer_accounts(
        connection: &mut Self::Connection,
        from: i64,
        to: i64,
    ) -> BoxFuture<'_, Result<Vec<(i64, String)>, sqlx::Error>>;

    /// Locks the FX desk accounts in id order on MariaDB/MySQL; nothing on
    /// PostgreSQL (SERIALIZABLE orders the transfers).
    #[doc(hidden)]
    fn lock_desks(
        connection: &mut Self::Connection,
        first: i64,
        second: i64,
    ) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// [`ModelExt::insert_idempotent`] of the request.
    #[doc(hidden)]
    fn insert_transfer<'a>(
        connection: &'a mut Self::Connection,
        transfer: &'a Transfer,
    ) -> BoxFuture<'a, Result<Idempotent<Transfer>, money_sqlx::Error>>;

    /// [`ModelExt::insert_many`] of the legs.
    #[doc(hidden)]
    fn insert_entries<'a>(
        connection: &'a mut Self::Connection,
        entries: &'a [Entry],
    ) -> BoxFuture<'a, Result<u64, money_sqlx::Error>>;

    /// Inserts the conversion.
    #[doc(hidden)]
    fn insert_conversion<'a>(
        connection: &'a mut Self::Connection,
        conversion: &'a Conversion,
    ) -> BoxFuture<'a, Result<(), money_sqlx::Error>>;

    /// `balance = balance + movement`; the rows affected.
    #[doc(hidden)]
    fn add_to_balance(
        connection: &mut Self::Connection,
        account: i64,
        movement: Decimal,
    ) -> BoxFuture<'_, Result<u64, sqlx::Error>>;

    /// A transfer's legs, in order.
    #[doc(hidden)]
    fn entries(
        connection: &mut Self::Connection,
        transfer_id: i64,
    ) -> BoxFuture<'_, Result<Vec<Entry>, sqlx::Error>>;

    /// A transfer's conversion.
    #[doc(hidden)]
    fn conversion(
        connection: &mut Self::Connection,
        transfer_id: i64,
    ) -> BoxFuture<'_, Result<Option<Conversion>, sqlx::Error>>;

    /// The newest rate for `base/quote` not in the future, and the database's
    /// `now()`, read together.
    #[doc(hidden)]
    fn latest_rate<'a>(
        connection: &'a mut Self::Connection,
        base: &'a str,
        quote: &'a str,
    ) -> BoxFuture<'a, Result<Option<(FxRate, Timestamp)>, sqlx::Error>>;
}

/// The statements one database runs, in its dialect.
struct Sql {
    select_accounts: &'static str,
    transfer_accounts: &'static str,
    lock_desks: Option<&'static str>,
    add_to_balance: &'static str,
    select_entries: &'static str,
    select_conversion: &'static str,
    latest_rate: &'static str,
    now: &'static str,
}

const POSTGRES: Sql = Sql {
    select_accounts: r#"SELECT "id", "currency", "balance" FROM "accounts" ORDER BY "id""#,
    transfer_accounts: r#"SELECT "id", "currency" FROM "accounts" WHERE "id" IN ($1, $2)"#,
    lock_desks: None,
    add_to_balance: r#"UPDATE "accounts" SET "balance" = "balance" + $2 WHERE "id" = $1"#,
    select_entries: r#"SELECT "transfer_id", "leg", "account_id", "currency", "amount"
    FROM "journal_entries" WHERE "transfer_id" = $1 ORDER BY "leg""#,
    select_conversion: r#"SELECT "transfer_id", "rate_id", "rate", "rate_as_of",
    "priced_at", "source_amount", "exact_amount", "booked_amount", "rounding_difference"
    FROM "fx_conversions" WHERE "transfer_id" = $1"#,
    latest_rate: r#"SELECT "id", "base_currency", "quote_currency", "rate", "as_of",
        now() AS "priced_at"
    FROM "fx_rates"
    WHERE "base_currency" = $1 AND "quote_currency" = $2 AND "as_of" <= now()
    ORDER BY "as_of" DESC, "id" DESC
    LIMIT 1"#,
    now: "SELECT now()",
};

/// MariaDB/MySQL: backquoted names, `?` placeholders (each bound in the
/// order it appears), `now(6)` for microseconds, `FOR UPDATE` on the
/// accounts a transfer moves.
const MYSQL: Sql = Sql {
    select_accounts: "SELECT `id`, `currency`, `balance` FROM `accounts` ORDER BY `id`",
    transfer_accounts: "SELECT `id`, `currency` FROM `accounts` WHERE `id` IN (?, ?) ORDER BY `id` FOR UPDATE",
    lock_desks: Some("SELECT `id` FROM `accounts` WHERE `id` IN (?, ?) ORDER BY `id` FOR UPDATE"),
    // Bound as (movement, account): the order of the `?`s.
    add_to_balance: "UPDATE `accounts` SET `balance` = `balance` + ? WHERE `id` = ?",
    select_entries: "SELECT `transfer_id`, `leg`, `account_id`, `currency`, `amount`
    FROM `journal_entries` WHERE `transfer_id` = ? ORDER BY `leg`",
    select_conversion: "SELECT `transfer_id`, `rate_id`, `rate`, `rate_as_of`,
    `priced_at`, `source_amount`, `exact_amount`, `booked_amount`, `rounding_difference`
    FROM `fx_conversions` WHERE `transfer_id` = ?",
    latest_rate: "SELECT `id`, `base_currency`, `quote_currency`, `rate`, `as_of`,
        now(6) AS `priced_at`
    FROM `fx_rates`
    WHERE `base_currency` = ? AND `quote_currency` = ? AND `as_of` <= now(6)
    ORDER BY `as_of` DESC, `id` DESC
    LIMIT 1",
    now: "SELECT now(6)",
};

/// Implements [`LedgerDatabase`] for one sqlx database: the same code, with
/// that database's SQL and connection type.
macro_rules! ledger_database {
    ($db:ty, $connection:ty, $sql:expr, $isolation:expr, $create:path, |$c:ident, $account:ident, $movement:ident| $bind_balance:expr) => {
        impl LedgerDatabase for $db {
            const ISOLATION: IsolationLevel = $isolation;

            fn create_schema(
                connection: &mut $connection,
            ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
                Box::pin($create(connection))
            }

            fn now(pool: &Pool<Self>) -> BoxFuture<'_, Result<Timestamp, sqlx::Error>> {
                Box::pin(async move { sqlx::query_scalar($sql.now).fetch_one(pool).await })
            }

            fn insert_account<'a>(
                pool: &'a Pool<Self>,
                account: &'a Account,
            ) -> BoxFuture<'a, Result<(), money_sqlx::Error>> {
                Box::pin(account.insert(pool))
            }

            fn insert_rate<'a>(
                pool: &'a Pool<Self>,
                rate: &'a FxRate,
            ) -> BoxFuture<'a, Result<(), money_sqlx::Error>> {
                Box::pin(rate.insert(pool))
            }

            fn accounts(
                connection: &mut $connection,
            ) -> BoxFuture<'_, Result<Vec<Account>, sqlx::Error>> {
                Box::pin(sqlx::query_as($sql.select_accounts).fetch_all(connection))
            }

            fn transfer_accounts(
                connection: &mut $connection,
                from: i64,
                to: i64,
            ) -> BoxFuture<'_, Result<Vec<(i64, String)>, sqlx::Error>> {
                Box::pin(
                    sqlx::query_as($sql.transfer_accounts)
                        .bind(from)
                        .bind(to)
                        .fetch_all(connection),
                )
            }

            fn lock_desks(
                connection: &mut $connection,
                first: i64,
                second: i64,
            ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
                Box::pin(async move {
                    if let Some(sql) = $sql.lock_desks {
                        sqlx::query(sql)
                            .bind(first)
                            .bind(second)
                            .fetch_all(connection)
                            .await?;
                    }
                    Ok(())
                })
            }

            fn insert_transfer<'a>(
                connection: &'a mut $connection,
                transfer: &'a Transfer,
            ) -> BoxFuture<'a, Result<Idempotent<Transfer>, money_sqlx::Error>> {
                Box::pin(transfer.insert_idempotent(connection))
            }

            fn insert_entries<'a>(
                connection: &'a mut $connection,
                entries: &'a [Entry],
            ) -> BoxFuture<'a, Result<u64, money_sqlx::Error>> {
                Box::pin(Entry::insert_many(entries, connection))
            }

            fn insert_conversion<'a>(
                connection: &'a mut $connection,
                conversion: &'a Conversion,
            ) -> BoxFuture<'a, Result<(), money_sqlx::Error>> {
                Box::pin(conversion.insert(connection))
            }

            fn add_to_balance(
                $c: &mut $connection,
                $account: i64,
                $movement: Decimal,
            ) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
                Box::pin(async move {
                    let updated = $bind_balance.await?;
                    Ok(updated.rows_affected())
                })
            }

            fn entries(
                connection: &mut $connection,
                transfer_id: i64,
            ) -> BoxFuture<'_, Result<Vec<Entry>, sqlx::Error>> {
                Box::pin(
                    sqlx::query_as($sql.select_entries)
                        .bind(transfer_id)
                        .fetch_all(connection),
                )
            }

            fn conversion(
                connection: &mut $connection,
                transfer_id: i64,
            ) -> BoxFuture<'_, Result<Option<Conversion>, sqlx::Error>> {
                Box::pin(
                    sqlx::query_as($sql.select_conversion)
                        .bind(transfer_id)
                        .fetch_optional(connection),
                )
            }

            fn latest_rate<'a>(
                connection: &'a mut $connection,
                base: &'a str,
                quote: &'a str,
            ) -> BoxFuture<'a, Result<Option<(FxRate, Timestamp)>, sqlx::Error>> {
                Box::pin(async move {
                    let Some(row) = sqlx::query($sql.latest_rate)
                        .bind(base)
                        .bind(quote)
                        .fetch_optional(connection)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let rate = FxRate::from_row(&row)?;
                    let priced_at: Timestamp = row.try_get("priced_at")?;
                    Ok(Some((rate, priced_at)))
                })
            }
        }
    };
}

ledger_database!(
    sqlx::Postgres,
    sqlx::PgConnection,
    POSTGRES,
    IsolationLevel::Serializable,
    crate::schema::create,
    |connection, account, movement| sqlx::query(POSTGRES.add_to_balance)
        .bind(account)
        .bind(movement)
        .execute(connection)
);

ledger_database!(
    sqlx::MySql,
    sqlx::MySqlConnection,
    MYSQL,
    IsolationLevel::ReadCommitted,
    crate::schema::create_mysql,
    |connection, account, movement| sqlx::query(MYSQL.add_to_balance)
        .bind(movement)
        .bind(account)
        .execute(connection)
);
