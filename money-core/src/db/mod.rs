//! The sqlx glue of money values and models (feature `sqlx`, with
//! `postgres`, `mysql` and `sqlite` for the databases): how each database
//! binds and reads an amount, and the row impls built on it.
//!
//! One trait, [`MoneyDatabase`], says per database how an amount travels:
//!
//! | database | column | bound as | read from |
//! |---|---|---|---|
//! | PostgreSQL | `numeric` | binary `numeric` | binary or text `numeric`, exactly ([`crate::pg`]) |
//! | MariaDB/MySQL | `DECIMAL` | the decimal text, typed `NEWDECIMAL` | the decimal text, exactly ([`decode_numeric_text`](crate::pg::decode_numeric_text)) |
//! | SQLite | no declared type | `INTEGER` minor units | `INTEGER` minor units only ([`crate::dialect::sqlite`]) |
//!
//! Everything else is written once, generic over the database: a money
//! value type (`#[derive(MoneyValue)]`) implements `Type`, `Encode` and
//! `Decode` for every [`MoneyDatabase`]; a model implements [`SqlModel`]
//! and a validating `FromRow` for every [`MoneyDatabase`] whose driver can
//! bind and read each of its other fields. An amount is always bound as it
//! will be stored ([`MoneySpec::stored_value`]: rounded half away from zero
//! in round mode), so every database stores the value `validate()` judged.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::StoredAmountError;
use crate::dialect::Dialect;
use crate::spec::MoneySpec;

pub(crate) mod bind;
pub(crate) mod field;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::{ExactDecimal, PgBatch, PgBatchDatabase, PgCopy};

/// A database that stores amounts exactly: how an amount is bound and read.
/// Implemented for `sqlx::Postgres`, `sqlx::MySql` and `sqlx::Sqlite` (each
/// under the feature of the same name); the DDL of [`DIALECT`](Self::DIALECT)
/// is what the encoding assumes.
pub trait MoneyDatabase: Database {
    /// The dialect whose DDL this database runs.
    const DIALECT: Dialect;

    /// The type an amount is bound as.
    fn amount_type_info() -> Self::TypeInfo;

    /// Whether a column of type `ty` can hold an amount.
    fn amount_compatible(ty: &Self::TypeInfo) -> bool;

    /// Writes `amount`, already as stored (rounded in round mode), for a
    /// column declared with `spec`.
    fn encode_amount(
        amount: Decimal,
        spec: &MoneySpec,
        buffer: &mut Self::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError>;

    /// Reads a non-NULL amount of a column declared with `spec`, exactly.
    /// The outer error is the driver's (a value of the wrong wire type), the
    /// inner one says why the stored value is no exact amount.
    fn decode_amount(
        value: Self::ValueRef<'_>,
        spec: &MoneySpec,
    ) -> Result<Result<Decimal, StoredAmountError>, BoxDynError>;

    /// `row.try_get(column)`, for generated code that is generic over the
    /// database.
    fn get<'r, T>(row: &'r Self::Row, column: &str) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, Self> + Type<Self>;

    /// `row.try_get_raw(column)`, with the column's type checked against
    /// [`amount_compatible`](Self::amount_compatible).
    fn get_amount_raw<'r>(
        row: &'r Self::Row,
        column: &str,
    ) -> Result<Self::ValueRef<'r>, sqlx::Error>;

    /// Binds an instant (a [`Scalar::Timestamp`](crate::Scalar::Timestamp)
    /// column, `None` for NULL) as the column stores it. sqlx sends an
    /// `OffsetDateTime` to MariaDB/MySQL typed `TIMESTAMP`, whose range ends
    /// in January 2038: MariaDB turns a later instant into NULL, silently in
    /// a nullable column. Bound here as a `DATETIME` in UTC (what sqlx reads
    /// it back as), it is stored to the year 9999.
    #[cfg(feature = "time")]
    fn add_instant(
        arguments: &mut Self::Arguments,
        instant: Option<&time::OffsetDateTime>,
    ) -> Result<(), BoxDynError>;
}

/// A model whose rows sqlx can bind and read on database `DB`: implemented
/// by `#[derive(MoneyModel)]` (for structs without generic parameters) for
/// every [`MoneyDatabase`] whose driver can bind and read each field.
/// money-sqlx builds inserts, batch inserts and idempotent writes on it.
pub trait SqlModel<DB: MoneyDatabase>: crate::MoneyModel + Sized {
    /// Binds every column of `self`, in column order.
    fn bind_columns(&self, arguments: &mut DB::Arguments) -> Result<(), BoxDynError>;

    /// Binds column `index` (0-based, in column order) of `self`.
    fn bind_column(&self, index: usize, arguments: &mut DB::Arguments) -> Result<(), BoxDynError>;

    /// Reads a row and checks it with `validate()`: a stored value that
    /// breaks the declaration is an error naming the field and rule.
    fn decode_row(row: &DB::Row) -> Result<Self, sqlx::Error>;
}

/// Implements sqlx's `Type`, `Encode` and `Decode` for a
/// [`MoneyValue`](crate::MoneyValue) newtype on every [`MoneyDatabase`]
/// (and `PgHasArrayType` with the `postgres` feature). Generated code calls
/// it; it is not part of the API.
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_value {
    ($ty:ident) => {
        #[automatically_derived]
        impl<DB: $crate::__private::db::MoneyDatabase> $crate::__private::sqlx::Type<DB> for $ty {
            fn type_info() -> <DB as $crate::__private::sqlx::Database>::TypeInfo {
                <DB as $crate::__private::db::MoneyDatabase>::amount_type_info()
            }

            fn compatible(
                ty: &<DB as $crate::__private::sqlx::Database>::TypeInfo,
            ) -> ::core::primitive::bool {
                <DB as $crate::__private::db::MoneyDatabase>::amount_compatible(ty)
            }
        }

        #[automatically_derived]
        impl<'q, DB: $crate::__private::db::MoneyDatabase> $crate::__private::sqlx::Encode<'q, DB>
            for $ty
        {
            fn encode_by_ref(
                &self,
                buffer: &mut <DB as $crate::__private::sqlx::Database>::ArgumentBuffer,
            ) -> $crate::__private::Result<
                $crate::__private::sqlx::encode::IsNull,
                $crate::__private::sqlx::error::BoxDynError,
            > {
                $crate::__private::db::encode_value::<DB, Self>(self, buffer)
            }
        }

        #[automatically_derived]
        impl<'r, DB: $crate::__private::db::MoneyDatabase> $crate::__private::sqlx::Decode<'r, DB>
            for $ty
        {
            fn decode(
                value: <DB as $crate::__private::sqlx::Database>::ValueRef<'r>,
            ) -> $crate::__private::Result<Self, $crate::__private::sqlx::error::BoxDynError> {
                $crate::__private::db::decode_value::<DB, Self>(value)
            }
        }

        $crate::__pg_value!($ty);
    };
}

/// Implements [`SqlModel`] and a validating `sqlx::FromRow` for a model on
/// every [`MoneyDatabase`] whose driver binds and reads its other fields
/// (and `PgBatch` with the `postgres` feature). Generated code calls it.
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_model {
    (
        $ty:ident;
        from_row $from_row:ident;
        columns [$($kind:ident $member:ident $index:literal $column:literal $field_ty:ty),*];
        other_types [$($other_ty:ty),*];
        skipped [$($skipped:ident),*];
    ) => {
        #[automatically_derived]
        impl<DB> $crate::__private::db::SqlModel<DB> for $ty
        where
            DB: $crate::__private::db::MoneyDatabase,
            $(
                $other_ty: for<'q> $crate::__private::sqlx::Encode<'q, DB>
                    + for<'r> $crate::__private::sqlx::Decode<'r, DB>
                    + $crate::__private::sqlx::Type<DB>,
            )*
        {
            fn bind_columns(
                &self,
                arguments: &mut <DB as $crate::__private::sqlx::Database>::Arguments,
            ) -> $crate::__private::Result<(), $crate::__private::sqlx::error::BoxDynError> {
                $( $crate::__sqlx_bind!($kind DB, arguments, self, $member, $index, $field_ty); )*
                $crate::__private::Result::Ok(())
            }

            fn bind_column(
                &self,
                index: ::core::primitive::usize,
                arguments: &mut <DB as $crate::__private::sqlx::Database>::Arguments,
            ) -> $crate::__private::Result<(), $crate::__private::sqlx::error::BoxDynError> {
                match index {
                    $( $index => { $crate::__sqlx_bind!($kind DB, arguments, self, $member, $index, $field_ty); } )*
                    _ => {
                        return $crate::__private::Result::Err(
                            $crate::__private::From::from("no such column"),
                        );
                    }
                }
                $crate::__private::Result::Ok(())
            }

            fn decode_row(
                row: &<DB as $crate::__private::sqlx::Database>::Row,
            ) -> $crate::__private::Result<Self, $crate::__private::sqlx::Error> {
                let model = $ty {
                    $( $member: $crate::__sqlx_get!($kind DB, row, $index, $column), )*
                    $( $skipped: ::core::default::Default::default(), )*
                };
                $crate::__private::db::validated(model)
            }
        }

        $crate::__sqlx_from_row!($from_row $ty);

        $crate::__pg_model! {
            $ty;
            columns [$($kind $member $index $field_ty),*];
        }
    };
}

/// The validating `sqlx::FromRow` of a model, unless it says
/// `#[money(no_from_row)]` (generated code).
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_from_row {
    (no $ty:ident) => {};
    (yes $ty:ident) => {
        #[automatically_derived]
        impl<'r, R> $crate::__private::sqlx::FromRow<'r, R> for $ty
        where
            R: $crate::__private::sqlx::Row,
            <R as $crate::__private::sqlx::Row>::Database:
                $crate::__private::db::MoneyDatabase + $crate::__private::sqlx::Database<Row = R>,
            $ty: $crate::__private::db::SqlModel<<R as $crate::__private::sqlx::Row>::Database>,
        {
            fn from_row(
                row: &'r R,
            ) -> $crate::__private::Result<Self, $crate::__private::sqlx::Error> {
                <Self as $crate::__private::db::SqlModel<
                    <R as $crate::__private::sqlx::Row>::Database,
                >>::decode_row(row)
            }
        }
    };
}

/// Binds one column (generated code).
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_bind {
    (money $db:ident, $arguments:ident, $self:ident, $member:ident, $index:literal, $field_ty:ty) => {
        $crate::__private::db::bind_money::<$db>(
            $arguments,
            <Self as $crate::MoneyModel>::DEFINITION,
            $index,
            <$field_ty as $crate::__private::MoneyField>::amount(&$self.$member),
        )?
    };
    (other $db:ident, $arguments:ident, $self:ident, $member:ident, $index:literal, $field_ty:ty) => {{
        // An instant through `BindInstant`, anything else through sqlx
        // (`BindValue`): the method on the more referenced receiver wins.
        #[allow(unused_imports)]
        use $crate::__private::db::{BindInstant as _, BindValue as _};
        (&&$crate::__private::db::Field::<$field_ty, $db>::new(&$self.$member))
            .bind_field($arguments)?
    }};
}

/// Reads one column (generated code).
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlx_get {
    (money $db:ident, $row:ident, $index:literal, $column:literal) => {
        $crate::__private::db::get_money::<$db, _>(
            $row,
            <Self as $crate::MoneyModel>::DEFINITION,
            $index,
        )?
    };
    (other $db:ident, $row:ident, $index:literal, $column:literal) => {
        <$db as $crate::__private::db::MoneyDatabase>::get($row, $column)?
    };
}

/// A [`Currency`](crate::Currency) travels as its code, a text, on every
/// database; a stored text that is no active code is a decode error that
/// says so.
impl<DB: MoneyDatabase> Type<DB> for crate::currency::Currency
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: MoneyDatabase> Encode<'q, DB> for crate::currency::Currency
where
    &'static str: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buffer: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.code().encode(buffer)
    }
}

impl<'r, DB: MoneyDatabase> Decode<'r, DB> for crate::currency::Currency
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let code = <&'r str as Decode<'r, DB>>::decode(value)?;
        Ok(code.parse::<crate::currency::Currency>()?)
    }
}

#[cfg(feature = "postgres")]
impl sqlx::postgres::PgHasArrayType for crate::currency::Currency {
    fn array_type_info() -> sqlx::postgres::PgTypeInfo {
        <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
    }
}
