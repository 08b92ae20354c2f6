//! The declarations the `schema::verify` tests of PostgreSQL and MariaDB/MySQL
//! (`tests/schema_verify.rs`, `tests/schema_verify_mysql.rs`) render, drift
//! and verify: one copy for both. SQLite's test declares its own, with
//! precision 18, SQLite's largest.

use money_core::{Decimal, MoneyModel, Table};

/// Accounts: a key, a currency, a balance with a minimum, a nullable memo,
/// and a composite UNIQUE for the transfers' key to refer to.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_accounts", unique(id, currency))]
pub struct Account {
    /// The key.
    #[money(primary_key)]
    pub id: i64,
    /// An ISO 4217 code.
    #[money(currency)]
    pub currency: String,
    /// `(19, 4)`, at least 0.
    #[money(precision = 19, scale = 4, min = "0")]
    pub balance: Decimal,
    /// Free text.
    pub memo: Option<String>,
}

/// Transfers: a foreign key to [`Account`] and a positive amount.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_transfers")]
pub struct Transfer {
    /// The key.
    #[money(primary_key)]
    pub id: i64,
    /// The account moved.
    #[money(references = "drift_accounts(id)")]
    pub account_id: i64,
    /// `(19, 4)`, at least 0.0001.
    #[money(precision = 19, scale = 4, min = "0.0001")]
    pub amount: Decimal,
}

/// The declared tables, in an order that is not their dependency order.
pub const TABLES: &[&Table] = &[Transfer::DEFINITION, Account::DEFINITION];

/// A table no case creates before verifying: missing everywhere, so it is
/// reported missing (a table the other cases create could be left in their
/// schemas by a failed run, which is the "another schema" error).
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_ghosts")]
pub struct Ghost {
    /// The key.
    #[money(primary_key)]
    pub id: i64,
    /// A reference to an account.
    #[money(references = "drift_accounts(id)")]
    pub account_id: i64,
}
