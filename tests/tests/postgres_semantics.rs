//! The facts the design rests on, each checked against the real PostgreSQL
//! through the generated DDL, next to what `validate()` says.

use money_core::{Decimal, Dialect, MoneyModel, RuleKind};
use money_tests::dec;
use money_tests::pg::{TestSchema, schema_with};

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
    #[money(precision = 19, scale = 4)]
    overdraft_limit: Option<Decimal>,
}

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts_round")]
struct RoundedAccount {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0", on_excess_scale = "round")]
    balance: Decimal,
    #[money(precision = 19, scale = 4, on_excess_scale = "round")]
    overdraft_limit: Option<Decimal>,
}

/// Names long enough to be hashed, and columns named by reserved words.
#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "settlement_instructions_pending_counterparty_review")]
struct LongNames {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 12, scale = 2, min = "0", max = "1000")]
    counterparty_reserved_amount_in_minor_units: Decimal,
    #[money(precision = 12, scale = 2, min = "0", max = "1000")]
    counterparty_reserved_amount_in_major_units: Decimal,
    #[money(precision = 10, scale = 2, column = "order")]
    order_total: Option<Decimal>,
    #[money(column = "user")]
    user_name: String,
    r#type: Option<i16>,
    #[money(sql_type = "timestamp with time zone")]
    created_at: Option<String>,
    #[money(skip)]
    cache: Vec<u8>,
}

/// Inserts a row by raw SQL (the amounts as text, as another client would)
/// and returns the stored balance, or the SQLSTATE and constraint name.
async fn insert_text(
    schema: &TestSchema,
    table: &str,
    balance: Option<&str>,
    overdraft_limit: Option<&str>,
) -> Result<Decimal, (String, Option<String>)> {
    let sql = format!(
        "INSERT INTO {table} (id, balance, overdraft_limit) \
         VALUES ((SELECT coalesce(max(id), 0) + 1 FROM {table}), $1::numeric, $2::numeric) RETURNING balance"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(balance)
        .bind(overdraft_limit)
        .fetch_one(&schema.pool)
        .await
        .map_err(|error| {
            let database = error.as_database_error().expect("a database error");
            (
                database.code().expect("an SQLSTATE").into_owned(),
                database.constraint().map(str::to_owned),
            )
        })
}

fn violation(code: &str, constraint: &str) -> Result<Decimal, (String, Option<String>)> {
    Err((code.to_owned(), Some(constraint.to_owned())))
}

#[tokio::test]
async fn excess_digits_are_rejected_by_default_and_rounded_on_request() {
    let schema = schema_with(&[
        Account::create_table_sql(Dialect::Postgres),
        RoundedAccount::create_table_sql(Dialect::Postgres),
    ])
    .await;

    // Reject mode: Rust and PostgreSQL both refuse 123.45678.
    let account = Account {
        id: 1,
        balance: dec("123.45678"),
        overdraft_limit: None,
    };
    let errors = account.validate().expect_err("five digits after the point");
    let error = errors.iter().next().expect("one error");
    assert_eq!(
        (error.field(), error.rule_kind()),
        ("balance", RuleKind::Scale)
    );
    assert_eq!(error.constraint(), "accounts_balance_scale");
    assert_eq!(
        insert_text(&schema, "accounts", Some("123.45678"), None).await,
        violation("23514", "accounts_balance_scale")
    );
    // Trailing zeros are not excess digits.
    let trailing = Account {
        id: 1,
        balance: dec("1.20000"),
        overdraft_limit: None,
    };
    assert!(trailing.validate().is_ok());
    assert_eq!(
        insert_text(&schema, "accounts", Some("1.20000"), None).await,
        Ok(dec("1.2"))
    );
    // Digits no Decimal can hold, from another client: still refused.
    assert_eq!(
        insert_text(
            &schema,
            "accounts",
            Some("1.00000000000000000000000000001"),
            None
        )
        .await,
        violation("23514", "accounts_balance_scale")
    );

    // Round mode: both accept, and PostgreSQL stores what Rust computes.
    let rounded = RoundedAccount {
        id: 1,
        balance: dec("123.45678"),
        overdraft_limit: None,
    };
    assert!(rounded.validate().is_ok());
    let spec = RoundedAccount::DEFINITION.columns()[1]
        .money_spec()
        .expect("balance is money");
    assert_eq!(spec.stored_value(rounded.balance).to_string(), "123.4568");
    let stored = insert_text(&schema, "accounts_round", Some("123.45678"), None)
        .await
        .expect("round mode accepts");
    assert_eq!(stored.to_string(), "123.4568");
    // Half away from zero, not half to even, on both sides.
    assert_eq!(spec.stored_value(dec("2.34565")).to_string(), "2.3457");
    assert_eq!(
        insert_text(&schema, "accounts_round", Some("2.34565"), None).await,
        Ok(dec("2.3457"))
    );
    // The range is checked after rounding: -0.00004 rounds to 0 and passes min 0.
    let tiny = RoundedAccount {
        id: 1,
        balance: dec("-0.00004"),
        overdraft_limit: None,
    };
    assert!(tiny.validate().is_ok());
    assert_eq!(
        insert_text(&schema, "accounts_round", Some("-0.00004"), None).await,
        Ok(dec("0"))
    );
    schema.drop().await;
}

#[tokio::test]
async fn nan_infinity_and_overflow_are_rejected_with_a_named_constraint() {
    let schema = schema_with(&[
        Account::create_table_sql(Dialect::Postgres),
        RoundedAccount::create_table_sql(Dialect::Postgres),
    ])
    .await;
    // A Decimal cannot hold NaN or infinity: Rust refuses them at parse time.
    for text in ["NaN", "Infinity", "-Infinity", "inf"] {
        assert!(Decimal::from_str_exact(text).is_err(), "{text}");
    }
    // PostgreSQL's numeric can; the digits CHECK refuses them, and as it
    // sorts first by name, it is the constraint the error names (a lone
    // `balance >= 0` would have let NaN through).
    for text in ["NaN", "Infinity", "-Infinity"] {
        assert_eq!(
            insert_text(&schema, "accounts", Some(text), None).await,
            violation("23514", "accounts_balance_digits"),
            "{text}"
        );
    }
    assert_eq!(
        insert_text(&schema, "accounts", Some("1"), Some("NaN")).await,
        violation("23514", "accounts_overdraft_limit_digits")
    );
    assert_eq!(
        insert_text(&schema, "accounts_round", Some("NaN"), None).await,
        violation("23514", "accounts_round_balance_digits")
    );
    // In round mode the numeric(33, 4) type itself refuses an infinity:
    // 22003, which names no column. Only raw SQL can send one.
    let (code, constraint) = insert_text(&schema, "accounts_round", Some("Infinity"), None)
        .await
        .expect_err("infinity");
    assert_eq!((code.as_str(), constraint), ("22003", None));

    // 1e15 at precision 19, scale 4: 16 digits before the point, 15 allowed.
    for (table, model_errors) in [
        (
            "accounts",
            Account {
                id: 1,
                balance: dec("1000000000000000"),
                overdraft_limit: None,
            }
            .validate(),
        ),
        (
            "accounts_round",
            RoundedAccount {
                id: 1,
                balance: dec("1000000000000000"),
                overdraft_limit: None,
            }
            .validate(),
        ),
    ] {
        let errors = model_errors.expect_err("1e15 is out of range");
        let constraint = format!("{table}_balance_digits");
        assert_eq!(
            errors.iter().next().map(|error| error.constraint()),
            Some(constraint.as_str())
        );
        assert_eq!(
            insert_text(&schema, table, Some("1e15"), None).await,
            violation("23514", &constraint)
        );
    }
    // The largest value that fits, and rounding up into overflow.
    assert_eq!(
        insert_text(&schema, "accounts", Some("999999999999999.9999"), None).await,
        Ok(dec("999999999999999.9999"))
    );
    assert_eq!(
        insert_text(
            &schema,
            "accounts_round",
            Some("999999999999999.99995"),
            None
        )
        .await,
        violation("23514", "accounts_round_balance_digits")
    );
    schema.drop().await;
}

#[tokio::test]
async fn decimal_is_not_null_and_option_is_nullable() {
    let schema = schema_with(&[Account::create_table_sql(Dialect::Postgres)]).await;
    assert_eq!(
        insert_text(&schema, "accounts", Some("1"), None).await,
        Ok(dec("1"))
    );
    let error = sqlx::query("INSERT INTO accounts (id, balance) VALUES (99, NULL)")
        .execute(&schema.pool)
        .await
        .expect_err("balance is NOT NULL");
    let database = error.as_database_error().expect("a database error");
    assert_eq!(database.code().as_deref(), Some("23502"));
    let column = Account::DEFINITION
        .column("balance")
        .expect("balance column");
    assert!(!column.nullable());
    assert!(
        Account::DEFINITION
            .column("overdraft_limit")
            .expect("column")
            .nullable()
    );
    schema.drop().await;
}

#[tokio::test]
async fn constraint_names_survive_in_the_database() {
    let schema = schema_with(&[
        Account::create_table_sql(Dialect::Postgres),
        LongNames::create_table_sql(Dialect::Postgres),
    ])
    .await;
    for table in [Account::DEFINITION, LongNames::DEFINITION] {
        let mut expected: Vec<String> = table
            .constraints()
            .map(|constraint| constraint.name)
            .collect();
        expected.push(table.primary_key_name());
        expected.sort();
        let mut actual: Vec<String> = sqlx::query_scalar(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass($1) ORDER BY 1",
        )
        .bind(table.name())
        .fetch_all(&schema.pool)
        .await
        .expect("read pg_constraint");
        actual.sort();
        assert_eq!(actual, expected, "{}", table.name());
        for name in &actual {
            assert!(name.len() <= 63, "{name}");
            if name.ends_with("_pkey") {
                continue;
            }
            let found = table
                .find_constraint(name)
                .expect("every constraint maps back");
            assert_eq!(&found.name, name);
        }
    }
    // Two long columns whose names share 40 bytes keep distinct constraints.
    let names: Vec<String> = LongNames::DEFINITION
        .constraints()
        .map(|constraint| constraint.name)
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());

    // Reserved words as column names, and a violation named for its field.
    let error = sqlx::query(
        r#"INSERT INTO settlement_instructions_pending_counterparty_review
           (id, counterparty_reserved_amount_in_minor_units, counterparty_reserved_amount_in_major_units, "order", "user", "type")
           VALUES (1, 10, 1000.01, 5, 'ann', 1)"#,
    )
    .execute(&schema.pool)
    .await
    .expect_err("1000.01 is above the maximum");
    let constraint = error
        .as_database_error()
        .and_then(|database| database.constraint())
        .expect("a named constraint");
    let found = LongNames::DEFINITION
        .find_constraint(constraint)
        .expect("maps back to a field");
    assert_eq!(
        found.column.field(),
        "counterparty_reserved_amount_in_major_units"
    );
    assert_eq!(found.rule.kind(), RuleKind::Max);
    let model = LongNames {
        id: 1,
        counterparty_reserved_amount_in_minor_units: dec("10"),
        counterparty_reserved_amount_in_major_units: dec("1000.01"),
        order_total: Some(dec("5")),
        user_name: "ann".into(),
        r#type: Some(1),
        created_at: None,
        cache: Vec::new(),
    };
    let errors = model.validate().expect_err("the same value in Rust");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors.iter().next().map(|error| error.constraint()),
        Some(constraint)
    );
    schema.drop().await;
}
