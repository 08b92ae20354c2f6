//! The declaration every dialect's unit tests render, so that the three
//! renderings are checked on one input: a key, a money column that rejects
//! excess scale with a minimum, a nullable one that rounds with both bounds,
//! and a unique column whose name is a reserved word. The precision is 18,
//! SQLite's largest.

use rust_decimal::Decimal;

use crate::spec::{ExcessScale, MoneySpec};
use crate::table::{Column, ColumnType, Scalar, Table};

pub(crate) const ACCOUNTS: Table = Table::new(
    "accounts",
    &[
        Column::new(
            "id",
            "id",
            ColumnType::Scalar(Scalar::BigInt),
            false,
            true,
            &[],
        ),
        Column::new(
            "balance",
            "balance",
            ColumnType::Money(MoneySpec::new_unchecked(
                18,
                4,
                Some(Decimal::ZERO),
                None,
                ExcessScale::Reject,
            )),
            false,
            false,
            &[],
        ),
        Column::new(
            "fee",
            "fee",
            ColumnType::Money(MoneySpec::new_unchecked(
                10,
                2,
                Some(Decimal::from_parts(100, 0, 0, true, 2)),
                Some(Decimal::from_parts(99_999, 0, 0, false, 2)),
                ExcessScale::Round,
            )),
            true,
            false,
            &[],
        ),
        Column::new(
            "order_id",
            "order",
            ColumnType::Scalar(Scalar::BigInt),
            true,
            false,
            &[],
        ),
    ],
    &[&["order"]],
);
