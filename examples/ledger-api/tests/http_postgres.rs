//! The service on PostgreSQL, over real HTTP on a loopback port: every
//! endpoint's success path, every error class with its body checked field
//! by field, idempotent replay and conflict (16 concurrent requests with
//! one key), the retry budget spent, the OpenAPI document validated as
//! OpenAPI 3.1 with every request body of these tests validated against it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use money_core::Decimal;
use money_ledger::{FxPolicy, FxRate, Ledger};
use money_ledger_api::{Config, Store};
use money_tests::pg::{TestSchema, fresh_schema};
use serde_json::{Value, json};
use support::{Reply, Server, assert_matches_component, openapi_31_schema};
use tokio::sync::Barrier;

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

async fn start(
    ledger: impl FnOnce(sqlx::PgPool) -> Ledger,
    config: Config,
) -> (TestSchema, Server) {
    let schema = fresh_schema().await;
    let store = Store::from_ledger(ledger(schema.pool.clone()), true)
        .await
        .expect("the ledger's tables");
    (schema, Server::start(store, config).await)
}

/// POSTs a body that the test expects to be accepted, after checking it
/// against the OpenAPI document's schema of that body.
async fn post_valid(
    server: &Server,
    document: &Value,
    path: &str,
    key: &str,
    body: Value,
) -> Reply {
    let component = if path == "/accounts" {
        "Account"
    } else {
        "Transfer"
    };
    assert_matches_component(document, component, &body);
    server.post(path, Some(key), &body.to_string()).await
}

async fn balance(server: &Server, id: i64) -> String {
    let reply = server.get(&format!("/accounts/{id}")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["balance"]
        .as_str()
        .expect("a string")
        .to_owned()
}

fn assert_problem(reply: &Reply, status: u16, problem_type: &str) -> Value {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{reply:?}"
    );
    let body = reply.json();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], problem_type, "{body}");
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty())
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty())
    );
    body
}

#[tokio::test]
async fn endpoints_answer_and_refuse_over_http() {
    let config = Config {
        fx_policy: FxPolicy::new(Duration::from_secs(3600))
            .desk("EUR", 900)
            .desk("USD", 901),
        ..Config::default()
    };
    let (schema, server) = start(Ledger::new, config).await;

    // The OpenAPI document: served, valid OpenAPI 3.1, the models' schemas.
    let reply = server.get("/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let document = reply.json();
    assert_eq!(document, money_ledger_api::openapi::document());
    let oas = jsonschema::validator_for(&openapi_31_schema()).expect("the OAS 3.1 schema compiles");
    let errors: Vec<String> = oas
        .iter_errors(&document)
        .map(|error| error.to_string())
        .collect();
    assert!(errors.is_empty(), "not OpenAPI 3.1: {errors:?}");
    assert_eq!(document["openapi"], "3.1.0");
    let amount = &document["components"]["schemas"]["Transfer"]["properties"]["amount"];
    assert_eq!(amount["type"], "string");
    assert_eq!(amount["x-minimum"], "0.0001");
    assert_eq!(amount["x-scale"], 4);
    assert!(amount["pattern"].is_string());
    // A float amount is not valid under the schema either.
    assert!(!jsonschema::is_valid(
        &document["components"]["schemas"]["Transfer"],
        &json!({"transfer_id": 1, "debit_account_id": 1, "credit_account_id": 2, "amount": 1.5})
    ));

    // POST /accounts, GET /accounts/{id}.
    for (id, currency, opening, canonical) in [
        (1, "EUR", "100.00", "100.0000"),
        (2, "EUR", "0", "0.0000"),
        (3, "USD", "0", "0.0000"),
        (900, "EUR", "0", "0.0000"),
        (901, "USD", "1000000", "1000000.0000"),
    ] {
        let body = json!({"id": id, "currency": currency, "balance": opening});
        let reply = post_valid(
            &server,
            &document,
            "/accounts",
            &format!("account-{id}"),
            body,
        )
        .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let account = reply.json();
        assert_eq!(account["id"], id);
        assert_eq!(account["currency"], currency);
        assert_eq!(account["balance"], canonical);
        assert_matches_component(&document, "Account", &account);
    }
    assert_eq!(balance(&server, 1).await, "100.0000");

    // POST /transfers, GET /transfers/{id}.
    let transfer = json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "25.50"});
    let reply = post_valid(&server, &document, "/transfers", "t-10", transfer).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let receipt = reply.json();
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
    let reply = server.get("/transfers/10").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), receipt);
    assert_eq!(balance(&server, 1).await, "74.5000");
    assert_eq!(balance(&server, 2).await, "25.5000");

    // POST /fx-transfers: EUR 10 to a USD account at 1.1.
    let ledger = Ledger::new(schema.pool.clone());
    let now = ledger.database_now().await.expect("now()");
    ledger
        .publish_rate(&FxRate {
            id: 1,
            base_currency: "EUR".into(),
            quote_currency: "USD".into(),
            rate: dec("1.1"),
            as_of: now,
        })
        .await
        .expect("a rate");
    let fx =
        json!({"transfer_id": 11, "debit_account_id": 1, "credit_account_id": 3, "amount": "10"});
    let reply = post_valid(&server, &document, "/fx-transfers", "fx-11", fx).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let receipt = reply.json();
    assert_matches_component(&document, "Receipt", &receipt);
    assert_eq!(receipt["conversion"]["rate"], "1.10000000");
    assert_eq!(receipt["conversion"]["booked_amount"], "11.0000");
    assert_eq!(
        receipt["conversion"]["rounding_difference"],
        "0.000000000000"
    );
    assert_eq!(receipt["entries"].as_array().map(Vec::len), Some(4));
    assert_eq!(server.get("/transfers/11").await.json(), receipt);
    assert_eq!(balance(&server, 3).await, "11.0000");
    assert_eq!(balance(&server, 1).await, "64.5000");

    // 400: not JSON, with the position.
    let reply = server
        .post("/transfers", Some("bad-json"), r#"{"transfer_id": 12,"#)
        .await;
    let body = assert_problem(&reply, 400, "urn:money:problem:malformed");
    assert_eq!(
        body["detail"],
        "the body is not JSON: EOF while parsing a value at line 1 column 19"
    );
    // 400: no key on a write.
    let reply = server.post("/transfers", None, r#"{}"#).await;
    let body = assert_problem(&reply, 400, "urn:money:problem:malformed");
    assert!(body["detail"].as_str().unwrap().contains("Idempotency-Key"));
    // 400: not an id.
    assert_problem(
        &server.get("/accounts/x").await,
        400,
        "urn:money:problem:malformed",
    );
    // 404.
    let body = assert_problem(
        &server.get("/transfers/99").await,
        404,
        "urn:money:problem:not-found",
    );
    assert_eq!(body["detail"], "no transfer 99");

    // 422 from the JSON reader, with every broken rule.
    let reply = server
        .post(
            "/transfers",
            Some("bad-amount"),
            r#"{"transfer_id": 12, "debit_account_id": 1, "credit_account_id": 2, "amount": "-1.23456"}"#,
        )
        .await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(
        body["errors"],
        json!([
            {"field": "amount", "rule": "scale", "limit": "4", "value": "-1.23456",
             "constraint": "transfers_amount_scale",
             "detail": "-1.23456 has 5 digits after the point, at most 4 allowed"},
            {"field": "amount", "rule": "min", "limit": "0.0001", "value": "-1.23456",
             "constraint": "transfers_amount_min",
             "detail": "-1.23456 is below the minimum 0.0001"}
        ])
    );
    assert_eq!(body["detail"], "2 rules broken");
    // 422: a float amount is never read.
    let reply = server
        .post(
            "/transfers",
            Some("float"),
            r#"{"transfer_id": 12, "debit_account_id": 1, "credit_account_id": 2, "amount": 0.1}"#,
        )
        .await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(body["errors"][0]["field"], "amount");
    assert_eq!(body["errors"][0]["rule"], "format");
    assert_eq!(body["errors"][0]["value"], "0.1");
    // 422: an account breaking two rules at once, currency and amount.
    let reply = server
        .post(
            "/accounts",
            Some("bad-account"),
            r#"{"id": 5, "currency": "usd", "balance": "1e3"}"#,
        )
        .await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    let rules: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap(),
                error["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rules, [("currency", "currency"), ("balance", "format")]);
    // 422: a missing field.
    let reply = server
        .post(
            "/transfers",
            Some("missing"),
            r#"{"transfer_id": 12, "debit_account_id": 1, "credit_account_id": 2}"#,
        )
        .await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(body["errors"][0]["field"], "amount");
    assert_eq!(body["errors"][0]["rule"], "schema");
    // 422: refused by the database's CHECK (an overdraft).
    let overdraft = json!({"transfer_id": 12, "debit_account_id": 2, "credit_account_id": 1, "amount": "25.51"});
    let reply = post_valid(&server, &document, "/transfers", "overdraft", overdraft).await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(body["errors"][0]["field"], "amount");
    assert_eq!(body["errors"][0]["rule"], "min");
    assert_eq!(body["errors"][0]["limit"], "0");
    assert_eq!(body["errors"][0]["constraint"], "accounts_balance_min");
    assert_eq!(balance(&server, 2).await, "25.5000");
    // 422: the currency's minor units (EUR has 2).
    let fine = json!({"transfer_id": 13, "debit_account_id": 1, "credit_account_id": 2, "amount": "0.001"});
    let reply = post_valid(&server, &document, "/transfers", "fine", fine).await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(
        (
            body["errors"][0]["rule"].as_str(),
            body["errors"][0]["limit"].as_str()
        ),
        (Some("minor_units"), Some("2"))
    );
    // 422: the ledger's own refusals.
    let unknown =
        json!({"transfer_id": 14, "debit_account_id": 1, "credit_account_id": 77, "amount": "1"});
    let reply = post_valid(&server, &document, "/transfers", "unknown", unknown).await;
    let body = assert_problem(&reply, 422, "urn:money:problem:refused");
    assert_eq!(body["detail"], "no account 77");
    let mixed =
        json!({"transfer_id": 14, "debit_account_id": 1, "credit_account_id": 3, "amount": "1"});
    let reply = post_valid(&server, &document, "/transfers", "mixed", mixed).await;
    assert_problem(&reply, 422, "urn:money:problem:refused");

    // 409: the same key with another body.
    let other =
        json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "26"});
    let reply = post_valid(&server, &document, "/transfers", "t-10", other).await;
    let body = assert_problem(&reply, 409, "urn:money:problem:idempotency-conflict");
    assert!(body["detail"].as_str().unwrap().contains("t-10"));
    // 409: another key, but a transfer id already booked with another payload.
    let other =
        json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "27"});
    let reply = post_valid(&server, &document, "/transfers", "t-10-again", other).await;
    assert_problem(&reply, 409, "urn:money:problem:idempotency-conflict");
    // 409: an account id taken by another account.
    let taken = json!({"id": 1, "currency": "EUR", "balance": "5"});
    let reply = post_valid(&server, &document, "/accounts", "taken", taken).await;
    assert_problem(&reply, 409, "urn:money:problem:duplicate");
    // The same key and body: the first answer, replayed.
    let same =
        json!({"transfer_id": 10, "debit_account_id": 1, "credit_account_id": 2, "amount": "25.5"});
    let reply = post_valid(&server, &document, "/transfers", "t-10", same).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    assert_eq!(reply.json(), server.get("/transfers/10").await.json());
    assert_eq!(balance(&server, 2).await, "25.5000");
    // A refusal is replayed as answered, even once the transfer would pass:
    // account 2 now holds the 25.51 that the overdraft above lacked.
    let top_up =
        json!({"transfer_id": 15, "debit_account_id": 1, "credit_account_id": 2, "amount": "0.01"});
    let reply = post_valid(&server, &document, "/transfers", "top-up", top_up).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.header("idempotent-replayed"), None);
    let overdraft = json!({"transfer_id": 12, "debit_account_id": 2, "credit_account_id": 1, "amount": "25.51"});
    let reply = post_valid(&server, &document, "/transfers", "overdraft", overdraft).await;
    let body = assert_problem(&reply, 422, "urn:money:problem:invalid");
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    assert_eq!(body["errors"][0]["constraint"], "accounts_balance_min");
    assert_eq!(balance(&server, 2).await, "25.5100");
    assert_eq!(server.get("/transfers/12").await.status, 404);

    server.stop().await;
    schema.drop().await;
}

#[tokio::test]
async fn sixteen_concurrent_requests_with_one_key_book_once() {
    let (schema, server) = start(Ledger::new, Config::default()).await;
    let server = Arc::new(server);
    for (id, opening) in [(1, "1000"), (2, "0")] {
        let reply = server
            .post(
                "/accounts",
                Some(&format!("a{id}")),
                &json!({"id": id, "currency": "EUR", "balance": opening}).to_string(),
            )
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    let body =
        json!({"transfer_id": 7, "debit_account_id": 1, "credit_account_id": 2, "amount": "12.34"})
            .to_string();
    let barrier = Arc::new(Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (server, barrier, body) = (Arc::clone(&server), Arc::clone(&barrier), body.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                server.post("/transfers", Some("one-key"), &body).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("a request task"));
    }
    let first = replies[0].json();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.json(), first);
    }
    assert_eq!(first["transfer"]["amount"], "12.3400");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM transfers")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM journal_entries")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert_eq!((stored, entries), (1, 2));
    let reply = server.get("/accounts/1").await;
    assert_eq!(reply.json()["balance"], "987.6600");
    let reply = server.get("/accounts/2").await;
    assert_eq!(reply.json()["balance"], "12.3400");
    // And the same key with another body, concurrently or not: 409.
    let other =
        json!({"transfer_id": 7, "debit_account_id": 1, "credit_account_id": 2, "amount": "12.35"})
            .to_string();
    let reply = server.post("/transfers", Some("one-key"), &other).await;
    assert_eq!(reply.status, 409);
    Arc::into_inner(server)
        .expect("no request left")
        .stop()
        .await;
    schema.drop().await;
}

#[tokio::test]
async fn a_spent_retry_budget_is_503_with_retry_after() {
    // One attempt per transaction: a serialization failure is final.
    let (schema, server) = start(
        |pool| Ledger::with_options(pool, Ledger::default_options().max_attempts(1)),
        Config::default(),
    )
    .await;
    let server = Arc::new(server);
    for (id, opening) in [(1, "1000000"), (2, "0")] {
        let body = json!({"id": id, "currency": "EUR", "balance": opening}).to_string();
        assert_eq!(
            server
                .post("/accounts", Some(&format!("a{id}")), &body)
                .await
                .status,
            201
        );
    }
    let mut next_id = 0;
    let mut spent = None;
    // Concurrent transfers on one pair of accounts: SERIALIZABLE makes some
    // fail with 40001; rounds until one has.
    for _round in 0..20 {
        let barrier = Arc::new(Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                next_id += 1;
                let body = json!({"transfer_id": next_id, "debit_account_id": 1, "credit_account_id": 2, "amount": "1"}).to_string();
                let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    server.post("/transfers", Some(&format!("k{next_id}")), &body).await
                })
            })
            .collect();
        for task in tasks {
            let reply = task.await.expect("a request task");
            assert!(matches!(reply.status, 201 | 503), "{reply:?}");
            if reply.status == 503 {
                spent = Some(reply);
            }
        }
        if spent.is_some() {
            break;
        }
    }
    let reply = spent.expect("a serialization failure in 20 rounds of 16 concurrent transfers");
    assert_eq!(reply.header("retry-after"), Some("1"));
    let body = assert_problem(&reply, 503, "urn:money:problem:retry-exhausted");
    assert_eq!(body["retry_after"], 1);
    assert!(body["detail"].as_str().unwrap().contains("40001"), "{body}");
    // Every 201 is booked, nothing else.
    let booked: i64 = sqlx::query_scalar("SELECT count(*) FROM transfers")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    let reply = server.get("/accounts/2").await;
    assert_eq!(reply.json()["balance"], format!("{booked}.0000"));
    Arc::into_inner(server)
        .expect("no request left")
        .stop()
        .await;
    schema.drop().await;
}
