//! Opening SQLite the way money-sqlx expects it: with foreign keys enforced.
//!
//! SQLite enforces foreign keys only on a connection that ran `PRAGMA
//! foreign_keys = ON`; without it a declared key is parsed and ignored.
//! sqlx 0.9's [`SqliteConnectOptions`] already sets that pragma by default
//! (`SqliteConnectOptions::new()` inserts `foreign_keys = ON`), but a user
//! who builds options by hand can turn it off; [`connect_options`] sets it
//! explicitly so that the guarantee does not rest on a default, and
//! [`open`] is the pool built from them. `tests/tests/foreign_keys.rs`
//! checks that a connection opened this way refuses a dangling reference.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sqlx::Error> {
//! let pool = money_sqlx::sqlite::open("sqlite::memory:").await?;
//! let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&pool).await?;
//! assert_eq!(on, 1);
//! # Ok(())
//! # }
//! ```

use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// The options for `url` (`sqlite::memory:`, `sqlite://path.db?mode=rwc`)
/// with foreign keys enforced on every connection.
///
/// # Errors
///
/// A URL sqlx cannot parse.
pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?.foreign_keys(true))
}

/// A pool on `url` whose connections enforce foreign keys. An in-memory
/// database (`sqlite::memory:`) is private to each connection, so the pool
/// keeps one connection for it, which it never closes.
///
/// # Errors
///
/// A URL sqlx cannot parse, or a database SQLite cannot open.
pub async fn open(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = connect_options(url)?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let pool = if in_memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new()
    };
    pool.connect_with(options).await
}
