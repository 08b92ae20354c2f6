//! How generated code binds a model's other fields (not money): through
//! sqlx, except an instant, which goes through
//! `MoneyDatabase::add_instant`. Chosen per field type without
//! specialization: `(&&Field::new(&value)).bind_field(arguments)` finds
//! [`BindInstant`] (implemented on `&Field<OffsetDateTime, _>`) before it
//! derefs to [`BindValue`] (on `Field<T, _>`).

use std::marker::PhantomData;

use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Type};

#[cfg(feature = "time")]
use super::MoneyDatabase;

/// A field's value, to bind on database `DB` (generated code).
pub struct Field<'a, T: ?Sized, DB> {
    value: &'a T,
    database: PhantomData<fn() -> DB>,
}

impl<'a, T: ?Sized, DB> Field<'a, T, DB> {
    /// Wraps `value`.
    #[inline]
    pub fn new(value: &'a T) -> Self {
        Field {
            value,
            database: PhantomData,
        }
    }
}

/// Binds a value as sqlx encodes it (generated code).
pub trait BindValue {
    /// The database bound for.
    type Database: Database;
    /// Adds the value to `arguments`.
    fn bind_field(
        &self,
        arguments: &mut <Self::Database as Database>::Arguments,
    ) -> Result<(), BoxDynError>;
}

impl<T, DB> BindValue for Field<'_, T, DB>
where
    DB: Database,
    T: for<'q> Encode<'q, DB> + Type<DB>,
{
    type Database = DB;

    #[inline]
    fn bind_field(&self, arguments: &mut DB::Arguments) -> Result<(), BoxDynError> {
        sqlx::Arguments::add(arguments, self.value)
    }
}

/// Binds an instant as `MoneyDatabase::add_instant` does (generated
/// code; implemented with the `time` feature).
pub trait BindInstant {
    /// The database bound for.
    type Database: Database;
    /// Adds the instant to `arguments`.
    fn bind_field(
        &self,
        arguments: &mut <Self::Database as Database>::Arguments,
    ) -> Result<(), BoxDynError>;
}

#[cfg(feature = "time")]
impl<DB: MoneyDatabase> BindInstant for &Field<'_, time::OffsetDateTime, DB> {
    type Database = DB;

    #[inline]
    fn bind_field(&self, arguments: &mut DB::Arguments) -> Result<(), BoxDynError> {
        DB::add_instant(arguments, Some(self.value))
    }
}

#[cfg(feature = "time")]
impl<DB: MoneyDatabase> BindInstant for &Field<'_, Option<time::OffsetDateTime>, DB> {
    type Database = DB;

    #[inline]
    fn bind_field(&self, arguments: &mut DB::Arguments) -> Result<(), BoxDynError> {
        DB::add_instant(arguments, self.value.as_ref())
    }
}
