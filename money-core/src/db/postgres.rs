//! PostgreSQL: amounts as `numeric`, read exactly by [`crate::pg`]'s
//! decoders; batch inserts bind one array per column.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgRow, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Encode, Row, Type, TypeInfo, ValueRef};

use super::{MoneyDatabase, SqlModel};
use crate::dialect::Dialect;
use crate::pg::{NumericDecodeError, decode_numeric_binary, decode_numeric_text};
use crate::spec::MoneySpec;

impl MoneyDatabase for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;

    fn amount_type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }

    fn amount_compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as Type<Postgres>>::compatible(ty)
    }

    fn encode_amount(
        amount: Decimal,
        _spec: &MoneySpec,
        buffer: &mut PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<'_, Postgres>>::encode_by_ref(&amount, buffer)
    }

    fn decode_amount(
        value: PgValueRef<'_>,
        _spec: &MoneySpec,
    ) -> Result<Result<Decimal, NumericDecodeError>, BoxDynError> {
        decode_numeric(value)
    }

    fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        row.try_get(column)
    }

    fn get_amount_raw<'r>(row: &'r PgRow, column: &str) -> Result<PgValueRef<'r>, sqlx::Error> {
        let value = row.try_get_raw(column)?;
        if !value.is_null() && !Self::amount_compatible(&value.type_info()) {
            return Err(sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: format!(
                    "column {column} is {}, an amount needs NUMERIC",
                    value.type_info().name()
                )
                .into(),
            });
        }
        Ok(value)
    }
}

/// A `numeric`, exactly, in either wire format.
fn decode_numeric(
    value: PgValueRef<'_>,
) -> Result<Result<Decimal, NumericDecodeError>, BoxDynError> {
    Ok(match value.format() {
        PgValueFormat::Binary => decode_numeric_binary(value.as_bytes()?),
        PgValueFormat::Text => decode_numeric_text(value.as_str()?),
    })
}

/// A `numeric` decoded exactly, for reading a `Decimal` outside a model:
/// `let total: ExactDecimal = sqlx::query_scalar("SELECT sum(...)")`.
pub struct ExactDecimal(pub Decimal);

impl Type<Postgres> for ExactDecimal {
    fn type_info() -> PgTypeInfo {
        Postgres::amount_type_info()
    }
}

impl<'r> Decode<'r, Postgres> for ExactDecimal {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(ExactDecimal(decode_numeric(value)??))
    }
}

/// Models whose rows PostgreSQL can take as one array per column: the
/// arguments of an `INSERT ... SELECT * FROM UNNEST($1, $2, ...)` batch.
/// Implemented by `#[derive(MoneyModel)]` with the `postgres` feature for
/// the models whose every field type is `Clone` and has a PostgreSQL array
/// type; `DB` is always `Postgres` (a parameter only so that a model with
/// another field type simply lacks the impl instead of failing to compile).
pub trait PgBatch<DB: PgBatchDatabase = Postgres>: SqlModel<DB> {
    /// Binds one array per column, holding that column of every row, in
    /// column order.
    fn bind_column_arrays(rows: &[Self], arguments: &mut DB::Arguments) -> Result<(), BoxDynError>;
}

/// PostgreSQL, the one database of [`PgBatch`]. Sealed.
pub trait PgBatchDatabase: MoneyDatabase + sealed::Sealed {}

impl PgBatchDatabase for Postgres {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Postgres {}
}

/// The implementation behind the `postgres` feature's macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __pg_value {
    ($ty:ident) => {
        #[automatically_derived]
        impl ::money_core::__private::sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> ::money_core::__private::sqlx::postgres::PgTypeInfo {
                <::money_core::__private::Decimal as ::money_core::__private::sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }
    };
}

/// The batch impl of a model (generated code).
#[doc(hidden)]
#[macro_export]
macro_rules! __pg_model {
    (
        $ty:ident;
        columns [$($kind:ident $member:ident $field_ty:ty),*];
    ) => {
        #[automatically_derived]
        impl<DB> ::money_core::__private::db::PgBatch<DB> for $ty
        where
            DB: ::money_core::__private::db::PgBatchDatabase,
            $ty: ::money_core::__private::db::SqlModel<DB>,
            $(
                $field_ty: ::core::clone::Clone,
                ::std::vec::Vec<$field_ty>: for<'q> ::money_core::__private::sqlx::Encode<'q, DB>
                    + ::money_core::__private::sqlx::Type<DB>,
            )*
        {
            fn bind_column_arrays(
                rows: &[Self],
                arguments: &mut <DB as ::money_core::__private::sqlx::Database>::Arguments,
            ) -> ::money_core::__private::Result<(), ::money_core::__private::sqlx::error::BoxDynError> {
                // A plain loop per column: a closure per column would be a
                // type of its own, instantiating the whole iterator chain for
                // every column of every model (see BENCHMARKS.md, item 6).
                $(
                    let mut column = ::std::vec::Vec::with_capacity(rows.len());
                    for row in rows {
                        column.push(::core::clone::Clone::clone(&row.$member));
                    }
                    ::money_core::__private::sqlx::Arguments::add(arguments, column)?;
                )*
                ::money_core::__private::Result::Ok(())
            }
        }
    };
}
