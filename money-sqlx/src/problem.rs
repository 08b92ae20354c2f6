//! [`Error`] as a web service answers it: RFC 9457 problem details
//! (feature `serde`). See [`money_core::problem`].
//!
//! | error | status | `type` |
//! |---|---|---|
//! | [`Error::Invalid`], [`Error::InvalidRows`], [`Error::Value`], [`Error::Check`], [`Error::NotNull`] | 422, one entry per broken rule | `invalid` |
//! | [`Error::UnknownConstraint`], [`Error::NumericOverflow`], [`Error::Encode`], [`Error::ForeignKeyUnnamed`], [`Error::ForeignKey`] with a missing referenced row, a foreign key violation left unmapped | 422 | `refused` |
//! | [`Error::ForeignKey`] on a row still referenced | 409 | `refused` |
//! | [`Error::Duplicate`] | 409 | `duplicate` |
//! | [`Error::Conflict`] (the retry budget is spent), a pool that timed out, [`Error::OutcomeUnknown`] (resubmit under the same key) | 503 with `retry_after` | `retry-exhausted` |
//! | [`Error::SchemaDrift`], [`Error::NoKey`], any other database error | 500 | `internal` |
//!
//! ```
//! use money_sqlx::{Error, money_core::problem::Problem};
//!
//! let problem = Problem::from(&Error::Database(sqlx::Error::PoolTimedOut));
//! assert_eq!((problem.status, problem.retry_after), (503, Some(1)));
//! ```

use money_core::problem::{self, FieldError, Problem};
use sqlx::error::ErrorKind;

use crate::Error;
use crate::error::ForeignKeyViolation;

/// Seconds a client is told to wait before trying again after a spent retry
/// budget or a busy pool.
pub const RETRY_AFTER_SECONDS: u64 = 1;

impl From<&Error> for Problem {
    fn from(error: &Error) -> Self {
        let refused = |detail: String| {
            Problem::new(
                422,
                problem::REFUSED,
                "The database refused the request",
                detail,
            )
        };
        match error {
            Error::Invalid(errors) => Problem::from(errors),
            Error::Value(error) => Problem::from(error),
            Error::InvalidRows { rows } => Problem::invalid(
                rows.iter()
                    .flat_map(|(index, errors)| {
                        errors.iter().map(move |broken| FieldError {
                            field: format!("{index}.{}", broken.field()),
                            ..FieldError::from(broken)
                        })
                    })
                    .collect(),
            ),
            Error::Check {
                field,
                rule,
                constraint,
                ..
            } => Problem::invalid(vec![FieldError::for_rule(field, *rule, Some(constraint))]),
            Error::NotNull { column, field, .. } => Problem::invalid(vec![FieldError {
                field: field.map_or_else(|| column.clone(), str::to_owned),
                rule: "not_null".to_owned(),
                limit: None,
                value: None,
                constraint: None,
                detail: "null is not allowed".to_owned(),
            }]),
            Error::UnknownConstraint { .. }
            | Error::NumericOverflow { .. }
            | Error::Encode(_)
            | Error::ForeignKeyUnnamed { .. }
            | Error::ForeignKey {
                violation: ForeignKeyViolation::MissingReferencedRow,
                ..
            } => refused(error.to_string()),
            Error::ForeignKey {
                violation: ForeignKeyViolation::StillReferenced,
                ..
            } => Problem::new(
                409,
                problem::REFUSED,
                "The row is still referenced",
                error.to_string(),
            ),
            Error::Duplicate { .. } => Problem::new(
                409,
                problem::DUPLICATE,
                "The key is already taken",
                error.to_string(),
            ),
            Error::Conflict { .. } => {
                Problem::retry_exhausted(error.to_string(), RETRY_AFTER_SECONDS)
            }
            // The database refused the row, but its message (in another
            // language than English) names no field we can read: a
            // duplicate is still a conflict, the rest a refusal, and the
            // detail says which field is unknown rather than guessing.
            Error::UnreadableMessage { number: 1062, .. } => Problem::new(
                409,
                problem::DUPLICATE,
                "The key is already taken",
                error.to_string(),
            ),
            Error::UnreadableMessage { .. } => refused(error.to_string()),
            Error::SchemaDrift { .. } | Error::NoKey { .. } => Problem::internal(error.to_string()),
            // The same answer as the ledger's: resubmitting under the same key resolves it.
            Error::OutcomeUnknown { .. } => {
                Problem::retry_exhausted(error.to_string(), RETRY_AFTER_SECONDS)
            }
            Error::Database(database) => match database {
                sqlx::Error::PoolTimedOut => {
                    Problem::retry_exhausted(error.to_string(), RETRY_AFTER_SECONDS)
                }
                sqlx::Error::Database(inner) if inner.kind() == ErrorKind::ForeignKeyViolation => {
                    refused(inner.message().to_owned())
                }
                _ => Problem::internal(error.to_string()),
            },
        }
    }
}
