//! Spans and events in OpenTelemetry's database semantic conventions.
//!
//! Every insert of [`ModelExt`](crate::ModelExt) runs in an `INFO` span named
//! `{db.operation.name} {db.collection.name}` (`otel.name`, which
//! tracing-opentelemetry uses as the span's name) with `db.system.name`
//! (`postgresql`, `mysql`, `sqlite`; the driver cannot tell MariaDB from
//! MySQL), `db.operation.name` and `db.collection.name` (the table). When the
//! database refuses the statement, [`map_error`](crate::map_error) records on
//! the current span, if it declares them: `db.response.status_code` (the
//! SQLSTATE on PostgreSQL, the error number on MariaDB/MySQL, the extended
//! result code on SQLite), `error.type` (the kind of refusal, such as
//! `check_violation`), `money.field` and `money.constraint` (the model's field
//! and the constraint that refused it), and `otel.status_code = "ERROR"`. The
//! span of [`transaction`](crate::transaction()) declares the same fields.
//!
//! The event `map_error` emits is `DEBUG` for a refusal mapped to the model
//! (a rule, a NOT NULL, a duplicate key: the application's answer, not a
//! fault) and `WARN` for what needs an operator (a constraint the model does
//! not declare, schema drift, a message that cannot be read, any other
//! database error).

use money_core::Dialect;
use tracing::Span;
use tracing::field::Empty;

/// `db.system.name` for a dialect.
pub(crate) const fn system_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgresql",
        Dialect::MySql => "mysql",
        Dialect::Sqlite => "sqlite",
        // The conventions' value for a database they do not list.
        _ => "other_sql",
    }
}

/// The span of one operation on a model's table.
pub(crate) fn operation_span(
    dialect: Dialect,
    operation: &'static str,
    table: &'static str,
) -> Span {
    tracing::info_span!(
        "db",
        otel.name = %format_args!("{operation} {table}"),
        otel.status_code = Empty,
        db.system.name = system_name(dialect),
        db.operation.name = operation,
        db.collection.name = table,
        db.response.status_code = Empty,
        error.type = Empty,
        money.field = Empty,
        money.constraint = Empty,
    )
}

/// What a refusal says, for the current span and the event.
pub(crate) struct Refusal<'a> {
    pub system: Option<&'static str>,
    pub status_code: &'a str,
    pub error_type: &'a str,
    pub field: Option<&'a str>,
    pub constraint: Option<&'a str>,
    pub table: &'a str,
    /// A refusal mapped to the model (`DEBUG`), or one that needs an operator (`WARN`).
    pub mapped: bool,
}

/// Records `refusal` on the current span (fields it does not declare are
/// ignored) and emits the event.
pub(crate) fn record(refusal: &Refusal<'_>) {
    let span = Span::current();
    span.record("otel.status_code", "ERROR");
    span.record("db.response.status_code", refusal.status_code);
    span.record("error.type", refusal.error_type);
    if let Some(field) = refusal.field {
        span.record("money.field", field);
    }
    if let Some(constraint) = refusal.constraint {
        span.record("money.constraint", constraint);
    }
    let system = refusal.system.unwrap_or("");
    let field = refusal.field.unwrap_or("");
    let constraint = refusal.constraint.unwrap_or("");
    if refusal.mapped {
        tracing::debug!(
            db.system.name = system,
            db.response.status_code = refusal.status_code,
            error.type = refusal.error_type,
            db.collection.name = refusal.table,
            money.field = field,
            money.constraint = constraint,
            "the database refused the statement under a rule of the model"
        );
    } else {
        tracing::warn!(
            db.system.name = system,
            db.response.status_code = refusal.status_code,
            error.type = refusal.error_type,
            db.collection.name = refusal.table,
            money.field = field,
            money.constraint = constraint,
            "database error not mapped to the model"
        );
    }
}
