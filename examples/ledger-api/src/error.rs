//! Every refusal as an RFC 9457 problem details response
//! (`application/problem+json`), with `Retry-After` when the problem says
//! when to try again.
//!
//! | ledger error | status |
//! |---|---|
//! | [`LedgerError::Invalid`], [`LedgerError::Currency`] (too many digits for the currency) | 422, one entry per broken rule |
//! | [`LedgerError::BelowMinimum`] (the database's CHECK refused the overdraft) | 422, the `min` rule, the constraint |
//! | [`LedgerError::SameAccount`], [`LedgerError::UnknownAccount`], [`LedgerError::CurrencyMismatch`], FX refusals | 422, `refused` |
//! | [`LedgerError::IdConflict`] (a `transfer_id` reused with another payload) | 409 |
//! | [`LedgerError::OutcomeUnknown`] | 503: resubmit with the same key |
//! | [`LedgerError::Database`] | as [`money_sqlx::Error`] says ([`money_sqlx::problem`]): 503 once the retry budget is spent |

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use money_core::problem::{self, FieldError, Problem};
use money_ledger::LedgerError;
use money_ledger::currency::CurrencyError;

/// A refusal, as the client will read it.
#[derive(Debug)]
pub enum ApiError {
    /// The problem to answer.
    Problem(Problem),
}

impl ApiError {
    /// The problem this error answers.
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::Problem(problem) => problem,
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError::Problem(problem)
    }
}

impl From<money_sqlx::Error> for ApiError {
    fn from(error: money_sqlx::Error) -> Self {
        ApiError::Problem(Problem::from(&error))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::from(money_sqlx::Error::from(error))
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> Self {
        ApiError::Problem(ledger_problem(&error))
    }
}

fn refused(detail: String) -> Problem {
    Problem::new(
        422,
        problem::REFUSED,
        "The ledger refused the request",
        detail,
    )
}

/// The problem a [`LedgerError`] answers: see the [module documentation](self).
pub fn ledger_problem(error: &LedgerError) -> Problem {
    match error {
        LedgerError::Invalid(errors) => Problem::from(errors),
        LedgerError::Currency(CurrencyError::TooPrecise {
            minor_units,
            amount,
            code,
            ..
        }) => Problem::invalid(vec![FieldError {
            field: "amount".to_owned(),
            rule: "minor_units".to_owned(),
            limit: Some(minor_units.to_string()),
            value: Some(amount.to_string()),
            constraint: None,
            detail: format!("{amount} has more digits after the point than {code}'s {minor_units}"),
        }]),
        LedgerError::BelowMinimum {
            minimum,
            constraint,
            ..
        } => Problem::invalid(vec![FieldError {
            field: "amount".to_owned(),
            rule: "min".to_owned(),
            limit: Some(minimum.to_string()),
            value: None,
            constraint: Some(constraint.clone()),
            detail: error.to_string(),
        }]),
        LedgerError::IdConflict { .. } => Problem::idempotency_conflict(error.to_string()),
        LedgerError::OutcomeUnknown { .. } => {
            Problem::retry_exhausted(error.to_string(), money_sqlx::problem::RETRY_AFTER_SECONDS)
        }
        LedgerError::Database(database) => Problem::from(database),
        // Refusals that are no field's rule.
        _ => refused(error.to_string()),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError::Problem(problem) = self;
        if problem.status >= 500 {
            tracing::warn!(status = problem.status, detail = %problem.detail, "problem");
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = problem.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
