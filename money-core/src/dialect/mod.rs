//! SQL dialects: one renderer per database, each rendering every rule.

#[cfg(test)]
mod fixture;
mod mysql;
mod postgres;
pub mod sqlite;

use crate::currency::{Currency, codes_by_minor_units};
use crate::rules::Rule;
use crate::spec::MoneySpec;
use crate::table::Scalar;

/// A database whose DDL the toolkit renders.
///
/// ```
/// use money_core::Dialect;
/// assert_eq!(Dialect::Postgres.to_string(), "PostgreSQL");
/// assert_eq!(Dialect::MySql.to_string(), "MySQL/MariaDB");
/// assert_eq!(Dialect::Sqlite.to_string(), "SQLite");
/// assert_eq!(Dialect::ALL.len(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// PostgreSQL 14 or newer.
    ///
    /// | mode | column type | CHECK constraints |
    /// |---|---|---|
    /// | `reject` | `numeric` | `abs(x) < 10^(P-S)`, `x = round(x, S)`, `x >= min`, `x <= max` |
    /// | `round` | `numeric(29 + S, S)` | `abs(x) < 10^(P-S)`, `x >= min`, `x <= max` |
    ///
    /// Reject mode uses an unconstrained `numeric`: a `numeric(P, S)` column
    /// rounds `123.45678` to `123.4568` on input, before any CHECK runs, so no
    /// CHECK could see the excess digits. Round mode lets PostgreSQL round on
    /// input, half away from zero as Rust does in that mode, with a precision
    /// wide enough for any `rust_decimal` value, so that a value too large
    /// fails the named digits CHECK (23514, naming the field) rather than the
    /// type's overflow (22003, which names no column). The digits CHECK also
    /// refuses `NaN` and the infinities, which `numeric` accepts and which a
    /// lone `x >= min` would let through (PostgreSQL sorts NaN above every
    /// number).
    ///
    /// A currency column (`#[money(currency)]`) is `text` with
    /// `CHECK (x = ANY ('{AED,...}'::text[]))` (the set as one array
    /// constant, which PostgreSQL reads back far faster than an `IN` list
    /// in every statement that writes the table): `char(3)` would trim `'USD '` to `'USD'`
    /// before the CHECK and refuse `'USDX'` with 22001, which names no
    /// column. See [`crate::currency`].
    Postgres,
    /// MariaDB 10.2.1 or newer, MySQL 8.0.16 or newer (older servers parse
    /// CHECK constraints and ignore them).
    ///
    /// | mode | column type | CHECK constraints |
    /// |---|---|---|
    /// | `reject` | `decimal(65, 30)` | `abs(x) < 10^(P-S)`, `x = round(x, S)`, `x >= min`, `x <= max` |
    /// | `round` | `decimal(29 + S, S)` | `abs(x) < 10^(P-S)`, `x >= min`, `x <= max` |
    ///
    /// Reject mode uses the widest `DECIMAL` there is: a `decimal(P, S)`
    /// column rounds `123.45678` to `123.4568` on input, before any CHECK
    /// runs, with only a note (1265) even in strict mode. `decimal(65, 30)`
    /// holds every `rust_decimal` value exactly, so `x = round(x, S)` sees the
    /// value as sent (another client's value with more than 30 digits after
    /// the point is rounded to 30 first: no column keeps more). Round mode
    /// lets the server round on input, half away from zero as Rust does in
    /// that mode, with 29 digits before the point so that a value too large
    /// fails the named digits CHECK rather than the type's range (1264, which
    /// names no constraint). A violated CHECK is error 4025 on MariaDB
    /// (``CONSTRAINT `name` failed for `db`.`table` ``) and 3819 on MySQL
    /// (`Check constraint 'name' is violated.`). MariaDB reports the first
    /// failing CHECK in declaration order (digits, scale, min, max).
    ///
    /// The DDL assumes what both servers do by default:
    /// - a strict `sql_mode` (`STRICT_TRANS_TABLES` or `STRICT_ALL_TABLES`)
    ///   for every session that writes: without it a text that is no number,
    ///   such as `'abc'` or `'NaN'`, is stored as 0 with a warning instead of
    ///   failing (error 1366), and a value beyond the type's range is clipped
    ///   (the digits CHECK still refuses the clipped value). A stored
    ///   procedure keeps the `sql_mode` of the session that created it.
    /// - no `INSERT IGNORE`/`UPDATE IGNORE`, which do the same as a lax mode
    ///   for that statement; MariaDB 10.11 still enforces CHECKs under
    ///   `IGNORE`, MySQL documents that it turns a CHECK violation into a
    ///   warning.
    /// - CHECK constraints enforced: MariaDB's `check_constraint_checks` on
    ///   (the default).
    ///
    /// Identifiers are quoted with backticks and parameters are `?`. A
    /// `String` column is `text`, which MySQL cannot put in a primary or
    /// unique key without a prefix length: declare such a column with
    /// `sql_type = "varchar(n)"`.
    ///
    /// A currency column (`#[money(currency)]`) is `char(3) CHARACTER SET
    /// ascii COLLATE ascii_bin`, so that `'usd'` is not `'USD'` (the default
    /// collations ignore case). `char(3)` drops trailing spaces on input:
    /// `'USD '` is stored as `'USD'`, which `validate()` refuses, the one
    /// divergence; a longer or non-ASCII text fails the type (1406, 1366).
    MySql,
    /// SQLite (the tests run the 3.51 that sqlx bundles), amounts stored as
    /// integer minor units (`v * 10^S`): exact, and summed exactly.
    /// Precision at most 18 (see
    /// [`sqlite::MAX_PRECISION`]).
    ///
    /// | mode | column type | CHECK constraints, on the units `x` |
    /// |---|---|---|
    /// | `reject` | none (BLOB affinity) | `abs(x) < 10^P` (`_digits`, exact for integers, see below), `typeof(x) IN ('integer', 'null')` (`_scale`), `x >= min * 10^S`, `x <= max * 10^S` |
    /// | `round` | none (BLOB affinity) | the same; `_scale` guards against other clients (Rust rounds before encoding) |
    ///
    /// SQLite has no exact decimal type, so the column holds an `INTEGER` of
    /// minor units, converted by [`dialect::sqlite`](crate::dialect::sqlite)
    /// (`to_units`, `stored_units`, `from_units`; in round mode Rust rounds
    /// half away from zero before encoding). The column has no declared type:
    /// with `integer` affinity SQLite would turn a text such as
    /// `'12345678901234567.5'` into a float, then into the integer
    /// `12345678901234568`, a silent rounding no CHECK could see; with none,
    /// the CHECKs judge what the client sent, and the `_scale` CHECK refuses
    /// anything but an `INTEGER` (a value with excess digits sent as the
    /// exact text of its units, a float, a blob, any text). The `_digits`
    /// CHECK compares integers exactly and judges a text only by its size
    /// when it has no decimal point: a unit count beyond 64 bits, which can
    /// only arrive as text, is too many digits, as validation says. SQLite
    /// reports the first failing CHECK in declaration order (digits, scale,
    /// min, max) as `CHECK constraint failed: name`. A spec with precision
    /// above 18 cannot be stored: its largest values have no 64-bit form.
    /// Identifiers are quoted with double quotes and parameters are `?N`.
    Sqlite,
}

impl Dialect {
    /// Every dialect the toolkit renders.
    pub const ALL: &'static [Dialect] = &[Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

    pub(crate) fn renderer(self) -> &'static dyn Renderer {
        match self {
            Dialect::Postgres => &postgres::Postgres,
            Dialect::MySql => &mysql::MySql,
            Dialect::Sqlite => &sqlite::Sqlite,
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::Sqlite => "SQLite",
        })
    }
}

/// How one dialect spells types, identifiers and rules. The DDL layout itself
/// is shared ([`crate::ddl`]); a new dialect is one more implementation.
pub(crate) trait Renderer: Sync {
    /// `ident` quoted, so reserved words (`order`, `user`) work as names.
    fn quote(&self, ident: &str) -> String;
    /// The column type of a money column; empty for none (SQLite).
    fn money_type(&self, spec: &MoneySpec) -> String;
    /// The column type of a scalar.
    fn scalar_type(&self, scalar: Scalar) -> &'static str;
    /// The placeholder of the `index`-th bound parameter, from 1.
    fn placeholder(&self, index: usize) -> String;
    /// The column type of a currency code column.
    fn currency_type(&self) -> &'static str;
    /// The boolean expression that holds iff `rule`, one of `spec`'s rules,
    /// holds for the (already quoted) column.
    fn check(&self, column: &str, spec: &MoneySpec, rule: &Rule) -> String;
    /// The boolean expression that holds iff the (already quoted) currency
    /// column holds an active ISO 4217 code: [`Rule::Currency`].
    fn currency_check(&self, column: &str) -> String {
        self.code_set(column, &mut Currency::all().map(Currency::code), true)
    }
    /// Whether the (already quoted) text `column` is one of `codes` (`is`),
    /// or none of them: `x IN ('A', 'B')` and `x NOT IN (...)` by default,
    /// with SQL's NULL semantics (a NULL `x` is neither, so a CHECK on it
    /// passes). The codes are three upper-case letters, nothing to escape.
    fn code_set(
        &self,
        column: &str,
        codes: &mut dyn Iterator<Item = &'static str>,
        is: bool,
    ) -> String {
        let list = codes
            .map(|code| format!("'{code}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let not = if is { "" } else { "NOT " };
        format!("{column} {not}IN ({list})")
    }
    /// Rules a dialect enforces on a money column beyond `spec.rules()`,
    /// rendered with [`Self::check`] and named like the rule of that kind:
    /// integrity guards against other clients that Rust never trips (SQLite's
    /// integer-only CHECK in round mode). None by default.
    fn guard_rules(&self, _spec: &MoneySpec) -> Vec<Rule> {
        Vec::new()
    }
}

/// [`Rule::MinorUnits`] for `amount` (quoted) in a column of `scale`, with
/// the row's currency in `currency_column` (unquoted): one clause per group
/// of codes with the same minor units below the scale, `(currency NOT IN
/// (...) OR <amount fits units>)` (the code set as [`Renderer::code_set`]
/// spells it), joined by `AND`. `fits(units)` is the
/// dialect's test that the amount has at most `units` digits after the
/// point. A NULL currency makes every `NOT IN` NULL, so the CHECK passes, as
/// Rust lets an amount without a currency use the column's scale.
pub(crate) fn minor_units_check(
    renderer: &dyn Renderer,
    scale: u32,
    currency_column: &str,
    fits: impl Fn(u32) -> String,
) -> String {
    let currency = renderer.quote(currency_column);
    let clauses: Vec<String> = codes_by_minor_units(scale)
        .into_iter()
        .map(|(units, codes)| {
            format!(
                "({} OR {})",
                renderer.code_set(&currency, &mut codes.into_iter(), false),
                fits(units)
            )
        })
        .collect();
    clauses.join(" AND ")
}

/// A rule on a `numeric`/`DECIMAL` column, as PostgreSQL and MariaDB/MySQL
/// both spell it (`column` quoted by `renderer`).
pub(crate) fn decimal_check(renderer: &dyn Renderer, column: &str, rule: &Rule) -> String {
    match rule {
        Rule::Digits { bound, .. } => format!("abs({column}) < {bound}"),
        Rule::Scale { scale } => format!("{column} = round({column}, {scale})"),
        Rule::Min(min) => format!("{column} >= {min}"),
        Rule::Max(max) => format!("{column} <= {max}"),
        Rule::MinorUnits {
            scale,
            currency_column,
        } => minor_units_check(renderer, *scale, currency_column, |units| {
            format!("{column} = round({column}, {units})")
        }),
        Rule::Currency => renderer.currency_check(column),
    }
}
