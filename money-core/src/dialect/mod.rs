//! SQL dialects: one renderer per database, each rendering every rule.

mod postgres;

use crate::rules::Rule;
use crate::spec::MoneySpec;
use crate::table::Scalar;

/// A database whose DDL the toolkit renders.
///
/// ```
/// use money_core::Dialect;
/// assert_eq!(Dialect::Postgres.to_string(), "PostgreSQL");
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
    Postgres,
}

impl Dialect {
    /// Every dialect the toolkit renders.
    pub const ALL: &'static [Dialect] = &[Dialect::Postgres];

    pub(crate) fn renderer(self) -> &'static dyn Renderer {
        match self {
            Dialect::Postgres => &postgres::Postgres,
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
        })
    }
}

/// How one dialect spells types, identifiers and rules. The DDL layout itself
/// is shared ([`crate::ddl`]); a new dialect is one more implementation.
pub(crate) trait Renderer: Sync {
    /// `ident` quoted, so reserved words (`order`, `user`) work as names.
    fn quote(&self, ident: &str) -> String;
    /// The column type of a money column.
    fn money_type(&self, spec: &MoneySpec) -> String;
    /// The column type of a scalar.
    fn scalar_type(&self, scalar: Scalar) -> &'static str;
    /// The placeholder of the `index`-th bound parameter, from 1.
    fn placeholder(&self, index: usize) -> String;
    /// The boolean expression that holds iff `rule` holds for the (already
    /// quoted) column.
    fn check(&self, column: &str, rule: &Rule) -> String;
}
