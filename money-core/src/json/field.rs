//! The serde (and schemars) adapter of a model's money and currency fields.
//!
//! `#[money(serde)]` names it in the attributes of its hidden remote copy,
//! as `#[serde(serialize_with = "::money_core::__private::Field::<Model, 3>::serialize")]`:
//! the field's declaration is the one in the model's `DEFINITION`, reached
//! by the column's index, so the derive emits no function or constant per
//! field, and the code that reads and writes a field is generic over the
//! field's type only.

use core::marker::PhantomData;

use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};

use crate::MoneyModel;
use crate::currency::CurrencyField;
use crate::spec::MoneySpec;
use crate::table::{Column, MoneyField};

/// A model whose serde impls `#[money(serde)]` generated: the name each
/// column has in its JSON, by column index, for error messages.
pub trait JsonModel: MoneyModel {
    /// The JSON key of each column of [`MoneyModel::DEFINITION`], in order.
    const JSON_KEYS: &'static [&'static str];
}

/// Column `COLUMN` of model `M`, read and written as JSON: see the module
/// documentation.
pub struct Field<M, const COLUMN: usize>(PhantomData<M>);

impl<M: JsonModel, const COLUMN: usize> Field<M, COLUMN> {
    /// The column, if the index is one (it always is in generated code).
    const COLUMN: Option<&'static Column> = {
        let columns = M::DEFINITION.columns();
        if COLUMN < columns.len() {
            Some(&columns[COLUMN])
        } else {
            None
        }
    };

    /// The declaration of a money column.
    const SPEC: Option<&'static MoneySpec> = match Self::COLUMN {
        Some(column) => column.money_spec(),
        None => None,
    };

    /// The column's name in the JSON.
    fn key() -> &'static str {
        let keys = M::JSON_KEYS;
        if COLUMN < keys.len() {
            keys[COLUMN]
        } else {
            "?"
        }
    }

    /// What generated code could only get wrong: an index that is not a
    /// money column of `M`.
    fn not_money() -> impl core::fmt::Display {
        struct NotMoney(&'static str, usize);
        impl core::fmt::Display for NotMoney {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(
                    f,
                    "column {} of table `{}` is not a money column",
                    self.1, self.0
                )
            }
        }
        NotMoney(M::DEFINITION.name(), COLUMN)
    }

    /// Writes the amount: [`serialize_field`](super::serialize_field).
    pub fn serialize<F: MoneyField, S: Serializer>(
        value: &F,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match Self::SPEC {
            Some(spec) => super::serialize_field(value, spec, serializer),
            None => Err(ser::Error::custom(Self::not_money())),
        }
    }

    /// Reads the amount exactly and checks it:
    /// [`deserialize_field`](super::deserialize_field).
    pub fn deserialize<'de, F: MoneyField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<F, D::Error> {
        match Self::SPEC {
            Some(spec) => super::deserialize_field(deserializer, spec, Self::key()),
            None => Err(de::Error::custom(Self::not_money())),
        }
    }

    /// Checks an amount serde filled without reading it:
    /// [`check_field`](super::check_field).
    pub fn check<F: MoneyField, E: de::Error>(value: &F) -> Result<(), E> {
        match Self::SPEC {
            Some(spec) => super::check_field(value, spec, Self::key()),
            None => Err(E::custom(Self::not_money())),
        }
    }

    /// Checks an amount against its row's currency:
    /// [`check_minor_units`](super::check_minor_units).
    pub fn check_minor_units<F: MoneyField, C: CurrencyField, E: de::Error>(
        value: &F,
        currency: &C,
    ) -> Result<(), E> {
        match Self::SPEC {
            Some(spec) => super::check_minor_units(value, currency, spec, Self::key()),
            None => Err(E::custom(Self::not_money())),
        }
    }

    /// Reads a currency code: [`deserialize_currency`](super::deserialize_currency).
    pub fn deserialize_currency<'de, F: CurrencyField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<F, D::Error> {
        super::deserialize_currency(deserializer, Self::key())
    }

    /// Checks a currency code serde filled without reading it:
    /// [`check_currency`](super::check_currency).
    pub fn check_currency<F: CurrencyField, E: de::Error>(value: &F) -> Result<(), E> {
        super::check_currency(value, Self::key())
    }

    /// The JSON Schema of a money column:
    /// [`amount_schema`](super::amount_schema).
    #[cfg(feature = "schemars")]
    pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let nullable = Self::COLUMN.is_some_and(|column| column.nullable());
        match Self::SPEC {
            Some(spec) => super::amount_schema(spec, nullable),
            // Unreachable from generated code; a schema that accepts nothing.
            None => schemars::json_schema!(false),
        }
    }

    /// The JSON Schema of a currency column:
    /// [`currency_schema`](super::currency_schema).
    #[cfg(feature = "schemars")]
    pub fn currency_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        super::currency_schema(Self::COLUMN.is_some_and(|column| column.nullable()))
    }
}
