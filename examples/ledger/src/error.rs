//! What can go wrong when booking, in the ledger's terms.

use std::borrow::Cow;
use std::time::Duration;

use money_core::{Decimal, ValidationErrors};
use money_sqlx::{RetryCause, Retryable};

use crate::currency::CurrencyError;
use crate::{FxRate, Timestamp, Transfer};

/// Why a ledger operation did not happen (or may have happened: see
/// [`LedgerError::OutcomeUnknown`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The request breaks a rule of its model (a zero or negative amount,
    /// more than 4 digits after the point, ...): found before anything was
    /// sent.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// Debit and credit account are the same.
    #[error("a transfer needs two different accounts, got {account} twice")]
    SameAccount {
        /// The account.
        account: i64,
    },
    /// No such account.
    #[error("no account {account}")]
    UnknownAccount {
        /// The account asked for.
        account: i64,
    },
    /// An unknown currency code, or an amount finer than its minor units.
    #[error(transparent)]
    Currency(#[from] CurrencyError),
    /// [`Ledger::transfer`](crate::Ledger::transfer) between accounts of two currencies: that takes
    /// [`Ledger::fx_transfer`](crate::Ledger::fx_transfer).
    #[error(
        "account {from} holds {from_currency} and account {to} holds {to_currency}: a cross-currency transfer needs fx_transfer"
    )]
    CurrencyMismatch {
        /// The debit account.
        from: i64,
        /// Its currency.
        from_currency: String,
        /// The credit account.
        to: i64,
        /// Its currency.
        to_currency: String,
    },
    /// The transfer id is already used by a transfer with another payload
    /// (accounts or amount): the caller reused a key. Nothing was booked.
    #[error(
        "transfer id {} is already used by another transfer: requested {requested:?}, stored {existing:?}",
        .existing.transfer_id
    )]
    IdConflict {
        /// What was asked for.
        requested: Box<Transfer>,
        /// What is stored under the id.
        existing: Box<Transfer>,
    },
    /// The debit would take an account below its declared minimum balance:
    /// the database refused it through the CHECK constraint
    /// `#[money(min = "...")]` generates, and [`money_sqlx::map_error`]
    /// mapped the violation back to `Account.balance` and its `Min` rule.
    #[error(
        "account {account} would go below its minimum balance {minimum} (refused by constraint {constraint})"
    )]
    BelowMinimum {
        /// The account.
        account: i64,
        /// The declared minimum.
        minimum: Decimal,
        /// The CHECK constraint that refused it.
        constraint: String,
        /// money-sqlx's mapping of the database error
        /// ([`money_sqlx::Error::Check`]).
        #[source]
        source: Box<money_sqlx::Error>,
    },
    /// The [`FxPolicy`](crate::FxPolicy) names no desk account for a currency.
    #[error("no FX desk account for {currency}")]
    NoDesk {
        /// The currency.
        currency: String,
    },
    /// No rate for the pair as of the transaction's `now()`.
    #[error("no {base}/{quote} rate")]
    NoRate {
        /// Converted from.
        base: String,
        /// Converted to.
        quote: String,
    },
    /// The newest rate is older than the policy allows, measured against
    /// `now()` of the transaction that would have booked the transfer.
    #[error(
        "the newest {} rate (id {}, as of {}) is {age:?} old at {priced_at}, more than the allowed {max_age:?}",
        pair(.rate), .rate.id, .rate.as_of
    )]
    StaleRate {
        /// The rate.
        rate: Box<FxRate>,
        /// `now()` of the transaction.
        priced_at: Timestamp,
        /// `priced_at - rate.as_of`.
        age: Duration,
        /// The policy's limit.
        max_age: Duration,
    },
    /// The converted amount rounds to zero in the target currency.
    #[error("{amount} at {rate} rounds to 0 {currency}")]
    ConvertsToZero {
        /// The source amount.
        amount: Decimal,
        /// The rate.
        rate: Decimal,
        /// The target currency.
        currency: String,
    },
    /// A sum of legs did not fit a `Decimal` (cannot happen for amounts the
    /// models accept; reported rather than panicking).
    #[error("an account's net movement does not fit a decimal")]
    Overflow,
    /// `COMMIT` was sent and its answer never came (the connection died, or
    /// the server ended the session), as [`money_sqlx::transaction()`]
    /// reports it through [`Retryable::commit_outcome_unknown`]: the
    /// transfer may or may not be booked, and it was not retried. Resubmit the same
    /// request (same id, same payload) to learn which; idempotency makes
    /// that safe. The same holds when the caller drops a transfer's future
    /// (a timeout, for instance).
    #[error(
        "outcome unknown: the connection failed at commit ({source}); resubmit the same transfer to learn whether it was booked"
    )]
    OutcomeUnknown {
        /// The error at commit.
        #[source]
        source: money_sqlx::Error,
    },
    /// Any other database error, as money-sqlx maps it; retryable ones
    /// (40001, 40P01) only reach the caller once the retry budget is spent.
    #[error(transparent)]
    Database(#[from] money_sqlx::Error),
}

fn pair(rate: &FxRate) -> String {
    format!("{}/{}", rate.base_currency, rate.quote_currency)
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(money_sqlx::Error::from(error))
    }
}

/// Serialization failures, deadlocks and a host that went away before
/// `COMMIT` was sent are retried by [`money_sqlx::transaction()`]; nothing
/// the ledger decides is.
impl Retryable for LedgerError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Database(error) => error.is_retryable(),
            _ => false,
        }
    }

    fn retry_cause(&self) -> Option<RetryCause> {
        match self {
            Self::Database(error) => error.retry_cause(),
            _ => None,
        }
    }

    fn commit_outcome_unknown(cause: sqlx::Error) -> Self {
        Self::OutcomeUnknown {
            source: money_sqlx::Error::from(cause),
        }
    }

    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Database(error) | Self::OutcomeUnknown { source: error } => error.sqlstate(),
            Self::BelowMinimum { .. } => Some(Cow::Borrowed("23514")),
            _ => None,
        }
    }
}
