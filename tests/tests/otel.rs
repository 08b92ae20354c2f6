//! Traces in OpenTelemetry's terms: spans exported through
//! tracing-opentelemetry to the OpenTelemetry SDK's in-memory exporter, from
//! a real PostgreSQL. The span of a refused insert carries
//! `db.system.name`, `db.operation.name`, `db.collection.name`,
//! `db.response.status_code` (the SQLSTATE), `error.type`, the constraint and
//! the field, with an error status; a CHECK refused inside `transaction` is
//! recorded on the transaction's span; a retried transaction's span carries
//! its attempts. No span is lost on a constraint violation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use money_core::{Decimal, Dialect, MoneyModel};
use money_sqlx::{Error, ModelExt, TransactionOptions, map_error, transaction};
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use sqlx::AssertSqlSafe;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
}

const FORCED_SERIALIZATION_FAILURE: &str =
    "DO $$ BEGIN RAISE EXCEPTION 'forced serialization failure' USING ERRCODE = '40001'; END $$";

fn attributes(span: &SpanData) -> HashMap<String, String> {
    span.attributes
        .iter()
        .map(|pair| (pair.key.to_string(), pair.value.to_string()))
        .collect()
}

fn attribute<'a>(attributes: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    attributes.get(key).map(String::as_str)
}

#[tokio::test]
async fn spans_follow_the_database_conventions() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("money-tests")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let schema = money_tests::pg::fresh_schema().await;
    let pool = schema.pool.clone();
    sqlx::raw_sql(AssertSqlSafe(Account::create_table_sql(Dialect::Postgres)))
        .execute(&pool)
        .await
        .expect("create table");

    // An insert, and the same row again: refused by the primary key.
    let account = Account {
        id: 1,
        balance: Decimal::new(100, 0),
    };
    account.insert(&pool).await.expect("the first insert");
    let duplicate = account.insert(&pool).await.expect_err("a duplicate key");
    assert!(
        matches!(duplicate, Error::Duplicate { .. }),
        "{duplicate:?}"
    );

    // A CHECK refused inside a transaction, mapped by the body.
    let options = TransactionOptions::default();
    let refused = transaction(&pool, &options, |connection| {
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET balance = -5 WHERE id = 1")
                .execute(&mut *connection)
                .await
                .map_err(|error| map_error::<Account>(error, None))?;
            Ok::<_, Error>(())
        })
    })
    .await
    .expect_err("balance may not go below 0");
    assert!(matches!(refused, Error::Check { .. }), "{refused:?}");

    // A transaction whose first attempt fails with 40001 and is retried.
    let calls = AtomicU32::new(0);
    let committed = transaction(&pool, &options, |connection| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if call == 0 {
                sqlx::query(FORCED_SERIALIZATION_FAILURE)
                    .execute(&mut *connection)
                    .await?;
            }
            Ok::<_, Error>(())
        })
    })
    .await
    .expect("the retry commits");
    assert_eq!(committed.attempts, 2);

    provider.force_flush().expect("flush");
    let spans = exporter.get_finished_spans().expect("the exported spans");

    // The two inserts: one ok, one refused, both exported.
    let inserts: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.name == "INSERT accounts")
        .collect();
    assert_eq!(inserts.len(), 2, "{spans:#?}");
    let ok = attributes(inserts[0]);
    assert_eq!(attribute(&ok, "db.system.name"), Some("postgresql"));
    assert_eq!(attribute(&ok, "db.operation.name"), Some("INSERT"));
    assert_eq!(attribute(&ok, "db.collection.name"), Some("accounts"));
    assert_eq!(attribute(&ok, "error.type"), None);
    assert!(!matches!(inserts[0].status, Status::Error { .. }));
    let refused_insert = attributes(inserts[1]);
    assert_eq!(
        attribute(&refused_insert, "db.system.name"),
        Some("postgresql")
    );
    assert_eq!(
        attribute(&refused_insert, "db.response.status_code"),
        Some("23505")
    );
    assert_eq!(
        attribute(&refused_insert, "error.type"),
        Some("unique_violation")
    );
    assert_eq!(
        attribute(&refused_insert, "money.constraint"),
        Some("accounts_pkey")
    );
    assert_eq!(attribute(&refused_insert, "money.field"), Some("id"));
    assert!(
        matches!(inserts[1].status, Status::Error { .. }),
        "{:?}",
        inserts[1].status
    );

    // The transactions.
    let transactions: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.name == "transaction")
        .collect();
    assert_eq!(transactions.len(), 2, "{spans:#?}");
    let check = attributes(transactions[0]);
    assert_eq!(attribute(&check, "db.system.name"), Some("postgresql"));
    assert_eq!(attribute(&check, "db.response.status_code"), Some("23514"));
    assert_eq!(attribute(&check, "error.type"), Some("check_violation"));
    assert_eq!(
        attribute(&check, "money.constraint"),
        Some("accounts_balance_min")
    );
    assert_eq!(attribute(&check, "money.field"), Some("balance"));
    assert_eq!(attribute(&check, "outcome"), Some("failed"));
    assert!(matches!(transactions[0].status, Status::Error { .. }));
    // The refusal's event is DEBUG: the model's answer, not a fault.
    let refusal_event = transactions[0]
        .events
        .iter()
        .find(|event| event.name.contains("refused the statement"))
        .expect("the refusal's event");
    let level = refusal_event
        .attributes
        .iter()
        .find(|pair| pair.key.as_str() == "level")
        .map(|pair| pair.value.to_string());
    assert_eq!(level.as_deref(), Some("DEBUG"));

    let retried = attributes(transactions[1]);
    assert_eq!(attribute(&retried, "attempts"), Some("2"));
    assert_eq!(attribute(&retried, "outcome"), Some("committed"));
    assert_eq!(attribute(&retried, "error.type"), None);

    schema.drop().await;
}
