//! One error type that says what happened in the model's terms.
//!
//! | PostgreSQL | MariaDB/MySQL | SQLite | becomes |
//! |---|---|---|---|
//! | 23514 check_violation, on a constraint the model declares | 4025 (MariaDB), 3819 (MySQL) | `CHECK constraint failed: name` | [`Error::Invalid`] (the same [`ValidationError`](money_core::ValidationError)s `validate()` gives, when the row is at hand) or [`Error::Check`] (field and rule, when it is not) |
//! | 23514 on a constraint the model does not declare | the same | the same | [`Error::UnknownConstraint`] |
//! | 23514 on a declared constraint that the row passes in Rust | the same | the same | [`Error::SchemaDrift`] |
//! | 23502 not_null_violation | 1048 | `NOT NULL constraint failed` | [`Error::NotNull`], with the field |
//! | 23505 unique_violation | 1062 | `UNIQUE constraint failed` | [`Error::Duplicate`], with the key's columns |
//! | 23503 foreign_key_violation | 1452 (no referenced row), 1451 (row still referenced) | | [`Error::ForeignKey`], with the fields of the key when the model declares it |
//! | | | `FOREIGN KEY constraint failed` (787, or 1811 for `RESTRICT`) | [`Error::ForeignKeyUnnamed`]: SQLite names no constraint, so the key is not guessed |
//! | 22003 numeric_value_out_of_range | 1264 (SQLSTATE 22003) | | [`Error::NumericOverflow`]: PostgreSQL names no column |
//! | 40001, 40P01 | 1213 (SQLSTATE 40001) | | [`Error::Conflict`], retryable |
//! | the connection lost after `COMMIT` was sent ([`transaction`](crate::transaction())) | the same | | [`Error::OutcomeUnknown`] |
//! | anything else | | | [`Error::Database`], untouched |
//!
//! MariaDB, MySQL and SQLite name the constraint only in the message; it is
//! read from there. SQLite writes its messages in English only; MariaDB and
//! MySQL write them in the session's `lc_messages` language, and only
//! English is read. A message in another language that names nothing
//! readable becomes [`Error::UnreadableMessage`], never a guessed field, so
//! give MariaDB/MySQL connections English messages, for instance on every
//! connection of the pool (`MYSQL_ENGLISH_MESSAGES`, feature `mysql`):
//!
//! ```no_run
//! # #[cfg(feature = "mysql")]
//! # async fn pool() -> Result<sqlx::MySqlPool, sqlx::Error> {
//! use sqlx::Executor;
//!
//! let pool = sqlx::mysql::MySqlPoolOptions::new()
//!     .after_connect(|connection, _| {
//!         Box::pin(async move {
//!             connection.execute(money_sqlx::error::MYSQL_ENGLISH_MESSAGES).await?;
//!             Ok(())
//!         })
//!     })
//!     .connect("mysql://user@host/db")
//!     .await?;
//! # Ok(pool)
//! # }
//! ```
//!
//! (`no_run`: it needs a server; `tests/tests/mysql_localized.rs` runs the
//! same setup against MariaDB.) SQLite's round-mode `_scale` guard (an `INTEGER`-only
//! CHECK that no value Rust binds can break) maps like a scale rule.

use std::borrow::Cow;

use money_core::{Dialect, MoneyModel, Rule, Table, ValidationErrors};
use sqlx::error::ErrorKind;

use crate::driver::error_details;
use crate::retry::{RetryCause, Retryable};
use crate::telemetry::{self, Refusal};

/// The statement that gives a MariaDB/MySQL session English error messages,
/// which [`map_error`] reads: run it on every connection (see the module
/// documentation). Setting it on the server (`lc_messages = en_US` in its
/// configuration) does the same for every session that does not change it.
#[cfg(feature = "mysql")]
pub const MYSQL_ENGLISH_MESSAGES: &str = "SET SESSION lc_messages = 'en_US'";

/// What went wrong, in the model's terms.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Rules of the model are broken: found by `validate()` before anything
    /// was sent, or reported by the database through a generated CHECK and
    /// confirmed by `validate()` on the same row.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A money value type refused a value (`TryFrom<Decimal>`, `FromStr`,
    /// [`MoneyValue::new`](money_core::MoneyValue::new)), so that `?` works
    /// on it in code that returns this error.
    #[error(transparent)]
    Value(#[from] money_core::ValueError),
    /// Rows of a batch that break rules, each with its index in the batch.
    #[error("{}", InvalidRowsSummary(.rows))]
    InvalidRows {
        /// `(index, errors)` for every invalid row, in order.
        rows: Vec<(usize, ValidationErrors)>,
    },
    /// The database refused a value through a generated CHECK constraint,
    /// and the row is not at hand (a batch, or a statement the model did not
    /// build): the field and rule are known, the value is not.
    #[error(
        "{table}.{column} (field `{field}`): the database refused the value under constraint {constraint} ({rule})"
    )]
    Check {
        /// The table.
        table: &'static str,
        /// The Rust field.
        field: &'static str,
        /// The column.
        column: &'static str,
        /// The constraint's name.
        constraint: String,
        /// The rule it enforces.
        rule: Rule,
    },
    /// The database refused a value under a constraint the model declares,
    /// but the row passes that rule in Rust: the constraint in the database
    /// is not the one the model renders. Run the migration again.
    #[error(
        "the database refused `{field}` under constraint {constraint}, but the value passes the model's rule: the table's constraint differs from the declaration (schema drift)"
    )]
    SchemaDrift {
        /// The Rust field.
        field: &'static str,
        /// The constraint's name.
        constraint: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A CHECK constraint the model does not declare: mapping it to a field
    /// would be a guess.
    #[error(
        "check constraint {constraint} of table {table} is not declared by the model; it cannot be mapped to a field"
    )]
    UnknownConstraint {
        /// The table the database named.
        table: String,
        /// The constraint's name.
        constraint: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A NULL in a NOT NULL column.
    #[error("{table}.{column}{}: NULL is not allowed", field_note(.field))]
    NotNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The Rust field, when the column belongs to the model.
        field: Option<&'static str>,
    },
    /// A unique key or the primary key already holds these values.
    #[error("duplicate key: {constraint} on {table} ({})", .columns.join(", "))]
    Duplicate {
        /// The table.
        table: String,
        /// The key's constraint name.
        constraint: String,
        /// The key's columns, when the model declares the key; empty when it
        /// does not.
        columns: Vec<&'static str>,
    },
    /// A foreign key refused the statement: the referenced row does not
    /// exist (an insert or update of the referencing row), or it is still
    /// referenced (a delete or key update of the referenced row, under
    /// `RESTRICT`/`NO ACTION`).
    #[error(
        "foreign key {constraint} of {table}{}: {}",
        fields_note(.fields),
        match .violation {
            ForeignKeyViolation::MissingReferencedRow => "the referenced row does not exist",
            ForeignKeyViolation::StillReferenced => "the row is still referenced, so it cannot be deleted or its key changed",
        }
    )]
    ForeignKey {
        /// The referencing table (the one that declares the key).
        table: String,
        /// The key's constraint name.
        constraint: String,
        /// The key's fields, when the model given to [`map_error`] declares
        /// the key; empty when it does not (a delete on the referenced
        /// table, mapped with that table's model).
        fields: &'static [&'static str],
        /// Which side of the key the statement broke.
        violation: ForeignKeyViolation,
    },
    /// SQLite refused the statement under a foreign key, and its error
    /// (`FOREIGN KEY constraint failed`, extended code 787) names no
    /// constraint, table or column: which key it was is not guessed.
    #[error(
        "a foreign key refused the statement, and SQLite does not say which one (its error names no constraint, table or column): {message}"
    )]
    ForeignKeyUnnamed {
        /// The database's message.
        message: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// SQLSTATE 22003: a value does not fit its column's type. PostgreSQL's
    /// error names no column, so neither can this one.
    #[error(
        "numeric field overflow (SQLSTATE 22003): a value does not fit its column, and PostgreSQL does not say which: {message}"
    )]
    NumericOverflow {
        /// The database's message.
        message: String,
    },
    /// A serialization failure (40001) or deadlock (40P01): running the
    /// transaction again may succeed. [`transaction`](crate::transaction())
    /// does. Also, with `40001` and sqlx's `RowNotFound` as its source, an
    /// idempotent insert on MariaDB/MySQL whose transaction was rolled back
    /// between its `INSERT` and its read-back (see
    /// [`ModelExt::insert_idempotent`](crate::ModelExt::insert_idempotent)).
    /// Outside a transaction the same error means that the row was
    /// committed and another session deleted it before the read-back;
    /// running the insert again writes it anew.
    #[error("transaction conflict (SQLSTATE {sqlstate}); retry the transaction")]
    Conflict {
        /// `40001` or `40P01`.
        sqlstate: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A value could not be bound.
    #[error("could not encode a value: {0}")]
    Encode(#[source] sqlx::error::BoxDynError),
    /// An idempotent write needs a key: `#[money(unique(...))]` or a
    /// `primary_key`.
    #[error(
        "table {table} declares no unique key and no primary key: an idempotent insert needs one"
    )]
    NoKey {
        /// The table.
        table: &'static str,
    },
    /// MariaDB/MySQL reported a CHECK, NOT NULL or duplicate-key violation
    /// in a message money-sqlx cannot read. Those servers name the constraint
    /// or column only in the message, in the session's `lc_messages`
    /// language, and only English is read: nothing is guessed, so no field is
    /// named. Run [`MYSQL_ENGLISH_MESSAGES`]
    /// on each connection (the module documentation shows the
    /// `after_connect` line).
    #[error(
        "MariaDB/MySQL error {number} cannot be mapped to a field: its message is not in English (run `SET SESSION lc_messages = 'en_US'` on the connection): {message}"
    )]
    UnreadableMessage {
        /// The server's error number (4025, 3819, 1048 or 1062).
        number: u16,
        /// The message, as the server wrote it.
        message: String,
        /// The error.
        source: sqlx::Error,
    },
    /// [`transaction`](crate::transaction()) sent `COMMIT` and never got its answer: the
    /// connection died, or the server ended the session. The transaction may or may not have
    /// committed, so it was not retried; resubmit the same request under the same idempotency
    /// key to learn which.
    #[error(
        "outcome unknown: the connection failed after COMMIT was sent ({source}); resubmit the same request under the same idempotency key to learn whether it committed"
    )]
    OutcomeUnknown {
        /// The error at `COMMIT`.
        #[source]
        source: sqlx::Error,
    },
    /// Any other error, untouched.
    #[error(transparent)]
    Database(sqlx::Error),
}

/// Which side of a foreign key a statement broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignKeyViolation {
    /// The referencing row names a row that does not exist (PostgreSQL
    /// `insert or update on table ...`, MariaDB/MySQL 1452).
    MissingReferencedRow,
    /// The referenced row is still referenced (PostgreSQL `update or delete
    /// on table ...`, MariaDB/MySQL 1451).
    StillReferenced,
}

fn fields_note(fields: &&'static [&'static str]) -> String {
    if fields.is_empty() {
        String::new()
    } else {
        format!(" (fields {})", fields.join(", "))
    }
}

fn field_note(field: &Option<&'static str>) -> String {
    field
        .map(|field| format!(" (field `{field}`)"))
        .unwrap_or_default()
}

impl From<sqlx::Error> for Error {
    /// Maps SQLSTATEs that need no model (22003, 40001, 40P01); everything
    /// else stays [`Error::Database`]. Use [`map_error`] when the model is
    /// known.
    fn from(error: sqlx::Error) -> Self {
        match sqlstate(&error).as_deref() {
            Some(code @ ("40001" | "40P01")) => Error::Conflict {
                sqlstate: code.to_owned(),
                source: error,
            },
            Some("22003") => Error::NumericOverflow {
                message: error
                    .as_database_error()
                    .map(|database| database.message().to_owned())
                    .unwrap_or_default(),
            },
            _ => Error::Database(error),
        }
    }
}

impl Retryable for Error {
    fn is_retryable(&self) -> bool {
        match self {
            Error::Conflict { .. } => true,
            Error::Database(error) => error.is_retryable(),
            _ => false,
        }
    }

    fn retry_cause(&self) -> Option<RetryCause> {
        match self {
            Error::Conflict { .. } => Some(RetryCause::Conflict),
            Error::Database(error) => RetryCause::of(error),
            _ => None,
        }
    }

    fn commit_outcome_unknown(cause: sqlx::Error) -> Self {
        Error::OutcomeUnknown { source: cause }
    }

    fn sqlstate(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Conflict { sqlstate, .. } => Some(Cow::Borrowed(sqlstate)),
            Error::Database(error) | Error::OutcomeUnknown { source: error } => sqlstate(error),
            Error::NumericOverflow { .. } => Some(Cow::Borrowed("22003")),
            Error::UnreadableMessage { source, .. } => sqlstate(source),
            _ => None,
        }
    }
}

fn sqlstate(error: &sqlx::Error) -> Option<Cow<'_, str>> {
    error
        .as_database_error()
        .and_then(|database| database.code())
}

/// SQLite's whole message for a foreign key violation, with extended code
/// 787 (`SQLITE_CONSTRAINT_FOREIGNKEY`) or, for a `RESTRICT` action, 1811
/// (`SQLITE_CONSTRAINT_TRIGGER`).
const SQLITE_FOREIGN_KEY_FAILED: &str = "FOREIGN KEY constraint failed";

/// Maps a database error of a statement on `M`'s table back to the model:
/// see the table in the [module documentation](self). `row` is the row the
/// statement wrote, when there was one: then a CHECK violation becomes the
/// very errors `row.validate()` reports.
pub fn map_error<M: MoneyModel>(error: sqlx::Error, row: Option<&M>) -> Error {
    let table = M::DEFINITION;
    let Some(database) = error.as_database_error() else {
        return Error::from(error);
    };
    let code = database.code().map(Cow::into_owned).unwrap_or_default();
    let (dialect, details) = error_details(database);
    let status_code = details.status_code.clone().unwrap_or(code);
    let mapped = map_database_error(error, row, dialect, details);
    let (error_type, field, constraint, answer) = describe(&mapped, table, &status_code);
    telemetry::record(&Refusal {
        system: dialect.map(telemetry::system_name),
        status_code: &status_code,
        error_type: &error_type,
        field: field.as_deref(),
        constraint: constraint.as_deref(),
        table: table.name(),
        mapped: answer,
    });
    mapped
}

/// For the traces: `error.type`, the field(s), the constraint, and whether
/// the error is the model's answer (a refusal mapped to it) rather than a
/// fault. One arm per variant.
fn describe(
    error: &Error,
    table: &'static Table,
    status_code: &str,
) -> (String, Option<String>, Option<String>, bool) {
    let text = |text: &str| Some(text.to_owned());
    match error {
        Error::Invalid(errors) => {
            let first = errors.iter().next();
            (
                "check_violation".to_owned(),
                first.and_then(|error| text(error.field())),
                first.and_then(|error| text(error.constraint())),
                true,
            )
        }
        Error::Check {
            field, constraint, ..
        } => (
            "check_violation".to_owned(),
            text(field),
            text(constraint),
            true,
        ),
        Error::SchemaDrift {
            field, constraint, ..
        } => (
            "schema_drift".to_owned(),
            text(field),
            text(constraint),
            false,
        ),
        Error::UnknownConstraint { constraint, .. } => (
            "unknown_constraint".to_owned(),
            None,
            text(constraint),
            false,
        ),
        Error::NotNull { field, .. } => (
            "not_null_violation".to_owned(),
            field.map(str::to_owned),
            None,
            field.is_some(),
        ),
        Error::Duplicate {
            constraint,
            columns,
            ..
        } => {
            let fields: Vec<&str> = columns
                .iter()
                .map(|column| table.column(column).map_or(*column, |found| found.field()))
                .collect();
            (
                "unique_violation".to_owned(),
                (!fields.is_empty()).then(|| fields.join(",")),
                text(constraint),
                !columns.is_empty(),
            )
        }
        Error::ForeignKey {
            constraint, fields, ..
        } => (
            "foreign_key_violation".to_owned(),
            (!fields.is_empty()).then(|| fields.join(",")),
            text(constraint),
            true,
        ),
        Error::ForeignKeyUnnamed { .. } => ("foreign_key_violation".to_owned(), None, None, true),
        // Retried by `transaction`, which reports the retries.
        Error::Conflict { .. } => ("serialization_failure".to_owned(), None, None, true),
        Error::UnreadableMessage { .. } => ("unreadable_message".to_owned(), None, None, false),
        Error::OutcomeUnknown { .. } => ("outcome_unknown".to_owned(), None, None, false),
        // A value type refused a value before anything was sent.
        Error::Value(_) => ("invalid_value".to_owned(), None, None, true),
        Error::NumericOverflow { .. }
        | Error::Database(_)
        | Error::InvalidRows { .. }
        | Error::Encode(_)
        | Error::NoKey { .. } => (status_code.to_owned(), None, None, false),
    }
}

/// [`map_error`] without the traces.
fn map_database_error<M: MoneyModel>(
    error: sqlx::Error,
    row: Option<&M>,
    dialect: Option<Dialect>,
    details: crate::driver::ErrorDetails,
) -> Error {
    let table = M::DEFINITION;
    let Some(database) = error.as_database_error() else {
        return Error::from(error);
    };
    // SQLite raises a RESTRICT key's refusal as SQLITE_CONSTRAINT_TRIGGER
    // (1811), which sqlx does not count as a foreign key violation; the
    // message is the same as for 787 (SQLITE_CONSTRAINT_FOREIGNKEY).
    let kind =
        if dialect == Some(Dialect::Sqlite) && database.message() == SQLITE_FOREIGN_KEY_FAILED {
            ErrorKind::ForeignKeyViolation
        } else {
            database.kind()
        };
    if let Some(number) = details.unreadable {
        return Error::UnreadableMessage {
            number,
            message: database.message().to_owned(),
            source: error,
        };
    }
    // MySQL's 3819 and SQLite's messages name no table: the constraint's
    // name, which starts with the table's, is then what decides.
    let ours = details
        .table
        .as_deref()
        .is_none_or(|name| name.eq_ignore_ascii_case(table.name()));
    let error_table = details.table.clone();
    match (kind, details.constraint) {
        (ErrorKind::CheckViolation, Some(constraint)) if ours => {
            map_check(error, table, dialect, constraint, row)
        }
        (ErrorKind::CheckViolation, Some(constraint)) => Error::UnknownConstraint {
            table: error_table.unwrap_or_default(),
            constraint,
            source: error,
        },
        (ErrorKind::ForeignKeyViolation, Some(constraint)) => {
            // PostgreSQL: `update or delete on table ...` when the
            // referenced row was the one changed; MariaDB/MySQL: 1451.
            let message = database.message();
            let still_referenced = message.starts_with("update or delete on table")
                || message.starts_with("Cannot delete or update a parent row");
            let violation = if still_referenced {
                ForeignKeyViolation::StillReferenced
            } else {
                ForeignKeyViolation::MissingReferencedRow
            };
            let fields = ours
                .then(|| table.find_foreign_key(&constraint))
                .flatten()
                .map_or(&[][..], |key| key.fields);
            Error::ForeignKey {
                table: error_table.unwrap_or_else(|| table.name().to_owned()),
                constraint,
                fields,
                violation,
            }
        }
        (ErrorKind::ForeignKeyViolation, None) => Error::ForeignKeyUnnamed {
            message: database.message().to_owned(),
            source: error,
        },
        (ErrorKind::NotNullViolation, _) => {
            let column = details.columns.into_iter().next().unwrap_or_default();
            let field = ours
                .then(|| table.column(&column))
                .flatten()
                .map(|column| column.field());
            Error::NotNull {
                table: error_table.unwrap_or_else(|| table.name().to_owned()),
                column,
                field,
            }
        }
        (ErrorKind::UniqueViolation, constraint) => {
            let primary: Vec<&'static str> =
                table.primary_key().map(|column| column.name()).collect();
            let key = if !ours {
                None
            } else if let Some(constraint) = &constraint {
                // MariaDB/MySQL name the primary key `PRIMARY`.
                if *constraint == table.primary_key_name() || constraint == "PRIMARY" {
                    Some((table.primary_key_name(), primary))
                } else {
                    table
                        .unique_keys()
                        .find(|key| key.name == *constraint)
                        .map(|key| (key.name, key.columns.to_vec()))
                }
            } else {
                // SQLite names the columns, not the constraint.
                let named = |columns: &[&str]| {
                    columns.len() == details.columns.len()
                        && columns
                            .iter()
                            .all(|column| details.columns.iter().any(|c| c == column))
                };
                if !primary.is_empty() && named(&primary) {
                    Some((table.primary_key_name(), primary))
                } else {
                    table
                        .unique_keys()
                        .find(|key| named(key.columns))
                        .map(|key| (key.name, key.columns.to_vec()))
                }
            };
            let (constraint, columns) = match key {
                Some((name, columns)) => (name, columns),
                None => (
                    constraint.unwrap_or_else(|| details.columns.join(", ")),
                    Vec::new(),
                ),
            };
            Error::Duplicate {
                table: error_table.unwrap_or_else(|| table.name().to_owned()),
                constraint,
                columns,
            }
        }
        _ => Error::from(error),
    }
}

fn map_check<M: MoneyModel>(
    error: sqlx::Error,
    table: &'static Table,
    dialect: Option<Dialect>,
    constraint: String,
    row: Option<&M>,
) -> Error {
    // SQLite's round-mode `_scale` CHECK is a guard, not one of the rules.
    let found = table
        .find_constraint(&constraint)
        .or_else(|| dialect.and_then(|dialect| table.find_guard(dialect, &constraint)));
    let Some(found) = found else {
        return Error::UnknownConstraint {
            table: table.name().to_owned(),
            constraint,
            source: error,
        };
    };
    let field = found.column.field();
    match row.map(MoneyModel::validate) {
        Some(Err(errors))
            if errors
                .iter()
                .any(|broken| broken.constraint() == constraint) =>
        {
            Error::Invalid(errors)
        }
        Some(_) => Error::SchemaDrift {
            field,
            constraint,
            source: error,
        },
        None => Error::Check {
            table: table.name(),
            field,
            column: found.column.name(),
            constraint,
            rule: found.rule,
        },
    }
}

/// `InvalidRows`'s message: the count and the first row. The variant's field
/// is public, so an empty list must format too, without panicking.
struct InvalidRowsSummary<'a>(&'a [(usize, ValidationErrors)]);

impl std::fmt::Display for InvalidRowsSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.first() {
            Some((index, errors)) => write!(
                f,
                "{} invalid row(s) in the batch, first: row {index}: {errors}",
                self.0.len()
            ),
            None => f.write_str("a batch reported as invalid, with no invalid row listed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn invalid_rows_with_no_row_formats_without_panicking() {
        let error = Error::InvalidRows { rows: Vec::new() };
        assert_eq!(
            error.to_string(),
            "a batch reported as invalid, with no invalid row listed"
        );
    }
}
