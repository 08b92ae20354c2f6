//! The service on its embedded default, an in-memory SQLite database, over
//! real HTTP: the same endpoints, the same problems, the same idempotency;
//! cross-currency transfers answer 501; a request past its timeout is a 503
//! with `Retry-After`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use money_ledger_api::{Config, Store};
use serde_json::json;
use support::{Server, assert_matches_component};
use tokio::sync::Barrier;

async fn start(config: Config) -> Server {
    let store = Store::sqlite_in_memory().await.expect("in-memory SQLite");
    assert_eq!(store.kind(), "sqlite");
    Server::start(store, config).await
}

#[tokio::test]
async fn the_service_runs_on_sqlite() {
    let server = Arc::new(start(Config::default()).await);
    let document = server.get("/openapi.json").await.json();
    for (id, opening) in [(1, "100.00"), (2, "0")] {
        let body = json!({"id": id, "currency": "EUR", "balance": opening});
        assert_matches_component(&document, "Account", &body);
        let reply = server
            .post("/accounts", Some(&format!("a{id}")), &body.to_string())
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    assert_eq!(
        server.get("/accounts/1").await.json(),
        json!({"id": 1, "currency": "EUR", "balance": "100.0000"})
    );

    // 16 concurrent requests with one key: one booking, one answer.
    let body = json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "25.50"});
    assert_matches_component(&document, "Transfer", &body);
    let barrier = Arc::new(Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (server, barrier, body) =
                (Arc::clone(&server), Arc::clone(&barrier), body.to_string());
            tokio::spawn(async move {
                barrier.wait().await;
                server.post("/transfers", Some("t-10"), &body).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("a request task"));
    }
    let receipt = replies[0].json();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.json(), receipt);
    }
    assert_matches_component(&document, "Receipt", &receipt);
    assert_eq!(
        receipt,
        json!({
            "transfer": {"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "25.5000"},
            "entries": [
                {"transfer_id": 10, "leg": 0, "account_id": 1, "currency": "EUR", "amount": "-25.5000"},
                {"transfer_id": 10, "leg": 1, "account_id": 2, "currency": "EUR", "amount": "25.5000"}
            ]
        })
    );
    assert_eq!(server.get("/transfers/10").await.json(), receipt);
    assert_eq!(server.get("/accounts/1").await.json()["balance"], "74.5000");
    assert_eq!(server.get("/accounts/2").await.json()["balance"], "25.5000");

    // The same key with another body.
    let other =
        json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "1"});
    let reply = server
        .post("/transfers", Some("t-10"), &other.to_string())
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.json()["type"],
        "urn:money:problem:idempotency-conflict"
    );

    // An overdraft, refused by SQLite's CHECK on the balance's minor units.
    let overdraft = json!({"transfer_id": 11, "debit_account_id": 2, "credit_account_id": 1, "amount": "25.51"});
    let reply = server
        .post("/transfers", Some("t-11"), &overdraft.to_string())
        .await;
    assert_eq!(reply.status, 422, "{reply:?}");
    let problem = reply.json();
    assert_eq!(problem["errors"][0]["rule"], "min");
    assert_eq!(problem["errors"][0]["constraint"], "accounts_balance_min");
    assert_eq!(server.get("/accounts/2").await.json()["balance"], "25.5000");

    // A float amount: the model's own reader's message, in the body too.
    let reply = server
        .post(
            "/transfers",
            Some("t-float"),
            r#"{"transfer_id": 13, "debit_account_id": 1, "credit_account_id": 2, "amount": 0.1}"#,
        )
        .await;
    assert_eq!(reply.status, 422, "{reply:?}");
    let problem = reply.json();
    assert_eq!(problem["errors"][0]["rule"], "format");
    assert_eq!(problem["errors"][0]["value"], "0.1");
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("it arrived as the binary float 0.1"),
        "{problem}"
    );

    // Every broken rule of the JSON.
    let reply = server
        .post(
            "/transfers",
            Some("t-12"),
            r#"{"transfer_id": 12, "debit_account_id": 1, "credit_account_id": 2, "amount": "0.00001"}"#,
        )
        .await;
    assert_eq!(reply.status, 422);
    let rules: Vec<String> = reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["scale", "min"]);

    // Cross-currency transfers need PostgreSQL.
    let reply = server
        .post("/fx-transfers", Some("fx"), &other.to_string())
        .await;
    assert_eq!(reply.status, 501);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );

    Arc::into_inner(server)
        .expect("no request left")
        .stop()
        .await;
}

#[tokio::test]
async fn a_request_past_its_timeout_is_503_with_retry_after() {
    // The store's pool has one connection; the test holds it, so the
    // request waits for the database past its 200 ms timeout, whatever the
    // machine's speed (a zero timeout raced a fast in-memory insert).
    let store = Store::sqlite_in_memory().await.expect("in-memory SQLite");
    let pool = match &store {
        Store::Sqlite(pool) => pool.clone(),
        Store::Postgres(_) => panic!("sqlite_in_memory gives an SQLite store"),
    };
    let held = pool.acquire().await.expect("the pool's one connection");
    let server = Server::start(
        store,
        Config {
            request_timeout: Duration::from_millis(200),
            ..Config::default()
        },
    )
    .await;
    let reply = server
        .post(
            "/accounts",
            Some("a1"),
            r#"{"id": 1, "currency": "EUR", "balance": "1"}"#,
        )
        .await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.header("retry-after"), Some("1"));
    let problem = reply.json();
    assert_eq!(problem["type"], "urn:money:problem:retry-exhausted");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("same Idempotency-Key"),
        "{problem}"
    );
    drop(held);
    server.stop().await;
}
