//! The ledger's tables, each declared once as a [`MoneyModel`]: the Rust
//! validation, the DDL with its named CHECK constraints and the sqlx row
//! glue all come from these declarations, foreign keys included.
//! [`crate::schema`] adds the one rule the derive does not declare: a CHECK
//! across two columns.

use money_core::{Decimal, MoneyModel};

use crate::Timestamp;

/// An account. Its balance may not go below zero: the `accounts_balance_min`
/// CHECK constraint that `min = "0"` generates is what refuses an overdraft,
/// inside the transfer's transaction, and money-sqlx maps its violation back
/// to this field and rule.
///
/// `unique(id, currency)` exists for the foreign key from
/// [`Entry`]`(account_id, currency)`: an entry's currency must be its
/// account's.
#[derive(Debug, Clone, PartialEq, Eq, MoneyModel)]
#[money(table = "accounts", unique(id, currency), serde, json_schema)]
pub struct Account {
    /// Account number.
    #[money(primary_key)]
    pub id: i64,
    /// ISO 4217 code: the column accepts active codes only.
    #[money(currency)]
    pub currency: String,
    /// Current balance, never below zero, in whole minor units of the
    /// account's currency (the database checks the pair).
    #[money(precision = 19, scale = 4, min = "0", currency_field = "currency")]
    pub balance: Decimal,
}

/// A transfer as requested: the idempotency record. `transfer_id` is the
/// caller's key; the other columns are the payload that a resubmission must
/// repeat exactly (else it is a conflict). Nothing computed goes here (no
/// rate, no time), so that resubmitting the same request always matches.
///
/// The amount is in the debit account's currency.
#[derive(Debug, Clone, PartialEq, Eq, MoneyModel)]
#[money(table = "transfers", serde, json_schema)]
pub struct Transfer {
    /// The caller's idempotency key.
    #[money(primary_key)]
    pub transfer_id: i64,
    /// The account debited.
    #[money(references = "accounts(id)")]
    pub debit_account_id: i64,
    /// The account credited.
    #[money(references = "accounts(id)")]
    pub credit_account_id: i64,
    /// How much leaves the debit account, in its currency.
    #[money(precision = 19, scale = 4, min = "0.0001")]
    pub amount: Decimal,
}

/// One leg of a double-entry journal entry. A transfer has two legs (same
/// currency) or four (through the FX desk); its legs sum to zero per
/// currency: debits are negative, credits positive.
#[derive(Debug, Clone, PartialEq, Eq, MoneyModel)]
#[money(
    table = "journal_entries",
    serde,
    json_schema,
    foreign_key(fields(account_id, currency), references = "accounts(id, currency)")
)]
pub struct Entry {
    /// The transfer this leg belongs to.
    #[money(primary_key, references = "transfers(transfer_id)")]
    pub transfer_id: i64,
    /// Position within the transfer, from 0.
    #[money(primary_key)]
    pub leg: i16,
    /// The account moved.
    pub account_id: i64,
    /// The account's currency (a foreign key checks that it is).
    #[money(currency)]
    pub currency: String,
    /// Signed: negative for a debit, positive for a credit; in whole minor
    /// units of the currency.
    #[money(precision = 19, scale = 4, currency_field = "currency")]
    pub amount: Decimal,
}

/// An exchange rate: `1 base_currency = rate quote_currency` as of `as_of`.
/// Rates are appended, never updated: a correction is a new row, and a rate
/// that a conversion used cannot be deleted (foreign key).
#[derive(Debug, Clone, PartialEq, Eq, MoneyModel)]
#[money(table = "fx_rates", unique(base_currency, quote_currency, as_of))]
pub struct FxRate {
    /// Rate number.
    #[money(primary_key)]
    pub id: i64,
    /// The currency converted from.
    #[money(currency)]
    pub base_currency: String,
    /// The currency converted to.
    #[money(currency)]
    pub quote_currency: String,
    /// Units of quote currency per unit of base currency, to 8 places.
    #[money(precision = 18, scale = 8, min = "0.00000001")]
    pub rate: Decimal,
    /// When the rate was observed.
    pub as_of: Timestamp,
}

/// How a cross-currency transfer was priced: which rate (by id, with a
/// foreign key), when, and the rounding, stored so that the conversion can be
/// audited and nothing vanishes in the rounding.
#[derive(Debug, Clone, PartialEq, Eq, MoneyModel)]
#[money(table = "fx_conversions")]
pub struct Conversion {
    /// The transfer.
    #[money(primary_key, references = "transfers(transfer_id)")]
    pub transfer_id: i64,
    /// The rate used.
    #[money(references = "fx_rates(id)")]
    pub rate_id: i64,
    /// Its value, copied.
    #[money(precision = 18, scale = 8, min = "0.00000001")]
    pub rate: Decimal,
    /// Its `as_of`, copied.
    pub rate_as_of: Timestamp,
    /// `now()` of the transaction that priced the transfer: the instant the
    /// freshness rule was checked against.
    pub priced_at: Timestamp,
    /// The amount debited, in the source currency.
    #[money(precision = 19, scale = 4, min = "0.0001")]
    pub source_amount: Decimal,
    /// `source_amount * rate`, exactly.
    #[money(precision = 28, scale = 12)]
    pub exact_amount: Decimal,
    /// The amount credited: `exact_amount` rounded half away from zero to
    /// the target currency's minor units.
    #[money(precision = 19, scale = 4, min = "0.0001")]
    pub booked_amount: Decimal,
    /// `booked_amount - exact_amount`.
    #[money(precision = 28, scale = 12)]
    pub rounding_difference: Decimal,
}

/// The minimum balance `Account` declares (`min = "0"`), read from the
/// declaration rather than repeated.
///
/// ```
/// assert_eq!(money_ledger::minimum_balance(), Some(money_core::Decimal::ZERO));
/// ```
pub fn minimum_balance() -> Option<Decimal> {
    Account::DEFINITION
        .column_of_field("balance")
        .and_then(|column| column.money_spec())
        .and_then(|spec| spec.min())
}
