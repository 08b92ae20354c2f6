//! Transfers per second and latency through HTTP against calling
//! `Ledger::transfer` directly, at 8 and 64 concurrent clients, on
//! PostgreSQL (the tests crate's harness: a private server with
//! `fsync=off`, or `DATABASE_URL`). Each client moves 1.00 at a time between
//! its own two accounts, so that clients do not conflict; the HTTP client
//! opens a connection per request, as the tests do.
//!
//! ```sh
//! cargo run --release -p money-ledger-api --example bench
//! ```
//!
//! `BENCH_TRANSFERS` (default 2000): transfers per run.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use money_core::Decimal;
use money_ledger::{Account, Ledger};
use money_ledger_api::{Config, Store};
use money_tests::pg::fresh_schema;
use support::Server;

struct Run {
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn report(&mut self, label: &str, clients: usize) {
        self.latencies.sort();
        let percentile = |p: f64| {
            let index = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
            self.latencies[index.min(self.latencies.len() - 1)]
        };
        println!(
            "| {label} | {clients} | {} | {:.0} | {:.2} | {:.2} |",
            self.latencies.len(),
            self.latencies.len() as f64 / self.wall.as_secs_f64(),
            percentile(0.50).as_secs_f64() * 1000.0,
            percentile(0.99).as_secs_f64() * 1000.0,
        );
    }
}

async fn open_pairs(ledger: &Ledger, clients: usize) {
    for client in 0..clients as i64 {
        for (id, balance) in [
            (2 * client + 1, Decimal::new(1_000_000_000, 0)),
            (2 * client + 2, Decimal::ZERO),
        ] {
            ledger
                .open_account(&Account {
                    id,
                    currency: "EUR".into(),
                    balance,
                })
                .await
                .expect("open an account");
        }
    }
}

async fn direct(ledger: Ledger, clients: usize, per_client: usize, base: i64) -> Run {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients as i64)
        .map(|client| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for n in 0..per_client as i64 {
                    let id = base + client * 1_000_000 + n;
                    let t0 = Instant::now();
                    ledger
                        .transfer(id, 2 * client + 1, 2 * client + 2, Decimal::ONE)
                        .await
                        .expect("a transfer");
                    latencies.push(t0.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a client"));
    }
    Run {
        wall: started.elapsed(),
        latencies,
    }
}

async fn http(server: Arc<Server>, clients: usize, per_client: usize) -> Run {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients as i64)
        .map(|client| {
            let server = Arc::clone(&server);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for n in 0..per_client as i64 {
                    let id = 500_000 + client * 1_000_000 + n;
                    let body = format!(
                        r#"{{"transfer_id": {id}, "debit_account_id": {}, "credit_account_id": {}, "amount": "1.00"}}"#,
                        2 * client + 1,
                        2 * client + 2
                    );
                    let t0 = Instant::now();
                    let reply = server.post("/transfers", Some(&format!("k{id}")), &body).await;
                    latencies.push(t0.elapsed());
                    assert_eq!(reply.status, 201, "{reply:?}");
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a client"));
    }
    Run {
        wall: started.elapsed(),
        latencies,
    }
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("BENCH_TRANSFERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2000);
    println!("| path | clients | transfers | transfers/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    for clients in [8, 64] {
        let per_client = total / clients;
        let schema = fresh_schema().await;
        let ledger = Ledger::new(schema.pool.clone());
        ledger.create_schema().await.expect("tables");
        open_pairs(&ledger, clients).await;
        // Warm the pool up, then measure each path on the same tables.
        direct(ledger.clone(), clients, 2, 900_000).await;
        direct(ledger.clone(), clients, per_client, 0)
            .await
            .report("direct `Ledger::transfer`", clients);
        let store = Store::from_ledger(ledger.clone(), false)
            .await
            .expect("the store");
        let server = Arc::new(Server::start(store, Config::default()).await);
        http(Arc::clone(&server), clients, per_client)
            .await
            .report("HTTP `POST /transfers`", clients);
        Arc::into_inner(server)
            .expect("no request left")
            .stop()
            .await;
        schema.drop().await;
    }
}
