//! What differs between the databases [`transaction`](super::transaction()) runs on: how a
//! transaction opens, whether an aborted one can pass for committed, and which errors at
//! `COMMIT` mean it rolled back.

use std::time::Duration;

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use super::TransactionOptions;
use crate::driver::{BoxFuture, Driver};
use crate::telemetry;

/// A database [`transaction`](super::transaction()) runs on: PostgreSQL (feature
/// `postgres`) and MariaDB/MySQL (feature `mysql`). Implemented by sqlx's database types
/// only.
pub trait TransactionDatabase: Driver {
    /// `db.system.name` of the `transaction` span when the server does not say more.
    #[doc(hidden)]
    const SYSTEM_NAME: &'static str;

    /// The statement(s) that open a transaction as `options` ask, in one message.
    #[doc(hidden)]
    fn begin_statement(options: &TransactionOptions) -> SqlStr;

    /// Runs after the body returned `Ok` and before `COMMIT`: fails when the transaction is
    /// aborted and `COMMIT` would silently roll it back.
    #[doc(hidden)]
    fn check_not_aborted(
        connection: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// Ends whatever a failed `BEGIN` may have left open on the server.
    #[doc(hidden)]
    fn rollback_failed_begin(
        connection: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// Whether an error at `COMMIT` says for sure that the transaction rolled back (the
    /// server answered with an error and kept the session); any other error leaves the
    /// outcome unknown.
    #[doc(hidden)]
    fn commit_rolled_back(error: &sqlx::Error) -> bool;

    /// Undoes, once the transaction has ended (committed or not), what
    /// [`Self::begin_statement`] set on the session beyond the transaction; `None` when
    /// nothing needs undoing.
    #[doc(hidden)]
    fn reset_session<'c>(
        connection: &'c mut Self::Connection,
        options: &TransactionOptions,
    ) -> Option<BoxFuture<'c, Result<(), sqlx::Error>>>;
}

/// `statement_timeout` as PostgreSQL reads it: whole milliseconds, rounded up, between 1 ms and
/// the server's limit of `i32::MAX` ms.
pub(super) fn timeout_milliseconds(timeout: Duration) -> u128 {
    const MAX_MILLISECONDS: u128 = i32::MAX as u128;
    timeout
        .as_nanos()
        .div_ceil(1_000_000)
        .clamp(1, MAX_MILLISECONDS)
}

#[cfg(feature = "postgres")]
mod postgres {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    use sqlx::{PgConnection, Postgres};

    use super::*;

    impl TransactionDatabase for Postgres {
        const SYSTEM_NAME: &'static str = telemetry::system_name(money_core::Dialect::Postgres);

        /// `BEGIN ISOLATION LEVEL ...; SET LOCAL statement_timeout = '...'`: the transaction
        /// and its timeout in one simple-query message, one round trip. The setting is a
        /// number the helper formats, never text from elsewhere.
        fn begin_statement(options: &TransactionOptions) -> SqlStr {
            let begin = options.isolation.begin_statement(options.read_only);
            match options.statement_timeout {
                None => begin.into_sql_str(),
                Some(timeout) => AssertSqlSafe(format!(
                    "{begin}; SET LOCAL statement_timeout = '{}ms'",
                    timeout_milliseconds(timeout)
                ))
                .into_sql_str(),
            }
        }

        /// In an aborted transaction any statement fails with 25P02, whereas `COMMIT` would
        /// report success and roll back. The simple protocol keeps this to one round trip
        /// with no prepare.
        fn check_not_aborted(
            connection: &mut PgConnection,
        ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
            Box::pin(async move {
                sqlx::raw_sql("SELECT 1").execute(connection).await?;
                Ok(())
            })
        }

        /// When `BEGIN` ran and the `SET LOCAL` after it failed, the server is left in an
        /// aborted transaction that sqlx does not know about; a `ROLLBACK` ends it (outside a
        /// transaction it is a warning, not an error).
        fn rollback_failed_begin(
            connection: &mut PgConnection,
        ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
            Box::pin(async move {
                sqlx::raw_sql("ROLLBACK").execute(connection).await?;
                Ok(())
            })
        }

        /// An `ERROR` (a serialization failure, a deferred constraint) ends the transaction
        /// and keeps the session. A `FATAL` (`57P01` while `COMMIT` waits for the synchronous
        /// standby, for instance: the commit is then already durable on the primary) or a
        /// lost connection says nothing about the commit.
        fn commit_rolled_back(error: &sqlx::Error) -> bool {
            error
                .as_database_error()
                .and_then(|database| database.try_downcast_ref::<PgDatabaseError>())
                .is_some_and(|database| database.severity() == PgSeverity::Error)
        }

        /// `SET LOCAL` ends with the transaction.
        fn reset_session<'c>(
            _connection: &'c mut PgConnection,
            _options: &TransactionOptions,
        ) -> Option<BoxFuture<'c, Result<(), sqlx::Error>>> {
            None
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use sqlx::{MySql, MySqlConnection};

    use super::*;
    use crate::RetryCause;

    impl TransactionDatabase for MySql {
        // MariaDB and MySQL share sqlx's driver, which does not say which server it reached.
        const SYSTEM_NAME: &'static str = telemetry::system_name(money_core::Dialect::MySql);

        /// `SET TRANSACTION ISOLATION LEVEL ...` (the next transaction only) and `START
        /// TRANSACTION [READ ONLY]` in one text-protocol message, preceded by MariaDB's
        /// `SET SESSION max_statement_time = <seconds>` when a statement timeout is asked for.
        fn begin_statement(options: &TransactionOptions) -> SqlStr {
            let level = options.isolation.as_sql();
            let start = if options.read_only {
                "START TRANSACTION READ ONLY"
            } else {
                "START TRANSACTION"
            };
            let begin = match options.statement_timeout {
                None => format!("SET TRANSACTION ISOLATION LEVEL {level}; {start}"),
                Some(timeout) => {
                    let milliseconds = timeout_milliseconds(timeout);
                    format!(
                        "SET SESSION max_statement_time = {}.{:03}; SET TRANSACTION ISOLATION LEVEL {level}; {start}",
                        milliseconds / 1000,
                        milliseconds % 1000
                    )
                }
            };
            AssertSqlSafe(begin).into_sql_str()
        }

        /// A failed statement does not abort a MariaDB/MySQL transaction (only the statement is
        /// undone), so `COMMIT` never silently drops work that the body saw succeed.
        fn check_not_aborted(
            _connection: &mut MySqlConnection,
        ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
            Box::pin(async { Ok(()) })
        }

        fn rollback_failed_begin(
            connection: &mut MySqlConnection,
        ) -> BoxFuture<'_, Result<(), sqlx::Error>> {
            Box::pin(async move {
                sqlx::raw_sql("ROLLBACK").execute(connection).await?;
                Ok(())
            })
        }

        /// A conflict (`1213`: a deadlock, or a Galera certification failure) rolled the
        /// transaction back. Any other answer at `COMMIT` (a node leaving the cluster, a killed
        /// session) is not taken as proof that nothing was committed.
        fn commit_rolled_back(error: &sqlx::Error) -> bool {
            RetryCause::of(error) == Some(RetryCause::Conflict)
        }

        /// `max_statement_time` is a session variable: back to the server's default.
        fn reset_session<'c>(
            connection: &'c mut MySqlConnection,
            options: &TransactionOptions,
        ) -> Option<BoxFuture<'c, Result<(), sqlx::Error>>> {
            options.statement_timeout?;
            Some(Box::pin(async move {
                sqlx::raw_sql("SET SESSION max_statement_time = DEFAULT")
                    .execute(connection)
                    .await?;
                Ok(())
            }))
        }
    }
}
