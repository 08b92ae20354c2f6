//! Refusals as a web service answers them: RFC 9457 problem details
//! (`application/problem+json`), with one entry per broken rule.
//!
//! ```
//! use money_core::{Decimal, MoneyModel, problem::Problem};
//!
//! #[derive(MoneyModel)]
//! #[money(table = "transfers")]
//! struct Transfer {
//!     #[money(precision = 19, scale = 4, min = "0.0001")]
//!     amount: Decimal,
//! }
//!
//! let errors = Transfer { amount: "-1.23456".parse().unwrap() }.validate().unwrap_err();
//! let problem = Problem::from(&errors);
//! assert_eq!(problem.status, 422);
//! let body = serde_json::to_value(&problem).unwrap();
//! assert_eq!(body["type"], "urn:money:problem:invalid");
//! assert_eq!(body["errors"][0]["field"], "amount");
//! assert_eq!(body["errors"][0]["rule"], "scale");
//! assert_eq!(body["errors"][0]["limit"], "4");
//! assert_eq!(body["errors"][0]["value"], "-1.23456");
//! assert_eq!(body["errors"][1]["rule"], "min");
//! assert_eq!(body["errors"][1]["limit"], "0.0001");
//! ```
//!
//! The `type` of each kind of problem is a URN (the constants below), so
//! that a client can match on it without the project owning a web page
//! for it. Fields are named as the Rust struct names them; a service whose
//! JSON renames fields passes its names through
//! [`Problem::rename_fields`].

use serde::{Deserialize, Serialize};

use crate::rules::Rule;
use crate::validate::{ValidationError, ValidationErrors};
use crate::value::ValueError;

/// `type` of a request whose values break the declaration's rules (422).
pub const INVALID: &str = "urn:money:problem:invalid";
/// `type` of a body that is not JSON, or not the expected shape (400).
pub const MALFORMED: &str = "urn:money:problem:malformed";
/// `type` of an idempotency key reused with another payload (409).
pub const IDEMPOTENCY_CONFLICT: &str = "urn:money:problem:idempotency-conflict";
/// `type` of a key that is already taken (409).
pub const DUPLICATE: &str = "urn:money:problem:duplicate";
/// `type` of a refusal by the database, or by the business rules, that is
/// no field's rule (422 or 409).
pub const REFUSED: &str = "urn:money:problem:refused";
/// `type` of a transaction that kept conflicting until its retry budget was
/// spent (503, with a retry hint).
pub const RETRY_EXHAUSTED: &str = "urn:money:problem:retry-exhausted";
/// `type` of something the server got wrong (500): never a bad request.
pub const INTERNAL: &str = "urn:money:problem:internal";

/// An RFC 9457 problem details body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What kind of problem: one of this module's constants.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind, the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
    /// Every broken rule, one entry each (empty for a problem that is no
    /// field's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds after which trying again may succeed (a service sends it as
    /// the `Retry-After` header too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One broken rule of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name in the JSON.
    pub field: String,
    /// The rule: a [`RuleKind`](crate::RuleKind) suffix (`digits`,
    /// `scale`, `minor_units`, `min`, `max`, `currency`), or, for a value
    /// that could not be read at all, `format`.
    pub rule: String,
    /// The rule's limit, as text: the most digits before the point
    /// (`digits`), after it (`scale`, `minor_units`), the bound (`min`,
    /// `max`); absent for `currency` and `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The value as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The database constraint that enforces the same rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// What is wrong, for people.
    pub detail: String,
}

impl Problem {
    /// A problem without field errors.
    pub fn new(
        status: u16,
        problem_type: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            problem_type: problem_type.to_owned(),
            title: title.into(),
            status,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 422: the request's values break these rules.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [only] => format!("{}: {}", only.field, only.detail),
            errors => format!("{} rules broken", errors.len()),
        };
        Problem {
            errors,
            ..Problem::new(
                422,
                INVALID,
                "The request breaks the declared rules",
                detail,
            )
        }
    }

    /// 400: the body is not JSON, or not of the expected shape.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Problem::new(400, MALFORMED, "The request is malformed", detail)
    }

    /// 409: an idempotency key already used with another payload.
    pub fn idempotency_conflict(detail: impl Into<String>) -> Self {
        Problem::new(
            409,
            IDEMPOTENCY_CONFLICT,
            "The idempotency key is already used by another request",
            detail,
        )
    }

    /// 503: the transaction kept conflicting with others until its retry
    /// budget was spent; trying again after `retry_after` seconds may
    /// succeed.
    pub fn retry_exhausted(detail: impl Into<String>, retry_after: u64) -> Self {
        Problem {
            retry_after: Some(retry_after),
            ..Problem::new(
                503,
                RETRY_EXHAUSTED,
                "The transaction kept conflicting with others; try again",
                detail,
            )
        }
    }

    /// 500: the server's own failure.
    pub fn internal(detail: impl Into<String>) -> Self {
        Problem::new(500, INTERNAL, "Internal error", detail)
    }

    /// Renames each error's field (a Rust field name) to the name the JSON
    /// gives it, for a model with `#[serde(rename...)]`.
    #[must_use]
    pub fn rename_fields(mut self, json_name: impl Fn(&str) -> Option<String>) -> Self {
        for error in &mut self.errors {
            if let Some(name) = json_name(&error.field) {
                error.field = name;
            }
        }
        self
    }
}

impl From<&ValidationErrors> for Problem {
    /// 422 with one entry per broken rule.
    fn from(errors: &ValidationErrors) -> Self {
        Problem::invalid(errors.iter().map(FieldError::from).collect())
    }
}

impl From<&ValueError> for Problem {
    /// 422 with the one broken rule, under the value type's name.
    fn from(error: &ValueError) -> Self {
        Problem::invalid(vec![FieldError::from(error)])
    }
}

impl FieldError {
    /// The entry of a rule broken by a value that is not at hand (a
    /// database refusal of a batch row, for instance).
    pub fn for_rule(field: &str, rule: Rule, constraint: Option<&str>) -> Self {
        FieldError {
            field: field.to_owned(),
            rule: rule.kind().suffix().to_owned(),
            limit: limit(rule, None),
            value: None,
            constraint: constraint.map(str::to_owned),
            detail: format!("must be {rule}"),
        }
    }
}

impl From<&ValidationError> for FieldError {
    fn from(error: &ValidationError) -> Self {
        FieldError {
            field: error.field().to_owned(),
            rule: error.rule_kind().suffix().to_owned(),
            limit: limit(error.rule(), error.code()),
            value: error
                .value()
                .map(|value| value.to_string())
                .or_else(|| error.code().map(str::to_owned)),
            constraint: Some(error.constraint().to_owned()),
            detail: error.message(),
        }
    }
}

impl From<&ValueError> for FieldError {
    fn from(error: &ValueError) -> Self {
        let (field, rule, limit_text, value) = match error {
            ValueError::Parse { type_name, .. } | ValueError::Stored { type_name, .. } => {
                (*type_name, "format".to_owned(), None, None)
            }
            ValueError::Broken {
                type_name,
                rule,
                value,
                ..
            } => (
                *type_name,
                rule.kind().suffix().to_owned(),
                limit(*rule, None),
                Some(value.to_string()),
            ),
        };
        FieldError {
            field: field.to_owned(),
            rule,
            limit: limit_text,
            value,
            constraint: None,
            detail: error.to_string(),
        }
    }
}

/// The limit of `rule` as a client reads it, in a row of currency `code`.
fn limit(rule: Rule, code: Option<&str>) -> Option<String> {
    match rule {
        Rule::Digits {
            precision, scale, ..
        } => Some((precision - scale).to_string()),
        Rule::Scale { scale } => Some(scale.to_string()),
        Rule::MinorUnits { scale, .. } => Some(
            crate::currency::minor_units_below(code, scale)
                .unwrap_or(scale)
                .to_string(),
        ),
        Rule::Min(bound) | Rule::Max(bound) => Some(bound.to_string()),
        Rule::Currency => None,
    }
}
