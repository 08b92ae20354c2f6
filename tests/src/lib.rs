//! Shared support for the integration tests (not published).

pub mod drift;
pub mod faults;
pub mod galera;
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

/// The Rust blocks of the READMEs, compiled and run as doctests of this crate
/// (`cargo test --workspace` runs them; `cargo test -p money-tests --doc`
/// alone). `tests/tests/readme.rs` checks that no block escapes them
/// (`ignore`, `no_run`, an unlabeled fence) and that the sqlx block is the
/// code `tests/tests/sqlx_readme.rs` runs against PostgreSQL.
#[cfg(doctest)]
pub mod readme {
    #[doc = include_str!("../../README.md")]
    pub struct Workspace;
    #[doc = include_str!("../../money-core/README.md")]
    pub struct MoneyCore;
    #[doc = include_str!("../../money-derive/README.md")]
    pub struct MoneyDerive;
    #[doc = include_str!("../../money-sqlx/README.md")]
    pub struct MoneySqlx;
}
