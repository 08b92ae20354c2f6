//! What generated code calls to read and write JSON: the adapter of a
//! model's money and currency fields, and the serde impls of money value
//! types. Reached only through `__private::json`; not part of the API.
//!
//! `#[money(serde)]` calls the adapter from the impls it writes for a
//! model without serde attributes (through [`Amount`], [`Seed`] and
//! [`CurrencySeed`], with [`FieldKey`] reading the keys by
//! [`FieldNames`]), and otherwise names it in the attributes of its hidden
//! remote copy, as
//! `#[serde(serialize_with = "::money_core::__private::json::Field::<Model, 3>::serialize")]`:
//! the field's declaration is the one in the model's `DEFINITION`, reached
//! by the column's index, so the derive emits no function or constant per
//! field, and the code that reads and writes a field is generic over the
//! field's type only.

use core::marker::PhantomData;

use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};

use super::{AmountVisitor, canonical, check, read};
use crate::MoneyModel;
use crate::currency::CurrencyField;
use crate::rules::Broken;
use crate::spec::MoneySpec;
use crate::table::{Column, MoneyField};
use crate::value::MoneyValue;

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

    /// Writes the amount: [`serialize_field`](crate::json::serialize_field).
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
    /// [`deserialize_field`](crate::json::deserialize_field).
    #[inline]
    pub fn deserialize<'de, F: MoneyField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<F, D::Error> {
        match Self::SPEC {
            Some(spec) => super::deserialize_field(deserializer, spec, Self::key()),
            None => Err(de::Error::custom(Self::not_money())),
        }
    }

    /// Checks an amount serde filled without reading it (a field with
    /// `#[serde(default)]` or `skip_deserializing`), with the message
    /// [`deserialize`](Self::deserialize) would give.
    pub fn check_filled_amount<F: MoneyField, E: de::Error>(value: &F) -> Result<(), E> {
        match Self::SPEC {
            Some(spec) => check_filled_amount(value, spec, Self::key()),
            None => Err(E::custom(Self::not_money())),
        }
    }

    /// Checks an amount against its row's currency (`currency_field =
    /// "..."`) once both fields are read: at most the currency's minor
    /// units after the point.
    pub fn check_minor_units<F: MoneyField, C: CurrencyField, E: de::Error>(
        value: &F,
        currency: &C,
    ) -> Result<(), E> {
        match Self::SPEC {
            Some(spec) => check_minor_units(value, currency, spec, Self::key()),
            None => Err(E::custom(Self::not_money())),
        }
    }

    /// Reads a currency field (`#[money(currency)]` on a `String`,
    /// [`Currency`](crate::Currency) or an `Option` of them): a string that
    /// is exactly an active ISO 4217 code, or `null` for a nullable field.
    pub fn deserialize_currency<'de, F: CurrencyField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<F, D::Error> {
        use serde::Deserialize;
        let key = Self::key();
        let code = if F::NULLABLE {
            Option::<String>::deserialize(deserializer)?
        } else {
            Some(String::deserialize(deserializer)?)
        };
        check_code(code.as_deref(), key)?;
        F::from_code(code)
            .ok_or_else(|| de::Error::custom(format_args!("{key}: null is not a currency")))
    }

    /// Checks a currency code serde filled without reading it, with the
    /// message [`deserialize_currency`](Self::deserialize_currency) would
    /// give.
    pub fn check_filled_currency<F: CurrencyField, E: de::Error>(value: &F) -> Result<(), E> {
        check_code(value.currency_code(), Self::key())
    }

    /// The JSON Schema of a money column:
    /// [`amount_schema`](crate::json::amount_schema).
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
    /// [`currency_schema`](crate::json::currency_schema).
    #[cfg(feature = "schemars")]
    pub fn currency_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        super::currency_schema(Self::COLUMN.is_some_and(|column| column.nullable()))
    }
}

/// Checks an amount serde filled without reading it, with the message of
/// [`deserialize_field`](super::deserialize_field).
fn check_filled_amount<F: MoneyField, E: de::Error>(
    field: &F,
    spec: &MoneySpec,
    key: &'static str,
) -> Result<(), E> {
    match field.amount() {
        Some(value) => {
            check(spec, value).map_err(|broken| E::custom(format_args!("{key}: {broken}")))
        }
        None => Ok(()),
    }
}

/// An unknown currency code is an error naming the field (`key`).
fn check_code<E: de::Error>(code: Option<&str>, key: &'static str) -> Result<(), E> {
    match code {
        Some(code) if crate::Currency::from_code(code).is_none() => Err(E::custom(format_args!(
            "{key}: {}",
            crate::UnknownCurrency::new(code)
        ))),
        _ => Ok(()),
    }
}

/// The minor-units rule of an amount in a row whose currency is
/// `currency`; `key` is the amount's name in the JSON.
fn check_minor_units<F: MoneyField, C: CurrencyField, E: de::Error>(
    amount: &F,
    currency: &C,
    spec: &MoneySpec,
    key: &'static str,
) -> Result<(), E> {
    let Some(value) = amount.amount() else {
        return Ok(());
    };
    let stored = spec.stored_value(value);
    let code = currency.currency_code();
    match spec
        .minor_units_rule()
        .filter(|rule| !rule.holds_for(stored, code))
    {
        None => Ok(()),
        Some(rule) => Err(E::custom(format_args!(
            "{key}: {}",
            Broken {
                rule,
                amount: Some((value, stored)),
                code,
            }
        ))),
    }
}

/// Serializes a money value type (`#[derive(MoneyValue)]`): its canonical
/// string.
pub fn serialize_value<V: MoneyValue, S: Serializer>(
    value: &V,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&canonical(value.amount(), V::SPEC.scale()))
}

/// Deserializes a money value type exactly; the value is checked by
/// [`MoneyValue::new`] (and so rounded in round mode, as the type's values
/// always are).
pub fn deserialize_value<'de, V: MoneyValue, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<V, D::Error> {
    let visitor = AmountVisitor {
        label: V::NAME,
        spec: &V::SPEC,
        nullable: false,
    };
    // The visitor checked the rules; `new` only rounds in round mode.
    match read(deserializer, visitor, false)? {
        Some(value) => V::new(value).map_err(de::Error::custom),
        None => Err(de::Error::custom(format_args!(
            "{}: null is not an amount",
            V::NAME
        ))),
    }
}

/// Column `COLUMN` of model `M` as a value serde writes: what the model's
/// own `Serialize` (written by the derive for a struct without serde
/// attributes) passes to `serialize_field`, through
/// [`Field::serialize`], with no wrapper type per field.
pub struct Amount<'a, M, const COLUMN: usize, F>(&'a F, PhantomData<M>);

impl<'a, M, const COLUMN: usize, F> Amount<'a, M, COLUMN, F> {
    /// The field's value, to be written.
    #[inline]
    pub const fn new(value: &'a F) -> Self {
        Amount(value, PhantomData)
    }
}

impl<M: JsonModel, const COLUMN: usize, F: MoneyField> ser::Serialize for Amount<'_, M, COLUMN, F> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Field::<M, COLUMN>::serialize(self.0, serializer)
    }
}

/// Reads the money field in column `COLUMN` of model `M`, through
/// [`Field::deserialize`]: the seed the derive's own `Deserialize` passes
/// to `next_value_seed` and `next_element_seed`.
pub struct Seed<M, const COLUMN: usize, F>(PhantomData<(M, F)>);

impl<M, const COLUMN: usize, F> Seed<M, COLUMN, F> {
    /// The seed.
    #[inline]
    pub const fn new() -> Self {
        Seed(PhantomData)
    }
}

impl<M, const COLUMN: usize, F> Default for Seed<M, COLUMN, F> {
    fn default() -> Self {
        Seed::new()
    }
}

impl<'de, M: JsonModel, const COLUMN: usize, F: MoneyField> de::DeserializeSeed<'de>
    for Seed<M, COLUMN, F>
{
    type Value = F;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<F, D::Error> {
        Field::<M, COLUMN>::deserialize(deserializer)
    }
}

/// [`Seed`] for a currency field, through [`Field::deserialize_currency`].
pub struct CurrencySeed<M, const COLUMN: usize, F>(PhantomData<(M, F)>);

impl<M, const COLUMN: usize, F> CurrencySeed<M, COLUMN, F> {
    /// The seed.
    #[inline]
    pub const fn new() -> Self {
        CurrencySeed(PhantomData)
    }
}

impl<M, const COLUMN: usize, F> Default for CurrencySeed<M, COLUMN, F> {
    fn default() -> Self {
        CurrencySeed::new()
    }
}

impl<'de, M: JsonModel, const COLUMN: usize, F: CurrencyField> de::DeserializeSeed<'de>
    for CurrencySeed<M, COLUMN, F>
{
    type Value = F;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<F, D::Error> {
        Field::<M, COLUMN>::deserialize_currency(deserializer)
    }
}

/// The fields of a struct whose `Deserialize` the derive wrote: a `match`
/// on the names, which the compiler turns into a few integer comparisons.
pub trait FieldNames {
    /// How many fields the struct has.
    const COUNT: usize;

    /// The position of the field named `name`, or [`COUNT`](Self::COUNT)
    /// for a name that is not a field's (to be ignored).
    fn position(name: &str) -> usize;
}

/// Reads a struct's field name as serde_derive's field identifier does: a
/// string or bytes naming one of the fields of `N`, or a field's index, as
/// that field's position; anything else as `N::COUNT`, a field to ignore.
pub struct FieldKey<N>(PhantomData<N>);

impl<N> FieldKey<N> {
    /// The seed.
    #[inline]
    pub const fn new() -> Self {
        FieldKey(PhantomData)
    }
}

impl<N> Default for FieldKey<N> {
    fn default() -> Self {
        FieldKey::new()
    }
}

impl<'de, N: FieldNames> de::DeserializeSeed<'de> for FieldKey<N> {
    type Value = usize;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<N: FieldNames> de::Visitor<'_> for FieldKey<N> {
    type Value = usize;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<usize, E> {
        Ok(usize::try_from(index)
            .ok()
            .filter(|index| *index < N::COUNT)
            .unwrap_or(N::COUNT))
    }

    #[inline]
    fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
        Ok(N::position(name))
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<usize, E> {
        // Every field name is UTF-8: other bytes name no field.
        Ok(core::str::from_utf8(name).map_or(N::COUNT, N::position))
    }
}

/// The value of a field absent from the input, as serde_derive gives it: an
/// `Option` is `None` (and so is anything else that reads a missing value
/// as `none`), everything else is the error "missing field".
pub fn missing_field<'de, T: de::Deserialize<'de>, E: de::Error>(
    field: &'static str,
) -> Result<T, E> {
    struct Missing<E>(&'static str, PhantomData<E>);

    impl<'de, E: de::Error> Deserializer<'de> for Missing<E> {
        type Error = E;

        fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
            Err(E::missing_field(self.0))
        }

        fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
            visitor.visit_none()
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    T::deserialize(Missing(field, PhantomData))
}

/// The error of a sequence too short for a struct, as serde_derive words
/// it: `invalid length 2, expected struct Account with 5 elements`.
#[cold]
pub fn invalid_length<E: de::Error>(index: usize, name: &'static str, fields: usize) -> E {
    struct Expected(&'static str, usize);
    impl de::Expected for Expected {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            let s = if self.1 == 1 { "" } else { "s" };
            write!(f, "struct {} with {} element{s}", self.0, self.1)
        }
    }
    E::invalid_length(index, &Expected(name, fields))
}
