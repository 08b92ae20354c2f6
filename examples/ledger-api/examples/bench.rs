//! Transfers per second and latency through HTTP against calling
//! `Ledger::transfer` directly, at 8 and 64 concurrent clients, on
//! PostgreSQL (the tests crate's harness: a private server with
//! `fsync=off`, or `DATABASE_URL`). Each client moves 1.00 at a time between
//! its own two accounts, so that clients do not conflict.
//!
//! Three sides, run in interleaved rounds on the same tables (the order
//! rotates from round to round), so that a change of load hits all of them:
//! the direct call; HTTP with one kept-alive connection per client (as an
//! HTTP client's connection pool does); HTTP with a new connection per
//! request (as the tests do). The HTTP clients run in the same process and
//! on the same runtime as the server, so their work is counted too. For
//! each HTTP side the ratio is its time per transfer over the direct call's
//! in the same round; the medians and quartiles are over the rounds.
//!
//! ```sh
//! cargo run --release -p money-ledger-api --example bench
//! ```
//!
//! A transfer whose retry budget ran out (503 over HTTP) is sent again
//! with the same id and key, and counted.
//!
//! `BENCH_TRANSFERS` (default 2000): transfers per side and round;
//! `BENCH_ROUNDS` (default 5).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use money_core::Decimal;
use money_ledger::{Account, Ledger};
use money_ledger_api::{Config, Store};
use money_sqlx::Retryable;
use money_tests::pg::fresh_schema;
use support::{Client, Server};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Direct,
    KeepAlive,
    NewConnection,
}

impl Side {
    const ALL: [Side; 3] = [Side::Direct, Side::KeepAlive, Side::NewConnection];

    fn label(self) -> &'static str {
        match self {
            Side::Direct => "direct `Ledger::transfer`",
            Side::KeepAlive => "HTTP `POST /transfers`, kept-alive connections",
            Side::NewConnection => "HTTP `POST /transfers`, a connection per request",
        }
    }
}

/// One side's run: its wall time and each transfer's latency.
struct Run {
    wall: Duration,
    latencies: Vec<Duration>,
    /// Transfers sent again after their retry budget ran out.
    resubmitted: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
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

/// Runs `per_client` transfers on each of `clients` tasks; transfer ids
/// start at `base`.
async fn run(
    side: Side,
    ledger: &Ledger,
    server: &Arc<Server>,
    clients: usize,
    per_client: usize,
    base: i64,
) -> Run {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients as i64)
        .map(|client| {
            let (ledger, server) = (ledger.clone(), Arc::clone(server));
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                let mut resubmitted = 0_usize;
                let (from, to) = (2 * client + 1, 2 * client + 2);
                let mut connection = match side {
                    Side::KeepAlive => Some(Client::connect(&server).await),
                    _ => None,
                };
                for n in 0..per_client as i64 {
                    let id = base + client * 1_000_000 + n;
                    let body = format!(
                        r#"{{"transfer_id": {id}, "debit_account_id": {from}, "credit_account_id": {to}, "amount": "1.00"}}"#
                    );
                    let key = format!("k{id}");
                    let t0 = Instant::now();
                    match side {
                        // A transaction whose retry budget ran out (SERIALIZABLE
                        // can abort transactions that touch neighbouring index
                        // pages) is resubmitted, as a client would: the same id
                        // and key, so nothing is booked twice.
                        Side::Direct => loop {
                            match ledger.transfer(id, from, to, Decimal::ONE).await {
                                Ok(_) => break,
                                Err(error) if error.is_retryable() => resubmitted += 1,
                                Err(error) => panic!("a transfer: {error}"),
                            }
                        },
                        Side::KeepAlive | Side::NewConnection => loop {
                            let reply = match connection.as_mut() {
                                Some(client) => client.post("/transfers", &key, &body).await,
                                None => server.post("/transfers", Some(&key), &body).await,
                            };
                            match reply.status {
                                201 => break,
                                503 => resubmitted += 1,
                                _ => panic!("a transfer: {reply:?}"),
                            }
                        },
                    }
                    latencies.push(t0.elapsed());
                }
                (latencies, resubmitted)
            })
        })
        .collect();
    let (mut latencies, mut resubmitted) = (Vec::new(), 0);
    for task in tasks {
        let (client, again) = task.await.expect("a client");
        latencies.extend(client);
        resubmitted += again;
    }
    Run {
        wall: started.elapsed(),
        latencies,
        resubmitted,
    }
}

fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

fn millis(latencies: &mut [Duration], p: f64) -> f64 {
    latencies.sort();
    let index = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
    latencies[index.min(latencies.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let setting = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let (total, rounds) = (setting("BENCH_TRANSFERS", 2000), setting("BENCH_ROUNDS", 5));
    println!(
        "| path | clients | transfers/s, median (q1-q3) | time per transfer / direct, median (q1-q3) | p50 ms | p99 ms | resubmitted |"
    );
    println!("|---|---|---|---|---|---|---|");
    for clients in [8, 64] {
        let per_client = total / clients;
        let schema = fresh_schema().await;
        let ledger = Ledger::new(schema.pool.clone());
        ledger.create_schema().await.expect("tables");
        open_pairs(&ledger, clients).await;
        let store = Store::from_ledger(ledger.clone(), false)
            .await
            .expect("the store");
        let server = Arc::new(Server::start(store, Config::default()).await);
        // Warm the pool and the server up.
        for side in Side::ALL {
            run(
                side,
                &ledger,
                &server,
                clients,
                2,
                900_000 + side as i64 * 10,
            )
            .await;
        }
        let mut runs: Vec<Vec<Run>> = Side::ALL.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for turn in 0..Side::ALL.len() {
                let side = Side::ALL[(round + turn) % Side::ALL.len()];
                let base = (round * Side::ALL.len() + side as usize) as i64 * 10_000;
                runs[side as usize]
                    .push(run(side, &ledger, &server, clients, per_client, base).await);
            }
        }
        for side in Side::ALL {
            let mut rates: Vec<f64> = runs[side as usize].iter().map(Run::per_second).collect();
            let mut ratios: Vec<f64> = runs[side as usize]
                .iter()
                .zip(&runs[Side::Direct as usize])
                .map(|(run, direct)| direct.per_second() / run.per_second())
                .collect();
            let mut latencies: Vec<Duration> = runs[side as usize]
                .iter()
                .flat_map(|run| run.latencies.iter().copied())
                .collect();
            let (r1, r2, r3) = quartiles(&mut rates);
            let ratio = if side == Side::Direct {
                "1".to_owned()
            } else {
                let (q1, q2, q3) = quartiles(&mut ratios);
                format!("{q2:.3} ({q1:.3}-{q3:.3})")
            };
            println!(
                "| {} | {clients} | {r2:.0} ({r1:.0}-{r3:.0}) | {ratio} | {:.2} | {:.2} | {} |",
                side.label(),
                millis(&mut latencies, 0.50),
                millis(&mut latencies, 0.99),
                runs[side as usize]
                    .iter()
                    .map(|run| run.resubmitted)
                    .sum::<usize>(),
            );
        }
        Arc::into_inner(server)
            .expect("no request left")
            .stop()
            .await;
        schema.drop().await;
    }
}
