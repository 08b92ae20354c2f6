//! The baselines without this toolkit: serde_json with rust_decimal's
//! string serde (no validation), and a row read by hand with sqlx's own
//! `Decimal` decode.

use money_core::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::postgres::PgRow;

/// [`Account`](crate::Account) with serde's derive and rust_decimal's
/// string serde: the same JSON, read without any check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlainAccount {
    /// The primary key.
    pub id: i64,
    /// A string, read by `Decimal::from_str`.
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    /// A string or null.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub overdraft_limit: Option<Decimal>,
    /// A string.
    #[serde(with = "rust_decimal::serde::str")]
    pub fee: Decimal,
}

impl<'r> sqlx::FromRow<'r, PgRow> for PlainAccount {
    /// What `#[derive(sqlx::FromRow)]` generates: every column by name,
    /// amounts with sqlx's `Decimal` decode, nothing checked.
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(PlainAccount {
            id: row.try_get("id")?,
            balance: row.try_get("balance")?,
            overdraft_limit: row.try_get("overdraft_limit")?,
            fee: row.try_get("fee")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sample, sample_json};

    #[test]
    fn reads_the_same_json() {
        let plain: PlainAccount = serde_json::from_str(&sample_json(6)).expect("valid JSON");
        let account = sample(6);
        assert_eq!(
            (plain.id, plain.balance, plain.overdraft_limit, plain.fee),
            (
                account.id,
                account.balance,
                account.overdraft_limit,
                account.fee
            )
        );
    }
}
