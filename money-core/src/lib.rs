//! One declaration for money, in Rust and in the database.
//!
//! ```
//! use money_core::{MoneyModel, Decimal, Dialect};
//!
//! #[derive(MoneyModel)]
//! #[money(table = "accounts")]
//! struct Account {
//!     #[money(primary_key)]
//!     id: i64,
//!     #[money(precision = 19, scale = 4, min = "0")]
//!     balance: Decimal,
//! }
//!
//! let ok = Account { id: 1, balance: "123.4500".parse().unwrap() };
//! assert!(ok.validate().is_ok());
//!
//! // PostgreSQL would round this into a numeric(19,4) column; here it is an
//! // error, in Rust and, through the generated DDL, in the database.
//! let excess = Account { id: 2, balance: "123.45678".parse().unwrap() };
//! let errors = excess.validate().unwrap_err();
//! assert_eq!(errors.iter().next().unwrap().constraint(), "accounts_balance_scale");
//!
//! let ddl = Account::create_table_sql(Dialect::Postgres);
//! assert!(ddl.contains(r#"CHECK ("balance" = round("balance", 4))"#));
//! ```
//!
//! # Semantics
//! For a field declared with precision `P` and scale `S`, a value `v` is
//! valid iff it has at most `S` digits after the point once trailing zeros
//! are dropped, `|v| < 10^(P-S)`, and `min <= v <= max` where declared. With
//! `on_excess_scale = "round"`, `v` is first rounded to `S` digits half away
//! from zero, as the database rounds, and the other rules are checked on the
//! rounded value. See [`MoneySpec`] and [`Rule`]; how each dialect enforces
//! the same rules is described with [`Dialect`]'s renderers and in the
//! README.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `derive` | yes | re-exports [`MoneyModel`](derive@MoneyModel) and [`MoneyValue`](derive@MoneyValue), the derives, so applications depend on this crate only |
//! | `serde` | yes | `Serialize`/`Deserialize` for money value types, and for models that ask with `#[money(serde)]`: amounts as exact, validated strings ([`json`]) |
//! | `schemars` | no | `schemars::JsonSchema` for money value types and models with `#[money(serde, json_schema)]`: amounts as strings with a pattern that accepts exactly the valid values; implies `serde` |
//! | `sqlx` | no | sqlx `Type`/`Encode`/`Decode` for money values and a validating `FromRow` for models, on each database below that is on (module `db`); money-sqlx turns it on |
//! | `postgres` | no | the sqlx impls for PostgreSQL: amounts as `numeric`, read exactly, and batch inserts; implies `sqlx` |
//! | `mysql` | no | the sqlx impls for MariaDB/MySQL: amounts as `DECIMAL`, read exactly; implies `sqlx` |
//! | `sqlite` | no | the sqlx impls for SQLite (amounts as integer minor units), with the SQLite library bundled (sqlx's `sqlite`); implies `sqlx` |
//! | `sqlite-unbundled` | no | the same, linked to the system's SQLite library (sqlx's `sqlite-unbundled`, whose build needs libclang for bindgen) |
//! | `time` | no | `time::OffsetDateTime` fields map to a column without `sql_type`: [`Scalar::Timestamp`], `timestamptz` on PostgreSQL, `datetime(6)` holding UTC on MariaDB/MySQL and `text` on SQLite, so one declaration renders on each; with `sqlx`, it turns on sqlx's `time` feature and binds them as the column stores them (`db::MoneyDatabase::add_instant`) |
//!
//! A library that only declares models needs `derive` (and `serde` for
//! JSON): depend on this crate with `default-features = false` and name
//! them. The database features are normally turned on through money-sqlx's
//! features of the same names. No feature picks an async runtime or a TLS
//! backend: those are chosen on your own `sqlx` dependency.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod currency;
#[cfg(feature = "sqlx")]
pub mod db;
pub mod ddl;
pub mod dialect;
#[cfg(feature = "serde")]
pub mod json;
pub mod naming;
mod parse;
pub mod pg;
#[cfg(feature = "serde")]
pub mod problem;
mod rules;
mod spec;
mod stored;
mod table;
mod validate;
mod value;

pub use currency::{Currency, CurrencyField, UnknownCurrency};
pub use dialect::Dialect;
pub use parse::{MAX_DECIMAL_TEXT_LEN, ParseDecimalError, parse_decimal};
pub use rules::{Rule, RuleKind};
pub use rust_decimal::Decimal;
pub use spec::{ExcessScale, MAX_PRECISION, MoneySpec, round_like_database};
pub use stored::StoredAmountError;
pub use table::{
    Column, ColumnType, Constraint, ForeignKey, MoneyField, ReferentialAction, Scalar, SqlColumn,
    Table, UniqueKey,
};
pub use validate::{ValidationError, ValidationErrors};
pub use value::{MoneyValue, ValueError};

#[doc = include_str!("docs/money_model.md")]
#[cfg(feature = "derive")]
pub use money_derive::MoneyModel;

#[doc = include_str!("docs/money_value.md")]
#[cfg(feature = "derive")]
pub use money_derive::MoneyValue;

/// A struct whose money fields are declared once, with
/// `#[derive(MoneyModel)]`.
///
/// The derive generates [`TABLE`](Self::TABLE),
/// [`DEFINITION`](Self::DEFINITION) and [`validate`](Self::validate);
/// everything else is computed from the definition by this crate.
pub trait MoneyModel {
    /// The table's name: `#[money(table = "...")]`, else the struct's name in
    /// snake_case.
    const TABLE: &'static str;

    /// The table, its columns and their rules, as data.
    const DEFINITION: &'static Table;

    /// Checks every rule of every money field and reports every broken one,
    /// each with the name of the database constraint that enforces the same
    /// rule. A value that passes is accepted by the generated DDL, and a
    /// value that fails is rejected by it.
    fn validate(&self) -> Result<(), ValidationErrors>;

    /// The complete `CREATE TABLE` statement, with every constraint, for
    /// `dialect`. See [`ddl::create_table`].
    fn create_table_sql(dialect: Dialect) -> String {
        ddl::create_table(Self::DEFINITION, dialect)
    }
}

/// What generated code reaches, by absolute path
/// (`::money_core::__private::...`, or the path `#[money(crate = "...")]`
/// names). Not part of the API: it may change in any release.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Without the `sqlx` feature money values have no sqlx impls.
#[cfg(not(feature = "sqlx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_value {
    ($($tokens:tt)*) => {};
}

/// Without the `sqlx` feature models have no sqlx impls.
#[cfg(not(feature = "sqlx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_model {
    ($($tokens:tt)*) => {};
}

/// Without the `postgres` feature money values are no PostgreSQL array
/// elements.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pg_value {
    ($($tokens:tt)*) => {};
}

/// Without the `postgres` feature models have no PostgreSQL batch impl.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pg_model {
    ($($tokens:tt)*) => {};
}

/// Without the `serde` feature a money value type gets no serde impls.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_value {
    ($ty:ident) => {};
}

/// Without the `serde` feature `#[money(serde)]` is a compile error that
/// says how to turn it on.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_model {
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`#[money(serde)]` needs money-core's `serde` feature: `money-core = { version = \"0.1\", features = [\"serde\"] }`"
        );
    };
}

/// Without the `schemars` feature `#[money(json_schema)]` is a compile
/// error that says how to turn it on.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars_model {
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`#[money(json_schema)]` needs money-core's `schemars` feature: `money-core = { version = \"0.1\", features = [\"schemars\"] }`"
        );
    };
}

/// Without the `schemars` feature value types get no `JsonSchema` impl.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars {
    ($($tokens:tt)*) => {};
}
