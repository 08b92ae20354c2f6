//! MariaDB/MySQL: amounts as `DECIMAL`, sent and read as their exact text.
//!
//! sqlx's own `Decimal` decode parses with `Decimal::from_str`, which rounds
//! a text with more digits than a `Decimal` holds; the decode here refuses
//! such a value instead ([`decode_numeric_text`]). A `decimal(65, 30)`
//! column returns 30 digits after the point; the trailing zeros past 28 are
//! dropped, exactly.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySql, MySqlRow, MySqlTypeInfo, MySqlValueRef};
use sqlx::{Decode, Encode, Row, Type, TypeInfo, ValueRef};

use super::MoneyDatabase;
use crate::dialect::Dialect;
use crate::pg::{NumericDecodeError, decode_numeric_text};
use crate::spec::MoneySpec;

impl MoneyDatabase for MySql {
    const DIALECT: Dialect = Dialect::MySql;

    fn amount_type_info() -> MySqlTypeInfo {
        <Decimal as Type<MySql>>::type_info()
    }

    fn amount_compatible(ty: &MySqlTypeInfo) -> bool {
        <Decimal as Type<MySql>>::compatible(ty)
    }

    fn encode_amount(
        amount: Decimal,
        _spec: &MoneySpec,
        buffer: &mut Vec<u8>,
    ) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<'_, MySql>>::encode_by_ref(&amount, buffer)
    }

    fn decode_amount(
        value: MySqlValueRef<'_>,
        _spec: &MoneySpec,
    ) -> Result<Result<Decimal, NumericDecodeError>, BoxDynError> {
        let text = <&str as Decode<'_, MySql>>::decode(value)?;
        Ok(decode_numeric_text(text))
    }

    fn get<'r, T>(row: &'r MySqlRow, column: &str) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, MySql> + Type<MySql>,
    {
        row.try_get(column)
    }

    fn get_amount_raw<'r>(
        row: &'r MySqlRow,
        column: &str,
    ) -> Result<MySqlValueRef<'r>, sqlx::Error> {
        let value = row.try_get_raw(column)?;
        if !value.is_null() && !Self::amount_compatible(&value.type_info()) {
            return Err(sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: format!(
                    "column {column} is {}, an amount needs DECIMAL",
                    value.type_info().name()
                )
                .into(),
            });
        }
        Ok(value)
    }
}
