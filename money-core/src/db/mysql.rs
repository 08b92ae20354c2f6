//! MariaDB/MySQL: amounts as `DECIMAL`, sent and read as their exact text.
//!
//! sqlx's own `Decimal` decode parses with `Decimal::from_str`, which rounds
//! a text with more digits than a `Decimal` holds; the decode here refuses
//! such a value instead ([`decode_numeric_text`]).

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySql, MySqlRow, MySqlTypeInfo, MySqlValueRef};
use sqlx::{Decode, Encode, Row, Type, TypeInfo, ValueRef};

use super::MoneyDatabase;
use crate::StoredAmountError;
use crate::dialect::Dialect;
use crate::pg::decode_numeric_text;
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

    /// A reject-mode column is `decimal(65, 30)`, whose text has as many
    /// digits after the point as the server chooses: the amount is read at
    /// the declared scale (`7.5` at scale 2 reads `7.50`, as on SQLite),
    /// dropping or adding zeros only. Digits beyond the scale that are not
    /// zeros are kept, for validation to refuse.
    fn decode_amount(
        value: MySqlValueRef<'_>,
        spec: &MoneySpec,
    ) -> Result<Result<Decimal, StoredAmountError>, BoxDynError> {
        let text = <&str as Decode<'_, MySql>>::decode(value)?;
        Ok(decode_numeric_text(text).map(|amount| {
            let mut declared = amount;
            declared.rescale(spec.scale());
            // Equal in value: only zeros were dropped or added.
            if declared == amount { declared } else { amount }
        }))
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

    #[cfg(feature = "time")]
    fn add_instant(
        arguments: &mut <Self as sqlx::Database>::Arguments,
        instant: Option<&time::OffsetDateTime>,
    ) -> Result<(), BoxDynError> {
        let utc = instant.map(|instant| {
            let utc = instant.to_offset(time::UtcOffset::UTC);
            time::PrimitiveDateTime::new(utc.date(), utc.time())
        });
        sqlx::Arguments::add(arguments, utc)
    }
}
