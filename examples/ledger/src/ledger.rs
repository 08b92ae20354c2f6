//! Transfers: idempotent, SERIALIZABLE, retried, double-entry.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use money_core::{Decimal, MoneyModel, Rule};
use money_sqlx::cluster::ClusterPool;
use money_sqlx::{Committed, Idempotent, TransactionOptions, transaction, transaction_on};
use sqlx::{Pool, Postgres};

use crate::currency;
use crate::database::LedgerDatabase;
use crate::error::LedgerError;
use crate::fx::{self, FxPolicy};
use crate::{Account, Conversion, Entry, FxRate, Timestamp, Transfer};

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
///
/// `DB` is the database: [`sqlx::Postgres`] (the default, so `Ledger` alone
/// is the PostgreSQL ledger) or [`sqlx::MySql`] for MariaDB, MySQL or a
/// MariaDB Galera cluster; [`Ledger::new`] takes it from the pool. The
/// operations and their outcomes are the same on both; how each database
/// keeps a transfer correct, and what Galera asks of a user, is in
/// [`crate::database`].
pub struct Ledger<DB: LedgerDatabase = Postgres> {
    pool: Pool<DB>,
    /// Set by [`Ledger::on_cluster`]: transfers then go through it, so that
    /// a failover reroutes the pool.
    /// (Shared: a cluster pool holds its connect options and host list.)
    cluster: Option<Arc<ClusterPool<DB>>>,
    options: TransactionOptions,
}

impl<DB: LedgerDatabase> Clone for Ledger<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            cluster: self.cluster.clone(),
            options: self.options.clone(),
        }
    }
}

impl<DB: LedgerDatabase> std::fmt::Debug for Ledger<DB> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Ledger")
            .field("pool", &self.pool)
            .field("cluster", &self.cluster.is_some())
            .field("options", &self.options)
            .finish()
    }
}

impl Ledger {
    /// PostgreSQL's [`LedgerDatabase::default_options`]: SERIALIZABLE, at
    /// most 20 attempts within 10 s, and a 5 s statement timeout so that no
    /// statement waits forever. (For MariaDB/MySQL:
    /// `<sqlx::MySql as LedgerDatabase>::default_options()`.)
    pub fn default_options() -> TransactionOptions {
        <Postgres as LedgerDatabase>::default_options()
    }
}

impl<DB: LedgerDatabase> Ledger<DB> {
    /// A ledger on `pool` with the database's
    /// [`LedgerDatabase::default_options`] ([`Ledger::default_options`] on
    /// PostgreSQL).
    ///
    /// The pool is used as given: its options are the caller's. With
    /// sqlx's defaults, each attempt of [`Ledger::transfer`] costs two pings
    /// besides its statements (`test_before_acquire` when the connection
    /// leaves the pool, which `PgPoolOptions::test_before_acquire(false)`
    /// turns off, and one when it goes back, which cannot be); a worker that
    /// keeps a connection and calls [`Ledger::transfer_on`] pays neither.
    pub fn new(pool: Pool<DB>) -> Self {
        Self::with_options(pool, DB::default_options())
    }

    /// A ledger on `pool` whose transactions run with `options` (on
    /// PostgreSQL keep them SERIALIZABLE: the balance rule holds under any
    /// level, since the CHECK sees the updated row, but the rate freshness
    /// and the reads' consistency rely on it; on MariaDB/MySQL the row locks
    /// and the CHECK keep transfers correct at any level).
    pub fn with_options(pool: Pool<DB>, options: TransactionOptions) -> Self {
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
    pub fn on_cluster(cluster: ClusterPool<DB>, options: TransactionOptions) -> Self {
        Self {
            pool: cluster.pool().clone(),
            cluster: Some(Arc::new(cluster)),
            options,
        }
    }

    /// The options the ledger's transactions run with.
    pub fn options(&self) -> &TransactionOptions {
        &self.options
    }

    /// The pool.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// Creates the ledger's tables in the pool's current schema (database,
    /// on MariaDB/MySQL): see [`crate::schema`].
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn create_schema(&self) -> Result<(), LedgerError> {
        let mut connection = self.pool.acquire().await?;
        DB::create_schema(&mut connection).await?;
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
        DB::insert_account(&self.pool, account).await?;
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
        DB::insert_rate(&self.pool, rate).await?;
        Ok(())
    }

    /// The database's clock (`now()`), which rate freshness is measured on.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn database_now(&self) -> Result<Timestamp, LedgerError> {
        Ok(DB::now(&self.pool).await?)
    }

    /// Every account, from one consistent snapshot (one statement in a
    /// read-only transaction), by id.
    ///
    /// # Errors
    ///
    /// The database's error; a stored balance that breaks the declaration
    /// is a decode error naming the field and rule.
    pub async fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        let options = self.options.clone().read_only(true);
        let committed = transaction(&self.pool, &options, |connection| {
            Box::pin(async move {
                let accounts = DB::accounts(connection).await?;
                Ok::<_, LedgerError>(accounts)
            })
        })
        .await?;
        Ok(committed.value)
    }

    /// Moves `amount` from account `from` to account `to`, both of one
    /// currency, as transfer `transfer_id`.
    ///
    /// One transaction (SERIALIZABLE on PostgreSQL; on MariaDB/MySQL it
    /// first locks both accounts in id order: see [`crate::database`]), run
    /// again on a serialization failure, deadlock or Galera certification
    /// conflict by [`money_sqlx::transaction()`]: it records the request under
    /// its id ([`money_sqlx::ModelExt::insert_idempotent`]), writes a debit and a credit
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
        connection: &mut DB::Connection,
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
        connection: Option<&mut DB::Connection>,
        request: Transfer,
        policy: Option<Arc<FxPolicy>>,
    ) -> Result<Posted, LedgerError> {
        request.validate()?;
        if request.debit_account_id == request.credit_account_id {
            return Err(LedgerError::SameAccount {
                account: request.debit_account_id,
            });
        }
        let attempt = attempt_body::<DB, _>(|connection| {
            let request = request.clone();
            let policy = policy.clone();
            Box::pin(async move { book::<DB>(connection, &request, policy.as_deref()).await })
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
fn attempt_body<DB: LedgerDatabase, F>(body: F) -> F
where
    F: for<'c> FnMut(&'c mut DB::Connection) -> AttemptFuture<'c>,
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
async fn book<DB: LedgerDatabase>(
    connection: &mut DB::Connection,
    request: &Transfer,
    policy: Option<&FxPolicy>,
) -> Result<(Receipt, bool), LedgerError> {
    let (from, to) = (request.debit_account_id, request.credit_account_id);
    let accounts = DB::transfer_accounts(&mut *connection, from, to).await?;
    let currency_of = |account: i64| {
        accounts
            .iter()
            .find(|(id, _)| *id == account)
            .map(|(_, currency)| currency.clone())
            .ok_or(LedgerError::UnknownAccount { account })
    };
    let (from_currency, to_currency) = (currency_of(from)?, currency_of(to)?);

    match DB::insert_transfer(&mut *connection, request).await? {
        Idempotent::Inserted(_) => {}
        Idempotent::AlreadyExists(stored) => {
            return Ok((load_receipt::<DB>(connection, stored).await?, true));
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
        let priced =
            fx::price::<DB>(connection, policy, request, &from_currency, &to_currency).await?;
        (priced.entries, Some(priced.conversion))
    };

    DB::insert_entries(&mut *connection, &entries).await?;
    apply_to_balances::<DB>(connection, &entries).await?;
    if let Some(conversion) = &conversion {
        DB::insert_conversion(&mut *connection, conversion).await?;
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
async fn apply_to_balances<DB: LedgerDatabase>(
    connection: &mut DB::Connection,
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
        let updated = DB::add_to_balance(&mut *connection, account, movement)
            .await
            .map_err(|error| balance_error(account, error))?;
        if updated != 1 {
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

async fn load_receipt<DB: LedgerDatabase>(
    connection: &mut DB::Connection,
    transfer: Transfer,
) -> Result<Receipt, LedgerError> {
    let entries = DB::entries(&mut *connection, transfer.transfer_id).await?;
    let conversion = DB::conversion(&mut *connection, transfer.transfer_id).await?;
    Ok(Receipt {
        transfer,
        entries,
        conversion,
    })
}
