//! A live database checked against the declarations: what drifted, what
//! that does to values, and the SQL that brings the database back.
//!
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
//! use money_core::{Decimal, MoneyModel};
//!
//! #[derive(MoneyModel)]
//! #[money(table = "accounts")]
//! struct Account {
//!     #[money(primary_key)]
//!     id: i64,
//!     #[money(precision = 19, scale = 4, min = "0")]
//!     balance: Decimal,
//! }
//!
//! // At startup: refuse to serve on a database that does not hold the rules.
//! let report = money_sqlx::schema::verify(&pool, &[Account::DEFINITION]).await?;
//! if !report.is_clean() {
//!     eprintln!("{report}");
//!     for fix in report.fix_sql() {
//!         eprintln!("{fix}");
//!     }
//!     std::process::exit(1);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How it compares
//! Each database prints a constraint its own way (`CHECK ((balance >=
//! (0)::numeric))`), so a declaration is never compared with the catalog as
//! text it did not normalize itself.
//!
//! - **PostgreSQL**: the declarations' column types and CHECKs are rendered
//!   into a few scratch `TEMP` tables inside a transaction that is rolled
//!   back (one message; declarations whose columns agree share a table, and
//!   a CHECK several of them have is rendered once), then the live schema
//!   (the connection's `current_schema()`) and the scratch tables are read
//!   with the same two catalog queries, for all tables at once: the
//!   database normalizes both sides (`format_type`, and a CHECK's stored
//!   expression tree, printed by `pg_get_constraintdef` only when it
//!   differs). Keys (primary, unique, foreign) are compared as data:
//!   columns, referenced table and columns, actions.
//! - **MariaDB/MySQL**: DDL commits implicitly, so the scratch tables are
//!   `TEMPORARY` tables (no commit, no other session sees them), read back
//!   with `SHOW FULL COLUMNS` and `SHOW CREATE TABLE` and dropped; the live
//!   tables are read from `information_schema` by a fixed number of
//!   queries. MySQL 8's `NOT ENFORCED` CHECKs are reported; MariaDB has no
//!   such state.
//! - **SQLite**: the pragma functions and `sqlite_master`, one query each
//!   for all tables. SQLite keeps the `CREATE TABLE` text as sent, so a
//!   CHECK is compared with the declaration's rendering token by token;
//!   `fix_sql()` rebuilds a table (SQLite cannot alter a column or a
//!   constraint).
//!
//! A database that cannot be read completely is an [`Error`], never a
//! clean report.

use std::fmt;
use std::future::Future;

use money_core::Table;
use money_core::ddl::{self, OrderError};

#[cfg(any(
    feature = "postgres",
    feature = "mysql",
    feature = "sqlite",
    feature = "sqlite-unbundled"
))]
mod compare;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod scratch;
#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
mod sqlite;
#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
mod sqlite_text;

/// Checks the database behind `pool` against `tables`, the `DEFINITION`s
/// of the models, and reports every difference: see the [module
/// documentation](self). Every foreign key's referenced table must be among
/// `tables`.
///
/// # Errors
///
/// [`Error`]: a catalog or scratch table that cannot be read or created, no
/// current schema, a declared table that lives in another schema, a
/// reference outside `tables`, a cycle. Never a clean report instead.
pub async fn verify<D: Verifiable>(
    pool: &sqlx::Pool<D>,
    tables: &[&'static Table],
) -> Result<SchemaReport, Error> {
    D::verify(pool, tables).await
}

/// A database [`verify`] can read: PostgreSQL, MariaDB/MySQL, SQLite (each
/// behind its feature).
pub trait Verifiable: sqlx::Database + sealed::Sealed {
    #[doc(hidden)]
    fn verify(
        pool: &sqlx::Pool<Self>,
        tables: &[&'static Table],
    ) -> impl Future<Output = Result<SchemaReport, Error>> + Send;
}

mod sealed {
    pub trait Sealed {}
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::Postgres {}

#[cfg(feature = "postgres")]
impl Verifiable for sqlx::Postgres {
    fn verify(
        pool: &sqlx::Pool<Self>,
        tables: &[&'static Table],
    ) -> impl Future<Output = Result<SchemaReport, Error>> + Send {
        postgres::verify(pool, tables)
    }
}

#[cfg(feature = "mysql")]
impl sealed::Sealed for sqlx::MySql {}

#[cfg(feature = "mysql")]
impl Verifiable for sqlx::MySql {
    fn verify(
        pool: &sqlx::Pool<Self>,
        tables: &[&'static Table],
    ) -> impl Future<Output = Result<SchemaReport, Error>> + Send {
        mysql::verify(pool, tables)
    }
}

#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
impl sealed::Sealed for sqlx::Sqlite {}

#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
impl Verifiable for sqlx::Sqlite {
    fn verify(
        pool: &sqlx::Pool<Self>,
        tables: &[&'static Table],
    ) -> impl Future<Output = Result<SchemaReport, Error>> + Send {
        sqlite::verify(pool, tables)
    }
}

/// `tables` in dependency order, every referenced table among them.
#[cfg_attr(
    not(any(
        feature = "postgres",
        feature = "mysql",
        feature = "sqlite",
        feature = "sqlite-unbundled"
    )),
    allow(dead_code)
)]
fn ordered(tables: &[&'static Table]) -> Result<Vec<&'static Table>, Error> {
    let ordered = ddl::dependency_order(tables)?;
    for table in &ordered {
        for key in table.foreign_keys() {
            if !ordered
                .iter()
                .any(|other| other.name() == key.referenced_table)
            {
                return Err(Error::MissingReference {
                    table: table.name(),
                    constraint: key.name,
                    referenced_table: key.referenced_table,
                });
            }
        }
    }
    Ok(ordered)
}

/// Why a database could not be verified. Never a clean report instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Part of what verifying needs could not be read or done: the
    /// connection's schema, the catalog, or the scratch schema the
    /// declarations are rendered into.
    #[error("cannot verify the schema: could not {what}: {source}")]
    Unreadable {
        /// What could not be read or done.
        what: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// The connection has no current schema (PostgreSQL: an empty
    /// `search_path`, or one whose schemas the role may not use;
    /// MariaDB/MySQL: no database in the URL): there is nothing to compare
    /// with.
    #[error(
        "cannot verify the schema: the connection has no current schema (PostgreSQL: check its search_path and the role's USAGE on it; MariaDB/MySQL: name a database in the URL)"
    )]
    NoCurrentSchema,
    /// A declared table is not in the connection's schema but in another
    /// one: reading it there could check the wrong table, and reporting it
    /// missing could make a fix create a second one.
    #[error(
        "cannot verify the schema: table {table} is not in the connection's schema {schema} but in {}; connect to the schema that holds it (PostgreSQL: the search_path; MariaDB/MySQL: the URL's database)",
        .found_in.join(", ")
    )]
    TableInOtherSchema {
        /// The table.
        table: String,
        /// The connection's current schema.
        schema: String,
        /// The schemas that hold a table of that name.
        found_in: Vec<String>,
    },
    /// A foreign key references a table that is not among the declarations
    /// given: it cannot be rendered for the comparison.
    #[error(
        "cannot verify the schema: foreign key {constraint} of {table} references {referenced_table}, which is not among the declarations given to verify; pass its DEFINITION too"
    )]
    MissingReference {
        /// The referencing table.
        table: &'static str,
        /// The key.
        constraint: String,
        /// The referenced table.
        referenced_table: &'static str,
    },
    /// The declarations cannot be ordered (a foreign key cycle, a table
    /// given twice).
    #[error("cannot verify the schema: {0}")]
    Order(#[from] OrderError),
}

/// The kind of a table constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstraintKind {
    /// `CHECK`.
    Check,
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `FOREIGN KEY`.
    ForeignKey,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::Check => "CHECK",
            ConstraintKind::PrimaryKey => "PRIMARY KEY",
            ConstraintKind::Unique => "UNIQUE",
            ConstraintKind::ForeignKey => "FOREIGN KEY",
        })
    }
}

/// One way the database differs from the declarations.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Difference {
    /// A declared table does not exist.
    MissingTable {
        /// The table.
        table: String,
    },
    /// A declared column does not exist.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its declared type.
        declared_type: String,
    },
    /// A column the declarations do not have. Reported, never fixed: it may
    /// hold data.
    ExtraColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type.
        found_type: String,
    },
    /// A column's type is not the declared one.
    ColumnType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The declared type, as the database prints it.
        declared: String,
        /// The type found.
        found: String,
    },
    /// A column accepts NULL where the declaration does not, or the reverse.
    Nullability {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Whether the declaration makes it NOT NULL.
        declared_not_null: bool,
    },
    /// A declared constraint does not exist.
    MissingConstraint {
        /// The table.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// Its kind.
        kind: ConstraintKind,
        /// Its declared definition, as the database prints it.
        declared: String,
    },
    /// A constraint the declarations do not have.
    ExtraConstraint {
        /// The table.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// Its kind.
        kind: ConstraintKind,
        /// Its definition.
        found: String,
    },
    /// A constraint of the declared name defines something else.
    ConstraintDiffers {
        /// The table.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// Its kind.
        kind: ConstraintKind,
        /// The declared definition.
        declared: String,
        /// The definition found.
        found: String,
    },
    /// A declared `UNIQUE` exists as a unique index of its name on its
    /// columns (`CREATE UNIQUE INDEX`), not as a constraint (PostgreSQL). It
    /// refuses the same rows, but statements that name a constraint do not
    /// find it; the fix turns the index into the constraint in place.
    UniqueIndex {
        /// The table.
        table: String,
        /// The declared constraint's name, which the index has.
        constraint: String,
        /// The declared definition.
        declared: String,
    },
    /// A declared constraint exists but was added `NOT VALID` and never
    /// validated: rows written before it may break it (PostgreSQL).
    NotValidated {
        /// The table.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// Its kind.
        kind: ConstraintKind,
    },
    /// A declared CHECK exists but is marked `NOT ENFORCED`: the database
    /// checks nothing (MySQL 8; MariaDB has no such state).
    NotEnforced {
        /// The table.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// Its kind.
        kind: ConstraintKind,
    },
}

impl Difference {
    /// The table it concerns.
    pub fn table(&self) -> &str {
        match self {
            Difference::MissingTable { table }
            | Difference::MissingColumn { table, .. }
            | Difference::ExtraColumn { table, .. }
            | Difference::ColumnType { table, .. }
            | Difference::Nullability { table, .. }
            | Difference::MissingConstraint { table, .. }
            | Difference::ExtraConstraint { table, .. }
            | Difference::ConstraintDiffers { table, .. }
            | Difference::UniqueIndex { table, .. }
            | Difference::NotValidated { table, .. }
            | Difference::NotEnforced { table, .. } => table,
        }
    }

    /// What `table.column` or `table.constraint` it concerns, for the
    /// diagnostic's first line.
    fn subject(&self) -> String {
        match self {
            Difference::MissingTable { table } => format!("table {table}"),
            Difference::MissingColumn { table, column, .. }
            | Difference::ExtraColumn { table, column, .. }
            | Difference::ColumnType { table, column, .. }
            | Difference::Nullability { table, column, .. } => format!("column {table}.{column}"),
            Difference::MissingConstraint {
                table,
                constraint,
                kind,
                ..
            }
            | Difference::ExtraConstraint {
                table,
                constraint,
                kind,
                ..
            }
            | Difference::ConstraintDiffers {
                table,
                constraint,
                kind,
                ..
            }
            | Difference::NotValidated {
                table,
                constraint,
                kind,
            }
            | Difference::NotEnforced {
                table,
                constraint,
                kind,
            } => format!("{kind} constraint {constraint} on {table}"),
            Difference::UniqueIndex {
                table, constraint, ..
            } => format!("UNIQUE constraint {constraint} on {table}"),
        }
    }

    /// What differs, in a few words.
    fn headline(&self) -> &'static str {
        match self {
            Difference::MissingTable { .. } => "declared table is missing",
            Difference::MissingColumn { .. } => "declared column is missing",
            Difference::ExtraColumn { .. } => "column is not declared",
            Difference::ColumnType { .. } => "column type differs from the declaration",
            Difference::Nullability {
                declared_not_null: true,
                ..
            } => "column accepts NULL, the declaration does not",
            Difference::Nullability { .. } => "column is NOT NULL, the declaration accepts NULL",
            Difference::MissingConstraint { .. } => "declared constraint is missing",
            Difference::ExtraConstraint { .. } => "constraint is not declared",
            Difference::ConstraintDiffers { .. } => "constraint differs from the declaration",
            Difference::UniqueIndex { .. } => "UNIQUE is a unique index, not a constraint",
            Difference::NotValidated { .. } => {
                "constraint is NOT VALID: existing rows were never checked"
            }
            Difference::NotEnforced { .. } => "constraint is NOT ENFORCED: nothing is checked",
        }
    }
}

/// A statement of the fix, with what it costs and what to look at first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The statement.
    pub sql: String,
    /// Whether it rewrites the table (a column type change): it holds an
    /// exclusive lock for as long as that takes.
    pub rewrites_table: bool,
    /// For a fix that adds or tightens a rule: a query that counts the rows
    /// that break it (column `violations`, on every row) and shows up to ten
    /// of them. The fix fails while it returns rows; but on SQLite's
    /// `COMMIT` of a table rebuild, where it is the foreign key check
    /// (`pragma_foreign_key_check`), which fails nothing by itself: do not
    /// commit while it returns rows.
    pub violations_query: Option<String>,
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(query) = &self.violations_query {
            writeln!(
                f,
                "-- rows that break it (the fix fails while there are any):"
            )?;
            writeln!(f, "--   {query};")?;
        }
        if self.rewrites_table {
            writeln!(f, "-- rewrites the whole table under an exclusive lock")?;
        }
        write!(f, "{};", self.sql)
    }
}

/// One difference, what it does to values, and its fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The difference.
    pub difference: Difference,
    /// What the declaration says.
    pub declared: Option<String>,
    /// What the database has.
    pub found: Option<String>,
    /// What the difference does to values.
    pub effect: String,
    /// The statements that bring the database to the declaration, in order;
    /// empty when it is not fixed automatically (an extra column) or when
    /// another entry's fix covers it (see `fixed_by`).
    pub fixes: Vec<Fix>,
    /// When another entry's fixes also fix this one (SQLite's table
    /// rebuild): which.
    pub fixed_by: Option<String>,
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaReport {
    entries: Vec<Entry>,
}

impl SchemaReport {
    /// Whether the database holds exactly what the declarations render.
    pub fn is_clean(&self) -> bool {
        self.entries.is_empty()
    }

    /// The differences, table by table in dependency order.
    pub fn differences(&self) -> impl Iterator<Item = &Difference> {
        self.entries.iter().map(|entry| &entry.difference)
    }

    /// Each difference with its effect and fix.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The statements that bring the database to the declarations, in
    /// order (tables before the keys that reference them). Extra columns are
    /// not dropped.
    pub fn fix_sql(&self) -> Vec<Fix> {
        self.entries
            .iter()
            .flat_map(|entry| entry.fixes.iter().cloned())
            .collect()
    }
}

impl fmt::Display for SchemaReport {
    /// Like a compiler's diagnostics: one block per difference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return writeln!(
                f,
                "schema: clean, the database holds what the declarations render"
            );
        }
        for entry in &self.entries {
            let difference = &entry.difference;
            writeln!(f, "drift: {}", difference.headline())?;
            writeln!(f, "  --> {}", difference.subject())?;
            if let Some(declared) = &entry.declared {
                writeln!(f, "   = declared: {declared}")?;
            }
            if let Some(found) = &entry.found {
                writeln!(f, "   = found:    {found}")?;
            }
            writeln!(f, "   = effect:   {}", entry.effect)?;
            match &entry.fixed_by {
                Some(other) => writeln!(f, "   = fix:      {other}")?,
                None if entry.fixes.is_empty() => {
                    writeln!(f, "   = fix:      none generated; decide by hand")?
                }
                None => {}
            }
            for fix in &entry.fixes {
                if let Some(query) = &fix.violations_query {
                    writeln!(f, "   = first:    {query}")?;
                }
                let note = if fix.rewrites_table {
                    " (rewrites the table)"
                } else {
                    ""
                };
                writeln!(f, "   = fix{note}: {}", fix.sql)?;
            }
            writeln!(f)?;
        }
        write!(f, "{} difference(s)", self.entries.len())
    }
}

/// The consequence of `found` (a `numeric(P,S)` or `decimal(P,S)` type)
/// where a money column declares `declared_precision` and
/// `declared_scale`: rounding before any CHECK, a smaller range.
#[cfg_attr(
    not(any(
        feature = "postgres",
        feature = "mysql",
        feature = "sqlite",
        feature = "sqlite-unbundled"
    )),
    allow(dead_code)
)]
fn numeric_effect(found: &str, declared_precision: u32, declared_scale: u32) -> Option<String> {
    let (_, arguments) = found.split_once('(')?;
    let (precision, scale) = arguments.trim_end_matches(')').split_once(',')?;
    let precision: u32 = precision.trim().parse().ok()?;
    let scale: u32 = scale.trim().parse().ok()?;
    let mut effects = Vec::new();
    effects.push(format!(
        "{found} rounds values with more than {scale} digit(s) after the point before any CHECK runs, so a value the declaration refuses is stored rounded instead"
    ));
    let declared_integer = declared_precision - declared_scale.min(declared_precision);
    let integer = precision.saturating_sub(scale);
    if integer < declared_integer {
        effects.push(format!(
            "{found} holds less than the declared range: at most {integer} digit(s) before the point, the declaration allows {declared_integer}"
        ));
    }
    if scale > declared_scale {
        effects.retain(|effect| !effect.contains("rounds"));
        effects.push(format!(
            "{found} keeps up to {scale} digits after the point; the scale CHECK still refuses more than {declared_scale}"
        ));
    }
    Some(effects.join("; "))
}

#[cfg(test)]
mod tests {
    use super::numeric_effect;

    #[test]
    fn numeric_effects() {
        let effect = numeric_effect("numeric(19,4)", 19, 4).unwrap();
        assert!(
            effect.starts_with("numeric(19,4) rounds values with more than 4 digit(s) after the point before any CHECK runs"),
            "{effect}"
        );
        let effect = numeric_effect("numeric(10,2)", 19, 4).unwrap();
        assert!(effect.contains("holds less than the declared range: at most 8 digit(s) before the point, the declaration allows 15"), "{effect}");
        assert_eq!(numeric_effect("numeric", 19, 4), None);
        assert_eq!(numeric_effect("text", 19, 4), None);
    }
}
