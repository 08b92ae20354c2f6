//! Example models, shared by the examples: an account with a non-negative
//! balance, a settlement amount with both bounds, and an exchange rate that
//! rounds instead of rejecting excess digits.
#![forbid(unsafe_code)]

use money_core::{Decimal, MoneyModel, Table};

/// A customer account. The balance may not go below zero.
#[derive(Debug, Clone, MoneyModel)]
#[money(table = "accounts", dialects(postgres, mysql, sqlite))]
pub struct Account {
    /// Primary key.
    #[money(primary_key)]
    pub id: i64,
    /// Current balance: 14 digits before the point, 4 after, never negative
    /// (18 digits in all: what SQLite's 64-bit minor units hold), and no
    /// more digits after the point than the currency has minor units.
    #[money(precision = 18, scale = 4, min = "0", currency_field = "currency")]
    pub balance: Decimal,
    /// ISO 4217 code: an active one, checked in Rust and by the database.
    #[money(currency)]
    pub currency: String,
    /// Optional overdraft limit.
    #[money(precision = 18, scale = 4)]
    pub overdraft_limit: Option<Decimal>,
}

/// One settlement line, as the seed design's `settlements` table: the range
/// is stated once, so it cannot disagree with the column type.
#[derive(Debug, Clone, MoneyModel)]
#[money(table = "settlements", dialects(postgres, mysql, sqlite))]
pub struct Settlement {
    /// Primary key.
    #[money(primary_key)]
    pub id: i64,
    /// The settlement batch.
    pub settlement_id: i64,
    /// The account settled.
    pub account_id: i64,
    /// A positive amount of at most 13 integer digits.
    #[money(precision = 18, scale = 4, min = "0.0001", max = "9999999999999.9999")]
    pub amount: Decimal,
    /// Free text, not stored.
    #[money(skip)]
    pub note: String,
}

/// An exchange rate: excess digits are rounded half away from zero, in Rust
/// exactly as in the database.
#[derive(Debug, Clone, MoneyModel)]
#[money(table = "fx_rates", dialects(postgres, mysql, sqlite))]
pub struct FxRate {
    /// Primary key.
    #[money(primary_key)]
    pub id: i64,
    /// `EURUSD` and so on.
    #[money(sql_type = "char(6)")]
    pub pair: String,
    /// Units of quote currency per unit of base currency.
    #[money(
        precision = 18,
        scale = 8,
        min = "0.00000001",
        on_excess_scale = "round"
    )]
    pub rate: Decimal,
}

/// Every table of this crate's models, in the order a database creates
/// them: the one list that build scripts, migrations and tests iterate, so a
/// new model cannot be forgotten in one of them.
///
/// ```
/// use money_core::{Dialect, ddl};
///
/// for table in money_examples::TABLES {
///     let sql = ddl::create_table(table, Dialect::Postgres);
///     assert!(sql.starts_with(&format!("CREATE TABLE \"{}\"", table.name())));
/// }
/// ```
pub const TABLES: &[&Table] = &[
    Account::DEFINITION,
    Settlement::DEFINITION,
    FxRate::DEFINITION,
];
