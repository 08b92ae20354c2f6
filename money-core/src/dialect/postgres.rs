//! PostgreSQL: how each rule and type is spelled.
//!
//! # Column types, and why
//! - `on_excess_scale = "reject"`: plain `numeric`. A `numeric(p, s)` column
//!   rounds `123.45678` to `123.4568` on input, before any CHECK runs, so no
//!   CHECK could ever see the excess digits; an unconstrained `numeric` keeps
//!   the value as sent and `CHECK (x = round(x, s))` rejects it.
//! - `on_excess_scale = "round"`: `numeric(29 + s, s)`. PostgreSQL rounds on
//!   input, half away from zero, as Rust does in this mode; the precision is
//!   wide enough for any `rust_decimal` value (29 digits before the point),
//!   so a value that is too large fails the named digits CHECK (SQLSTATE
//!   23514, naming the field) rather than the type's overflow (22003, which
//!   names no column).
//!
//! In both modes the digits CHECK `abs(x) < 10^(p - s)` also rejects `NaN`
//! and the infinities, which `numeric` accepts and which sort above every
//! number, so that a lone `x >= min` would let NaN through.

use super::Renderer;
use crate::rules::Rule;
use crate::spec::{ExcessScale, MoneySpec};
use crate::table::Scalar;

/// Digits before the point of `Decimal::MAX`.
const DECIMAL_INTEGER_DIGITS: u32 = 29;

pub(crate) struct Postgres;

impl Renderer for Postgres {
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn money_type(&self, spec: &MoneySpec) -> String {
        match spec.on_excess_scale() {
            ExcessScale::Reject => "numeric".to_owned(),
            ExcessScale::Round => {
                let scale = spec.scale();
                format!("numeric({}, {scale})", DECIMAL_INTEGER_DIGITS + scale)
            }
        }
    }

    fn scalar_type(&self, scalar: Scalar) -> &'static str {
        match scalar {
            Scalar::SmallInt => "smallint",
            Scalar::Integer => "integer",
            Scalar::BigInt => "bigint",
            Scalar::Boolean => "boolean",
            Scalar::Text => "text",
            Scalar::Timestamp => "timestamptz",
        }
    }

    fn placeholder(&self, index: usize) -> String {
        format!("${index}")
    }

    fn currency_type(&self) -> &'static str {
        "text"
    }

    fn check(&self, column: &str, _spec: &MoneySpec, rule: &Rule) -> String {
        super::decimal_check(self, column, rule)
    }

    /// `x = ANY ('{AED,AFN,...}'::text[])`, `x <> ALL (...)`: the same sets
    /// as `IN (...)` and `NOT IN (...)`, with the same NULL semantics, but
    /// one array constant in the stored CHECK instead of an array built of
    /// one constant per code. PostgreSQL 15 reads a table's CHECKs back from
    /// their stored trees in every statement that writes the table; the
    /// `IN` list of the 180 codes is a 28 KB tree, which cost about 120 µs
    /// of server CPU per single-row `INSERT` (the constant: 4 KB; see
    /// `benches/currency-checks.sh`).
    fn code_set(
        &self,
        column: &str,
        codes: &mut dyn Iterator<Item = &'static str>,
        is: bool,
    ) -> String {
        let list = codes.collect::<Vec<_>>().join(",");
        let (operator, quantifier) = if is { ("=", "ANY") } else { ("<>", "ALL") };
        format!("{column} {operator} {quantifier} ('{{{list}}}'::text[])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::create_table;
    use crate::dialect::Dialect;
    use crate::dialect::fixture::ACCOUNTS;

    #[test]
    fn create_table_sql() {
        // Rejecting excess scale: plain `numeric`, so that the scale CHECK
        // sees the digits; rounding: `numeric(29 + s, s)`.
        assert_eq!(
            create_table(&ACCOUNTS, Dialect::Postgres),
            r#"CREATE TABLE "accounts" (
    "id" bigint NOT NULL,
    "balance" numeric NOT NULL,
    "fee" numeric(31, 2),
    "order" bigint,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "accounts_order_key" UNIQUE ("order"),
    CONSTRAINT "accounts_balance_digits" CHECK (abs("balance") < 100000000000000),
    CONSTRAINT "accounts_balance_scale" CHECK ("balance" = round("balance", 4)),
    CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0),
    CONSTRAINT "accounts_fee_digits" CHECK (abs("fee") < 100000000),
    CONSTRAINT "accounts_fee_min" CHECK ("fee" >= -1.00),
    CONSTRAINT "accounts_fee_max" CHECK ("fee" <= 999.99)
);"#
        );
    }

    #[test]
    fn code_sets_are_array_constants() {
        assert_eq!(
            Postgres.code_set(r#""c""#, &mut ["BIF", "JPY"].into_iter(), true),
            r#""c" = ANY ('{BIF,JPY}'::text[])"#
        );
        assert_eq!(
            Postgres.code_set(r#""c""#, &mut ["BIF", "JPY"].into_iter(), false),
            r#""c" <> ALL ('{BIF,JPY}'::text[])"#
        );
        let all = Postgres.currency_check(r#""currency""#);
        assert!(all.starts_with(r#""currency" = ANY ('{AED,AFN,"#), "{all}");
        assert!(all.ends_with(r#",ZWG}'::text[])"#), "{all}");
    }

    #[test]
    fn quotes_and_placeholders() {
        assert_eq!(Postgres.quote(r#"a"b"#), r#""a""b""#);
        assert_eq!(Postgres.placeholder(3), "$3");
    }
}
