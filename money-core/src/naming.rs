//! The one place that names database constraints: the scheme lives in
//! money-spec-core, which the derive shares, so that the names the derive
//! writes into a model's [`Table`](crate::Table) at compile time are the
//! names computed here.
//!
//! A CHECK constraint is named `{table}_{column}_{rule}`, where `rule` is
//! [`RuleKind::suffix`](crate::RuleKind::suffix); the primary key is
//! `{table}_pkey`, a unique key `{table}_{columns}_key` and a foreign key
//! `{table}_{columns}_fkey`, as PostgreSQL names them when declared inline.
//! A name longer than 63 bytes keeps its suffix and replaces the tail of
//! the rest with 8 hex digits of its FNV-1a hash, so that two long names
//! never become one when the database truncates them. The hash is part of
//! the naming contract and never changes.
//!
//! ```
//! use money_core::naming::constraint_name;
//! assert_eq!(constraint_name("accounts", "balance", "scale"), "accounts_balance_scale");
//! let long = constraint_name(&"t".repeat(40), &"c".repeat(40), "digits");
//! assert_eq!(long.len(), 63);
//! assert!(long.ends_with("_digits"));
//! ```

pub use money_spec_core::MAX_IDENTIFIER_BYTES;
pub use money_spec_core::naming::{
    constraint_name, foreign_key_name, primary_key_name, unique_key_name,
};
