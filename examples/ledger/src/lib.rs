//! A double-entry ledger and cross-currency transfers on money-sqlx: the
//! example of what the toolkit's pieces are for.
//!
//! - The tables are [`MoneyModel`](money_core::MoneyModel)s
//!   ([`Account`], [`Transfer`], [`Entry`], [`FxRate`], [`Conversion`]);
//!   [`schema`] renders their DDL, foreign keys included, in dependency order.
//! - It runs on PostgreSQL and on MariaDB/MySQL, a Galera cluster included:
//!   [`Ledger`] is generic over [`LedgerDatabase`] (`Ledger` alone is
//!   `Ledger<sqlx::Postgres>`; [`Ledger::new`] on a `MySqlPool` gives
//!   `Ledger<sqlx::MySql>`), with the same operations and outcomes, the
//!   tables rendered from the same declarations for each dialect
//!   ([`schema::statements_for`]). How each database keeps a transfer
//!   correct, and what a Galera cluster asks of the user, is in
//!   [`database`].
//! - [`Ledger::transfer`] moves money between two accounts of one currency in
//!   a transaction run by [`money_sqlx::transaction()`] (SERIALIZABLE on
//!   PostgreSQL; on MariaDB/MySQL the two accounts locked first, in id order;
//!   retried on serialization failures, deadlocks and Galera certification
//!   conflicts), idempotent on `transfer_id`
//!   through [`money_sqlx::ModelExt::insert_idempotent`]: resubmitting the same
//!   request returns the first outcome, the same id with another payload is
//!   [`LedgerError::IdConflict`]. An overdraft is refused by the
//!   `accounts_balance_min` CHECK that `#[money(min = "0")]` generates, and
//!   comes back, through [`money_sqlx::map_error`], as
//!   [`LedgerError::BelowMinimum`].
//! - [`Ledger::fx_transfer`] converts through an FX desk at the newest rate,
//!   read in the same transaction and checked against that transaction's
//!   `now()` ([`fx`]), rounds half away from zero to the target currency's
//!   minor units ([`currency::convert`]) and returns the rounding
//!   difference.
//! - When the connection dies after the transaction's body ran, the outcome
//!   is unknown ([`LedgerError::OutcomeUnknown`]): resubmit the same
//!   request to learn it; idempotency makes that safe.
//!
//! ```no_run
//! use money_core::Decimal;
//! use money_ledger::{Account, Ledger};
//!
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
//! let ledger = Ledger::new(pool);
//! ledger.create_schema().await?;
//! for id in [1, 2] {
//!     ledger
//!         .open_account(&Account { id, currency: "EUR".into(), balance: Decimal::new(100, 0) })
//!         .await?;
//! }
//! let posted = ledger.transfer(42, 1, 2, Decimal::new(2500, 2)).await?;
//! let replay = ledger.transfer(42, 1, 2, Decimal::new(2500, 2)).await?;
//! assert!(replay.replayed && replay.receipt == posted.receipt);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod currency;
pub mod database;
mod error;
pub mod fx;
mod ledger;
mod model;
pub mod schema;

pub use database::LedgerDatabase;
pub use error::LedgerError;
pub use fx::FxPolicy;
pub use ledger::{Ledger, Posted, Receipt};
pub use model::{Account, Conversion, Entry, FxRate, Transfer, minimum_balance};
/// The `time` crate, whose `OffsetDateTime` sqlx reads and writes as
/// `timestamptz` (PostgreSQL) and `datetime` (MariaDB/MySQL).
pub use time;

/// An instant: `time::OffsetDateTime` through sqlx's `time` support, stored
/// as `timestamptz` on PostgreSQL and `datetime(6)` holding UTC on
/// MariaDB/MySQL (money-core's `time` feature, `Scalar::Timestamp`), to the
/// microsecond.
pub type Timestamp = time::OffsetDateTime;
