//! The static description of a model's table that the derive generates: the
//! data every renderer, validator and error mapper reads.

use rust_decimal::Decimal;

use crate::naming;
use crate::rules::{Rule, RuleKind};
use crate::spec::MoneySpec;

/// A model's table: its name and its columns, in field order.
#[derive(Debug)]
pub struct Table {
    name: &'static str,
    columns: &'static [Column],
    unique_keys: &'static [&'static [&'static str]],
}

/// One column of a [`Table`].
#[derive(Debug, PartialEq, Eq)]
pub struct Column {
    field: &'static str,
    name: &'static str,
    column_type: ColumnType,
    nullable: bool,
    primary_key: bool,
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// A money amount, with its rules.
    Money(MoneySpec),
    /// A common scalar, mapped to each dialect's type.
    Scalar(Scalar),
    /// A type given verbatim by `#[money(sql_type = "...")]`.
    Custom(&'static str),
    /// An ISO 4217 currency code (`#[money(currency)]`, or a
    /// [`Currency`](crate::Currency) field), with its [`Rule::Currency`].
    Currency,
}

/// The scalar column types every dialect maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `i16`.
    SmallInt,
    /// `i32`.
    Integer,
    /// `i64`.
    BigInt,
    /// `bool`.
    Boolean,
    /// `String`.
    Text,
}

/// A named CHECK constraint of a table, with the column and rule it enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint<'a> {
    /// The constraint's name in the database.
    pub name: String,
    /// The column it constrains.
    pub column: &'a Column,
    /// The rule it enforces.
    pub rule: Rule,
}

/// A unique key of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UniqueKey {
    /// The constraint's name in the database.
    pub name: String,
    /// Its columns, in declaration order.
    pub columns: &'static [&'static str],
}

impl Table {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        columns: &'static [Column],
        unique_keys: &'static [&'static [&'static str]],
    ) -> Self {
        Table {
            name,
            columns,
            unique_keys,
        }
    }

    /// The table's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The columns, in field order; skipped fields are not among them.
    pub const fn columns(&self) -> &'static [Column] {
        self.columns
    }

    /// The column a Rust field is stored in.
    pub fn column_of_field(&self, field: &str) -> Option<&'static Column> {
        self.columns.iter().find(|column| column.field == field)
    }

    /// The column with this database name.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Every CHECK constraint of the table, in column order and, within a
    /// column, in the order of [`MoneySpec::rules`].
    pub fn constraints(&self) -> impl Iterator<Item = Constraint<'static>> + '_ {
        self.columns.iter().flat_map(move |column| {
            let money = column.money_spec().into_iter().flat_map(MoneySpec::rules);
            let currency = (column.column_type == ColumnType::Currency).then_some(Rule::Currency);
            money.chain(currency).map(move |rule| Constraint {
                name: self.constraint_name(column, rule.kind()),
                column,
                rule,
            })
        })
    }

    /// The constraint with this name, as a database error reports it: how a
    /// violation maps back to the field and rule that declared it.
    ///
    /// ```
    /// use money_core::{MoneyModel, Decimal, RuleKind};
    ///
    /// #[derive(MoneyModel)]
    /// #[money(table = "accounts")]
    /// struct Account {
    ///     #[money(precision = 19, scale = 4, min = "0")]
    ///     balance: Decimal,
    /// }
    ///
    /// let found = Account::DEFINITION.find_constraint("accounts_balance_min").unwrap();
    /// assert_eq!(found.column.field(), "balance");
    /// assert_eq!(found.rule.kind(), RuleKind::Min);
    /// ```
    pub fn find_constraint(&self, name: &str) -> Option<Constraint<'static>> {
        self.constraints()
            .find(|constraint| constraint.name == name)
    }

    /// The constraint named `name` among the guards `dialect` adds to the
    /// rules (SQLite's round-mode `_scale` CHECK, which refuses anything but
    /// an `INTEGER`), with the rule it enforces.
    pub fn find_guard(&self, dialect: crate::Dialect, name: &str) -> Option<Constraint<'static>> {
        let renderer = dialect.renderer();
        self.columns.iter().find_map(|column| {
            let spec = column.money_spec()?;
            renderer
                .guard_rules(spec)
                .into_iter()
                .map(|rule| Constraint {
                    name: self.constraint_name(column, rule.kind()),
                    column,
                    rule,
                })
                .find(|constraint| constraint.name == name)
        })
    }

    /// The name of the constraint that enforces `rule` on `column`.
    pub fn constraint_name(&self, column: &Column, rule: RuleKind) -> String {
        naming::constraint_name(self.name, column.name, rule.suffix())
    }

    /// The name of the primary key constraint.
    pub fn primary_key_name(&self) -> String {
        naming::primary_key_name(self.name)
    }

    /// The unique keys declared with `#[money(unique(a, b))]`, with their
    /// constraint names (`{table}_{a}_{b}_key`).
    pub fn unique_keys(&self) -> impl Iterator<Item = UniqueKey> + '_ {
        self.unique_keys.iter().map(move |columns| UniqueKey {
            name: naming::unique_key_name(self.name, columns),
            columns,
        })
    }

    /// The primary key's columns, in field order; empty when none is marked.
    pub fn primary_key(&self) -> impl Iterator<Item = &'static Column> {
        self.columns.iter().filter(|column| column.primary_key)
    }
}

impl Column {
    #[doc(hidden)]
    pub const fn new(
        field: &'static str,
        name: &'static str,
        column_type: ColumnType,
        nullable: bool,
        primary_key: bool,
    ) -> Self {
        Column {
            field,
            name,
            column_type,
            nullable,
            primary_key,
        }
    }

    /// The Rust field's name (without `r#`).
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The column's name in the database.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What the column holds.
    pub const fn column_type(&self) -> ColumnType {
        self.column_type
    }

    /// Whether the column accepts NULL (an `Option` field).
    pub const fn nullable(&self) -> bool {
        self.nullable
    }

    /// Whether the column is part of the primary key.
    pub const fn primary_key(&self) -> bool {
        self.primary_key
    }

    /// The money declaration, for a money column.
    pub const fn money_spec(&self) -> Option<&MoneySpec> {
        match &self.column_type {
            ColumnType::Money(spec) => Some(spec),
            _ => None,
        }
    }
}

/// A Rust type that maps to a column without `sql_type`: the common
/// scalars, `Option` of them, and every [`MoneyValue`](crate::MoneyValue)
/// newtype (whose column carries its rules).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no default SQL column type",
    label = "no SQL type for this field",
    note = "add `#[money(sql_type = \"...\")]` to name the column type, or `#[money(skip)]` to leave the field out of the table"
)]
pub trait SqlColumn {
    /// The column type.
    const COLUMN_TYPE: ColumnType;
    /// Whether the column accepts NULL.
    const NULLABLE: bool;
}

macro_rules! sql_columns {
    ($($rust:ty => $scalar:ident),* $(,)?) => {$(
        impl SqlColumn for $rust {
            const COLUMN_TYPE: ColumnType = ColumnType::Scalar(Scalar::$scalar);
            const NULLABLE: bool = false;
        }
    )*};
}

sql_columns! {
    i16 => SmallInt,
    i32 => Integer,
    i64 => BigInt,
    bool => Boolean,
    String => Text,
}

impl SqlColumn for crate::currency::Currency {
    const COLUMN_TYPE: ColumnType = ColumnType::Currency;
    const NULLABLE: bool = false;
}

impl<T: SqlColumn> SqlColumn for Option<T> {
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
    const NULLABLE: bool = true;
}

/// A field type that can carry `#[money(precision = .., scale = ..)]`:
/// [`Decimal`] (NOT NULL) or `Option<Decimal>` (nullable).
#[diagnostic::on_unimplemented(
    message = "a money field must be `Decimal` or `Option<Decimal>`, not `{Self}`",
    label = "`precision`/`scale` need a `rust_decimal::Decimal` field",
    note = "change the field's type to `rust_decimal::Decimal` (NOT NULL) or `Option<Decimal>` (nullable), or drop `precision`/`scale` from its `#[money(...)]`"
)]
pub trait MoneyField {
    /// Whether the column accepts NULL.
    const NULLABLE: bool;
    /// The amount, or `None` for NULL.
    fn amount(&self) -> Option<Decimal>;
    /// The field holding `amount`; `None` when `amount` is NULL and the
    /// field cannot be.
    fn from_amount(amount: Option<Decimal>) -> Option<Self>
    where
        Self: Sized;
}

impl MoneyField for Decimal {
    const NULLABLE: bool = false;
    #[inline]
    fn amount(&self) -> Option<Decimal> {
        Some(*self)
    }
    #[inline]
    fn from_amount(amount: Option<Decimal>) -> Option<Self> {
        amount
    }
}

impl MoneyField for Option<Decimal> {
    const NULLABLE: bool = true;
    #[inline]
    fn amount(&self) -> Option<Decimal> {
        *self
    }
    #[inline]
    fn from_amount(amount: Option<Decimal>) -> Option<Self> {
        Some(amount)
    }
}
