//! SQLite: amounts as `INTEGER` minor units (see [`crate::dialect::sqlite`]).
//! Only an `INTEGER` is read back: a float, a text or a blob in a money
//! column (which the generated CHECKs refuse, so another client wrote it
//! into a table without them) is an error naming what was found.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteRow, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Row, Type, TypeInfo, ValueRef};

use super::MoneyDatabase;
use crate::StoredAmountError;
use crate::dialect::Dialect;
use crate::dialect::sqlite::{from_units, to_units};
use crate::spec::MoneySpec;

impl MoneyDatabase for Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;

    fn amount_type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn amount_compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }

    fn encode_amount(
        amount: Decimal,
        spec: &MoneySpec,
        buffer: &mut SqliteArgumentsBuffer,
    ) -> Result<IsNull, BoxDynError> {
        let units = to_units(amount, spec.scale())?;
        <i64 as Encode<'_, Sqlite>>::encode(units, buffer)
    }

    fn decode_amount(
        value: SqliteValueRef<'_>,
        spec: &MoneySpec,
    ) -> Result<Result<Decimal, StoredAmountError>, BoxDynError> {
        let found = match value.type_info().name() {
            "INTEGER" => None,
            "REAL" => Some("a REAL (float)"),
            "TEXT" => Some("a TEXT"),
            "BLOB" => Some("a BLOB"),
            _ => Some("a value of another type"),
        };
        if let Some(found) = found {
            return Ok(Err(StoredAmountError::NotUnits { found }));
        }
        let units = <i64 as Decode<'_, Sqlite>>::decode(value)?;
        Ok(from_units(units, spec.scale()).map_err(StoredAmountError::Units))
    }

    fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, Sqlite> + Type<Sqlite>,
    {
        row.try_get(column)
    }

    /// SQLite types values, not columns: the stored value's type is judged
    /// by [`decode_amount`](MoneyDatabase::decode_amount).
    fn get_amount_raw<'r>(
        row: &'r SqliteRow,
        column: &str,
    ) -> Result<SqliteValueRef<'r>, sqlx::Error> {
        row.try_get_raw(column)
    }

    #[cfg(feature = "time")]
    fn add_instant(
        arguments: &mut <Self as sqlx::Database>::Arguments,
        instant: Option<&time::OffsetDateTime>,
    ) -> Result<(), BoxDynError> {
        // In UTC, as the other databases store it: sqlx writes the offset it
        // is given into the text, and texts of mixed offsets do not sort
        // (or compare) as their instants.
        sqlx::Arguments::add(
            arguments,
            instant.map(|instant| instant.to_offset(time::UtcOffset::UTC)),
        )
    }
}
