//! Shared support for the integration tests (not published).

pub mod bank;
pub mod faults;
pub mod galera;
pub mod ledger;
pub mod matrix;
pub mod mysql;
pub mod pg;
pub mod pg_replica;
pub mod proxy;
pub mod roundtrips;
mod server;
pub mod sqlite;

/// A decimal literal, read exactly (a test's own constant, so a bad one
/// panics).
pub fn dec(text: &str) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from_str_exact(text).expect("test literal")
}
