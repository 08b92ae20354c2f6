//! `#[money(serde)]` with the serde attributes people use, on a model that
//! does not derive serde itself, next to a money value type.

use money_core::{Decimal, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 12, scale = 2, min = "0")]
struct Fee(Decimal);

/// An account.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(table = "accounts", serde)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Account {
    account_id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    #[serde(alias = "bal")]
    balance: Decimal,
    #[money(precision = 19, scale = 4)]
    #[serde(skip_serializing_if = "Option::is_none")]
    overdraft_limit: Option<Decimal>,
    fee: Fee,
    #[money(skip)]
    #[serde(skip)]
    cached: u8,
}

fn main() {
    // Behaviour is tested with serde_json in tests/tests/json_serde.rs; here:
    // the impls exist and the attributes compiled.
    fn serde<T>()
    where
        T: money_core::__private::serde::Serialize
            + for<'de> money_core::__private::serde::Deserialize<'de>,
    {
    }
    serde::<Account>();
    serde::<Fee>();
    let _ = Account {
        account_id: 1,
        balance: Decimal::ONE,
        overdraft_limit: None,
        fee: Fee::try_from(Decimal::ONE).unwrap(),
        cached: 0,
    };
}
