//! sqlx integration for [`money_core::MoneyModel`] types.
//!
//! This crate is a placeholder in the workspace layout: the sqlx round trips,
//! error mapping, retrying transactions and idempotent writes land with the
//! money-sqlx issue. Until then it only re-exports the core crate.
#![forbid(unsafe_code)]

pub use money_core;
