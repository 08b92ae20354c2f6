//! What money-sqlx needs of each database beyond money-core's
//! [`MoneyDatabase`]: statements on a connection, the parameter limit that
//! sizes batches, and how the database words an error.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use money_core::Dialect;
use money_core::db::MoneyDatabase;
use sqlx::error::DatabaseError;
use sqlx::{Database, Transaction};

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod sealed {
    pub trait Sealed {}
}

/// A database money-sqlx writes models to: PostgreSQL, MariaDB/MySQL or
/// SQLite, each under the feature of the same name. Sealed.
pub trait Driver: MoneyDatabase<Arguments: sqlx::IntoArguments<Self>> + sealed::Sealed {
    /// The most bind parameters one statement may carry.
    const MAX_PARAMETERS: usize;

    /// Runs a statement on a connection.
    #[doc(hidden)]
    fn execute<'c>(
        connection: &'c mut Self::Connection,
        sql: Cow<'static, str>,
        arguments: Self::Arguments,
    ) -> BoxFuture<'c, Result<(), sqlx::Error>>;

    /// Runs a query on a connection and returns its first row, if any.
    #[doc(hidden)]
    fn fetch_optional<'c>(
        connection: &'c mut Self::Connection,
        sql: Cow<'static, str>,
        arguments: Self::Arguments,
    ) -> BoxFuture<'c, Result<Option<Self::Row>, sqlx::Error>>;

    /// The `__same_payload` column of an idempotent insert's `SELECT`.
    #[doc(hidden)]
    fn same_payload(row: &Self::Row) -> Result<bool, sqlx::Error>;
}

/// What a database error names.
#[derive(Debug, Default)]
pub(crate) struct ErrorDetails {
    /// The constraint (CHECK, unique key, primary key).
    pub constraint: Option<String>,
    /// The table.
    pub table: Option<String>,
    /// The columns (a NOT NULL column; SQLite's unique key columns).
    pub columns: Vec<String>,
    /// The MariaDB/MySQL error number of a CHECK, NOT NULL or duplicate-key
    /// violation whose message names nothing money-sqlx can read (a session
    /// whose `lc_messages` is not English): nothing above was guessed.
    pub unreadable: Option<u16>,
    /// `db.response.status_code` when it is not sqlx's `code()`: the
    /// MariaDB/MySQL error number (sqlx's code is the SQLSTATE there).
    pub status_code: Option<String>,
}

/// A connection to write on: a driver's connection, a pooled connection or
/// an open transaction.
pub trait AsConnection: Send {
    /// The database.
    type Database: Driver;
    /// The connection.
    fn as_connection(&mut self) -> &mut <Self::Database as Database>::Connection;
}

impl<DB: Driver> AsConnection for sqlx::pool::PoolConnection<DB> {
    type Database = DB;
    fn as_connection(&mut self) -> &mut DB::Connection {
        self
    }
}

impl<DB: Driver> AsConnection for Transaction<'_, DB> {
    type Database = DB;
    fn as_connection(&mut self) -> &mut DB::Connection {
        self
    }
}

/// The text between the first `open` and the next `close` after it.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)?;
    Some(&text[start..start + end])
}

// Unused when no database feature is on (money-sqlx then only compiles).
#[cfg_attr(
    not(any(
        feature = "postgres",
        feature = "mysql",
        feature = "sqlite",
        feature = "sqlite-unbundled"
    )),
    allow(unused_macros)
)]
macro_rules! driver {
    ($db:ty, $connection:ty, $flag:ty, $max:expr) => {
        impl sealed::Sealed for $db {}

        impl AsConnection for $connection {
            type Database = $db;
            fn as_connection(&mut self) -> &mut $connection {
                self
            }
        }

        impl Driver for $db {
            const MAX_PARAMETERS: usize = $max;

            fn execute<'c>(
                connection: &'c mut $connection,
                sql: Cow<'static, str>,
                arguments: <$db as Database>::Arguments,
            ) -> BoxFuture<'c, Result<(), sqlx::Error>> {
                Box::pin(async move {
                    sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
                        .execute(connection)
                        .await
                        .map(drop)
                })
            }

            fn fetch_optional<'c>(
                connection: &'c mut $connection,
                sql: Cow<'static, str>,
                arguments: <$db as Database>::Arguments,
            ) -> BoxFuture<'c, Result<Option<<$db as Database>::Row>, sqlx::Error>> {
                Box::pin(async move {
                    sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
                        .fetch_optional(connection)
                        .await
                })
            }

            fn same_payload(row: &<$db as Database>::Row) -> Result<bool, sqlx::Error> {
                let flag: $flag = sqlx::Row::try_get(row, "__same_payload")?;
                Ok(flag == <$flag>::from(true))
            }
        }
    };
}

#[cfg(feature = "postgres")]
driver!(
    sqlx::Postgres,
    sqlx::PgConnection,
    bool,
    // The protocol counts parameters in 16 bits.
    65_535
);

#[cfg(feature = "mysql")]
driver!(
    sqlx::MySql,
    sqlx::MySqlConnection,
    i64,
    // A prepared statement takes at most 65,535 placeholders.
    65_535
);

#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
driver!(
    sqlx::Sqlite,
    sqlx::SqliteConnection,
    i64,
    // SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite (3.32 and newer).
    32_766
);

/// The dialect of the database that raised `error`, and what it names: the
/// constraint, table and column(s), read from the driver's fields or, where
/// the database puts them only in the message, from the message.
pub(crate) fn error_details(error: &dyn DatabaseError) -> (Option<Dialect>, ErrorDetails) {
    #[cfg(feature = "postgres")]
    if let Some(postgres) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let details = ErrorDetails {
            constraint: postgres.constraint().map(str::to_owned),
            table: postgres.table().map(str::to_owned),
            columns: postgres.column().map(str::to_owned).into_iter().collect(),
            unreadable: None,
            status_code: None,
        };
        return (Some(Dialect::Postgres), details);
    }
    #[cfg(feature = "mysql")]
    if let Some(mysql) = error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        let mut details = mysql_details(error.message());
        details.unreadable = mysql_unreadable(mysql.number(), &details).then_some(mysql.number());
        details.status_code = Some(mysql.number().to_string());
        return (Some(Dialect::MySql), details);
    }
    #[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
    if error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        return (Some(Dialect::Sqlite), sqlite_details(error.message()));
    }
    let details = ErrorDetails {
        constraint: error.constraint().map(str::to_owned),
        table: error.table().map(str::to_owned),
        columns: Vec::new(),
        unreadable: None,
        status_code: None,
    };
    (None, details)
}

/// MariaDB: ``CONSTRAINT `name` failed for `db`.`table` `` (4025); both:
/// ``Cannot add or update a child row: a foreign key constraint fails
/// (`db`.`table`, CONSTRAINT `name` ...)`` (1452, and 1451 `Cannot delete or
/// update a parent row`); MySQL:
/// `Check constraint 'name' is violated.` (3819); both: `Column 'c' cannot
/// be null` (1048) and `Duplicate entry '1' for key 'name'` (1062; MySQL
/// 8 writes `'table.name'`, and `PRIMARY` for the primary key).
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
fn mysql_details(message: &str) -> ErrorDetails {
    let mut details = ErrorDetails::default();
    if let Some(rest) = message.strip_prefix("CONSTRAINT `") {
        details.constraint = rest.split('`').next().map(str::to_owned);
        details.table = between(rest, "`.`", "`").map(str::to_owned);
    } else if message.starts_with("Check constraint '") {
        details.constraint = between(message, "'", "'").map(str::to_owned);
    } else if let Some(rest) = message
        .find("a foreign key constraint fails (")
        .map(|start| &message[start + "a foreign key constraint fails (".len()..])
    {
        // 1451/1452: `... fails (`db`.`child`, CONSTRAINT `name` FOREIGN KEY ...)`:
        // the table is the referencing one, on both sides of the key.
        details.table = between(rest, "`.`", "`").map(str::to_owned);
        details.constraint = between(rest, "CONSTRAINT `", "`").map(str::to_owned);
    } else if message.starts_with("Column '") && message.ends_with("cannot be null") {
        details.columns = between(message, "'", "'")
            .map(str::to_owned)
            .into_iter()
            .collect();
    } else if message.starts_with("Duplicate entry")
        && let Some(key) = message
            .rfind(" for key '")
            .map(|start| &message[start + " for key '".len()..])
    {
        let key = key.trim_end_matches('\'');
        let key = key.rsplit('.').next().unwrap_or(key);
        details.constraint = Some(key.to_owned());
    }
    details
}

/// Whether a MariaDB/MySQL violation that names its constraint or column
/// only in the message left `details` without it: the message is in a
/// language [`mysql_details`] cannot read (only English is read; other
/// languages may word, and order, the message differently).
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
fn mysql_unreadable(number: u16, details: &ErrorDetails) -> bool {
    match number {
        // CHECK (MariaDB, MySQL) and duplicate key: the constraint.
        4025 | 3819 | 1062 => details.constraint.is_none(),
        // NOT NULL: the column.
        1048 => details.columns.is_empty(),
        _ => false,
    }
}

/// SQLite: `CHECK constraint failed: name`, `NOT NULL constraint failed:
/// table.column`, `UNIQUE constraint failed: table.a, table.b`.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "sqlite-unbundled")),
    allow(dead_code)
)]
fn sqlite_details(message: &str) -> ErrorDetails {
    let mut details = ErrorDetails::default();
    if let Some(name) = message.strip_prefix("CHECK constraint failed: ") {
        details.constraint = Some(name.to_owned());
    } else if let Some(columns) = message
        .strip_prefix("NOT NULL constraint failed: ")
        .or_else(|| message.strip_prefix("UNIQUE constraint failed: "))
    {
        for qualified in columns.split(", ") {
            if let Some((table, column)) = qualified.split_once('.') {
                details.table = Some(table.to_owned());
                details.columns.push(column.to_owned());
            }
        }
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mysql_messages() {
        let check = mysql_details("CONSTRAINT `accounts_balance_min` failed for `test`.`accounts`");
        assert_eq!(check.constraint.as_deref(), Some("accounts_balance_min"));
        assert_eq!(check.table.as_deref(), Some("accounts"));
        let check = mysql_details("Check constraint 'accounts_balance_min' is violated.");
        assert_eq!(check.constraint.as_deref(), Some("accounts_balance_min"));
        assert_eq!(check.table, None);
        let null = mysql_details("Column 'balance' cannot be null");
        assert_eq!(null.columns, ["balance"]);
        let duplicate =
            mysql_details("Duplicate entry '7-x' for key 'settlements_settlement_id_key'");
        assert_eq!(
            duplicate.constraint.as_deref(),
            Some("settlements_settlement_id_key")
        );
        let duplicate = mysql_details("Duplicate entry '1' for key 'accounts.PRIMARY'");
        assert_eq!(duplicate.constraint.as_deref(), Some("PRIMARY"));
        let child = mysql_details(
            "Cannot add or update a child row: a foreign key constraint fails (`test`.`transfers`, CONSTRAINT `transfers_account_id_fkey` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE RESTRICT ON UPDATE RESTRICT)",
        );
        assert_eq!(
            child.constraint.as_deref(),
            Some("transfers_account_id_fkey")
        );
        assert_eq!(child.table.as_deref(), Some("transfers"));
        let parent = mysql_details(
            "Cannot delete or update a parent row: a foreign key constraint fails (`test`.`transfers`, CONSTRAINT `transfers_account_id_fkey` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`))",
        );
        assert_eq!(
            parent.constraint.as_deref(),
            Some("transfers_account_id_fkey")
        );
        assert_eq!(parent.table.as_deref(), Some("transfers"));
        let other = mysql_details("Out of range value for column 'x' at row 1");
        assert!(other.constraint.is_none() && other.columns.is_empty());
    }

    #[test]
    fn a_localized_mysql_message_is_unreadable_not_guessed() {
        // MariaDB 10.11 with lc_messages = de_DE, es_ES.
        for (number, message) in [
            (1048, "Feld 'balance' darf nicht NULL sein"),
            (
                1062,
                "Doppelter Eintrag 'a' für Schlüssel 'wallets_owner_key'",
            ),
            (
                4025,
                "No se cumple la RESTRICCIÓN `wallets_balance_min` para `db`.`wallets`",
            ),
        ] {
            let details = mysql_details(message);
            assert!(
                details.constraint.is_none() && details.columns.is_empty(),
                "{message}"
            );
            assert!(mysql_unreadable(number, &details), "{message}");
        }
        // English, and errors that name nothing anyway, are not unreadable.
        let english = mysql_details("Column 'balance' cannot be null");
        assert!(!mysql_unreadable(1048, &english));
        assert!(!mysql_unreadable(
            1264,
            &mysql_details("Valor fuera de rango")
        ));
    }

    #[test]
    fn reads_sqlite_messages() {
        let check = sqlite_details("CHECK constraint failed: accounts_balance_min");
        assert_eq!(check.constraint.as_deref(), Some("accounts_balance_min"));
        let null = sqlite_details("NOT NULL constraint failed: accounts.balance");
        assert_eq!(null.columns, ["balance"]);
        assert_eq!(null.table.as_deref(), Some("accounts"));
        let unique = sqlite_details("UNIQUE constraint failed: settlements.a, settlements.b");
        assert_eq!(unique.columns, ["a", "b"]);
        // SQLite names no constraint, table or column of a foreign key.
        let foreign = sqlite_details("FOREIGN KEY constraint failed");
        assert!(
            foreign.constraint.is_none() && foreign.table.is_none() && foreign.columns.is_empty()
        );
    }
}
