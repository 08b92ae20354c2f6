//! The endpoints: see the [crate documentation](crate).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use money_core::problem::Problem;
use money_core::{Decimal, MoneyModel, json::canonical};
use money_ledger::{Conversion, Posted, Receipt};
use money_sqlx::Idempotent;
use serde_json::{Value, json};

use crate::body::read_model;
use crate::error::ApiError;
use crate::idempotency::{Answer, Success};
use crate::{Account, AppState, Transfer, idempotency, openapi};

/// The routes, without state.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(open_account))
        .route("/accounts/{id}", get(account))
        .route("/transfers", post(transfer))
        .route("/transfers/{id}", get(receipt))
        .route("/fx-transfers", post(fx_transfer))
        .route("/openapi.json", get(openapi_document))
}

/// The canonical JSON of a model read from a request: the idempotency
/// fingerprint.
fn fingerprint(model: &impl serde::Serialize) -> String {
    serde_json::to_string(model).unwrap_or_default()
}

async fn open_account(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (key, account) =
        match idempotency::key(&headers).and_then(|key| Ok((key, read_model::<Account>(&body)?))) {
            Ok(read) => read,
            Err(error) => return error.into_response(),
        };
    let store = state.store();
    // An account's row changes as money moves, so its answer is recorded.
    let success = Success::Record;
    idempotency::run(store, "POST /accounts", &key, &fingerprint(&account), success, || async {
        match store.open_account(&account).await? {
            Idempotent::Inserted(stored) | Idempotent::AlreadyExists(stored) => Ok(Answer {
                status: StatusCode::CREATED,
                body: json!(stored),
                replayed: false,
            }),
            Idempotent::Conflict { existing } => Err(Problem::new(
                409,
                money_core::problem::DUPLICATE,
                "The key is already taken",
                format!(
                    "account {} already exists with currency {} and an opening balance other than requested",
                    existing.id, existing.currency
                ),
            )
            .into()),
        }
    })
    .await
}

async fn account(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = match parse_id(&id) {
        Ok(id) => state.store().account(id).await.map(|found| (id, found)),
        Err(error) => Err(error),
    };
    match found {
        Ok((_, Some(account))) => (StatusCode::OK, axum_json(json!(account))).into_response(),
        Ok((id, None)) => not_found(format!("no account {id}")).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn transfer(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (key, request) = match idempotency::key(&headers)
        .and_then(|key| Ok((key, read_model::<Transfer>(&body)?)))
    {
        Ok(read) => read,
        Err(error) => return error.into_response(),
    };
    let store = state.store();
    idempotency::run(
        store,
        "POST /transfers",
        &key,
        &fingerprint(&request),
        Success::Rerun,
        || async { Ok(posted(store.transfer(&request).await?)) },
    )
    .await
}

async fn fx_transfer(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (key, request) = match idempotency::key(&headers)
        .and_then(|key| Ok((key, read_model::<Transfer>(&body)?)))
    {
        Ok(read) => read,
        Err(error) => return error.into_response(),
    };
    let store = state.store();
    let policy = &state.config().fx_policy;
    idempotency::run(
        store,
        "POST /fx-transfers",
        &key,
        &fingerprint(&request),
        Success::Rerun,
        || async { Ok(posted(store.fx_transfer(policy, &request).await?)) },
    )
    .await
}

/// A booked (or replayed) transfer's answer: its receipt.
fn posted(posted: Posted) -> Answer {
    Answer {
        status: StatusCode::CREATED,
        body: receipt_json(&posted.receipt),
        replayed: posted.replayed,
    }
}

async fn receipt(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = match parse_id(&id) {
        Ok(id) => state.store().receipt(id).await.map(|found| (id, found)),
        Err(error) => Err(error),
    };
    match found {
        Ok((_, Some(receipt))) => {
            (StatusCode::OK, axum_json(receipt_json(&receipt))).into_response()
        }
        Ok((id, None)) => not_found(format!("no transfer {id}")).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn openapi_document() -> Response {
    (StatusCode::OK, axum_json(openapi::document())).into_response()
}

fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::from(Problem::malformed(format!(
            "{text:?} is not an id: ids are 64-bit integers"
        )))
    })
}

fn not_found(detail: String) -> ApiError {
    Problem::new(404, "urn:money:problem:not-found", "Not found", detail).into()
}

fn axum_json(value: Value) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}

/// A receipt as JSON: the transfer and the entries in their models' JSON,
/// the conversion with its amounts as canonical strings at their declared
/// scales.
pub fn receipt_json(receipt: &Receipt) -> Value {
    let mut body = json!({
        "transfer": receipt.transfer,
        "entries": receipt.entries,
    });
    if let Some(conversion) = &receipt.conversion {
        body["conversion"] = conversion_json(conversion);
    }
    body
}

fn conversion_json(conversion: &Conversion) -> Value {
    let amount = |field: &str, value: Decimal| {
        let scale = Conversion::DEFINITION
            .column_of_field(field)
            .and_then(|column| column.money_spec())
            .map_or(value.scale(), |spec| spec.scale());
        canonical(value, scale).to_string()
    };
    json!({
        "rate_id": conversion.rate_id,
        "rate": amount("rate", conversion.rate),
        "rate_as_of": conversion.rate_as_of.to_string(),
        "priced_at": conversion.priced_at.to_string(),
        "source_amount": amount("source_amount", conversion.source_amount),
        "exact_amount": amount("exact_amount", conversion.exact_amount),
        "booked_amount": amount("booked_amount", conversion.booked_amount),
        "rounding_difference": amount("rounding_difference", conversion.rounding_difference),
    })
}
