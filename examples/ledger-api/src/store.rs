//! Where the service keeps its books: PostgreSQL through the [`Ledger`],
//! or an in-memory SQLite database so that the service runs with no
//! database server.
//!
//! On SQLite the same models give the tables (their SQLite DDL, amounts as
//! integer minor units with the same CHECKs) and the same
//! `insert_idempotent`; a transfer is one transaction on the pool's single
//! connection, so transfers run one at a time, and the `accounts_balance_min`
//! CHECK refuses an overdraft exactly as on PostgreSQL. Cross-currency
//! transfers need PostgreSQL (rates are timestamps read in a SERIALIZABLE
//! transaction): on SQLite `POST /fx-transfers` answers 501.

use std::collections::BTreeMap;
use std::str::FromStr;

use money_core::problem::Problem;
use money_core::{Decimal, Dialect, MoneyModel, Rule};
use money_ledger::currency::{self, LEDGER_SCALE};
use money_ledger::{Entry, FxPolicy, Ledger, LedgerError, Posted, Receipt};
use money_sqlx::{Idempotent, ModelExt};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, PgPool, SqlitePool};

use crate::error::ApiError;
use crate::{Account, Transfer};

/// The service's own table: what each `Idempotency-Key` was first used for
/// and answered. `scope` is the endpoint.
const IDEMPOTENCY_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "api_idempotency" (
    "scope" VARCHAR(64) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "status" INTEGER,
    "body" TEXT,
    PRIMARY KEY ("scope", "key")
)"#;

/// The database behind the service.
#[derive(Debug, Clone)]
pub enum Store {
    /// PostgreSQL, through the ledger.
    Postgres(Ledger),
    /// An in-memory SQLite database on a one-connection pool.
    Sqlite(SqlitePool),
}

impl Store {
    /// The ledger on `pool`; with `create_schema`, its tables are created
    /// first in the pool's current schema. The service's idempotency table
    /// is created when missing.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn postgres(pool: PgPool, create_schema: bool) -> Result<Self, LedgerError> {
        Store::from_ledger(Ledger::new(pool), create_schema).await
    }

    /// [`Store::postgres`] with a ledger of your own (its transaction
    /// options: retry budget, statement timeout).
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn from_ledger(ledger: Ledger, create_schema: bool) -> Result<Self, LedgerError> {
        if create_schema {
            ledger.create_schema().await?;
        }
        sqlx::query(IDEMPOTENCY_TABLE)
            .execute(ledger.pool())
            .await?;
        Ok(Store::Postgres(ledger))
    }

    /// A fresh in-memory SQLite database with the ledger's tables (accounts,
    /// transfers, journal entries) and the idempotency table.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub async fn sqlite_in_memory() -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection that never closes: the database lives as long as
        // it does.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        for ddl in [
            Account::create_table_sql(Dialect::Sqlite),
            Transfer::create_table_sql(Dialect::Sqlite),
            Entry::create_table_sql(Dialect::Sqlite),
            IDEMPOTENCY_TABLE.to_owned(),
        ] {
            sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&pool).await?;
        }
        Ok(Store::Sqlite(pool))
    }

    /// Which database: `postgres` or `sqlite`.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Postgres(_) => "postgres",
            Store::Sqlite(_) => "sqlite",
        }
    }

    /// Opens an account, idempotently on its id: the same account again is
    /// `AlreadyExists`, another account under the id a `Conflict`.
    ///
    /// # Errors
    ///
    /// 422 for a balance finer than the currency's minor units, or the
    /// database's refusal.
    pub async fn open_account(&self, account: &Account) -> Result<Idempotent<Account>, ApiError> {
        currency::check_amount(&account.currency, account.balance).map_err(LedgerError::from)?;
        Ok(match self {
            Store::Postgres(ledger) => account.insert_idempotent(ledger.pool()).await?,
            Store::Sqlite(pool) => account.insert_idempotent(pool).await?,
        })
    }

    /// The account, with its current balance.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn account(&self, id: i64) -> Result<Option<Account>, ApiError> {
        const SELECT: &str =
            r#"SELECT "id", "currency", "balance" FROM "accounts" WHERE "id" = $1"#;
        Ok(match self {
            Store::Postgres(ledger) => {
                sqlx::query_as(SELECT)
                    .bind(id)
                    .fetch_optional(ledger.pool())
                    .await?
            }
            Store::Sqlite(pool) => sqlx::query_as(SELECT).bind(id).fetch_optional(pool).await?,
        })
    }

    /// Books a transfer between two accounts of one currency; the same
    /// transfer again writes nothing and returns the first receipt, with
    /// [`Posted::replayed`] set.
    ///
    /// # Errors
    ///
    /// The ledger's refusals.
    pub async fn transfer(&self, request: &Transfer) -> Result<Posted, ApiError> {
        match self {
            Store::Postgres(ledger) => Ok(ledger
                .transfer(
                    request.transfer_id,
                    request.debit_account_id,
                    request.credit_account_id,
                    request.amount,
                )
                .await?),
            Store::Sqlite(pool) => Ok(sqlite_transfer(pool, request).await?),
        }
    }

    /// Books a transfer across currencies at the newest fresh rate; the
    /// same transfer again is replayed as [`Store::transfer`]'s is.
    ///
    /// # Errors
    ///
    /// The ledger's refusals; 501 on SQLite.
    pub async fn fx_transfer(
        &self,
        policy: &FxPolicy,
        request: &Transfer,
    ) -> Result<Posted, ApiError> {
        match self {
            Store::Postgres(ledger) => Ok(ledger
                .fx_transfer(
                    policy,
                    request.transfer_id,
                    request.debit_account_id,
                    request.credit_account_id,
                    request.amount,
                )
                .await?),
            Store::Sqlite(_) => Err(Problem::new(
                501,
                money_core::problem::REFUSED,
                "Not available on this database",
                "cross-currency transfers need PostgreSQL: start the service with DATABASE_URL",
            )
            .into()),
        }
    }

    /// The receipt of a booked transfer.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn receipt(&self, transfer_id: i64) -> Result<Option<Receipt>, ApiError> {
        const TRANSFER: &str = r#"SELECT "transfer_id", "debit_account_id", "credit_account_id", "amount"
            FROM "transfers" WHERE "transfer_id" = $1"#;
        const ENTRIES: &str = r#"SELECT "transfer_id", "leg", "account_id", "currency", "amount"
            FROM "journal_entries" WHERE "transfer_id" = $1 ORDER BY "leg""#;
        const CONVERSION: &str = r#"SELECT "transfer_id", "rate_id", "rate", "rate_as_of",
            "priced_at", "source_amount", "exact_amount", "booked_amount", "rounding_difference"
            FROM "fx_conversions" WHERE "transfer_id" = $1"#;
        match self {
            Store::Postgres(ledger) => {
                let pool = ledger.pool();
                let mut snapshot = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *snapshot)
                    .await?;
                let Some(transfer) = sqlx::query_as::<_, Transfer>(TRANSFER)
                    .bind(transfer_id)
                    .fetch_optional(&mut *snapshot)
                    .await?
                else {
                    return Ok(None);
                };
                let entries = sqlx::query_as(ENTRIES)
                    .bind(transfer_id)
                    .fetch_all(&mut *snapshot)
                    .await?;
                let conversion = sqlx::query_as(CONVERSION)
                    .bind(transfer_id)
                    .fetch_optional(&mut *snapshot)
                    .await?;
                snapshot.commit().await?;
                Ok(Some(Receipt {
                    transfer,
                    entries,
                    conversion,
                }))
            }
            Store::Sqlite(pool) => {
                let mut connection = pool.acquire().await?;
                let Some(transfer) = sqlx::query_as::<_, Transfer>(TRANSFER)
                    .bind(transfer_id)
                    .fetch_optional(&mut *connection)
                    .await?
                else {
                    return Ok(None);
                };
                let entries = sqlx::query_as(ENTRIES)
                    .bind(transfer_id)
                    .fetch_all(&mut *connection)
                    .await?;
                Ok(Some(Receipt {
                    transfer,
                    entries,
                    conversion: None,
                }))
            }
        }
    }
}

/// [`Ledger::transfer`]'s booking on SQLite: the request recorded under its
/// id (`insert_idempotent`), two legs, both balances moved, in one
/// transaction.
async fn sqlite_transfer(pool: &SqlitePool, request: &Transfer) -> Result<Posted, LedgerError> {
    request.validate()?;
    let (from, to) = (request.debit_account_id, request.credit_account_id);
    if from == to {
        return Err(LedgerError::SameAccount { account: from });
    }
    let mut transaction = pool.begin().await?;
    let accounts: Vec<(i64, String)> =
        sqlx::query_as(r#"SELECT "id", "currency" FROM "accounts" WHERE "id" IN ($1, $2)"#)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *transaction)
            .await?;
    let currency_of = |account: i64| {
        accounts
            .iter()
            .find(|(id, _)| *id == account)
            .map(|(_, currency)| currency.clone())
            .ok_or(LedgerError::UnknownAccount { account })
    };
    let (from_currency, to_currency) = (currency_of(from)?, currency_of(to)?);
    match request.insert_idempotent(&mut *transaction).await? {
        Idempotent::Inserted(_) => {}
        Idempotent::AlreadyExists(transfer) => {
            let entries = sqlx::query_as(
                r#"SELECT "transfer_id", "leg", "account_id", "currency", "amount"
                FROM "journal_entries" WHERE "transfer_id" = $1 ORDER BY "leg""#,
            )
            .bind(transfer.transfer_id)
            .fetch_all(&mut *transaction)
            .await?;
            transaction.commit().await?;
            return Ok(Posted {
                receipt: Receipt {
                    transfer,
                    entries,
                    conversion: None,
                },
                replayed: true,
                attempts: 1,
            });
        }
        Idempotent::Conflict { existing } => {
            return Err(LedgerError::IdConflict {
                requested: Box::new(request.clone()),
                existing: Box::new(existing),
            });
        }
    }
    if from_currency != to_currency {
        return Err(LedgerError::CurrencyMismatch {
            from,
            from_currency,
            to,
            to_currency,
        });
    }
    currency::check_amount(&from_currency, request.amount)?;
    let leg = |leg, account_id, amount| Entry {
        transfer_id: request.transfer_id,
        leg,
        account_id,
        currency: from_currency.clone(),
        amount,
    };
    let entries = vec![leg(0, from, -request.amount), leg(1, to, request.amount)];
    Entry::insert_many(&entries, &mut *transaction).await?;
    let mut movements: BTreeMap<i64, Decimal> = BTreeMap::new();
    for entry in &entries {
        *movements.entry(entry.account_id).or_default() += entry.amount;
    }
    for (account, movement) in movements {
        // SQLite holds amounts as integer minor units at the column's scale.
        let units = money_core::dialect::sqlite::to_units(movement, LEDGER_SCALE)
            .map_err(|_| LedgerError::Overflow)?;
        sqlx::query(r#"UPDATE "accounts" SET "balance" = "balance" + $2 WHERE "id" = $1"#)
            .bind(account)
            .bind(units)
            .execute(&mut *transaction)
            .await
            .map_err(|error| balance_error(account, error))?;
    }
    transaction.commit().await?;
    Ok(Posted {
        receipt: Receipt {
            transfer: request.clone(),
            entries,
            conversion: None,
        },
        replayed: false,
        attempts: 1,
    })
}

/// An overdraft refused by `accounts_balance_min`, in the ledger's terms.
fn balance_error(account: i64, error: sqlx::Error) -> LedgerError {
    let mapped = money_sqlx::map_error::<Account>(error, None);
    let below = match &mapped {
        money_sqlx::Error::Check {
            field: "balance",
            rule: Rule::Min(minimum),
            constraint,
            ..
        } => Some((*minimum, constraint.clone())),
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
