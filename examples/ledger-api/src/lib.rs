//! The ledger ([`money_ledger`]) as an HTTP service: the models' own JSON
//! in (amounts as strings, read exactly and validated by the code
//! `#[money(serde)]` generates), RFC 9457 problem details out
//! ([`money_core::problem`]), an OpenAPI 3.1 document whose schemas are the
//! models' generated JSON Schemas.
//!
//! | endpoint | body | answer |
//! |---|---|---|
//! | `POST /accounts` | [`Account`] | 201 the account |
//! | `GET /accounts/{id}` | | 200 the account, its current balance |
//! | `POST /transfers` | [`Transfer`] | 201 the receipt: the transfer and its journal entries |
//! | `GET /transfers/{id}` | | 200 the receipt |
//! | `POST /fx-transfers` | [`Transfer`] | 201 the receipt with its conversion (PostgreSQL only) |
//! | `GET /openapi.json` | | 200 the OpenAPI 3.1 document |
//!
//! Every `POST` needs an `Idempotency-Key` header (400 without): the same
//! key with the same body answers what the first request was answered
//! (with `Idempotent-Replayed: true`), the same key with another body is a
//! 409. See [`idempotency`].
//!
//! Errors (see [`error`]): 400 for a body that is not JSON (with the line
//! and column), 422 with every broken rule whether the JSON reader,
//! `validate()` or the database refused the value, 409 for a reused key,
//! 503 with `Retry-After` when the transaction's retry budget is spent or
//! the request timed out. Bad input is never a 500.
//!
//! The service runs on PostgreSQL (the [`Ledger`]) or, without a database
//! server, on an in-memory SQLite database ([`store`]).
#![forbid(unsafe_code)]

pub mod body;
pub mod error;
pub mod idempotency;
pub mod openapi;
pub mod routes;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use money_core::problem::Problem;
pub use money_ledger::{Account, FxPolicy, Ledger, Transfer};
use tokio::net::TcpListener;

pub use error::ApiError;
pub use store::Store;

/// How the service behaves, beyond its database.
#[derive(Debug, Clone)]
pub struct Config {
    /// The longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// How cross-currency transfers are priced.
    pub fx_policy: FxPolicy,
}

impl Default for Config {
    /// A 10 s request timeout; rates up to 60 s old, no FX desk accounts.
    fn default() -> Self {
        Config {
            request_timeout: Duration::from_secs(10),
            fx_policy: FxPolicy::new(Duration::from_secs(60)),
        }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: Config,
}

impl AppState {
    /// The state of a service on `store`.
    pub fn new(store: Store, config: Config) -> Self {
        AppState {
            inner: Arc::new(Inner { store, config }),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// The service's routes, with the request timeout and a `tracing` span
/// per request.
pub fn router(state: AppState) -> Router {
    let timeout = state.config().request_timeout;
    routes::routes()
        .with_state(state)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            with_timeout(timeout, request, next)
        }))
        .layer(middleware::from_fn(log))
}

/// Answers 503 when the request takes longer than `timeout`. A write cut
/// off this way may or may not have been booked: resubmitting it with the
/// same `Idempotency-Key` tells which, and never books it twice.
async fn with_timeout(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Problem(Problem::retry_exhausted(
            format!(
                "the request took longer than {timeout:?}; resubmit it with the same Idempotency-Key to learn its outcome"
            ),
            1,
        ))
        .into_response(),
    }
}

/// One `tracing` event per request, with its outcome and duration.
async fn log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, elapsed_ms, "request");
    } else {
        tracing::info!(%method, %path, status, elapsed_ms, "request");
    }
    response
}

/// Serves `state` on `listener` until `shutdown` completes, then stops
/// taking connections and waits for the requests in flight (graceful
/// shutdown).
///
/// # Errors
///
/// The listener's I/O error.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
