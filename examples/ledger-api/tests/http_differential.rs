//! The HTTP service against the model's deserializer: thousands of
//! generated amount strings posted as transfers over HTTP to the server on
//! PostgreSQL. The status must be what the `Transfer` deserializer says
//! (201 when it reads the body, 422 when it refuses it; an amount the debit
//! account cannot afford is a 422 from the balance's CHECK, and only then),
//! and for every 201 the database holds exactly the amount sent.

mod support;

use std::sync::Arc;

use money_core::{Decimal, parse_decimal};
use money_ledger::{Ledger, Transfer};
use money_ledger_api::{Config, Store};
use money_tests::pg::fresh_schema;
use serde_json::{Value, json};
use support::{Server, assert_valid, component_validator};

const CASES: usize = 2400;
/// Concurrent clients, each on its own pair of accounts.
const CLIENTS: i64 = 4;

/// Amount texts around the rules of `Transfer.amount` (precision 19, scale
/// 4, min 0.0001): boundaries, midpoints, trailing zeros, signs, too many
/// digits on either side, exponents, blanks, leading zeros, junk.
fn amount_text(rng: &mut fastrand::Rng) -> String {
    const FIXED: &[&str] = &[
        "0",
        "0.0000",
        "0.0001",
        "0.00010",
        "0.00005",
        "-0.0001",
        "1",
        "1.2",
        "1.20000",
        "1.23456",
        "999999999999999.9999",
        "1000000000000000",
        "999999999999999.99999",
        "99999999999999.9999",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1e3",
        "1E-2",
        "NaN",
        "Infinity",
        "",
        ".5",
        "5.",
        "00012.5",
        "0x10",
        "1_000",
        "1,5",
        "١",
        "0.00000000000000000000000000001",
        "12345678901234567890123456789",
        "-0",
        "0.10",
        "3.1415",
        "3.14159",
    ];
    if rng.u8(..10) == 0 {
        return FIXED[rng.usize(..FIXED.len())].to_owned();
    }
    let integer_digits = match rng.u8(..10) {
        0 => rng.usize(14..=17),
        1..=3 => 0,
        _ => rng.usize(1..=6),
    };
    let mut text = String::new();
    if rng.u8(..20) == 0 {
        text.push('-');
    }
    if integer_digits == 0 {
        text.push('0');
    } else {
        text.push(char::from(b'1' + rng.u8(..9)));
        for _ in 1..integer_digits {
            text.push(char::from(b'0' + rng.u8(..10)));
        }
    }
    let fraction_digits = match rng.u8(..10) {
        0 => 0,
        1 => rng.usize(5..=8),
        _ => rng.usize(1..=4),
    };
    if fraction_digits > 0 {
        text.push('.');
        for _ in 0..fraction_digits {
            text.push(char::from(b'0' + rng.u8(..10)));
        }
        // Trailing zeros past the scale are fine.
        if rng.u8(..8) == 0 {
            text.push_str("000");
        }
    }
    text
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    booked: usize,
    refused: usize,
    overdrafts: usize,
    disagreements: Vec<String>,
}

/// One client: `cases` transfers from account `from` (opened with
/// `opening`) to account `to`, each with its own key and transfer id.
async fn client(
    server: Arc<Server>,
    pool: sqlx::PgPool,
    transfer_schema: Arc<jsonschema::Validator>,
    worker: i64,
    cases: usize,
    opening: &str,
) -> Tally {
    let (from, to) = (10 + worker, 20 + worker);
    let mut available: Decimal = opening.parse().unwrap();
    let mut rng = fastrand::Rng::with_seed(17 + worker as u64);
    let mut tally = Tally::default();
    for case in 1..=cases as i64 {
        let transfer_id = worker * 1_000_000 + case;
        let text = amount_text(&mut rng);
        let body = json!({
            "transfer_id": transfer_id, "debit_account_id": from, "credit_account_id": to, "amount": text,
        });
        let verdict = serde_json::from_value::<Transfer>(body.clone());
        let reply = server
            .post(
                "/transfers",
                Some(&format!("d{transfer_id}")),
                &body.to_string(),
            )
            .await;
        let expected = match &verdict {
            Ok(transfer) if transfer.amount > available => 422,
            Ok(_) => 201,
            Err(_) => 422,
        };
        if reply.status != expected {
            tally.disagreements.push(format!(
                "{text:?}: deserializer {verdict:?}, HTTP {} {}",
                reply.status, reply.body
            ));
            continue;
        }
        match verdict {
            Ok(transfer) if reply.status == 201 => {
                tally.booked += 1;
                assert_valid(&transfer_schema, "Transfer", &body);
                let sent = parse_decimal(&text).expect("the deserializer read it");
                assert_eq!(transfer.amount, sent);
                let stored: Decimal =
                    sqlx::query_scalar("SELECT amount FROM transfers WHERE transfer_id = $1")
                        .bind(transfer_id)
                        .fetch_one(&pool)
                        .await
                        .expect("the booked transfer");
                if stored != sent {
                    tally
                        .disagreements
                        .push(format!("{text:?}: stored {stored}"));
                }
                let answered: Value = reply.json();
                let answered =
                    parse_decimal(answered["transfer"]["amount"].as_str().unwrap()).unwrap();
                if answered != sent {
                    tally
                        .disagreements
                        .push(format!("{text:?}: answered {answered}"));
                }
                available -= sent;
            }
            Ok(_) => {
                // Valid, but more than the account holds: the database's
                // CHECK refused it, and the problem says so.
                tally.overdrafts += 1;
                let problem = reply.json();
                assert_eq!(
                    problem["errors"][0]["constraint"], "accounts_balance_min",
                    "{problem}"
                );
            }
            Err(_) => {
                tally.refused += 1;
                let problem = reply.json();
                assert_eq!(problem["type"], "urn:money:problem:invalid", "{problem}");
                assert!(
                    problem["errors"]
                        .as_array()
                        .is_some_and(|errors| !errors.is_empty()),
                    "{problem}"
                );
            }
        }
    }
    let balance: Decimal = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(from)
        .fetch_one(&pool)
        .await
        .unwrap();
    if balance != available {
        tally.disagreements.push(format!(
            "account {from} holds {balance}, expected {available}"
        ));
    }
    tally
}

#[tokio::test]
async fn http_status_agrees_with_the_deserializer_and_the_database_holds_what_was_sent() {
    let schema = fresh_schema().await;
    let store = Store::from_ledger(Ledger::new(schema.pool.clone()), true)
        .await
        .expect("the ledger's tables");
    let server = Arc::new(Server::start(store, Config::default()).await);
    let document = money_ledger_api::openapi::document();
    let transfer_schema = Arc::new(component_validator(&document, "Transfer"));
    // CLF has 4 minor units: the currency allows every amount the column
    // does, so only the model's rules and the balance decide.
    let opening = "999999999999999.9999";
    for worker in 0..CLIENTS {
        for (id, balance) in [(10 + worker, opening), (20 + worker, "0")] {
            let body = json!({"id": id, "currency": "CLF", "balance": balance}).to_string();
            let reply = server
                .post("/accounts", Some(&format!("a{id}")), &body)
                .await;
            assert_eq!(reply.status, 201, "{reply:?}");
        }
    }
    let started = std::time::Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|worker| {
            tokio::spawn(client(
                Arc::clone(&server),
                schema.pool.clone(),
                Arc::clone(&transfer_schema),
                worker,
                CASES / CLIENTS as usize,
                opening,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for client in clients {
        let tally = client.await.expect("a client");
        total.booked += tally.booked;
        total.refused += tally.refused;
        total.overdrafts += tally.overdrafts;
        total.disagreements.extend(tally.disagreements);
    }
    let Tally {
        booked,
        refused,
        overdrafts,
        disagreements,
    } = total;
    assert!(
        disagreements.is_empty(),
        "{} disagreements: {disagreements:#?}",
        disagreements.len()
    );
    // The generator reaches both sides (and the balance rule) well.
    assert!(
        booked > CASES / 4 && refused > CASES / 10,
        "booked {booked}, refused {refused}"
    );
    assert!(overdrafts >= 1, "no overdraft among {CASES}");
    eprintln!(
        "{CASES} amounts in {:?}: {booked} booked, {refused} refused by the model, {overdrafts} overdrafts",
        started.elapsed()
    );
    Arc::into_inner(server)
        .expect("no request left")
        .stop()
        .await;
    schema.drop().await;
}
