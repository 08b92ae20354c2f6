//! What generated code calls to bind and read money columns and values.
//! Reached only through `__private::db`; not part of the API.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Encode, Type};

use super::MoneyDatabase;
use crate::spec::MoneySpec;
use crate::table::{MoneyField, Table};
use crate::value::{MoneyValue, ValueError};

/// An amount bound for a column declared with `spec`; `None` binds NULL.
/// Encoded as the column stores it ([`MoneySpec::stored_value`]).
#[derive(Clone, Copy, Debug)]
struct Amount<'a> {
    amount: Option<Decimal>,
    spec: &'a MoneySpec,
}

impl<'a> Amount<'a> {
    /// The amount of a model field declared with `spec`.
    fn new(amount: Option<Decimal>, spec: &'a MoneySpec) -> Self {
        Amount { amount, spec }
    }
}

impl<DB: MoneyDatabase> Type<DB> for Amount<'_> {
    fn type_info() -> DB::TypeInfo {
        DB::amount_type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        DB::amount_compatible(ty)
    }
}

impl<DB: MoneyDatabase> Encode<'_, DB> for Amount<'_> {
    fn encode_by_ref(&self, buffer: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self.amount {
            None => Ok(IsNull::Yes),
            Some(amount) => DB::encode_amount(self.spec.stored_value(amount), self.spec, buffer),
        }
    }
}

/// Encodes a money value, checking it first: a value built around the
/// constructor (inside its own module) is refused, not sent.
pub fn encode_value<DB: MoneyDatabase, T: MoneyValue>(
    value: &T,
    buffer: &mut DB::ArgumentBuffer,
) -> Result<IsNull, BoxDynError> {
    let amount = value.amount();
    let checked = T::new(amount)?;
    if checked.amount() != amount || checked.amount().scale() != amount.scale() {
        return Err(Box::new(ValueError::Broken {
            type_name: T::NAME,
            rule: crate::rules::Rule::Scale {
                scale: T::SPEC.scale(),
            },
            value: amount,
            stored: checked.amount(),
        }));
    }
    DB::encode_amount(amount, &T::SPEC, buffer)
}

/// Decodes and checks a money value: a stored value that breaks the
/// declaration (written by another client, or edited by hand) is an error
/// naming the type and the rule, never a silently accepted value.
pub fn decode_value<DB: MoneyDatabase, T: MoneyValue>(
    value: DB::ValueRef<'_>,
) -> Result<T, BoxDynError> {
    let decimal = DB::decode_amount(value, &T::SPEC)?.map_err(|source| ValueError::Stored {
        type_name: T::NAME,
        source,
    })?;
    Ok(T::new(decimal)?)
}

/// The declaration of money column `index` of `table`. The derive passes
/// the index of a money column; anything else is an encode error, not a
/// panic.
pub(super) fn column_spec(
    table: &'static Table,
    index: usize,
) -> Result<&'static MoneySpec, String> {
    table
        .columns()
        .get(index)
        .and_then(|column| column.money_spec())
        .ok_or_else(|| {
            format!(
                "column {index} of table {} is no money column",
                table.name()
            )
        })
}

/// Binds money column `index` of `table`.
pub fn bind_money<DB: MoneyDatabase>(
    arguments: &mut DB::Arguments,
    table: &'static Table,
    index: usize,
    amount: Option<Decimal>,
) -> Result<(), BoxDynError> {
    let spec = column_spec(table, index)?;
    sqlx::Arguments::add(arguments, Amount::new(amount, spec))
}

/// Reads money column `index` of `table` (a `Decimal` or `Option<Decimal>`
/// field) exactly.
pub fn get_money<DB: MoneyDatabase, F: MoneyField>(
    row: &DB::Row,
    table: &'static Table,
    index: usize,
) -> Result<F, sqlx::Error> {
    let column = table
        .columns()
        .get(index)
        .map_or("", |column| column.name());
    let decode_error = |source: BoxDynError| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source,
    };
    let spec = column_spec(table, index).map_err(|message| decode_error(message.into()))?;
    let value = DB::get_amount_raw(row, column)?;
    let amount = if sqlx::ValueRef::is_null(&value) {
        None
    } else {
        let decoded = DB::decode_amount(value, spec).map_err(decode_error)?;
        Some(decoded.map_err(|source| decode_error(Box::new(source)))?)
    };
    F::from_amount(amount).ok_or_else(|| decode_error(Box::new(sqlx::error::UnexpectedNullError)))
}

/// `Ok(model)` if it passes `validate()`, else a decode error carrying the
/// [`ValidationErrors`](crate::ValidationErrors).
pub fn validated<M: crate::MoneyModel>(model: M) -> Result<M, sqlx::Error> {
    match model.validate() {
        Ok(()) => Ok(model),
        Err(errors) => Err(sqlx::Error::Decode(Box::new(errors))),
    }
}
