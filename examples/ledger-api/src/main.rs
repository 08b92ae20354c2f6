//! `cargo run -p money-ledger-api`: the ledger over HTTP.
//!
//! - `DATABASE_URL` set: PostgreSQL; the ledger's tables are created when
//!   `accounts` does not exist yet. Unset: an in-memory SQLite database.
//! - `BIND` (default `127.0.0.1:3000`): the address to listen on.
//! - `REQUEST_TIMEOUT_MS` (default 10000).
//! - `FX_DESKS` (like `EUR:900,USD:901`): the FX desk account of each
//!   currency; `FX_MAX_RATE_AGE_SECS` (default 60).
//! - `LOG` (default `info`): `error`, `warn`, `info`, `debug` or `trace`.
//!
//! Ctrl-C (or SIGTERM) stops taking connections and lets the requests in
//! flight finish.

use std::time::Duration;

use money_ledger_api::{AppState, Config, FxPolicy, Store, serve};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let level: tracing::Level = std::env::var("LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).init();

    let store = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(&url)
                .await?;
            let exists: bool = sqlx::query_scalar("SELECT to_regclass('accounts') IS NOT NULL")
                .fetch_one(&pool)
                .await?;
            Store::postgres(pool, !exists).await?
        }
        _ => Store::sqlite_in_memory().await?,
    };
    let mut fx_policy = FxPolicy::new(Duration::from_secs(env_number("FX_MAX_RATE_AGE_SECS", 60)));
    for desk in std::env::var("FX_DESKS").unwrap_or_default().split(',') {
        if let Some((currency, account)) = desk.split_once(':') {
            fx_policy = fx_policy.desk(currency.trim(), account.trim().parse()?);
        }
    }
    let config = Config {
        request_timeout: Duration::from_millis(env_number("REQUEST_TIMEOUT_MS", 10_000)),
        fx_policy,
    };
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&bind).await?;
    tracing::info!(address = %listener.local_addr()?, database = store.kind(), "listening");
    serve(listener, AppState::new(store, config), shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
