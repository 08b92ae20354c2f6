//! Inserts, batch inserts and idempotent writes for every model, on every
//! database, built on the row impls `#[derive(MoneyModel)]` generates
//! (`SqlModel`, a validating `sqlx::FromRow`).

use std::any::TypeId;
use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use money_core::db::{MoneyDatabase, SqlModel};
use money_core::{Dialect, MoneyModel, Table, ddl};
use sqlx::error::ErrorKind;
use sqlx::{Acquire, Executor};
use tracing::Instrument;

use crate::bulk::{BulkLoad, IterStream};
use crate::driver::Driver;
use crate::error::{Error, map_error};
use crate::telemetry::operation_span;

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
/// parameters), on PostgreSQL, MariaDB/MySQL and SQLite alike. Each
/// validates first and maps database errors back to the model with
/// [`map_error`].
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
pub trait ModelExt: MoneyModel + Send + Sync + Unpin + Sized + 'static {
    /// Validates, then inserts every column.
    fn insert<'e, E>(&self, executor: E) -> impl Future<Output = Result<(), Error>> + Send
    where
        E: Executor<'e>,
        E::Database: Driver,
        Self: SqlModel<E::Database>,
    {
        async move {
            self.validate()?;
            let arguments = row_arguments::<E::Database, Self>(self)?;
            let sql = statement::<E::Database, Self>(Statement::Insert);
            sqlx::query_with(sql, arguments)
                .execute(executor)
                .await
                .map_err(|error| map_error(error, Some(self)))?;
            Ok(())
        }
        .instrument(operation_span(
            <E::Database as MoneyDatabase>::DIALECT,
            "INSERT",
            Self::TABLE,
        ))
    }

    /// Validates, inserts, and returns the row as stored (read back and
    /// validated: in round mode, with the rounded amounts). Uses `INSERT
    /// ... RETURNING`: PostgreSQL, SQLite 3.35+ and MariaDB 10.5+ have it,
    /// MySQL does not.
    fn insert_returning<'e, E>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Self, Error>> + Send
    where
        E: Executor<'e>,
        E::Database: Driver,
        Self: SqlModel<E::Database>,
    {
        async move {
            self.validate()?;
            let arguments = row_arguments::<E::Database, Self>(self)?;
            let sql = statement::<E::Database, Self>(Statement::InsertReturning);
            let row = sqlx::query_with(sql, arguments)
                .fetch_one(executor)
                .await
                .map_err(|error| map_error(error, Some(self)))?;
            Ok(Self::decode_row(&row)?)
        }
        .instrument(operation_span(
            <E::Database as MoneyDatabase>::DIALECT,
            "INSERT",
            Self::TABLE,
        ))
    }

    /// Validates every row, then inserts them all, atomically. Invalid rows
    /// are all reported, with their indexes, and nothing is sent.
    ///
    /// PostgreSQL takes them in one statement, `INSERT ... SELECT * FROM
    /// UNNEST($1, $2, ...)` with one array per column (field types must be
    /// `Clone`: the arrays own their values). MariaDB/MySQL and SQLite take
    /// multi-row `VALUES` statements of as many rows as their parameter
    /// limit allows, in one transaction (a savepoint when `acquire` is
    /// already in one). Returns the number of rows inserted.
    ///
    /// The rows are a slice, held in memory with their column arrays. For
    /// rows that come from an iterator or a `Stream`, with memory bounded
    /// whatever their number, use [`ModelExt::bulk_insert`] or
    /// [`ModelExt::bulk_insert_stream`]: the streaming path.
    fn insert_many<'a, A>(
        rows: &'a [Self],
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a> + Send + 'a,
        A::Database: Driver,
        Self: InsertMany<A::Database>,
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
            let mut statements = Self::batch_statements(rows)?;
            let map = |error| map_error::<Self>(error, None);
            if statements.len() == 1 {
                let (sql, arguments) = statements.remove(0);
                let mut connection = acquire.acquire().await?;
                <A::Database as Driver>::execute(&mut connection, sql, arguments)
                    .await
                    .map_err(map)?;
            } else {
                let mut transaction = acquire.begin().await?;
                for (sql, arguments) in statements {
                    <A::Database as Driver>::execute(&mut transaction, sql, arguments)
                        .await
                        .map_err(map)?;
                }
                transaction.commit().await?;
            }
            Ok(rows.len() as u64)
        }
        .instrument(operation_span(
            <A::Database as MoneyDatabase>::DIALECT,
            "INSERT",
            Self::TABLE,
        ))
    }

    /// Validates and stores every row of `rows` (any iterator of rows or
    /// of references to rows), the fastest way the database allows, with
    /// bounded memory; returns the number of rows stored. See
    /// [`ModelExt::bulk_insert_stream`], which this is on an iterator.
    fn bulk_insert<'a, A, I>(
        rows: I,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a> + Send + 'a,
        A::Database: Driver,
        Self: BulkLoad<A::Database>,
        I: IntoIterator,
        I::IntoIter: Send + Unpin + 'a,
        I::Item: Borrow<Self> + Send,
    {
        Self::bulk_load(IterStream(rows.into_iter()), acquire)
    }

    /// Validates and stores every row of a [`Stream`](futures_core::Stream)
    /// of rows (or of references to rows), with bounded memory; returns the
    /// number of rows stored.
    ///
    /// PostgreSQL: one binary `COPY ... FROM STDIN`, amounts written as
    /// binary `numeric` from the `Decimal`, sent in chunks of
    /// [`FLUSH_BYTES`](crate::bulk::FLUSH_BYTES). MariaDB/MySQL and SQLite:
    /// multi-row `INSERT` statements as large as the parameter limit
    /// allows, in one transaction. Either way all rows are stored or none.
    ///
    /// Every row is validated as it arrives. An invalid row stops the
    /// sending; the rest are still validated, and the load ends with
    /// [`Error::InvalidRows`] listing every invalid row by its index in the
    /// stream, as [`ModelExt::insert_many`] does, with nothing stored. The
    /// database still runs its CHECK constraints (`COPY` fires them): a
    /// violation is mapped to the field and rule like an insert's, without
    /// the value ([`Error::Check`]).
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
    /// // A million rows, made as they are sent: memory stays flat.
    /// let rows = (0..1_000_000).map(|id| Account { id, balance: Decimal::new(id, 2) });
    /// let stored = Account::bulk_insert(rows, &pool).await?;
    /// assert_eq!(stored, 1_000_000);
    /// # Ok(()) }
    /// ```
    fn bulk_insert_stream<'a, A, S>(
        rows: S,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a> + Send + 'a,
        A::Database: Driver,
        Self: BulkLoad<A::Database>,
        S: futures_core::Stream + Send + 'a,
        S::Item: Borrow<Self> + Send,
    {
        Self::bulk_load(rows, acquire)
    }

    /// Inserts unless a row with the same key exists; never an error for a
    /// plain duplicate. The key is the first `#[money(unique(...))]`, else the
    /// primary key. `acquire` is what `insert_many` takes: a pool
    /// (`&pool`: the statements may then run on two connections, which is
    /// fine, each sees what the other committed), a connection or an open
    /// transaction (`&mut connection`, `&mut transaction`).
    ///
    /// On PostgreSQL and SQLite this is `INSERT ... ON CONFLICT DO NOTHING
    /// RETURNING` (no conflict target: a concurrent writer of the same row
    /// may hit the primary key before the idempotency key), then, when
    /// nothing was inserted, a `SELECT` of the row stored under the key that
    /// also compares its payload in the database. On MariaDB/MySQL, which
    /// has no `ON CONFLICT DO NOTHING` (and whose `INSERT IGNORE` would also
    /// turn CHECK violations into warnings), it is a plain `INSERT`, and the
    /// same `SELECT` after a duplicate-key error (the error does not end a
    /// MariaDB transaction). PostgreSQL compares each value cast to its
    /// column's type (`1.20` equals `1.2000`, and in round mode a replay of
    /// `2.34565` equals the stored `2.3457`); MariaDB/MySQL and SQLite
    /// compare the values as bound, which are already as stored. When no row
    /// holds the key, the conflict was on another key: a plain insert then
    /// reports that duplicate, mapped. On MariaDB/MySQL, a row inserted by the
    /// `INSERT` but not found by the `SELECT` after it means the transaction
    /// was rolled back in between (a Galera brute-force abort): that is
    /// [`Error::Conflict`] (SQLSTATE `40001`), which
    /// [`transaction`](crate::transaction()) retries.
    ///
    /// Under REPEATABLE READ and SERIALIZABLE, PostgreSQL raises 40001
    /// instead of doing nothing when another transaction has just committed
    /// the same key: run it inside [`transaction`](crate::transaction()), which
    /// retries, and the retry sees the row.
    fn insert_idempotent<'a, A>(
        &'a self,
        acquire: A,
    ) -> impl Future<Output = Result<Idempotent<Self>, Error>> + Send + 'a
    where
        A: Acquire<'a> + Send + 'a,
        A::Database: Driver,
        Self: SqlModel<A::Database>,
    {
        async move {
            self.validate()?;
            let mut connection = acquire.acquire().await?;
            idempotent::<A::Database, Self>(self, &mut connection).await
        }
        .instrument(operation_span(
            <A::Database as MoneyDatabase>::DIALECT,
            "INSERT",
            Self::TABLE,
        ))
    }
}

impl<M> ModelExt for M where M: MoneyModel + Send + Sync + Unpin + Sized + 'static {}

/// A statement to run, with its arguments.
pub type Bound<DB> = (Cow<'static, str>, <DB as sqlx::Database>::Arguments);

/// How a database takes a batch of rows (see [`ModelExt::insert_many`]):
/// implemented for every model on every database.
pub trait InsertMany<DB: Driver>: SqlModel<DB> {
    /// The statements that insert `rows`, in order, with their arguments.
    #[doc(hidden)]
    fn batch_statements(rows: &[Self]) -> Result<Vec<Bound<DB>>, Error>;
}

#[cfg(feature = "postgres")]
impl<M> InsertMany<sqlx::Postgres> for M
where
    M: money_core::db::PgBatch + 'static,
{
    fn batch_statements(rows: &[Self]) -> Result<Vec<Bound<sqlx::Postgres>>, Error> {
        let mut arguments = sqlx::postgres::PgArguments::default();
        M::bind_column_arrays(rows, &mut arguments).map_err(Error::Encode)?;
        let sql = statement::<sqlx::Postgres, M>(Statement::InsertMany);
        Ok(vec![(Cow::Borrowed(sql), arguments)])
    }
}

#[cfg(feature = "mysql")]
impl<M: SqlModel<sqlx::MySql> + 'static> InsertMany<sqlx::MySql> for M {
    fn batch_statements(rows: &[Self]) -> Result<Vec<Bound<sqlx::MySql>>, Error> {
        values_batches(rows)
    }
}

#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
impl<M: SqlModel<sqlx::Sqlite> + 'static> InsertMany<sqlx::Sqlite> for M {
    fn batch_statements(rows: &[Self]) -> Result<Vec<Bound<sqlx::Sqlite>>, Error> {
        values_batches(rows)
    }
}

/// Multi-row `VALUES` statements of at most `DB::MAX_PARAMETERS` parameters.
#[cfg_attr(
    not(any(feature = "mysql", feature = "sqlite", feature = "sqlite-unbundled")),
    allow(dead_code)
)]
fn values_batches<DB: Driver, M: SqlModel<DB> + 'static>(
    rows: &[M],
) -> Result<Vec<Bound<DB>>, Error> {
    let width = M::DEFINITION.columns().len().max(1);
    let per_statement = (DB::MAX_PARAMETERS / width).max(1);
    let mut statements = Vec::with_capacity(rows.len().div_ceil(per_statement));
    for chunk in rows.chunks(per_statement) {
        let mut arguments = DB::Arguments::default();
        for row in chunk {
            row.bind_columns(&mut arguments).map_err(Error::Encode)?;
        }
        let sql = if chunk.len() == per_statement {
            Cow::Borrowed(statement::<DB, M>(Statement::InsertValues(per_statement)))
        } else {
            Cow::Owned(render(
                M::DEFINITION,
                DB::DIALECT,
                Statement::InsertValues(chunk.len()),
            ))
        };
        statements.push((sql, arguments));
    }
    Ok(statements)
}

async fn idempotent<DB: Driver, M: ModelExt + SqlModel<DB>>(
    row: &M,
    connection: &mut DB::Connection,
) -> Result<Idempotent<M>, Error> {
    if key_columns(M::DEFINITION).is_empty() {
        return Err(Error::NoKey {
            table: M::DEFINITION.name(),
        });
    }
    let map = |error| map_error(error, Some(row));
    let insert = statement::<DB, M>(Statement::IdempotentInsert);
    let select = || -> Result<(Cow<'static, str>, DB::Arguments), Error> {
        let mut arguments = row_arguments::<DB, M>(row)?;
        if DB::DIALECT == Dialect::MySql {
            // `?` placeholders cannot be reused: the key is bound again.
            for column in key_columns(M::DEFINITION) {
                let index = column_position(M::DEFINITION, column);
                row.bind_column(index, &mut arguments)
                    .map_err(Error::Encode)?;
            }
        }
        Ok((
            Cow::Borrowed(statement::<DB, M>(Statement::IdempotentSelect)),
            arguments,
        ))
    };
    let duplicate = if DB::DIALECT == Dialect::MySql {
        match DB::execute(
            connection,
            Cow::Borrowed(insert),
            row_arguments::<DB, M>(row)?,
        )
        .await
        {
            Ok(()) => None,
            Err(error) if is_unique_violation(&error) => Some(error),
            Err(error) => return Err(map(error)),
        }
    } else {
        let inserted = DB::fetch_optional(
            connection,
            Cow::Borrowed(insert),
            row_arguments::<DB, M>(row)?,
        )
        .await
        .map_err(map)?;
        if let Some(inserted) = inserted {
            return Ok(Idempotent::Inserted(M::decode_row(&inserted)?));
        }
        None
    };
    let (sql, arguments) = select()?;
    let existing = DB::fetch_optional(connection, sql, arguments)
        .await
        .map_err(map)?;
    let inserted_here = DB::DIALECT == Dialect::MySql && duplicate.is_none();
    let Some(existing) = existing else {
        if let Some(error) = duplicate {
            // Another unique key (or the primary key) conflicted.
            return Err(map(error));
        }
        if inserted_here {
            // The row this connection has just inserted is gone. Inside a
            // transaction nobody else can delete it (our insert holds its
            // lock), so the transaction was rolled back beneath us: a Galera
            // brute-force abort by a replicated write set is one way (seen in
            // `bank_galera`). In autocommit, another session deleted it in
            // between. Either way nothing of this attempt is left and running
            // it again is right: a conflict, which `transaction` retries.
            return Err(Error::Conflict {
                sqlstate: crate::SERIALIZATION_FAILURE.to_owned(),
                source: sqlx::Error::RowNotFound,
            });
        }
        // Another unique key (or the primary key) conflicted, or the row
        // went away in between: insert plainly and let the database say
        // which.
        let row_arguments = row_arguments::<DB, M>(row)?;
        let returning = statement::<DB, M>(Statement::InsertReturning);
        let inserted = DB::fetch_optional(connection, Cow::Borrowed(returning), row_arguments)
            .await
            .map_err(map)?;
        return match inserted {
            Some(inserted) => Ok(Idempotent::Inserted(M::decode_row(&inserted)?)),
            None => Err(Error::Database(sqlx::Error::RowNotFound)),
        };
    };
    let stored = M::decode_row(&existing)?;
    if inserted_here {
        return Ok(Idempotent::Inserted(stored));
    }
    Ok(if DB::same_payload(&existing)? {
        Idempotent::AlreadyExists(stored)
    } else {
        Idempotent::Conflict { existing: stored }
    })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|database| database.kind() == ErrorKind::UniqueViolation)
}

fn row_arguments<DB: Driver, M: SqlModel<DB>>(row: &M) -> Result<DB::Arguments, Error> {
    let mut arguments = DB::Arguments::default();
    row.bind_columns(&mut arguments).map_err(Error::Encode)?;
    Ok(arguments)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Statement {
    Insert,
    InsertReturning,
    /// PostgreSQL's `UNNEST` batch.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    InsertMany,
    InsertValues(usize),
    IdempotentInsert,
    IdempotentSelect,
    /// PostgreSQL's binary `COPY ... FROM STDIN`.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    CopyBinary,
}

/// The first unique key, else the primary key.
fn key_columns(table: &Table) -> Vec<&'static str> {
    match table.unique_keys().next() {
        Some(key) => key.columns.to_vec(),
        None => table.primary_key().map(|column| column.name()).collect(),
    }
}

/// The 0-based position of a column.
fn column_position(table: &Table, name: &str) -> usize {
    table
        .columns()
        .iter()
        .position(|column| column.name() == name)
        .unwrap_or(usize::MAX)
}

/// The SQL of a statement of model `M` on database `DB`, rendered once per
/// process and kept: `&'static str` is what sqlx's statement cache keys on,
/// with no allocation per call.
pub(crate) fn statement<DB: Driver, M: MoneyModel + 'static>(kind: Statement) -> &'static str {
    type Cache = HashMap<(TypeId, Dialect, Statement), &'static str>;
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (TypeId::of::<M>(), DB::DIALECT, kind);
    if let Some(sql) = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return sql;
    }
    let sql: &'static str = Box::leak(render(M::DEFINITION, DB::DIALECT, kind).into_boxed_str());
    cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key)
        .or_insert(sql)
}

pub(crate) fn render(table: &Table, dialect: Dialect, kind: Statement) -> String {
    let quote = |ident: &str| ddl::quote(dialect, ident);
    let columns = ddl::column_list(table, dialect);
    let width = table.columns().len();
    let placeholder = |index: usize| ddl::placeholder(dialect, index);
    match kind {
        Statement::Insert => ddl::insert_sql(table, dialect, false),
        Statement::InsertReturning => ddl::insert_sql(table, dialect, true),
        Statement::InsertMany => {
            let arrays: Vec<String> = (1..=width).map(placeholder).collect();
            format!(
                "INSERT INTO {} ({columns}) SELECT * FROM UNNEST({})",
                quote(table.name()),
                arrays.join(", ")
            )
        }
        Statement::InsertValues(rows) => {
            let tuples: Vec<String> = (0..rows)
                .map(|row| {
                    let parameters: Vec<String> = (1..=width)
                        .map(|column| placeholder(row * width + column))
                        .collect();
                    format!("({})", parameters.join(", "))
                })
                .collect();
            format!(
                "INSERT INTO {} ({columns}) VALUES {}",
                quote(table.name()),
                tuples.join(", ")
            )
        }
        Statement::CopyBinary => format!(
            "COPY {} ({columns}) FROM STDIN (FORMAT binary)",
            quote(table.name())
        ),
        Statement::IdempotentInsert if dialect == Dialect::MySql => {
            ddl::insert_sql(table, dialect, false)
        }
        Statement::IdempotentInsert => {
            format!(
                "{} ON CONFLICT DO NOTHING RETURNING {columns}",
                ddl::insert_sql(table, dialect, false)
            )
        }
        Statement::IdempotentSelect => {
            let keys = key_columns(table);
            // Every column is bound, in order, so parameter n is column n
            // (MariaDB/MySQL's `?` cannot be reused: it binds the key columns
            // again after them, and its placeholder has no number anyway).
            let conditions: Vec<String> = keys
                .iter()
                .map(|column| {
                    let parameter = placeholder(column_position(table, column) + 1);
                    format!("{} = {parameter}", quote(column))
                })
                .collect();
            let same = match dialect {
                Dialect::Postgres => {
                    let parameters: Vec<String> = table
                        .columns()
                        .iter()
                        .enumerate()
                        .map(|(index, column)| {
                            format!(
                                "CAST({} AS {})",
                                placeholder(index + 1),
                                ddl::column_type(column, dialect)
                            )
                        })
                        .collect();
                    format!(
                        "(ROW({columns}) IS NOT DISTINCT FROM ROW({}))",
                        parameters.join(", ")
                    )
                }
                _ => {
                    let operator = if dialect == Dialect::MySql {
                        "<=>"
                    } else {
                        "IS"
                    };
                    let comparisons: Vec<String> = table
                        .columns()
                        .iter()
                        .enumerate()
                        .map(|(index, column)| {
                            format!(
                                "{} {operator} {}",
                                quote(column.name()),
                                placeholder(index + 1)
                            )
                        })
                        .collect();
                    format!("({})", comparisons.join(" AND "))
                }
            };
            format!(
                "SELECT {columns}, {same} AS __same_payload FROM {} WHERE {}",
                quote(table.name()),
                conditions.join(" AND ")
            )
        }
    }
}
