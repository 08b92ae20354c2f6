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
}
