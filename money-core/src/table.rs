//! The static description of a model's table that the derive generates: the
//! data every renderer, validator and error mapper reads.

use std::borrow::Cow;

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
    foreign_keys: &'static [ForeignKeyDecl],
}

/// One column of a [`Table`].
#[derive(Debug, PartialEq, Eq)]
pub struct Column {
    field: &'static str,
    name: &'static str,
    column_type: ColumnType,
    nullable: bool,
    primary_key: bool,
    /// The names of the constraints of this column, by
    /// [`RuleKind::position`], as the derive wrote them: empty when it did
    /// not (a column whose rules come from its type, a `MoneyValue`).
    constraint_names: &'static [&'static str],
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
    /// An instant (`time::OffsetDateTime`, with the `time` feature): the
    /// time-zone-aware `timestamptz` on PostgreSQL; `datetime(6)` on
    /// MariaDB/MySQL, which has no such type, holding UTC (sqlx's
    /// connections there set `time_zone = '+00:00'` and convert on the way
    /// in and out), years 1000 to 9999 (`timestamp` would end in 2038); ISO
    /// 8601 `text` on SQLite, as sqlx writes it. Microseconds on the first
    /// two.
    Timestamp,
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
    pub(crate) const fn new(
        name: &'static str,
        columns: &'static [Column],
        unique_keys: &'static [&'static [&'static str]],
    ) -> Self {
        Table {
            name,
            columns,
            unique_keys,
            foreign_keys: &[],
        }
    }

    pub(crate) const fn with_foreign_keys(self, foreign_keys: &'static [ForeignKeyDecl]) -> Self {
        Table {
            foreign_keys,
            ..self
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
        self.constraint_name_of(column, rule).into_owned()
    }

    /// [`constraint_name`](Self::constraint_name) without a copy: the name
    /// the derive wrote into the column, else computed (a column whose
    /// rules come from its type, or a table built by hand).
    #[inline]
    pub(crate) fn constraint_name_of(&self, column: &Column, rule: RuleKind) -> Cow<'static, str> {
        match column.declared_constraint_name(rule) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(self.computed_constraint_name(column, rule)),
        }
    }

    #[cold]
    #[inline(never)]
    fn computed_constraint_name(&self, column: &Column, rule: RuleKind) -> String {
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

    /// The foreign keys declared with `#[money(references = "...")]` on a
    /// field or `#[money(foreign_key(...))]` on the struct, in declaration
    /// order (field keys first, in field order), with their constraint names
    /// (`{table}_{columns}_fkey`, see [`naming::foreign_key_name`]).
    ///
    /// ```
    /// use money_core::{MoneyModel, ReferentialAction};
    ///
    /// #[derive(MoneyModel)]
    /// #[money(table = "transfers")]
    /// struct Transfer {
    ///     #[money(primary_key)]
    ///     id: i64,
    ///     #[money(references = "accounts(id)", on_delete = "cascade")]
    ///     account_id: i64,
    /// }
    ///
    /// let key = Transfer::DEFINITION.foreign_keys().next().unwrap();
    /// assert_eq!(key.name, "transfers_account_id_fkey");
    /// assert_eq!(key.fields, ["account_id"]);
    /// assert_eq!((key.referenced_table, key.referenced_columns), ("accounts", &["id"][..]));
    /// assert_eq!((key.on_delete, key.on_update), (ReferentialAction::Cascade, ReferentialAction::Restrict));
    /// ```
    pub fn foreign_keys(&self) -> impl Iterator<Item = ForeignKey> + '_ {
        self.foreign_keys.iter().map(move |key| ForeignKey {
            name: naming::foreign_key_name(self.name, key.columns),
            columns: key.columns,
            fields: key.fields,
            referenced_table: key.referenced_table,
            referenced_columns: key.referenced_columns,
            on_delete: key.on_delete,
            on_update: key.on_update,
        })
    }

    /// The foreign key with this constraint name, as a database error
    /// reports it.
    pub fn find_foreign_key(&self, name: &str) -> Option<ForeignKey> {
        self.foreign_keys().find(|key| key.name == name)
    }

    /// The primary key's columns, in field order; empty when none is marked.
    pub fn primary_key(&self) -> impl Iterator<Item = &'static Column> {
        self.columns.iter().filter(|column| column.primary_key)
    }
}

/// What the database does to the referencing rows when a referenced row is
/// deleted or its key updated (`on_delete`, `on_update`).
///
/// The default is [`Restrict`](Self::Restrict): refuse, at once. (`NO
/// ACTION`, SQL's own default, refuses too, but PostgreSQL and SQLite check
/// it at the end of the statement, or of the transaction for a deferred key;
/// MariaDB/MySQL treat the two alike.) A money row that another row refers to
/// is never removed or changed as a side effect unless the declaration says
/// so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReferentialAction {
    /// `RESTRICT`: refuse the change, checked immediately. The default.
    #[default]
    Restrict,
    /// `NO ACTION`: refuse the change, checked at the end of the statement.
    NoAction,
    /// `CASCADE`: delete (or update) the referencing rows too.
    Cascade,
    /// `SET NULL`: set the referencing columns to NULL (they must be
    /// nullable).
    SetNull,
    /// `SET DEFAULT`: set the referencing columns to their defaults.
    SetDefault,
}

impl ReferentialAction {
    /// Every action, in the order above.
    pub const ALL: [ReferentialAction; 5] = [
        ReferentialAction::Restrict,
        ReferentialAction::NoAction,
        ReferentialAction::Cascade,
        ReferentialAction::SetNull,
        ReferentialAction::SetDefault,
    ];

    /// The SQL spelling, the same in PostgreSQL, MariaDB/MySQL and SQLite.
    pub const fn sql(self) -> &'static str {
        match self {
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }

    /// The attribute's spelling: `"restrict"`, `"no_action"`, `"cascade"`,
    /// `"set_null"`, `"set_default"`.
    pub const fn keyword(self) -> &'static str {
        match self {
            ReferentialAction::Restrict => "restrict",
            ReferentialAction::NoAction => "no_action",
            ReferentialAction::Cascade => "cascade",
            ReferentialAction::SetNull => "set_null",
            ReferentialAction::SetDefault => "set_default",
        }
    }
}

/// A foreign key as the derive declares it (generated code only).
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub struct ForeignKeyDecl {
    columns: &'static [&'static str],
    fields: &'static [&'static str],
    referenced_table: &'static str,
    referenced_columns: &'static [&'static str],
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
}

impl ForeignKeyDecl {
    pub(crate) const fn new(
        columns: &'static [&'static str],
        fields: &'static [&'static str],
        referenced_table: &'static str,
        referenced_columns: &'static [&'static str],
        on_delete: ReferentialAction,
        on_update: ReferentialAction,
    ) -> Self {
        ForeignKeyDecl {
            columns,
            fields,
            referenced_table,
            referenced_columns,
            on_delete,
            on_update,
        }
    }
}

/// A foreign key of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint's name in the database: `{table}_{columns}_fkey`.
    pub name: String,
    /// The referencing columns, in declaration order.
    pub columns: &'static [&'static str],
    /// The Rust fields of those columns, in the same order.
    pub fields: &'static [&'static str],
    /// The referenced table.
    pub referenced_table: &'static str,
    /// The referenced columns, one per referencing column.
    pub referenced_columns: &'static [&'static str],
    /// What deleting a referenced row does.
    pub on_delete: ReferentialAction,
    /// What updating a referenced key does.
    pub on_update: ReferentialAction,
}

impl Column {
    pub(crate) const fn new(
        field: &'static str,
        name: &'static str,
        column_type: ColumnType,
        nullable: bool,
        primary_key: bool,
        constraint_names: &'static [&'static str],
    ) -> Self {
        Column {
            field,
            name,
            column_type,
            nullable,
            primary_key,
            constraint_names,
        }
    }

    /// The name the derive wrote for the constraint that enforces `rule` on
    /// this column, if it wrote one: [`naming::constraint_name`] of the
    /// table, the column and the rule's suffix, computed at compile time.
    #[inline]
    pub(crate) fn declared_constraint_name(&self, rule: RuleKind) -> Option<&'static str> {
        self.constraint_names
            .get(rule.position())
            .copied()
            .filter(|name| !name.is_empty())
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
            const NULLABLE: ::core::primitive::bool = false;
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

/// An instant: [`Scalar::Timestamp`].
#[cfg(feature = "time")]
impl SqlColumn for time::OffsetDateTime {
    const COLUMN_TYPE: ColumnType = ColumnType::Scalar(Scalar::Timestamp);
    const NULLABLE: bool = false;
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
