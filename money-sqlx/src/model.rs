//! Inserts, batch inserts and idempotent writes for every model, built on
//! the row impls `#[derive(MoneyModel)]` generates (`PgModel`, a validating
//! `sqlx::FromRow`).

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use money_core::__private::pg::PgModel;
use money_core::{Dialect, MoneyModel, Table, ddl};
use sqlx::postgres::{PgArguments, PgConnection, PgRow, Postgres};
use sqlx::{Executor, Row};

use crate::error::{Error, map_error};

/// What [`ModelExt::insert_idempotent`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotent<M> {
    /// The row was new and is now stored.
    Inserted(M),
    /// A row with the same key and the same payload was already stored: the
    /// write had already happened. Not an error.
    AlreadyExists(M),
    /// A row with the same key but a different payload is stored (like
    /// TigerBeetle's `exists_with_different_*`): the caller reused a key.
    Conflict {
        /// The stored row.
        existing: M,
    },
}

impl<M> Idempotent<M> {
    /// Whether the stored row is the one written: `Inserted` or
    /// `AlreadyExists`.
    pub fn is_applied(&self) -> bool {
        !matches!(self, Idempotent::Conflict { .. })
    }
}

/// Inserts for every `#[derive(MoneyModel)]` struct (without generic
/// parameters). Each validates first and maps database errors back to the
/// model with [`map_error`].
///
/// ```no_run
/// use money_core::{Decimal, MoneyModel};
/// use money_sqlx::ModelExt;
///
/// #[derive(Debug, MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     #[money(primary_key)]
///     id: i64,
///     #[money(precision = 19, scale = 4, min = "0")]
///     balance: Decimal,
/// }
///
/// # async fn demo(pool: sqlx::PgPool) -> Result<(), money_sqlx::Error> {
/// let account = Account { id: 1, balance: Decimal::new(1250, 2) };
/// account.insert(&pool).await?;
/// let stored: Account = sqlx::query_as(r#"SELECT id, balance FROM accounts WHERE id = 1"#)
///     .fetch_one(&pool)
///     .await?;
/// # Ok(()) }
/// ```
pub trait ModelExt:
    PgModel + for<'r> sqlx::FromRow<'r, PgRow> + Send + Sync + Unpin + 'static
{
    /// Validates, then inserts every column.
    fn insert<'e, E>(&self, executor: E) -> impl Future<Output = Result<(), Error>> + Send
    where
        E: Executor<'e, Database = Postgres>,
    {
        async move {
            self.validate()?;
            let arguments = row_arguments(self)?;
            sqlx::query_with(statement::<Self>(Statement::Insert), arguments)
                .execute(executor)
                .await
                .map_err(|error| map_error(error, Some(self)))?;
            Ok(())
        }
    }

    /// Validates, inserts, and returns the row as stored (read back and
    /// validated: in round mode, with the rounded amounts).
    fn insert_returning<'e, E>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Self, Error>> + Send
    where
        E: Executor<'e, Database = Postgres>,
    {
        async move {
            self.validate()?;
            let arguments = row_arguments(self)?;
            sqlx::query_as_with(statement::<Self>(Statement::InsertReturning), arguments)
                .fetch_one(executor)
                .await
                .map_err(|error| map_error(error, Some(self)))
        }
    }

    /// Validates every row, then inserts them all in one statement
    /// (`INSERT ... SELECT * FROM UNNEST($1, $2, ...)`, one array per
    /// column). Invalid rows are all reported, with their indexes, and
    /// nothing is sent. Field types must be `Clone` (the arrays own their
    /// values).
    fn insert_many<'e, E>(
        rows: &[Self],
        executor: E,
    ) -> impl Future<Output = Result<u64, Error>> + Send
    where
        E: Executor<'e, Database = Postgres>,
    {
        async move {
            let invalid: Vec<_> = rows
                .iter()
                .enumerate()
                .filter_map(|(index, row)| row.validate().err().map(|errors| (index, errors)))
                .collect();
            if !invalid.is_empty() {
                return Err(Error::InvalidRows { rows: invalid });
            }
            if rows.is_empty() {
                return Ok(0);
            }
            let mut arguments = PgArguments::default();
            Self::bind_column_arrays(rows, &mut arguments).map_err(Error::Encode)?;
            let done = sqlx::query_with(statement::<Self>(Statement::InsertMany), arguments)
                .execute(executor)
                .await
                .map_err(|error| map_error::<Self>(error, None))?;
            Ok(done.rows_affected())
        }
    }

    /// Inserts unless a row with the same key exists; never an error for a
    /// plain duplicate. The key is the first `#[money(unique(...))]`, else the
    /// primary key.
    ///
    /// Under READ COMMITTED this is `INSERT ... ON CONFLICT DO NOTHING
    /// RETURNING` (no conflict target: a concurrent writer of the same row
    /// may hit the primary key before the idempotency key), then, when
    /// nothing was inserted, a `SELECT` of the row stored under the key that
    /// also compares its payload in the database, each value cast to its
    /// column's type first (`IS NOT DISTINCT FROM`, so `1.20` equals `1.2000`,
    /// and in round mode a replay of `2.34565` equals the stored `2.3457`).
    /// When no row holds the key, the conflict was on another key: a plain
    /// insert then reports that duplicate, mapped. Under REPEATABLE
    /// READ and SERIALIZABLE, PostgreSQL raises 40001 instead of doing
    /// nothing when another transaction has just committed the same key: run
    /// it inside [`transaction`](crate::transaction), which retries, and the
    /// retry sees the row.
    fn insert_idempotent<'c>(
        &'c self,
        connection: &'c mut PgConnection,
    ) -> impl Future<Output = Result<Idempotent<Self>, Error>> + Send + 'c {
        async move {
            self.validate()?;
            let statements = idempotent_statements::<Self>()?;
            let inserted: Option<Self> =
                sqlx::query_as_with(statements.insert, row_arguments(self)?)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(|error| map_error(error, Some(self)))?;
            if let Some(row) = inserted {
                return Ok(Idempotent::Inserted(row));
            }
            let existing: Option<PgRow> = sqlx::query_with(statements.select, row_arguments(self)?)
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| map_error(error, Some(self)))?;
            let Some(existing) = existing else {
                // Another unique key (or the primary key) conflicted, or the
                // row went away in between: insert plainly and let the
                // database say which.
                return self
                    .insert_returning(&mut *connection)
                    .await
                    .map(Idempotent::Inserted);
            };
            let same: bool = existing.try_get("__same_payload")?;
            let stored = Self::decode_row(&existing)?;
            Ok(if same {
                Idempotent::AlreadyExists(stored)
            } else {
                Idempotent::Conflict { existing: stored }
            })
        }
    }
}

impl<M> ModelExt for M where
    M: PgModel + for<'r> sqlx::FromRow<'r, PgRow> + Send + Sync + Unpin + 'static
{
}

fn row_arguments<M: PgModel>(row: &M) -> Result<PgArguments, Error> {
    let mut arguments = PgArguments::default();
    row.bind_columns(&mut arguments).map_err(Error::Encode)?;
    Ok(arguments)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Statement {
    Insert,
    InsertReturning,
    InsertMany,
    IdempotentInsert,
    IdempotentSelect,
}

struct IdempotentStatements {
    insert: &'static str,
    select: &'static str,
}

fn idempotent_statements<M: MoneyModel + 'static>() -> Result<IdempotentStatements, Error> {
    if key_columns(M::DEFINITION).is_empty() {
        return Err(Error::NoKey {
            table: M::DEFINITION.name(),
        });
    }
    Ok(IdempotentStatements {
        insert: statement::<M>(Statement::IdempotentInsert),
        select: statement::<M>(Statement::IdempotentSelect),
    })
}

/// The first unique key, else the primary key.
fn key_columns(table: &Table) -> Vec<&'static str> {
    match table.unique_keys().next() {
        Some(key) => key.columns.to_vec(),
        None => table.primary_key().map(|column| column.name()).collect(),
    }
}

/// The SQL of a statement of model `M`, rendered once per process and kept:
/// `&'static str` is what sqlx's statement cache keys on, with no
/// allocation per call.
fn statement<M: MoneyModel + 'static>(kind: Statement) -> &'static str {
    static CACHE: OnceLock<RwLock<HashMap<(TypeId, Statement), &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (TypeId::of::<M>(), kind);
    if let Some(sql) = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return sql;
    }
    let sql: &'static str = Box::leak(render(M::DEFINITION, kind).into_boxed_str());
    cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key)
        .or_insert(sql)
}

fn render(table: &Table, kind: Statement) -> String {
    let dialect = Dialect::Postgres;
    let quote = |ident: &str| ddl::quote(dialect, ident);
    let columns = ddl::column_list(table, dialect);
    match kind {
        Statement::Insert => ddl::insert_sql(table, dialect, false),
        Statement::InsertReturning => ddl::insert_sql(table, dialect, true),
        Statement::InsertMany => {
            let arrays: Vec<String> = (1..=table.columns().len())
                .map(|index| format!("${index}"))
                .collect();
            format!(
                "INSERT INTO {} ({columns}) SELECT * FROM UNNEST({})",
                quote(table.name()),
                arrays.join(", ")
            )
        }
        Statement::IdempotentInsert => {
            format!(
                "{} ON CONFLICT DO NOTHING RETURNING {columns}",
                ddl::insert_sql(table, dialect, false)
            )
        }
        Statement::IdempotentSelect => {
            // Every column is bound, in order, so `$n` is column n; the key
            // picks its own, and the payload compares them all.
            let position = |name: &str| {
                table
                    .columns()
                    .iter()
                    .position(|column| column.name() == name)
                    .map_or(0, |index| index + 1)
            };
            let conditions: Vec<String> = key_columns(table)
                .iter()
                .map(|column| format!("{} = ${}", quote(column), position(column)))
                .collect();
            let parameters: Vec<String> = table
                .columns()
                .iter()
                .enumerate()
                .map(|(index, column)| {
                    format!(
                        "CAST(${} AS {})",
                        index + 1,
                        ddl::column_type(column, dialect)
                    )
                })
                .collect();
            format!(
                "SELECT {columns}, (ROW({columns}) IS NOT DISTINCT FROM ROW({})) AS __same_payload FROM {} WHERE {}",
                parameters.join(", "),
                quote(table.name()),
                conditions.join(" AND ")
            )
        }
    }
}
