//! SQLite for the integration tests: sqlx's bundled SQLite, one private
//! in-memory database per test, so nothing needs installing and tests never
//! see each other's tables.
//!
//! ```no_run
//! # async fn demo() {
//! let mut connection = money_tests::sqlite::fresh_database().await;
//! sqlx::query("CREATE TABLE accounts (id integer PRIMARY KEY)")
//!     .execute(&mut connection)
//!     .await
//!     .expect("create table");
//! # }
//! ```

use std::str::FromStr;

use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

/// How SQLite's message for a violated named CHECK starts.
const CHECK_FAILED: &str = "CHECK constraint failed: ";

/// A new connection to a new, empty in-memory database, which lives as long
/// as the connection (every connection to `:memory:` has its own database).
///
/// # Panics
///
/// When SQLite cannot open it.
pub async fn fresh_database() -> SqliteConnection {
    SqliteConnectOptions::from_str("sqlite::memory:")
        .expect("a valid SQLite URL")
        .connect()
        .await
        .unwrap_or_else(|error| panic!("cannot open an in-memory SQLite database: {error}"))
}

/// The name of the CHECK constraint that `error` reports as violated:
/// SQLite's extended code `SQLITE_CONSTRAINT_CHECK` (275) with the message
/// `CHECK constraint failed: name`. `None` for any other error.
pub fn violated_check(error: &sqlx::Error) -> Option<&str> {
    let database = error.as_database_error()?;
    if database.kind() != ErrorKind::CheckViolation {
        return None;
    }
    database.message().strip_prefix(CHECK_FAILED)
}

/// The version of the SQLite library sqlx runs, such as `3.51.3`.
///
/// # Panics
///
/// When the query fails.
pub async fn version(connection: &mut SqliteConnection) -> String {
    sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(connection)
        .await
        .unwrap_or_else(|error| panic!("SELECT sqlite_version(): {error}"))
}
