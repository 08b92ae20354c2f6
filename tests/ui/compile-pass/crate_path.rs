//! `#[money(crate = "...")]`: generated code reaches money-core through the
//! path given, for crates that re-export it. Here through an `extern crate`
//! rename, a re-exporting module, and a facade whose `__private::table`
//! differs from money-core's, so that the table name proves the facade's
//! path was the one used (`tests/reexport` proves it in a crate that has no
//! `money_core` at all).

extern crate money_core as renamed;

mod reexports {
    pub use ::money_core as money;
}

/// money-core with one generated-code helper of its own.
mod facade {
    pub use ::money_core::*;

    pub mod __private {
        pub use ::money_core::__private::*;

        pub const fn table(
            _name: &'static str,
            columns: &'static [Column],
            unique_keys: &'static [&'static [&'static str]],
            foreign_keys: &'static [ForeignKeyDecl],
        ) -> Table {
            ::money_core::__private::table("through_facade", columns, unique_keys, foreign_keys)
        }
    }
}

use renamed::{Decimal, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(crate = "renamed", precision = 10, scale = 2, min = "0")]
pub struct Fee(Decimal);

#[derive(Debug, PartialEq, MoneyModel)]
#[money(crate = "renamed", table = "accounts", serde)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[money(primary_key)]
    pub id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    pub balance: Decimal,
    #[money(currency)]
    pub currency: String,
    #[money(precision = 19, scale = 4, currency_field = "currency")]
    #[serde(default)]
    pub overdraft_limit: Option<Decimal>,
    pub fee: Fee,
}

#[derive(MoneyModel)]
#[money(crate = "crate::reexports::money", table = "payments")]
pub struct Payment {
    #[money(precision = 19, scale = 4)]
    pub amount: Decimal,
}

#[derive(MoneyModel)]
#[money(crate = "facade", table = "ignored")]
pub struct Facaded {
    #[money(precision = 19, scale = 4)]
    pub amount: Decimal,
}

fn main() {
    let account = Account {
        id: 1,
        balance: "12.5".parse().unwrap(),
        currency: "JPY".into(),
        overdraft_limit: Some("1.5".parse().unwrap()),
        fee: "1.20".parse().unwrap(),
    };
    // JPY has no minor units: the currency rule of the money field is broken.
    let errors = account.validate().unwrap_err();
    assert_eq!(
        errors.iter().next().unwrap().constraint(),
        "accounts_overdraft_limit_minor_units"
    );
    assert!(implements_serde::<Account>() && implements_serde::<Fee>());

    assert_eq!(Payment::TABLE, "payments");
    assert!(Payment { amount: Decimal::new(1, 5) }.validate().is_err());
    assert_eq!(Facaded::DEFINITION.name(), "through_facade");
    assert!("-1".parse::<Fee>().is_err());
}

/// `#[money(serde)]` and the value type's serde impls, through the
/// renamed path (this crate has serde only as money-core's).
fn implements_serde<T>() -> bool
where
    T: renamed::__private::serde::Serialize + for<'de> renamed::__private::serde::Deserialize<'de>,
{
    true
}
