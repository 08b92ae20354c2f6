//! Cross-currency pricing: which rate, whether it is fresh enough, how the
//! converted amount is rounded, and the four legs through the FX desk.
//!
//! # The freshness rule, and why it is not a CHECK
//!
//! The seed design checks rates with `CHECK (currency_rate_valid(...))`, a
//! function that reads `fx_rates`. PostgreSQL evaluates a CHECK only on the
//! row being written and never again: when the rates change, the rows the
//! CHECK accepted are not re-checked, and the documentation calls such
//! CHECKs unsupported. It also judges "fresh" against whatever clock the
//! function reads, at a moment unrelated to the transaction's.
//!
//! Here the rule is part of the transaction that books the transfer:
//!
//! 1. The newest rate for the pair with `as_of <= now()` is read in that
//!    SERIALIZABLE transaction, together with `now()`, the transaction's
//!    start time on the database's clock (the only clock involved).
//! 2. `now() - as_of` must not exceed [`FxPolicy::max_rate_age`]; else the
//!    transfer fails with [`LedgerError::StaleRate`] and books nothing.
//! 3. The conversion row stores the rate's id (a foreign key: the rate must
//!    exist and cannot be deleted while used), its value and `as_of`, and
//!    `now()` as `priced_at`, so that an audit can re-check every booked
//!    conversion: `priced_at - rate_as_of <= max_age`, and the copied rate
//!    equals `fx_rates.rate`.
//!
//! Under SERIALIZABLE the read is part of the transaction's snapshot: if a
//! newer rate commits meanwhile, the transfer is ordered before it (it did
//! use the newest rate at its serialization point), and a retry after a
//! serialization failure is a new transaction with a new `now()` that reads
//! the rates again. Every statement is bounded by the ledger's statement
//! timeout, so `now()` cannot drift far from the commit.

use std::collections::BTreeMap;
use std::time::Duration;

use money_core::Decimal;

use crate::currency;
use crate::database::LedgerDatabase;
use crate::error::LedgerError;
use crate::{Conversion, Entry, Transfer};

/// How cross-currency transfers are priced: how old a rate may be, and the
/// desk account that holds each currency's position.
///
/// ```
/// use std::time::Duration;
/// use money_ledger::FxPolicy;
///
/// let policy = FxPolicy::new(Duration::from_secs(60)).desk("EUR", 900).desk("USD", 901);
/// assert_eq!(policy.desk_account("USD"), Some(901));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxPolicy {
    max_rate_age: Duration,
    desks: BTreeMap<String, i64>,
}

impl FxPolicy {
    /// A policy that accepts rates up to `max_rate_age` old, with no desk
    /// accounts yet.
    pub fn new(max_rate_age: Duration) -> Self {
        Self {
            max_rate_age,
            desks: BTreeMap::new(),
        }
    }

    /// Names the desk account for `currency` (an account in that currency).
    #[must_use]
    pub fn desk(mut self, currency: &str, account: i64) -> Self {
        self.desks.insert(currency.to_owned(), account);
        self
    }

    /// How old a rate may be at the transaction's `now()`.
    pub fn max_rate_age(&self) -> Duration {
        self.max_rate_age
    }

    /// The desk account for `currency`.
    pub fn desk_account(&self, currency: &str) -> Option<i64> {
        self.desks.get(currency).copied()
    }
}

/// The legs and the conversion of a cross-currency transfer.
pub(crate) struct Priced {
    pub(crate) entries: Vec<Entry>,
    pub(crate) conversion: Conversion,
}

/// Prices `request` from `source` into `target` inside the open
/// transaction: see the [module documentation](self).
pub(crate) async fn price<DB: LedgerDatabase>(
    connection: &mut DB::Connection,
    policy: &FxPolicy,
    request: &Transfer,
    source: &str,
    target: &str,
) -> Result<Priced, LedgerError> {
    let desk = |currency: &str| {
        policy
            .desk_account(currency)
            .ok_or_else(|| LedgerError::NoDesk {
                currency: currency.to_owned(),
            })
    };
    let (source_desk, target_desk) = (desk(source)?, desk(target)?);

    let (rate, priced_at) = DB::latest_rate(&mut *connection, source, target)
        .await?
        .ok_or_else(|| LedgerError::NoRate {
            base: source.to_owned(),
            quote: target.to_owned(),
        })?;
    // The query only returns rates with `as_of <= now()`.
    let age = Duration::try_from(priced_at - rate.as_of).unwrap_or_default();
    if age > policy.max_rate_age {
        return Err(LedgerError::StaleRate {
            rate: Box::new(rate),
            priced_at,
            age,
            max_age: policy.max_rate_age,
        });
    }

    let converted = currency::convert(request.amount, rate.rate, target)?;
    // MariaDB/MySQL: the desks' rows are locked, in id order, before the
    // legs are written (PostgreSQL: nothing is sent).
    DB::lock_desks(&mut *connection, source_desk, target_desk).await?;
    if converted.booked.is_zero() {
        return Err(LedgerError::ConvertsToZero {
            amount: request.amount,
            rate: rate.rate,
            currency: target.to_owned(),
        });
    }
    let leg = |leg, account_id, currency: &str, amount: Decimal| Entry {
        transfer_id: request.transfer_id,
        leg,
        account_id,
        currency: currency.to_owned(),
        amount,
    };
    let entries = vec![
        leg(0, request.debit_account_id, source, -request.amount),
        leg(1, source_desk, source, request.amount),
        leg(2, target_desk, target, -converted.booked),
        leg(3, request.credit_account_id, target, converted.booked),
    ];
    let conversion = Conversion {
        transfer_id: request.transfer_id,
        rate_id: rate.id,
        rate: rate.rate,
        rate_as_of: rate.as_of,
        priced_at,
        source_amount: request.amount,
        exact_amount: converted.exact,
        booked_amount: converted.booked,
        rounding_difference: converted.rounding_difference,
    };
    Ok(Priced {
        entries,
        conversion,
    })
}
