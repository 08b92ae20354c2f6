//! Helpers for the `money_ledger` tests (`tests/tests/ledger*.rs`).

use money_ledger::{Account, Ledger};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::dec;
use crate::pg::{TestSchema, count, fresh_schema};

/// A ledger in a fresh schema with `accounts` opened: `(id, currency,
/// balance)`.
///
/// # Panics
///
/// When the schema or an account cannot be created.
pub async fn ledger_with(accounts: &[(i64, &str, &str)]) -> (TestSchema, Ledger) {
    let schema = fresh_schema().await;
    let ledger = Ledger::new(schema.pool.clone());
    ledger
        .create_schema()
        .await
        .expect("create the ledger's tables");
    for (id, currency, balance) in accounts {
        ledger
            .open_account(&Account {
                id: *id,
                currency: (*currency).to_owned(),
                balance: dec(balance),
            })
            .await
            .expect("open account");
    }
    (schema, ledger)
}

/// Every account's balance, by id, from one snapshot.
///
/// # Panics
///
/// When the read fails.
pub async fn balances(ledger: &Ledger) -> Vec<(i64, Decimal)> {
    ledger
        .accounts()
        .await
        .expect("read accounts")
        .into_iter()
        .map(|account| (account.id, account.balance))
        .collect()
}

/// How many transfers are stored.
///
/// # Panics
///
/// When the count fails.
pub async fn stored_transfers(pool: &PgPool) -> i64 {
    count(pool, "transfers").await
}
