//! The derive writes each money and currency column's constraint names into
//! the model's table at compile time; they must be the names
//! `money_core::naming` computes at run time (the names the DDL of an
//! older build gave the database), for short names, for names hashed past
//! 63 bytes, for renamed columns and for currency columns.

use money_core::{Currency, Decimal, MoneyModel, RuleKind, naming};

#[derive(MoneyModel)]
#[money(table = "accounts")]
struct Short {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0", max = "1000")]
    balance: Decimal,
    #[money(precision = 10, scale = 2, column = "fee_amount")]
    fee: Option<Decimal>,
}

#[derive(MoneyModel)]
#[money(table = "settlement_instructions_pending_counterparty_review")]
struct Long {
    #[money(primary_key)]
    id: i64,
    #[money(currency)]
    counterparty_settlement_currency_code: String,
    #[money(
        precision = 12,
        scale = 2,
        min = "0",
        max = "99",
        currency_field = "counterparty_settlement_currency_code"
    )]
    counterparty_reserved_amount_in_minor_units: Decimal,
    currency: Currency,
}

/// Every constraint name of `M`'s table against the one computed at run
/// time; returns how many were compared.
fn agree<M: MoneyModel>() -> usize {
    let table = M::DEFINITION;
    let mut compared = 0;
    for constraint in table.constraints() {
        let computed = naming::constraint_name(
            table.name(),
            constraint.column.name(),
            constraint.rule.kind().suffix(),
        );
        assert_eq!(constraint.name, computed, "{}", constraint.column.name());
        assert!(constraint.name.len() <= naming::MAX_IDENTIFIER_BYTES);
        let found = table
            .find_constraint(&computed)
            .unwrap_or_else(|| panic!("{computed} maps back"));
        assert_eq!(found.column.name(), constraint.column.name());
        assert_eq!(found.rule, constraint.rule);
        compared += 1;
    }
    compared
}

#[test]
fn the_names_the_derive_writes_are_the_names_computed_at_run_time() {
    // balance: digits, scale, min, max; fee: digits, scale.
    assert_eq!(agree::<Short>(), 6);
    // the code column: currency; the amount: digits, scale, minor units,
    // min, max; the `Currency` field: currency.
    assert_eq!(agree::<Long>(), 7);
}

#[test]
fn validation_reports_the_same_names() {
    let short = Short {
        id: 1,
        balance: "-0.00001".parse().expect("a decimal"),
        fee: Some("123456789.123".parse().expect("a decimal")),
    };
    let errors = short.validate().expect_err("every rule broken");
    let reported: Vec<(&str, &str)> = errors
        .iter()
        .map(|error| (error.column(), error.constraint()))
        .collect();
    assert_eq!(
        reported,
        [
            ("balance", "accounts_balance_scale"),
            ("balance", "accounts_balance_min"),
            ("fee_amount", "accounts_fee_amount_digits"),
            ("fee_amount", "accounts_fee_amount_scale"),
        ]
    );

    let long = Long {
        id: 1,
        counterparty_settlement_currency_code: "XXZ".into(),
        counterparty_reserved_amount_in_minor_units: "10000000000.001".parse().expect("a decimal"),
        currency: "EUR".parse().expect("an active code"),
    };
    let errors = long.validate().expect_err("rules broken");
    let mut kinds = Vec::new();
    for error in errors.iter() {
        let expected =
            naming::constraint_name(Long::TABLE, error.column(), error.rule_kind().suffix());
        assert_eq!(error.constraint(), expected);
        assert_eq!(error.constraint().len(), naming::MAX_IDENTIFIER_BYTES);
        kinds.push(error.rule_kind());
    }
    assert_eq!(
        kinds,
        [
            RuleKind::Currency,
            RuleKind::Digits,
            RuleKind::Scale,
            RuleKind::Max
        ]
    );
}
