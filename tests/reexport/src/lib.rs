//! Models of a crate that reaches money-core as `money` (a renamed
//! dependency) or through a module that re-exports it, with
//! `#[money(crate = "...")]`. That this crate compiles is the test that the
//! expansion names money-core only through the path given; `tests/` checks
//! that the models behave as with the default path.
#![forbid(unsafe_code)]

use money::{Decimal, MoneyModel, MoneyValue};

/// money-core, re-exported as a framework would.
pub mod reexports {
    pub use ::money as money_core;
}

/// A fee, declared once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(crate = "::money", precision = 10, scale = 2, min = "0")]
pub struct Fee(Decimal);

/// An account, with JSON.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(crate = "money", table = "accounts", serde)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The key.
    #[money(primary_key)]
    pub id: i64,
    /// At most 4 digits after the point, never negative.
    #[money(precision = 19, scale = 4, min = "0")]
    pub balance: Decimal,
    /// An ISO 4217 code.
    #[money(currency)]
    pub currency: String,
    /// Limited to the currency's minor units.
    #[money(precision = 19, scale = 4, currency_field = "currency")]
    #[serde(default)]
    pub overdraft_limit: Option<Decimal>,
    /// A value type's column.
    pub fee: Fee,
}

/// A payment, through the re-exporting module, with a foreign key.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(crate = "crate::reexports::money_core", table = "payments")]
pub struct Payment {
    /// The key.
    #[money(primary_key)]
    pub id: i64,
    /// The paying account.
    #[money(references = "accounts(id)", on_delete = "cascade")]
    pub account_id: i64,
    /// The amount, rounded to cents as the database would.
    #[money(precision = 12, scale = 2, on_excess_scale = "round")]
    pub amount: Decimal,
}
