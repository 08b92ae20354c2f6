//! The `Idempotency-Key` header (the IETF httpapi draft; Stripe's
//! practice) on every write.
//!
//! - No key: 400. A key is 1 to 255 visible ASCII characters.
//! - The first request with a key records the key with the request's
//!   fingerprint (the model as the service read it, serialized
//!   canonically: `"1.5"` and `"1.50"` are the same amount), in one
//!   statement that also reads what the key already holds.
//! - The same key with the same body gets the first answer, with
//!   `Idempotent-Replayed: true`. Where it comes from depends on the
//!   operation ([`Success`]): a refusal (4xx) is always recorded under the
//!   key once answered, and replayed from there; a success is recorded
//!   too for an account, whose row changes later, but not for a transfer:
//!   a booked transfer is its own record (its rows never change, and its
//!   id is in the fingerprinted body), so the replay runs the transfer
//!   again, which writes nothing and returns the first receipt. That keeps
//!   the key's bookkeeping to one statement beside the transfer's own
//!   transaction. A 5xx is never recorded: it is worth retrying.
//! - While the first request is still in flight there is no answer to
//!   replay: the request runs too, and the operations below it are
//!   idempotent themselves (`insert_idempotent` on the transfer id and the
//!   account id), so it books nothing twice and gets the same answer.
//! - The same key with another body: 409.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use money_core::problem::Problem;
use serde_json::Value;

use crate::error::ApiError;
use crate::store::Store;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

const CLAIM: &str = r#"INSERT INTO "api_idempotency" ("scope", "key", "fingerprint")
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"#;
/// [`CLAIM`] and [`READ`] in one statement (PostgreSQL): the new row, or
/// the one already there. No row when the key's first insert committed
/// while this one waited on it, after this statement's snapshot: then
/// [`READ`] runs on its own.
const CLAIM_AND_READ: &str = r#"WITH "claimed" AS (
        INSERT INTO "api_idempotency" ("scope", "key", "fingerprint")
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
        RETURNING "fingerprint", "status", "body")
    SELECT "fingerprint", "status", "body" FROM "claimed"
    UNION ALL
    SELECT "fingerprint", "status", "body" FROM "api_idempotency"
    WHERE "scope" = $1 AND "key" = $2 AND NOT EXISTS (SELECT 1 FROM "claimed")"#;
const READ: &str = r#"SELECT "fingerprint", "status", "body" FROM "api_idempotency"
    WHERE "scope" = $1 AND "key" = $2"#;
const RECORD: &str = r#"UPDATE "api_idempotency" SET "status" = $3, "body" = $4
    WHERE "scope" = $1 AND "key" = $2 AND "status" IS NULL"#;

/// The request's key.
///
/// # Errors
///
/// 400 when it is missing or not 1 to 255 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Err(Problem::malformed(
            "a write needs an Idempotency-Key header: a unique value per request, such as a UUID; resubmit with the same key to learn the outcome",
        )
        .into());
    };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 => Ok(key.to_owned()),
        _ => Err(Problem::malformed(
            "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
        )
        .into()),
    }
}

type Recorded = (String, Option<i32>, Option<String>);

/// Where a replay of a successful answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// The answer is recorded under the key and replayed from there.
    Record,
    /// The operation is its own record: run again with the same body, it
    /// writes nothing and answers as the first time, saying so
    /// ([`Answer::replayed`]).
    Rerun,
}

/// A successful answer of an operation.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: Value,
    /// The operation found its own earlier outcome and wrote nothing.
    pub replayed: bool,
}

/// Runs `operation` under `key` in `scope`: see the [module
/// documentation](self). `fingerprint` identifies the request's body.
pub async fn run<F, Fut>(
    store: &Store,
    scope: &str,
    key: &str,
    fingerprint: &str,
    success: Success,
    operation: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, ApiError>>,
{
    match claim(store, scope, key, fingerprint).await {
        Err(error) => return error.into_response(),
        Ok((stored, _, _)) if stored != fingerprint => {
            return ApiError::from(Problem::idempotency_conflict(format!(
                "Idempotency-Key {key:?} was first used with another body: {stored}"
            )))
            .into_response();
        }
        Ok((_, Some(status), Some(body))) => return replay(status, body),
        Ok(_) => {}
    }
    let (status, text) = match operation().await {
        Ok(answer) if success == Success::Rerun => {
            return respond(answer.status, answer.body.to_string(), answer.replayed);
        }
        Ok(answer) => (answer.status, answer.body.to_string()),
        Err(error) => {
            let problem = error.problem();
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                return error.into_response();
            }
            (status, serde_json::to_string(problem).unwrap_or_default())
        }
    };
    if let Err(error) = record(store, scope, key, status, &text).await {
        // The answer stands; a replay will run the idempotent operation
        // again.
        tracing::warn!(%error, scope, key, "could not record an idempotent answer");
    }
    respond(status, text, false)
}

async fn claim(
    store: &Store,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Recorded, ApiError> {
    Ok(match store {
        Store::Postgres(ledger) => {
            let pool = ledger.pool();
            let claimed = sqlx::query_as(CLAIM_AND_READ)
                .bind(scope)
                .bind(key)
                .bind(fingerprint)
                .fetch_optional(pool)
                .await?;
            match claimed {
                Some(recorded) => recorded,
                None => {
                    sqlx::query_as(READ)
                        .bind(scope)
                        .bind(key)
                        .fetch_one(pool)
                        .await?
                }
            }
        }
        Store::Sqlite(pool) => {
            sqlx::query(CLAIM)
                .bind(scope)
                .bind(key)
                .bind(fingerprint)
                .execute(pool)
                .await?;
            sqlx::query_as(READ)
                .bind(scope)
                .bind(key)
                .fetch_one(pool)
                .await?
        }
    })
}

async fn record(
    store: &Store,
    scope: &str,
    key: &str,
    status: StatusCode,
    body: &str,
) -> Result<(), sqlx::Error> {
    let status = i32::from(status.as_u16());
    match store {
        Store::Postgres(ledger) => {
            sqlx::query(RECORD)
                .bind(scope)
                .bind(key)
                .bind(status)
                .bind(body)
                .execute(ledger.pool())
                .await?;
        }
        Store::Sqlite(pool) => {
            sqlx::query(RECORD)
                .bind(scope)
                .bind(key)
                .bind(status)
                .bind(body)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

fn replay(status: i32, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond(status, body, true)
}

fn respond(status: StatusCode, body: String, replayed: bool) -> Response {
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if replayed {
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}
