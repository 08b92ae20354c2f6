//! MariaDB and MySQL: how each rule and type is spelled.
//!
//! # Column types, and why
//! - `on_excess_scale = "reject"`: `decimal(65, 30)`, the widest `DECIMAL`
//!   both servers have (35 digits before the point, 30 after). A
//!   `decimal(p, s)` column rounds `123.45678` to `123.4568` on input, before
//!   any CHECK runs, and only raises a note (1265), not an error, even in
//!   strict mode; the wide column holds every `rust_decimal` value exactly
//!   (at most 29 digits before the point and 28 after), so that
//!   `CHECK (x = round(x, s))` sees the value as sent. A value from another
//!   client with more than 30 digits after the point is still rounded to 30
//!   by the server before the CHECK: no column type can keep more.
//! - `on_excess_scale = "round"`: `decimal(29 + s, s)`. The server rounds on
//!   input, half away from zero (negative values too), as Rust does in this
//!   mode; 29 digits before the point hold any `rust_decimal` value, so a
//!   value that is too large fails the named digits CHECK (error 4025 on
//!   MariaDB, 3819 on MySQL, naming the constraint) rather than the type's
//!   out-of-range error (1264, which names no constraint).
//!
//! `DECIMAL` has no `NaN` or infinity; text such as `'NaN'` is an error
//! (1366) in strict mode.

use super::Renderer;
use crate::rules::Rule;
use crate::spec::{ExcessScale, MoneySpec};
use crate::table::Scalar;

/// Digits before the point of `Decimal::MAX`.
const DECIMAL_INTEGER_DIGITS: u32 = 29;

/// The widest `DECIMAL` MariaDB and MySQL have: `DECIMAL(65, 30)`.
const WIDEST_DECIMAL: &str = "decimal(65, 30)";

pub(crate) struct MySql;

impl Renderer for MySql {
    fn quote(&self, ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    fn money_type(&self, spec: &MoneySpec) -> String {
        match spec.on_excess_scale() {
            ExcessScale::Reject => WIDEST_DECIMAL.to_owned(),
            ExcessScale::Round => {
                let scale = spec.scale();
                format!("decimal({}, {scale})", DECIMAL_INTEGER_DIGITS + scale)
            }
        }
    }

    fn scalar_type(&self, scalar: Scalar) -> &'static str {
        match scalar {
            Scalar::SmallInt => "smallint",
            Scalar::Integer => "int",
            Scalar::BigInt => "bigint",
            Scalar::Boolean => "boolean",
            Scalar::Text => "text",
            Scalar::Timestamp => "datetime(6)",
        }
    }

    fn placeholder(&self, _index: usize) -> String {
        "?".to_owned()
    }

    fn currency_type(&self) -> &'static str {
        "char(3) CHARACTER SET ascii COLLATE ascii_bin"
    }

    fn check(&self, column: &str, _spec: &MoneySpec, rule: &Rule) -> String {
        super::decimal_check(self, column, rule)
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
        assert_eq!(
            create_table(&ACCOUNTS, Dialect::MySql),
            "CREATE TABLE `accounts` (
    `id` bigint NOT NULL,
    `balance` decimal(65, 30) NOT NULL,
    `fee` decimal(31, 2),
    `order` bigint,
    CONSTRAINT `accounts_pkey` PRIMARY KEY (`id`),
    CONSTRAINT `accounts_order_key` UNIQUE (`order`),
    CONSTRAINT `accounts_balance_digits` CHECK (abs(`balance`) < 100000000000000),
    CONSTRAINT `accounts_balance_scale` CHECK (`balance` = round(`balance`, 4)),
    CONSTRAINT `accounts_balance_min` CHECK (`balance` >= 0),
    CONSTRAINT `accounts_fee_digits` CHECK (abs(`fee`) < 100000000),
    CONSTRAINT `accounts_fee_min` CHECK (`fee` >= -1.00),
    CONSTRAINT `accounts_fee_max` CHECK (`fee` <= 999.99)
);"
        );
    }

    #[test]
    fn quotes_backticks() {
        assert_eq!(MySql.quote("a`b"), "`a``b`");
        assert_eq!(MySql.placeholder(3), "?");
    }
}
