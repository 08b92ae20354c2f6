//! sqlx integration for [`money_core::MoneyModel`] types: PostgreSQL,
//! MariaDB/MySQL and SQLite.
//!
//! - Money values (`#[derive(MoneyValue)]`) get sqlx `Type`/`Encode`/`Decode`:
//!   encode never sends an invalid value, decode reads `numeric` exactly and
//!   refuses a stored value that breaks the declaration.
//! - Models get a validating `sqlx::FromRow` (do not derive sqlx's own as
//!   well, or turn ours off with `#[money(no_from_row)]`) and, through [`ModelExt`], `insert`, `insert_returning`,
//!   `insert_many` (one `UNNEST` statement) and `insert_idempotent`.
//! - [`Error`] says what a database error means for the model: the field and
//!   rule of a CHECK violation, the field of a NOT NULL violation, the key of
//!   a duplicate, and whether a conflict is worth retrying.
//! - With the `serde` feature, an [`Error`] converts to an RFC 9457 problem
//!   details body (`Problem::from(&error)`, see the `problem` module).
//! - [`transaction()`] runs a closure in a SERIALIZABLE transaction on
//!   PostgreSQL or MariaDB/MySQL and retries serialization failures,
//!   deadlocks and hosts that went away before `COMMIT` was sent, and says
//!   when a `COMMIT` was lost ([`Error::OutcomeUnknown`]); [`transaction_on`]
//!   does the same on a connection the caller holds.
//! - [`cluster`] takes several hosts (libpq's `h1:5432,h2:5433` URL or a
//!   builder) and builds a pool that connects only to the writable primary
//!   and can be rerouted after a failover.
//!
//! # `query_as!` and models
//!
//! sqlx's `query_as!` macro does not call `FromRow`: it writes the struct
//! literal from the columns itself, so a model read with it is **not**
//! validated, and a `Decimal` field takes whatever the column holds (a
//! value another writer stored without the CHECKs, for instance). Read
//! models with the function instead, which goes through the validating
//! `FromRow`:
//!
//! ```no_run
//! # use money_core::{Decimal, MoneyModel};
//! # #[derive(MoneyModel)]
//! # #[money(table = "accounts")]
//! # struct Account { #[money(primary_key)] id: i64, #[money(precision = 19, scale = 4)] balance: Decimal }
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), sqlx::Error> {
//! let account: Account = sqlx::query_as("SELECT id, balance FROM accounts WHERE id = $1")
//!     .bind(1_i64)
//!     .fetch_one(&pool)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! or call `validate()` on what `query_as!` returns.
//!
//! Depending on this crate turns on money-core's `sqlx` feature, which is
//! what makes `#[derive(MoneyModel)]` and `#[derive(MoneyValue)]` emit the
//! sqlx impls.
//!
//! # Features
//!
//! As in sqlx, no database is on by default: name the ones you use. Each
//! turns on money-core's feature of the same name and sqlx's.
//!
//! | feature | what it adds |
//! |---|---|
//! | `postgres` | PostgreSQL: the impls, `insert_many` as one `UNNEST` statement, and the retrying [`transaction()`] |
//! | `mysql` | MariaDB 10.2+ / MySQL 8.0.16+: the impls and the retrying [`transaction()`] |
//! | `sqlite` | SQLite, with the SQLite library bundled (sqlx's `sqlite`) |
//! | `sqlite-unbundled` | SQLite, linked to the system's SQLite library (sqlx's `sqlite-unbundled`; its build runs bindgen, which needs libclang) |
//! | `serde` | `money_core::problem::Problem::from(&Error)`: errors as RFC 9457 problem details, for web services (turns on money-core's `serde`) |
//!
//! No async runtime and no TLS backend are chosen here: enable them on your
//! own `sqlx` dependency, as sqlx asks (`runtime-tokio`, `runtime-smol`,
//! `runtime-async-global-executor`; `tls-rustls`, `tls-native-tls`). The
//! retry backoff of [`transaction()`] and the pauses and timeouts of
//! [`cluster`] run on whichever runtime sqlx was given (sqlx's own timer).
//!
//! ```toml
//! [dependencies]
//! money-core = "0.1"
//! money-sqlx = { version = "0.1", features = ["postgres"] }
//! sqlx = { version = "0.9", features = ["runtime-tokio", "tls-rustls", "postgres"] }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use money_core;

pub mod bulk;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod cluster;
pub mod driver;
pub mod error;
pub mod model;
#[cfg(feature = "serde")]
pub mod problem;
mod retry;
pub mod schema;
#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
pub mod sqlite;
pub mod telemetry;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod transaction;

pub use bulk::BulkLoad;
pub use driver::{AsConnection, Driver};
pub use error::{Error, ForeignKeyViolation, map_error};
pub use model::{Idempotent, InsertMany, ModelExt};
pub use money_core::db::{MoneyDatabase, SqlModel};
pub use retry::{
    ADMIN_SHUTDOWN, CANNOT_CONNECT_NOW, CRASH_SHUTDOWN, DEADLOCK_DETECTED,
    READ_ONLY_SQL_TRANSACTION, RetryCause, Retryable, SERIALIZATION_FAILURE, WSREP_NOT_READY,
    is_retryable_sqlstate,
};

#[cfg(any(feature = "postgres", feature = "mysql"))]
pub use transaction::{
    Committed, IsolationLevel, TransactionDatabase, TransactionOptions, TransactionPool,
    transaction, transaction_on,
};
