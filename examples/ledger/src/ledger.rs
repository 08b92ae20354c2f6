//! Transfers: idempotent, SERIALIZABLE, retried, double-entry.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use money_core::{Decimal, MoneyModel, Rule};
use money_sqlx::{
    Committed, Idempotent, ModelExt, TransactionOptions, transaction, transaction_on,
};
use sqlx::{PgConnection, PgPool};

/// A PostgreSQL cluster pool.
type PgClusterPool = money_sqlx::cluster::ClusterPool<sqlx::Postgres>;

use crate::currency;
use crate::error::LedgerError;
use crate::fx::{self, FxPolicy};
use crate::{Account, Conversion, Entry, FxRate, Timestamp, Transfer, schema};

const SELECT_ACCOUNTS: &str = r#"SELECT "id", "currency", "balance" FROM "accounts" ORDER BY "id""#;
const SELECT_ACCOUNT_CURRENCIES: &str =
    r#"SELECT "id", "currency" FROM "accounts" WHERE "id" IN ($1, $2)"#;
const SELECT_ENTRIES: &str = r#"SELECT "transfer_id", "leg", "account_id", "currency", "amount"
    FROM "journal_entries" WHERE "transfer_id" = $1 ORDER BY "leg""#;
const SELECT_CONVERSION: &str = r#"SELECT "transfer_id", "rate_id", "rate", "rate_as_of",
    "priced_at", "source_amount", "exact_amount", "booked_amount", "rounding_difference"
    FROM "fx_conversions" WHERE "transfer_id" = $1"#;
const UPDATE_BALANCE: &str = r#"UPDATE "accounts" SET "balance" = "balance" + $2 WHERE "id" = $1"#;

/// What a booked transfer consists of: the request, its journal entries and,
/// across currencies, its conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The request, as stored.
    pub transfer: Transfer,
    /// The legs, in order; they sum to zero per currency.
    pub entries: Vec<Entry>,
    /// How it was converted, for a cross-currency transfer.
    pub conversion: Option<Conversion>,
}

/// A transfer that is booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// What was booked: for a replay, what the first submission booked.
    pub receipt: Receipt,
    /// `true` when an earlier submission of the same request had booked it
    /// and this call changed nothing.
    pub replayed: bool,
    /// Transaction attempts, 1 unless a serialization failure, a deadlock or
    /// a host that went away before `COMMIT` was sent made
    /// [`money_sqlx::transaction()`] run it again.
    pub attempts: u32,
}

/// The ledger on a pool: opens accounts, books transfers, reads balances.
#[derive(Debug, Clone)]
pub struct Ledger {
    pool: PgPool,
    /// Set by [`Ledger::on_cluster`]: transfers then go through it, so that
    /// a failover reroutes the pool.
    /// (Boxed: a cluster pool holds its connect options and host list.)
    cluster: Option<Arc<PgClusterPool>>,
    options: TransactionOptions,
}

impl Ledger {
    /// A ledger on `pool` with [`Ledger::default_options`].
    ///
    /// The pool is used as given: its options are the caller's. With
    /// sqlx's defaults, each attempt of [`Ledger::transfer`] costs two pings
    /// besides its statements (`test_before_acquire` when the connection
    /// leaves the pool, which `PgPoolOptions::test_before_acquire(false)`
    /// turns off, and one when it goes back, which cannot be); a worker that
    /// keeps a connection and calls [`Ledger::transfer_on`] pays neither.
    pub fn new(pool: PgPool) -> Self {
        Self::with_options(pool, Self::default_options())
    }

    /// A ledger on `pool` whose transactions run with `options` (keep them
    /// SERIALIZABLE: the balance rule holds under any level, since the CHECK
    /// sees the updated row, but the rate freshness and the reads'
    /// consistency rely on it).
    pub fn with_options(pool: PgPool, options: TransactionOptions) -> Self {
        Self {
            pool,
            cluster: None,
            options,
        }
    }

    /// A ledger on a cluster pool (`money_sqlx::cluster`): transfers run
    /// through [`money_sqlx::transaction()`] on it, which, when the primary
    /// goes away before a `COMMIT` was sent, reroutes the pool to the new
    /// primary and runs the transfer again there; a `COMMIT` whose answer was
    /// lost is [`LedgerError::OutcomeUnknown`], resolved by resubmitting.
    /// [`Ledger::pool`] is the cluster's sqlx pool.
    pub fn on_cluster(cluster: PgClusterPool, options: TransactionOptions) -> Self {
        Self {
            pool: cluster.pool().clone(),
            cluster: Some(Arc::new(cluster)),
            options,
        }
    }

    /// SERIALIZABLE, at most 20 attempts within 10 s, and a 5 s statement
    /// timeout so that no statement waits forever.
    pub fn default_options() -> TransactionOptions {
        TransactionOptions::default()
            .max_attempts(20)
            .deadline(Duration::from_secs(10))
            .statement_timeout(Some(Duration::from_secs(5)))
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Creates the ledger's tables in the pool's current schema: see
    /// [`schema`].
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn create_schema(&self) -> Result<(), LedgerError> {
        let mut connection = self.pool.acquire().await?;
        schema::create(&mut connection).await?;
        Ok(())
    }

    /// Opens an account with an opening balance (its balance before any
    /// journal entry), checked against the model and the currency's minor
    /// units.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Currency`], [`LedgerError::Invalid`], or the database's
    /// error (a duplicate id, ...).
    pub async fn open_account(&self, account: &Account) -> Result<(), LedgerError> {
        currency::check_amount(&account.currency, account.balance)?;
        account.insert(&self.pool).await?;
        Ok(())
    }

    /// Appends an exchange rate.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Currency`] for an unknown code, [`LedgerError::Invalid`],
    /// or the database's error.
    pub async fn publish_rate(&self, rate: &FxRate) -> Result<(), LedgerError> {
        currency::minor_units(&rate.base_currency)?;
        currency::minor_units(&rate.quote_currency)?;
        rate.insert(&self.pool).await?;
        Ok(())
    }

    /// The database's clock (`now()`), which rate freshness is measured on.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn database_now(&self) -> Result<Timestamp, LedgerError> {
        Ok(sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Every account, from one consistent snapshot (a read-only SERIALIZABLE
    /// transaction), by id.
    ///
    /// # Errors
    ///
    /// The database's error; a stored balance that breaks the declaration
    /// is a decode error naming the field and rule.
    pub async fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        let options = self.options.clone().read_only(true);
        let committed = transaction(&self.pool, &options, |connection| {
            Box::pin(async move {
                let accounts: Vec<Account> = sqlx::query_as(SELECT_ACCOUNTS)
                    .fetch_all(&mut *connection)
                    .await?;
                Ok::<_, LedgerError>(accounts)
            })
        })
        .await?;
        Ok(committed.value)
    }

    /// Moves `amount` from account `from` to account `to`, both of one
    /// currency, as transfer `transfer_id`.
    ///
    /// One SERIALIZABLE transaction, run again on a serialization failure or
    /// deadlock by [`money_sqlx::transaction()`]: it records the request under
    /// its id ([`ModelExt::insert_idempotent`]), writes a debit and a credit
    /// leg, and updates both balances (in account order, so that two
    /// transfers never lock the same pair in opposite orders). If the id is
    /// already booked with the same payload, nothing is written and the
    /// first outcome is returned with `replayed = true`; with another
    /// payload the answer is [`LedgerError::IdConflict`]. A transfer that
    /// fails leaves nothing behind, so resubmitting it tries again.
    ///
    /// # Errors
    ///
    /// [`LedgerError::BelowMinimum`] when the debit account cannot afford it
    /// (the database's CHECK decides), [`LedgerError::OutcomeUnknown`] when
    /// the connection failed at commit, and the other [`LedgerError`]s.
    pub async fn transfer(
        &self,
        transfer_id: i64,
        from: i64,
        to: i64,
        amount: Decimal,
    ) -> Result<Posted, LedgerError> {
        self.post(None, request(transfer_id, from, to, amount), None)
            .await
    }

    /// [`Ledger::transfer`] on a connection the caller holds (a worker's own
    /// connection, or one taken from the pool once for many transfers),
    /// through [`money_sqlx::transaction_on`]: every attempt runs on
    /// `connection`, and no pool pings it. A transfer then costs exactly the
    /// round trips of its statements, `BEGIN` and `COMMIT` (8, as pgbench
    /// sending the same SQL; see BENCHMARKS.md section 7).
    ///
    /// # Errors
    ///
    /// Those of [`Ledger::transfer`]. When the connection breaks (its
    /// rollback failed), the error is returned without a retry: drop the
    /// connection and take another.
    pub async fn transfer_on(
        &self,
        connection: &mut PgConnection,
        transfer_id: i64,
        from: i64,
        to: i64,
        amount: Decimal,
    ) -> Result<Posted, LedgerError> {
        self.post(
            Some(connection),
            request(transfer_id, from, to, amount),
            None,
        )
        .await
    }

    /// [`Ledger::transfer`] across currencies: `amount` (in `from`'s
    /// currency) goes to `policy`'s desk account for that currency, and the
    /// desk account for `to`'s currency pays `to` the converted amount. Four
    /// legs, balanced per currency.
    ///
    /// The rate is the newest one for the pair, read in the same transaction,
    /// and must be at most [`FxPolicy::max_rate_age`] old at that
    /// transaction's `now()` (see [`fx`] for why this, and not a CHECK). The
    /// converted amount is rounded half away from zero to the target
    /// currency's minor units ([`currency::convert`]); the exact product,
    /// the rate id and the rounding difference are stored in a
    /// [`Conversion`] and returned in the receipt. Between accounts of one
    /// currency this is a plain transfer.
    ///
    /// # Errors
    ///
    /// Those of [`Ledger::transfer`], and [`LedgerError::NoRate`],
    /// [`LedgerError::StaleRate`], [`LedgerError::NoDesk`],
    /// [`LedgerError::ConvertsToZero`].
    pub async fn fx_transfer(
        &self,
        policy: &FxPolicy,
        transfer_id: i64,
        from: i64,
        to: i64,
        amount: Decimal,
    ) -> Result<Posted, LedgerError> {
        self.post(
            None,
            request(transfer_id, from, to, amount),
            Some(Arc::new(policy.clone())),
        )
        .await
    }

    /// Books `request` on `connection` when given, else on connections
    /// from the pool.
    async fn post(
        &self,
        connection: Option<&mut PgConnection>,
        request: Transfer,
        policy: Option<Arc<FxPolicy>>,
    ) -> Result<Posted, LedgerError> {
        request.validate()?;
        if request.debit_account_id == request.credit_account_id {
            return Err(LedgerError::SameAccount {
                account: request.debit_account_id,
            });
        }
        let attempt = attempt_body(|connection| {
            let request = request.clone();
            let policy = policy.clone();
            Box::pin(async move { book(connection, &request, policy.as_deref()).await })
        });
        let outcome = match (connection, &self.cluster) {
            (Some(connection), _) => transaction_on(connection, &self.options, attempt).await,
            (None, Some(cluster)) => transaction(&**cluster, &self.options, attempt).await,
            (None, None) => transaction(&self.pool, &self.options, attempt).await,
        };
        // A COMMIT whose answer was lost is `LedgerError::OutcomeUnknown`, decided by the
        // helper (`Retryable::commit_outcome_unknown`), which never retries it.
        outcome.map(
            |Committed {
                 value: (receipt, replayed),
                 attempts,
             }| Posted {
                receipt,
                replayed,
                attempts,
            },
        )
    }
}

/// The boxed future of one attempt's body, borrowing the connection.
type AttemptFuture<'c> =
    Pin<Box<dyn Future<Output = Result<(Receipt, bool), LedgerError>> + Send + 'c>>;

/// Gives a closure the higher-ranked signature that [`transaction`] and
/// [`transaction_on`] take, so that one closure serves both.
fn attempt_body<F>(body: F) -> F
where
    F: for<'c> FnMut(&'c mut PgConnection) -> AttemptFuture<'c>,
{
    body
}

fn request(transfer_id: i64, from: i64, to: i64, amount: Decimal) -> Transfer {
    Transfer {
        transfer_id,
        debit_account_id: from,
        credit_account_id: to,
        amount,
    }
}

/// One attempt's body, inside the open transaction. Returns the receipt and
/// whether it is a replay.
async fn book(
    connection: &mut PgConnection,
    request: &Transfer,
    policy: Option<&FxPolicy>,
) -> Result<(Receipt, bool), LedgerError> {
    let (from, to) = (request.debit_account_id, request.credit_account_id);
    let accounts: Vec<(i64, String)> = sqlx::query_as(SELECT_ACCOUNT_CURRENCIES)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *connection)
        .await?;
    let currency_of = |account: i64| {
        accounts
            .iter()
            .find(|(id, _)| *id == account)
            .map(|(_, currency)| currency.clone())
            .ok_or(LedgerError::UnknownAccount { account })
    };
    let (from_currency, to_currency) = (currency_of(from)?, currency_of(to)?);

    match request.insert_idempotent(&mut *connection).await? {
        Idempotent::Inserted(_) => {}
        Idempotent::AlreadyExists(stored) => {
            return Ok((load_receipt(connection, stored).await?, true));
        }
        Idempotent::Conflict { existing } => {
            return Err(LedgerError::IdConflict {
                requested: Box::new(request.clone()),
                existing: Box::new(existing),
            });
        }
    }

    currency::check_amount(&from_currency, request.amount)?;
    let (entries, conversion) = if from_currency == to_currency {
        let leg = |leg, account_id, amount| Entry {
            transfer_id: request.transfer_id,
            leg,
            account_id,
            currency: from_currency.clone(),
            amount,
        };
        (
            vec![leg(0, from, -request.amount), leg(1, to, request.amount)],
            None,
        )
    } else {
        let Some(policy) = policy else {
            return Err(LedgerError::CurrencyMismatch {
                from,
                from_currency,
                to,
                to_currency,
            });
        };
        let priced = fx::price(connection, policy, request, &from_currency, &to_currency).await?;
        (priced.entries, Some(priced.conversion))
    };

    Entry::insert_many(&entries, &mut *connection).await?;
    apply_to_balances(connection, &entries).await?;
    if let Some(conversion) = &conversion {
        conversion.insert(&mut *connection).await?;
    }
    let receipt = Receipt {
        transfer: request.clone(),
        entries,
        conversion,
    };
    Ok((receipt, false))
}

/// Adds each account's net movement to its balance, in account order. The
/// `min` CHECK on `accounts.balance` refuses an overdraft here.
async fn apply_to_balances(
    connection: &mut PgConnection,
    entries: &[Entry],
) -> Result<(), LedgerError> {
    let mut movements: BTreeMap<i64, Decimal> = BTreeMap::new();
    for entry in entries {
        let movement = movements.entry(entry.account_id).or_default();
        *movement = movement
            .checked_add(entry.amount)
            .ok_or(LedgerError::Overflow)?;
    }
    for (account, movement) in movements {
        if movement.is_zero() {
            continue;
        }
        let updated = sqlx::query(UPDATE_BALANCE)
            .bind(account)
            .bind(movement)
            .execute(&mut *connection)
            .await
            .map_err(|error| balance_error(account, error))?;
        if updated.rows_affected() != 1 {
            return Err(LedgerError::UnknownAccount { account });
        }
    }
    Ok(())
}

/// The database's answer to a balance update, in the model's terms: a
/// violation of `Account.balance`'s `min` rule is an overdraft.
fn balance_error(account: i64, error: sqlx::Error) -> LedgerError {
    let mapped = money_sqlx::map_error::<Account>(error, None);
    let below = match &mapped {
        money_sqlx::Error::Check {
            field,
            rule: Rule::Min(minimum),
            constraint,
            ..
        } if *field == "balance" => Some((*minimum, constraint.clone())),
        _ => None,
    };
    match below {
        Some((minimum, constraint)) => LedgerError::BelowMinimum {
            account,
            minimum,
            constraint,
            source: Box::new(mapped),
        },
        None => LedgerError::Database(mapped),
    }
}

async fn load_receipt(
    connection: &mut PgConnection,
    transfer: Transfer,
) -> Result<Receipt, LedgerError> {
    let entries: Vec<Entry> = sqlx::query_as(SELECT_ENTRIES)
        .bind(transfer.transfer_id)
        .fetch_all(&mut *connection)
        .await?;
    let conversion: Option<Conversion> = sqlx::query_as(SELECT_CONVERSION)
        .bind(transfer.transfer_id)
        .fetch_optional(&mut *connection)
        .await?;
    Ok(Receipt {
        transfer,
        entries,
        conversion,
    })
}
