//! `#[money(crate = "money_sqlx::money_core")]`: a crate that depends on
//! money-sqlx reaches money-core through its re-export, and the sqlx part
//! of the expansion (row decoding, binding, batches, value types'
//! `Encode`/`Decode`, JSON and its schema) works through that path as
//! through the default one (run on SQLite; PostgreSQL's batch and `COPY`
//! impls are compiled through it).
//! (`tests/reexport` proves, in a crate without `money_core` in its extern
//! prelude, that no other path is left in the expansion.)

use money_sqlx::ModelExt;
use money_sqlx::money_core::{Decimal, Dialect, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, PartialEq, MoneyValue)]
#[money(crate = "money_sqlx::money_core", precision = 12, scale = 2, min = "0")]
pub struct Fee(Decimal);

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(
    crate = "money_sqlx::money_core",
    table = "ledger_lines",
    serde,
    json_schema
)]
pub struct Line {
    #[money(primary_key)]
    pub id: i64,
    #[money(currency)]
    pub currency: String,
    #[money(precision = 19, scale = 4, currency_field = "currency")]
    pub amount: Decimal,
    #[money(precision = 10, scale = 2, on_excess_scale = "round")]
    pub rounded: Option<Decimal>,
    pub fee: Fee,
}

fn line(id: i64, currency: &str, amount: &str, fee: &str) -> Line {
    Line {
        id,
        currency: currency.into(),
        amount: amount.parse().expect("an amount"),
        rounded: None,
        fee: fee.parse().expect("a fee"),
    }
}

#[tokio::test]
async fn the_sqlx_expansion_works_through_a_reexported_path() {
    let mut connection = money_tests::sqlite::fresh_database().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(Line::create_table_sql(Dialect::Sqlite)))
        .execute(&mut connection)
        .await
        .expect("the table");
    let lines = [
        line(1, "EUR", "10.25", "0.50"),
        line(2, "JPY", "700", "1"),
        Line {
            rounded: Some(Decimal::new(1005, 3)),
            ..line(3, "USD", "0.01", "0")
        },
    ];
    lines[0].insert(&mut connection).await.expect("insert");
    Line::insert_many(&lines[1..], &mut connection)
        .await
        .expect("insert_many");
    let stored: Vec<Line> = sqlx::query_as(
        r#"SELECT "id", "currency", "amount", "rounded", "fee" FROM "ledger_lines" ORDER BY "id""#,
    )
    .fetch_all(&mut connection)
    .await
    .expect("the rows decode");
    // The round-mode field is stored as the database rounds it.
    let expected_third = Line {
        rounded: Some(Decimal::new(101, 2)),
        ..lines[2].clone()
    };
    assert_eq!(stored, [lines[0].clone(), lines[1].clone(), expected_third]);
    let fee: Fee = sqlx::query_scalar(r#"SELECT "fee" FROM "ledger_lines" WHERE "id" = 1"#)
        .fetch_one(&mut connection)
        .await
        .expect("a fee decodes");
    assert_eq!(fee, "0.5".parse().expect("a fee"));

    // What the declaration refuses, the validation and the insert refuse.
    let yen_cents = line(4, "JPY", "1.5", "0");
    let errors = yen_cents.validate().expect_err("JPY has no minor units");
    assert_eq!(
        errors.iter().next().map(|error| error.constraint()),
        Some("ledger_lines_amount_minor_units")
    );
    let refused = yen_cents
        .insert(&mut connection)
        .await
        .expect_err("the insert is refused");
    assert!(
        refused
            .to_string()
            .contains("ledger_lines_amount_minor_units"),
        "{refused}"
    );
}

#[test]
fn json_through_a_reexported_path() {
    let text = serde_json::to_string(&line(1, "EUR", "10.25", "0.5")).expect("serializes");
    assert_eq!(
        text,
        r#"{"id":1,"currency":"EUR","amount":"10.2500","rounded":null,"fee":"0.50"}"#
    );
    let error = serde_json::from_str::<Line>(
        r#"{"id":1,"currency":"JPY","amount":"1.5","rounded":null,"fee":"0"}"#,
    )
    .expect_err("JPY has no minor units");
    assert!(error.to_string().starts_with("amount: "), "{error}");
}

#[test]
fn json_schema_through_a_reexported_path() {
    let schema = serde_json::to_value(schemars::schema_for!(Line)).expect("a schema");
    let properties = &schema["properties"];
    // Amounts are strings with their declared digits, never numbers.
    assert_eq!(properties["amount"]["type"], "string", "{schema}");
    assert!(properties["amount"]["pattern"].is_string(), "{schema}");
    let codes = properties["currency"]["enum"]
        .as_array()
        .expect("the codes");
    assert_eq!(
        codes.len(),
        money_sqlx::money_core::Currency::all().count(),
        "{schema}"
    );
}
