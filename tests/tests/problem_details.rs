//! Errors that fit a web service: `ValidationErrors`, `ValueError` and
//! `money_sqlx::Error` as RFC 9457 problem details, checked field by field
//! on errors that real PostgreSQL statements produced; `From<ValueError>`;
//! `insert_idempotent` on a pool as well as a connection; a model that
//! turns the generated `FromRow` off and derives sqlx's own.

use money_core::problem::{self, Problem};
use money_core::{Decimal, Dialect, MoneyModel, MoneyValue};
use money_sqlx::{Error, Idempotent, ModelExt, TransactionOptions, map_error, transaction};
use money_tests::dec;
use money_tests::pg::schema_with;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "pd_accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(currency)]
    currency: String,
    #[money(precision = 19, scale = 4, min = "0", currency_field = "currency")]
    balance: Decimal,
}

/// The generated `FromRow` is off: this impl of our own would conflict with
/// it otherwise (as sqlx's derive would), and this file would not compile.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "pd_notes", no_from_row)]
struct Note {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Note {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(Note {
            id: row.try_get("id")?,
            // Our own reading: halved, so the test sees that this impl ran.
            amount: row.try_get::<Decimal, _>("amount")? / Decimal::TWO,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 19, scale = 2, min = "0")]
struct Amount(Decimal);

fn json_of(problem: &Problem) -> Value {
    serde_json::to_value(problem).expect("a problem serializes")
}

#[test]
fn validation_errors_become_one_entry_per_broken_rule() {
    let account = Account {
        id: 1,
        currency: "usd".into(),
        balance: dec("-1.23456"),
    };
    let errors = account.validate().unwrap_err();
    let body = json_of(&Problem::from(&errors));
    assert_eq!(body["type"], problem::INVALID);
    assert_eq!(body["status"], 422);
    assert_eq!(body["title"], "The request breaks the declared rules");
    assert_eq!(body["detail"], "3 rules broken");
    assert!(body.get("retry_after").is_none());
    assert_eq!(
        body["errors"],
        json!([
            {
                "field": "currency", "rule": "currency", "value": "usd",
                "constraint": "pd_accounts_currency_currency",
                "detail": "\"usd\" is not an active ISO 4217 currency code (three upper-case letters, such as \"USD\")"
            },
            {
                "field": "balance", "rule": "scale", "limit": "4", "value": "-1.23456",
                "constraint": "pd_accounts_balance_scale",
                "detail": "-1.23456 has 5 digits after the point, at most 4 allowed"
            },
            {
                "field": "balance", "rule": "min", "limit": "0", "value": "-1.23456",
                "constraint": "pd_accounts_balance_min",
                "detail": "-1.23456 is below the minimum 0"
            }
        ]),
        "{body:#}"
    );
    // The order is validate()'s: field order, then rule order.
    let renamed = Problem::from(&errors).rename_fields(|field| Some(format!("account_{field}")));
    assert_eq!(renamed.errors[0].field, "account_currency");
}

#[test]
fn a_currency_limit_is_the_currency_minor_units() {
    let account = Account {
        id: 1,
        currency: "JPY".into(),
        balance: dec("1.5"),
    };
    let problem = Problem::from(&account.validate().unwrap_err());
    assert_eq!(problem.errors.len(), 1);
    let error = &problem.errors[0];
    assert_eq!(
        (
            error.field.as_str(),
            error.rule.as_str(),
            error.limit.as_deref()
        ),
        ("balance", "minor_units", Some("0"))
    );
    assert_eq!(error.value.as_deref(), Some("1.5"));
    assert_eq!(problem.detail, format!("balance: {}", error.detail));
}

fn parse_amount(text: &str) -> Result<Amount, Error> {
    Ok(Amount::parse(text)?)
}

#[test]
fn a_value_error_converts_to_the_sqlx_error_and_to_a_problem() {
    let error = parse_amount("-5").unwrap_err();
    assert!(matches!(error, Error::Value(_)), "{error:?}");
    let body = json_of(&Problem::from(&error));
    assert_eq!(body["status"], 422);
    assert_eq!(
        body["errors"],
        json!([{
            "field": "Amount", "rule": "min", "limit": "0", "value": "-5",
            "detail": "Amount: -5 is below the minimum 0"
        }])
    );
    let error = parse_amount("1e3").unwrap_err();
    let problem = Problem::from(&error);
    assert_eq!(problem.errors[0].rule, "format");
    assert_eq!(problem.errors[0].limit, None);
    assert_eq!(parse_amount("12.50").unwrap(), Amount(dec("12.50")));
}

#[tokio::test]
async fn database_errors_map_to_statuses_field_by_field() {
    let schema = schema_with(&[
        Account::create_table_sql(Dialect::Postgres),
        Note::create_table_sql(Dialect::Postgres),
    ])
    .await;
    let pool = &schema.pool;

    // A CHECK violation of a statement the model did not build: field and
    // rule, no value.
    let raw = sqlx::query("INSERT INTO pd_accounts (id, currency, balance) VALUES (1, 'EUR', -5)")
        .execute(pool)
        .await
        .unwrap_err();
    let error = map_error::<Account>(raw, None);
    assert!(matches!(error, Error::Check { .. }), "{error:?}");
    let body = json_of(&Problem::from(&error));
    assert_eq!(body["status"], 422);
    assert_eq!(body["type"], problem::INVALID);
    assert_eq!(
        body["errors"],
        json!([{
            "field": "balance", "rule": "min", "limit": "0",
            "constraint": "pd_accounts_balance_min", "detail": "must be at least 0"
        }])
    );

    // A duplicate key: 409.
    let account = Account {
        id: 1,
        currency: "EUR".into(),
        balance: dec("10"),
    };
    account.insert(pool).await.unwrap();
    let error = account.insert(pool).await.unwrap_err();
    let problem = Problem::from(&error);
    assert_eq!(
        (problem.status, problem.problem_type.as_str()),
        (409, problem::DUPLICATE)
    );
    assert!(problem.detail.contains("pd_accounts_pkey"), "{problem:?}");

    // Too many digits before the point: the column is unconstrained
    // `numeric` with a digits CHECK, so the database names the rule.
    let raw = sqlx::query("INSERT INTO pd_notes (id, amount) VALUES (1, 1e30)")
        .execute(pool)
        .await
        .unwrap_err();
    let problem = Problem::from(&map_error::<Note>(raw, None));
    assert_eq!(
        (problem.status, problem.problem_type.as_str()),
        (422, problem::INVALID)
    );
    assert_eq!(problem.errors[0].rule, "digits");
    assert_eq!(problem.errors[0].limit.as_deref(), Some("15"));
    assert_eq!(
        problem.errors[0].constraint.as_deref(),
        Some("pd_notes_amount_digits")
    );

    // A CHECK the model does not declare: refused, no field.
    sqlx::query("ALTER TABLE pd_notes ADD CONSTRAINT pd_notes_odd CHECK (id % 2 = 1)")
        .execute(pool)
        .await
        .unwrap();
    let error = Note {
        id: 2,
        amount: dec("1"),
    }
    .insert(pool)
    .await
    .unwrap_err();
    let problem = Problem::from(&error);
    assert_eq!(
        (problem.status, problem.problem_type.as_str()),
        (422, problem::REFUSED)
    );
    assert!(problem.errors.is_empty());
    assert!(problem.detail.contains("pd_notes_odd"), "{problem:?}");
    sqlx::query("ALTER TABLE pd_notes DROP CONSTRAINT pd_notes_odd")
        .execute(pool)
        .await
        .unwrap();

    // The retry budget spent on serialization failures: 503 with a hint.
    let options = TransactionOptions::default().max_attempts(2);
    let spent = transaction(pool, &options, |connection| {
        Box::pin(async move {
            sqlx::query("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$")
                .execute(&mut *connection)
                .await?;
            Ok::<_, Error>(())
        })
    })
    .await
    .unwrap_err();
    let spent = json_of(&Problem::from(&spent));
    assert_eq!(spent["status"], 503);
    assert_eq!(spent["type"], problem::RETRY_EXHAUSTED);
    assert_eq!(spent["retry_after"], 1);
    schema.drop().await;
}

#[tokio::test]
async fn insert_idempotent_takes_a_pool_and_from_row_can_be_ours() {
    let schema = schema_with(&[Note::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    let note = Note {
        id: 7,
        amount: dec("1.5"),
    };
    assert!(matches!(
        note.insert_idempotent(pool).await.unwrap(),
        Idempotent::Inserted(_)
    ));
    assert!(matches!(
        note.insert_idempotent(pool).await.unwrap(),
        Idempotent::AlreadyExists(_)
    ));
    let other = Note {
        id: 7,
        amount: dec("2"),
    };
    assert_eq!(
        other.insert_idempotent(pool).await.unwrap(),
        Idempotent::Conflict {
            existing: note.clone()
        }
    );
    let mut transaction = pool.begin().await.unwrap();
    assert!(matches!(
        note.insert_idempotent(&mut transaction).await.unwrap(),
        Idempotent::AlreadyExists(_)
    ));
    transaction.rollback().await.unwrap();
    // Our `FromRow` reads the row, not the generated one.
    let read: Note = sqlx::query_as("SELECT id, amount FROM pd_notes WHERE id = 7")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(read.amount, dec("0.75"));
    schema.drop().await;
}
