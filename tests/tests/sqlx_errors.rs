//! Database errors mapped back to the model by `money_sqlx::map_error`,
//! against a real PostgreSQL: each SQLSTATE of the table at the top of
//! `money-sqlx/src/error.rs` is raised for real (by raw SQL where the typed
//! API would refuse the value first) and must become the documented variant,
//! with the field, rule or key that explains it.

use money_core::{Decimal, Dialect, MoneyModel, RuleKind};
use money_sqlx::{Error, ModelExt, Retryable, map_error};
use money_tests::dec;
use money_tests::pg::{count, execute, schema_with};
use sqlx::{AssertSqlSafe, PgPool};

/// Both bounds, reject mode: four generated CHECKs on `balance`.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "limits")]
struct Limit {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 10, scale = 2, min = "-100", max = "1000")]
    balance: Decimal,
}

/// Round mode: the column is `numeric(31, 2)`, which can overflow (22003).
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "round_limits")]
struct RoundLimit {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 10, scale = 2, on_excess_scale = "round")]
    balance: Decimal,
}

/// A primary key and a declared unique key.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "settlements", unique(settlement_id, account_id))]
struct Settlement {
    #[money(primary_key)]
    id: i64,
    settlement_id: i64,
    account_id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    amount: Decimal,
}

/// Names past PostgreSQL's 63 bytes: constraint names are hashed, and must
/// still map back.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(
    table = "settlement_instructions_pending_counterparty_review",
    unique(counterparty_reference_identifier, counterparty_account_identifier)
)]
struct LongNames {
    #[money(primary_key)]
    id: i64,
    counterparty_reference_identifier: i64,
    counterparty_account_identifier: i64,
    #[money(precision = 12, scale = 2, min = "0")]
    counterparty_reserved_amount_in_minor_units: Decimal,
}

/// Inserts `(id, balance)` by raw SQL, the balance as text (another client,
/// or a value the typed API would refuse first); returns the error.
async fn raw_insert_error(pool: &PgPool, table: &str, balance: Option<&str>) -> sqlx::Error {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} (id, balance) VALUES (1, $1::numeric)"
    )))
    .bind(balance)
    .execute(pool)
    .await
    .expect_err("the database must refuse this row")
}

#[tokio::test]
async fn every_generated_check_maps_to_its_field_and_rule() {
    let schema = schema_with(&[Limit::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    // (value, the constraint PostgreSQL reports). PostgreSQL checks a row's
    // constraints in name order, so a value over the digits bound (which is
    // also over max) is reported by `limits_balance_digits`, as
    // `RuleKind::suffix` documents.
    let cases = [
        ("100000000", RuleKind::Digits),
        ("1.234", RuleKind::Scale),
        ("-100.01", RuleKind::Min),
        ("1000.01", RuleKind::Max),
    ];
    for (text, kind) in cases {
        let constraint = format!("limits_balance_{}", kind.suffix());
        let row = Limit {
            id: 1,
            balance: dec(text),
        };

        // Without the row: field and rule, from the constraint's name.
        let error = raw_insert_error(pool, "limits", Some(text)).await;
        match map_error::<Limit>(error, None) {
            Error::Check {
                table,
                field,
                column,
                constraint: name,
                rule,
            } => {
                assert_eq!((table, field, column), ("limits", "balance", "balance"));
                assert_eq!(name, constraint, "{text}");
                assert_eq!(rule.kind(), kind, "{text}");
            }
            other => panic!("{text}: expected Error::Check, got {other:?}"),
        }

        // With the same value in a row: the very errors `validate()` gives.
        let expected = row.validate().expect_err("invalid in Rust too");
        assert!(
            expected.iter().any(|e| e.constraint() == constraint),
            "{text}: validate() must report {constraint}: {expected}"
        );
        let error = raw_insert_error(pool, "limits", Some(text)).await;
        match map_error(error, Some(&row)) {
            Error::Invalid(errors) => {
                assert_eq!(errors, expected, "{text}");
                assert!(errors.iter().any(|e| e.constraint() == constraint));
            }
            other => panic!("{text}: expected Error::Invalid, got {other:?}"),
        }
    }
    // NaN passes `>= min` in PostgreSQL; the digits CHECK catches it.
    let error = raw_insert_error(pool, "limits", Some("NaN")).await;
    assert!(
        matches!(
            map_error::<Limit>(error, None),
            Error::Check { ref constraint, .. } if constraint == "limits_balance_digits"
        ),
        "NaN"
    );
    assert_eq!(count(pool, "limits").await, 0);
    schema.drop().await;
}

#[tokio::test]
async fn not_null_maps_to_the_field() {
    let schema = schema_with(&[Limit::create_table_sql(Dialect::Postgres)]).await;
    let error = raw_insert_error(&schema.pool, "limits", None).await;
    match map_error::<Limit>(error, None) {
        Error::NotNull {
            table,
            column,
            field,
        } => {
            assert_eq!(
                (table.as_str(), column.as_str(), field),
                ("limits", "balance", Some("balance"))
            );
        }
        other => panic!("expected Error::NotNull, got {other:?}"),
    }
    schema.drop().await;
}

#[tokio::test]
async fn duplicates_map_to_the_key_columns() {
    let schema = schema_with(&[Settlement::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    let first = Settlement {
        id: 1,
        settlement_id: 10,
        account_id: 20,
        amount: dec("5"),
    };
    first.insert(pool).await.expect("first insert");

    let same_id = Settlement {
        settlement_id: 11,
        ..first.clone()
    };
    match same_id.insert(pool).await {
        Err(Error::Duplicate {
            table,
            constraint,
            columns,
        }) => {
            assert_eq!(
                (table.as_str(), constraint.as_str(), columns),
                ("settlements", "settlements_pkey", vec!["id"])
            );
        }
        other => panic!("expected Error::Duplicate on the primary key, got {other:?}"),
    }

    let same_key = Settlement {
        id: 2,
        ..first.clone()
    };
    let expected_name = Settlement::DEFINITION
        .unique_keys()
        .next()
        .expect("declared")
        .name;
    match same_key.insert(pool).await {
        Err(Error::Duplicate {
            constraint,
            columns,
            ..
        }) => {
            assert_eq!(constraint, expected_name);
            assert_eq!(columns, ["settlement_id", "account_id"]);
        }
        other => panic!("expected Error::Duplicate on the unique key, got {other:?}"),
    }
    // The same through a batch, which maps without a row.
    let error = Settlement::insert_many(&[same_key], pool)
        .await
        .expect_err("duplicate in a batch");
    assert!(
        matches!(&error, Error::Duplicate { columns, .. } if columns == &["settlement_id", "account_id"]),
        "{error:?}"
    );
    assert_eq!(count(pool, "settlements").await, 1);
    schema.drop().await;
}

#[tokio::test]
async fn numeric_overflow_maps_to_numeric_overflow() {
    let schema = schema_with(&[RoundLimit::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    // 41 digits before the point do not fit numeric(31, 2): 22003.
    let error = raw_insert_error(pool, "round_limits", Some("1e40")).await;
    assert_eq!(
        error.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("22003")
    );
    let mapped = map_error::<RoundLimit>(error, None);
    assert!(
        matches!(&mapped, Error::NumericOverflow { message } if message.contains("overflow")),
        "{mapped:?}"
    );
    assert_eq!(mapped.sqlstate().as_deref(), Some("22003"));
    assert!(!mapped.is_retryable());
    // What fits the type but not the declaration is the named digits CHECK.
    let error = raw_insert_error(pool, "round_limits", Some("1e20")).await;
    assert!(
        matches!(
            map_error::<RoundLimit>(error, None),
            Error::Check { field: "balance", rule, .. } if rule.kind() == RuleKind::Digits
        ),
        "1e20"
    );
    schema.drop().await;
}

#[tokio::test]
async fn serialization_failures_and_deadlocks_are_retryable_conflicts() {
    let schema = schema_with(&[Limit::create_table_sql(Dialect::Postgres)]).await;
    for code in ["40001", "40P01"] {
        let sql = format!("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{code}'; END $$");
        for model_known in [true, false] {
            let error = sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                .execute(&schema.pool)
                .await
                .expect_err("raised");
            let mapped = if model_known {
                map_error::<Limit>(error, None)
            } else {
                Error::from(error)
            };
            match &mapped {
                Error::Conflict { sqlstate, .. } => assert_eq!(sqlstate, code),
                other => panic!("{code}: expected Error::Conflict, got {other:?}"),
            }
            assert!(mapped.is_retryable(), "{code}");
            assert_eq!(mapped.sqlstate().as_deref(), Some(code));
        }
    }
    schema.drop().await;
}

#[tokio::test]
async fn undeclared_checks_and_drifted_checks_are_told_apart() {
    let schema = schema_with(&[Limit::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;

    // A CHECK added by hand: not the model's, so no field is guessed.
    execute(
        pool,
        "ALTER TABLE limits ADD CONSTRAINT limits_not_42 CHECK (balance <> 42)",
    )
    .await;
    let row = Limit {
        id: 1,
        balance: dec("42"),
    };
    assert!(row.validate().is_ok());
    for result in [
        row.insert(pool).await,
        Err(map_error::<Limit>(
            raw_insert_error(pool, "limits", Some("42")).await,
            None,
        )),
    ] {
        match result {
            Err(Error::UnknownConstraint {
                table, constraint, ..
            }) => assert_eq!(
                (table.as_str(), constraint.as_str()),
                ("limits", "limits_not_42")
            ),
            other => panic!("expected Error::UnknownConstraint, got {other:?}"),
        }
    }

    // A declared CHECK recreated stricter under the same name: the row passes
    // the model's rule, so the table is what differs.
    execute(
        pool,
        "ALTER TABLE limits DROP CONSTRAINT limits_balance_max; \
         ALTER TABLE limits ADD CONSTRAINT limits_balance_max CHECK (balance <= 500)",
    )
    .await;
    let row = Limit {
        id: 2,
        balance: dec("600"),
    };
    assert!(row.validate().is_ok());
    match row.insert(pool).await {
        Err(Error::SchemaDrift {
            field,
            constraint,
            source,
        }) => {
            assert_eq!(
                (field, constraint.as_str()),
                ("balance", "limits_balance_max")
            );
            assert_eq!(
                source.as_database_error().and_then(|e| e.code()).as_deref(),
                Some("23514")
            );
        }
        other => panic!("expected Error::SchemaDrift, got {other:?}"),
    }
    assert_eq!(count(pool, "limits").await, 0);
    schema.drop().await;
}

#[tokio::test]
async fn other_errors_pass_through_untouched() {
    let schema = schema_with(&[Limit::create_table_sql(Dialect::Postgres)]).await;
    let error = sqlx::raw_sql("SELEC 1")
        .execute(&schema.pool)
        .await
        .expect_err("syntax error");
    match map_error::<Limit>(error, None) {
        Error::Database(source) => assert_eq!(
            source.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("42601")
        ),
        other => panic!("expected Error::Database, got {other:?}"),
    }
    // Not a database error at all.
    assert!(matches!(
        map_error::<Limit>(sqlx::Error::RowNotFound, None),
        Error::Database(sqlx::Error::RowNotFound)
    ));
    schema.drop().await;
}

#[tokio::test]
async fn hashed_constraint_names_map_back() {
    let schema = schema_with(&[LongNames::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    let row = LongNames {
        id: 1,
        counterparty_reference_identifier: 7,
        counterparty_account_identifier: 8,
        counterparty_reserved_amount_in_minor_units: dec("-1"),
    };
    let error = sqlx::query(
        "INSERT INTO settlement_instructions_pending_counterparty_review \
         VALUES (1, 7, 8, -1)",
    )
    .execute(pool)
    .await
    .expect_err("below min");
    match map_error::<LongNames>(error, None) {
        Error::Check {
            field,
            constraint,
            rule,
            ..
        } => {
            assert_eq!(field, "counterparty_reserved_amount_in_minor_units");
            assert_eq!(rule.kind(), RuleKind::Min);
            assert!(
                constraint.len() <= 63 && constraint.ends_with("_min"),
                "{constraint}"
            );
            let expected = row.validate().expect_err("below min");
            assert_eq!(
                expected.iter().next().expect("one").constraint(),
                constraint
            );
        }
        other => panic!("expected Error::Check, got {other:?}"),
    }
    let valid = LongNames {
        counterparty_reserved_amount_in_minor_units: dec("1"),
        ..row
    };
    valid.insert(pool).await.expect("first insert");
    match (LongNames { id: 2, ..valid }).insert(pool).await {
        Err(Error::Duplicate {
            columns,
            constraint,
            ..
        }) => {
            assert!(constraint.len() <= 63, "{constraint}");
            assert_eq!(
                columns,
                [
                    "counterparty_reference_identifier",
                    "counterparty_account_identifier"
                ]
            );
        }
        other => panic!("expected Error::Duplicate on the long unique key, got {other:?}"),
    }
    schema.drop().await;
}
