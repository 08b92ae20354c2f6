//! Everything the derives' generated code names.
//!
//! Generated code reaches it by absolute path, `::money_core::__private::...`
//! (or `<path>::__private::...` under `#[money(crate = "<path>")]`), inside
//! `const _: () = { ... };`, so that no name in the user's scope can shadow
//! what it means. Some items are public API elsewhere as well (the traits,
//! `Decimal`, the table types, std's items); the helpers that only generated
//! code calls (the constructors below, `check_money`, `db::bind_money`,
//! `json::Field`, ...) are exported from here only: they live in the
//! modules that own their logic (`json::field`, `db::field`, `validate`,
//! ...), `pub` there only so that this module can re-export them. Not part
//! of the API: anything here may change in any release.

pub use crate::currency::{Currency, CurrencyField};
pub use crate::spec::{ExcessScale, MoneySpec};
pub use crate::table::{
    Column, ColumnType, ForeignKeyDecl, MoneyField, ReferentialAction, Scalar, SqlColumn, Table,
};
pub use crate::validate::{ValidationErrors, check_currency, check_money, check_money_in};
pub use crate::value::{MoneyValue, ValueError};

pub use core::convert::{AsRef, From, TryFrom};
pub use core::fmt::{Display, Formatter, Result as FmtResult};
pub use core::option::Option::{self, None, Some};
pub use core::result::Result;
pub use core::str::FromStr;
pub use rust_decimal::Decimal;
pub use std::borrow::Cow;

#[cfg(feature = "schemars")]
pub use schemars;
#[cfg(feature = "serde")]
pub use serde;
#[cfg(feature = "sqlx")]
pub use sqlx;

/// The sqlx glue generated code calls: binding and reading money columns
/// and values, and the traits its impls implement.
#[cfg(feature = "sqlx")]
pub mod db {
    pub use crate::db::bind::{BindInstant, BindValue, Field};
    pub use crate::db::field::{bind_money, decode_value, encode_value, get_money, validated};
    pub use crate::db::{MoneyDatabase, SqlModel};
    #[cfg(feature = "postgres")]
    pub use crate::db::{PgBatch, PgBatchDatabase, PgCopy};
}

/// The serde (and schemars) glue generated code calls: the field adapter
/// of `#[money(serde)]` and the impls of money value types.
#[cfg(feature = "serde")]
pub mod json {
    #[cfg(feature = "schemars")]
    pub use crate::json::amount_schema;
    pub use crate::json::field::{
        Amount, CurrencySeed, Field, FieldKey, FieldNames, JsonModel, Seed, deserialize_value,
        invalid_length, missing_field, serialize_value,
    };
    pub use serde::de::{Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
    pub use serde::ser::SerializeStruct;
}

/// The declaration of a money column, checked by the derive at compile
/// time (`currency_column`: `currency_field = "..."`).
#[inline]
pub const fn money_spec(
    precision: u32,
    scale: u32,
    min: Option<Decimal>,
    max: Option<Decimal>,
    on_excess_scale: ExcessScale,
    currency_column: Option<&'static str>,
) -> MoneySpec {
    let spec = MoneySpec::new_unchecked(precision, scale, min, max, on_excess_scale);
    match currency_column {
        Some(column) => spec.with_currency_column(column),
        None => spec,
    }
}

/// A model's table, as the derive declares it.
#[inline]
pub const fn table(
    name: &'static str,
    columns: &'static [Column],
    unique_keys: &'static [&'static [&'static str]],
    foreign_keys: &'static [ForeignKeyDecl],
) -> Table {
    Table::new(name, columns, unique_keys).with_foreign_keys(foreign_keys)
}

/// One column of a model's table; `constraint_names` are the names of its
/// constraints by `RuleKind::position` (`naming::constraint_name`, computed
/// by the derive), or empty for a column without rules of its own.
#[inline]
pub const fn column(
    field: &'static str,
    name: &'static str,
    column_type: ColumnType,
    nullable: bool,
    primary_key: bool,
    constraint_names: &'static [&'static str],
) -> Column {
    Column::new(
        field,
        name,
        column_type,
        nullable,
        primary_key,
        constraint_names,
    )
}

/// One foreign key of a model's table.
#[inline]
pub const fn foreign_key(
    columns: &'static [&'static str],
    fields: &'static [&'static str],
    referenced_table: &'static str,
    referenced_columns: &'static [&'static str],
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
) -> ForeignKeyDecl {
    ForeignKeyDecl::new(
        columns,
        fields,
        referenced_table,
        referenced_columns,
        on_delete,
        on_update,
    )
}

/// An empty list of errors, for a generated `validate()` to fill.
#[inline]
pub const fn validation_errors() -> ValidationErrors {
    ValidationErrors::new()
}

/// The result of a generated `validate()`: `Ok(())` when `errors` is empty.
#[inline]
pub fn validation_result(errors: ValidationErrors) -> Result<(), ValidationErrors> {
    errors.into_result()
}

/// The field of a `MoneyValue` newtype, type-checked where it is declared.
#[inline]
pub const fn decimal_field(value: &Decimal) -> Decimal {
    *value
}

/// A `Decimal` built in a `const` from the parts the derive computed.
#[inline]
pub const fn decimal(lo: u32, mid: u32, hi: u32, negative: bool, scale: u32) -> Decimal {
    Decimal::from_parts(lo, mid, hi, negative, scale)
}

/// Fails the build when a value-type column of a model that targets
/// SQLite (`dialects(.., sqlite)`) has a precision SQLite cannot store.
pub const fn sqlite_column(column_type: ColumnType) {
    if let ColumnType::Money(spec) = column_type
        && spec.precision() > crate::dialect::sqlite::MAX_PRECISION
    {
        panic!(
            "this money value type's precision is above 18, which SQLite (a target of this model, `dialects(.., sqlite)`) cannot store as 64-bit integer minor units"
        );
    }
}

/// Fails the build when a key column of a model that targets
/// MariaDB/MySQL (`dialects(.., mysql)`) is TEXT, which they cannot
/// index without a prefix length.
pub const fn mysql_key_column(column_type: ColumnType) {
    if let ColumnType::Scalar(Scalar::Text) = column_type {
        panic!(
            "MariaDB/MySQL (a target of this model, `dialects(.., mysql)`) cannot put a key on a TEXT column: declare the column's type, like `#[money(sql_type = \"varchar(64)\")]`"
        );
    }
}
