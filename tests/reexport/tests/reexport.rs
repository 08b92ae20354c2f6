//! The models of this crate, declared with `#[money(crate = "...")]`,
//! behave as models declared with the default path: validation, DDL, JSON
//! and value types.

use money::{Decimal, Dialect, MoneyModel, ValueError};
use money_reexport_tests::{Account, Fee, Payment};

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal literal")
}

fn account() -> Account {
    Account {
        id: 7,
        balance: decimal("12.5"),
        currency: "EUR".into(),
        overdraft_limit: Some(decimal("100.25")),
        fee: "1.2".parse().expect("a fee"),
    }
}

#[test]
fn validation_and_ddl_come_from_the_declaration() {
    assert!(account().validate().is_ok());
    let broken = Account {
        balance: decimal("-0.00001"),
        currency: "JPY".into(),
        ..account()
    };
    let errors = broken.validate().expect_err("three rules are broken");
    let constraints: Vec<&str> = errors.iter().map(|error| error.constraint()).collect();
    assert_eq!(
        constraints,
        [
            "accounts_balance_scale",
            "accounts_balance_min",
            "accounts_overdraft_limit_minor_units"
        ]
    );
    let ddl = Account::create_table_sql(Dialect::Postgres);
    assert!(
        ddl.contains(r#"CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0)"#),
        "{ddl}"
    );
    assert!(ddl.contains(r#""fee" numeric"#), "{ddl}");
    let payments = Payment::create_table_sql(Dialect::Postgres);
    assert!(
        payments.contains(r#"REFERENCES "accounts" ("id") ON DELETE CASCADE"#),
        "{payments}"
    );
    assert_eq!(Payment::TABLE, "payments");
    assert!(
        Payment {
            id: 1,
            account_id: 7,
            amount: decimal("0.005"),
        }
        .validate()
        .is_ok(),
        "round mode: 0.005 is stored as 0.01"
    );
}

#[test]
fn json_is_exact_and_checked() {
    let text = serde_json::to_string(&account()).expect("serializes");
    assert_eq!(
        text,
        r#"{"id":7,"balance":"12.5000","currency":"EUR","overdraftLimit":"100.2500","fee":"1.20"}"#
    );
    let back: Account = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, account());
    let error = serde_json::from_str::<Account>(
        r#"{"id":7,"balance":"1.23456","currency":"EUR","fee":"1"}"#,
    )
    .expect_err("too many digits");
    assert!(
        error
            .to_string()
            .starts_with("balance: 1.23456 has 5 digits after the point"),
        "{error}"
    );
    let error =
        serde_json::from_str::<Account>(r#"{"id":7,"balance":"1","currency":"XYZ","fee":"1"}"#)
            .expect_err("no such currency");
    assert!(error.to_string().starts_with("currency: "), "{error}");
}

#[test]
fn value_types_check_their_declaration() {
    let fee: Fee = "3".parse().expect("a fee");
    assert_eq!(fee.to_string(), "3");
    assert_eq!(
        serde_json::to_string(&fee).expect("serializes"),
        r#""3.00""#
    );
    assert!(matches!(
        "-1".parse::<Fee>(),
        Err(ValueError::Broken { .. })
    ));
    assert!(serde_json::from_str::<Fee>(r#""0.001""#).is_err());
}
