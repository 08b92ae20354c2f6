//! PostgreSQL: amounts as `numeric`, read exactly by [`crate::pg`]'s
//! decoders; batch inserts bind one array per column.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgRow, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Encode, Row, Type, TypeInfo, ValueRef};

use super::{MoneyDatabase, SqlModel};
use crate::StoredAmountError;
use crate::dialect::Dialect;
use crate::pg::{decode_numeric_binary, decode_numeric_text, encode_numeric_binary};
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
    ) -> Result<Result<Decimal, StoredAmountError>, BoxDynError> {
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

    #[cfg(feature = "time")]
    fn add_instant(
        arguments: &mut <Self as sqlx::Database>::Arguments,
        instant: Option<&time::OffsetDateTime>,
    ) -> Result<(), BoxDynError> {
        sqlx::Arguments::add(arguments, instant)
    }
}

/// A `numeric`, exactly, in either wire format.
fn decode_numeric(
    value: PgValueRef<'_>,
) -> Result<Result<Decimal, StoredAmountError>, BoxDynError> {
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

/// Models whose rows can be written in `COPY ... FROM STDIN (FORMAT
/// binary)` form, one tuple per row. Implemented by `#[derive(MoneyModel)]`
/// with the `postgres` feature for the models whose every field type has a
/// binary sqlx encoding for PostgreSQL; `DB` is always `Postgres`.
pub trait PgCopy<DB: PgBatchDatabase = Postgres>: SqlModel<DB> {
    /// Appends the row as one tuple of the binary `COPY` format: the field
    /// count, then each column in column order as a big-endian `i32` length
    /// (`-1` for NULL) and the same bytes as its binary bind. Amounts are
    /// written as stored (rounded in round mode) with
    /// [`encode_numeric_binary`](crate::pg::encode_numeric_binary).
    fn write_copy_row(&self, out: &mut DB::ArgumentBuffer) -> Result<(), BoxDynError>;
}

/// PostgreSQL, the one database of [`PgBatch`] and [`PgCopy`]. Sealed.
pub trait PgBatchDatabase: MoneyDatabase + sealed::Sealed {
    /// Starts a tuple of `fields` fields (generated code).
    #[doc(hidden)]
    fn copy_tuple(out: &mut Self::ArgumentBuffer, fields: i16);

    /// Appends money column `index` of `table` as a binary `COPY` field
    /// (generated code).
    #[doc(hidden)]
    fn copy_money(
        out: &mut Self::ArgumentBuffer,
        table: &'static crate::Table,
        index: usize,
        amount: Option<Decimal>,
    ) -> Result<(), BoxDynError>;

    /// Appends any other column as a binary `COPY` field: its binary bind
    /// (generated code).
    #[doc(hidden)]
    fn copy_field<T>(out: &mut Self::ArgumentBuffer, value: &T) -> Result<(), BoxDynError>
    where
        T: for<'q> Encode<'q, Self> + Type<Self>;
}

impl PgBatchDatabase for Postgres {
    fn copy_tuple(out: &mut PgArgumentBuffer, fields: i16) {
        out.extend_from_slice(&fields.to_be_bytes());
    }

    fn copy_money(
        out: &mut PgArgumentBuffer,
        table: &'static crate::Table,
        index: usize,
        amount: Option<Decimal>,
    ) -> Result<(), BoxDynError> {
        let Some(amount) = amount else {
            out.extend_from_slice(&(-1_i32).to_be_bytes());
            return Ok(());
        };
        let spec = super::field::column_spec(table, index)?;
        let bytes: &mut Vec<u8> = out;
        let start = bytes.len();
        bytes.extend_from_slice(&[0; 4]);
        let length = encode_numeric_binary(spec.stored_value(amount), bytes);
        // At most 8 + 2 * 8 bytes: always fits an i32.
        bytes[start..start + 4].copy_from_slice(&(length as i32).to_be_bytes());
        Ok(())
    }

    fn copy_field<T>(out: &mut PgArgumentBuffer, value: &T) -> Result<(), BoxDynError>
    where
        T: for<'q> Encode<'q, Postgres> + Type<Postgres>,
    {
        // A type known by name only (a custom enum, a composite) is bound
        // with an OID that sqlx looks up later; COPY cannot wait for that.
        let type_info = <T as Type<Postgres>>::type_info();
        if type_info.oid().is_none() {
            return Err(format!(
                "type {} has no built-in OID: a binary COPY cannot write it",
                type_info.name()
            )
            .into());
        }
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        match value.encode_by_ref(out)? {
            IsNull::Yes => {
                out.truncate(start);
                out.extend_from_slice(&(-1_i32).to_be_bytes());
            }
            IsNull::No => {
                let length = i32::try_from(out.len() - start - 4)
                    .map_err(|_| "a field of 2 GiB or more cannot be copied")?;
                out[start..start + 4].copy_from_slice(&length.to_be_bytes());
            }
        }
        Ok(())
    }
}

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
        impl $crate::__private::sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> $crate::__private::sqlx::postgres::PgTypeInfo {
                <$crate::__private::Decimal as $crate::__private::sqlx::postgres::PgHasArrayType>::array_type_info()
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
        columns [$($kind:ident $member:ident $index:literal $field_ty:ty),*];
    ) => {
        #[automatically_derived]
        impl<DB> $crate::__private::db::PgBatch<DB> for $ty
        where
            DB: $crate::__private::db::PgBatchDatabase,
            $ty: $crate::__private::db::SqlModel<DB>,
            $(
                $field_ty: ::core::clone::Clone,
                ::std::vec::Vec<$field_ty>: for<'q> $crate::__private::sqlx::Encode<'q, DB>
                    + $crate::__private::sqlx::Type<DB>,
            )*
        {
            fn bind_column_arrays(
                rows: &[Self],
                arguments: &mut <DB as $crate::__private::sqlx::Database>::Arguments,
            ) -> $crate::__private::Result<(), $crate::__private::sqlx::error::BoxDynError> {
                // A plain loop per column: a closure per column would be a
                // type of its own, instantiating the whole iterator chain for
                // every column of every model (see BENCHMARKS.md, item 6).
                $(
                    let mut column = ::std::vec::Vec::with_capacity(rows.len());
                    for row in rows {
                        column.push(::core::clone::Clone::clone(&row.$member));
                    }
                    $crate::__private::sqlx::Arguments::add(arguments, column)?;
                )*
                $crate::__private::Result::Ok(())
            }
        }

        #[automatically_derived]
        impl<DB> $crate::__private::db::PgCopy<DB> for $ty
        where
            DB: $crate::__private::db::PgBatchDatabase,
            $ty: $crate::__private::db::SqlModel<DB>,
            $(
                $field_ty: for<'q> $crate::__private::sqlx::Encode<'q, DB>
                    + $crate::__private::sqlx::Type<DB>,
            )*
        {
            fn write_copy_row(
                &self,
                out: &mut <DB as $crate::__private::sqlx::Database>::ArgumentBuffer,
            ) -> $crate::__private::Result<(), $crate::__private::sqlx::error::BoxDynError> {
                let fields = <Self as $crate::MoneyModel>::DEFINITION.columns().len();
                <DB as $crate::__private::db::PgBatchDatabase>::copy_tuple(out, fields as i16);
                $( $crate::__pg_copy_field!($kind DB, out, self, $member, $index, $field_ty); )*
                $crate::__private::Result::Ok(())
            }
        }
    };
}

/// Writes one column of a binary `COPY` tuple (generated code).
#[doc(hidden)]
#[macro_export]
macro_rules! __pg_copy_field {
    (money $db:ident, $out:ident, $self:ident, $member:ident, $index:literal, $field_ty:ty) => {
        <$db as $crate::__private::db::PgBatchDatabase>::copy_money(
            $out,
            <Self as $crate::MoneyModel>::DEFINITION,
            $index,
            <$field_ty as $crate::__private::MoneyField>::amount(&$self.$member),
        )?
    };
    (other $db:ident, $out:ident, $self:ident, $member:ident, $index:literal, $field_ty:ty) => {
        <$db as $crate::__private::db::PgBatchDatabase>::copy_field($out, &$self.$member)?
    };
}
