//! Validated bulk loads that keep memory bounded: [`BulkLoad`], behind
//! [`ModelExt::bulk_insert`](crate::ModelExt::bulk_insert) and
//! [`ModelExt::bulk_insert_stream`](crate::ModelExt::bulk_insert_stream).
//!
//! - PostgreSQL: one `COPY "table" (...) FROM STDIN (FORMAT binary)`. Each
//!   row is written in the binary `COPY` form into a buffer of
//!   [`FLUSH_BYTES`], sent when it fills: amounts as binary `numeric`
//!   straight from the `Decimal`
//!   ([`encode_numeric_binary`](money_core::pg::encode_numeric_binary)),
//!   other columns as their binary sqlx bind. `COPY` fires the CHECK
//!   constraints, NOT NULL and unique keys like `INSERT`, and is one
//!   statement: it stores every row or none.
//! - MariaDB/MySQL and SQLite: multi-row `INSERT ... VALUES` statements of
//!   as many rows as the parameter limit allows, bound as the rows arrive,
//!   in one transaction (a savepoint when the connection is already in
//!   one).
//!
//! Every row is validated as it arrives; from the first invalid row on,
//! nothing more is sent, the remaining rows are still validated, and the
//! load ends with every invalid row by index
//! ([`Error::InvalidRows`]) after the `COPY` is aborted or the
//! transaction rolled back: nothing is written. Memory is one buffer (or
//! one statement's arguments) and the row being read, whatever the number
//! of rows.

use std::borrow::{Borrow, Cow};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use futures_core::Stream;
use money_core::MoneyModel;
use money_core::db::SqlModel;
use sqlx::Acquire;

use crate::driver::Driver;
use crate::error::{Error, map_error};
use crate::model::{Statement, render, statement};

/// Bytes of `COPY` data the PostgreSQL load gathers before sending them.
pub const FLUSH_BYTES: usize = 256 * 1024;

/// How a database takes a bulk load (see
/// [`ModelExt::bulk_insert_stream`](crate::ModelExt::bulk_insert_stream)):
/// implemented for every model on MariaDB/MySQL and SQLite, and on
/// PostgreSQL for every model whose field types have a binary encoding
/// with a built-in type.
pub trait BulkLoad<DB: Driver>: SqlModel<DB> + MoneyModel + Send + Sync + 'static {
    /// Loads the rows of `rows` through `acquire`; the number of rows
    /// stored.
    #[doc(hidden)]
    fn bulk_load<'a, A, S>(
        rows: S,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a, Database = DB> + Send + 'a,
        S: Stream + Send + 'a,
        S::Item: Borrow<Self> + Send;
}

/// An iterator as a [`Stream`] that is always ready.
pub(crate) struct IterStream<I>(pub(crate) I);

impl<I: Iterator + Unpin> Stream for IterStream<I> {
    type Item = I::Item;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
        Poll::Ready(self.get_mut().0.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// The binary `COPY` signature, flags and header extension length.
#[cfg(feature = "postgres")]
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The binary `COPY` trailer: a field count of -1.
#[cfg(feature = "postgres")]
const COPY_TRAILER: &[u8] = &[0xff, 0xff];

#[cfg(feature = "postgres")]
impl<M> BulkLoad<sqlx::Postgres> for M
where
    M: money_core::db::PgCopy + MoneyModel + Send + Sync + 'static,
{
    // The trait promises a `Send` future; written out so that the impl
    // says the same.
    #[allow(clippy::manual_async_fn)]
    fn bulk_load<'a, A, S>(
        rows: S,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a, Database = sqlx::Postgres> + Send + 'a,
        S: Stream + Send + 'a,
        S::Item: Borrow<Self> + Send,
    {
        async move {
            let map = |error| map_error::<M>(error, None);
            let mut connection = acquire.acquire().await?;
            let sql = statement::<sqlx::Postgres, M>(Statement::CopyBinary);
            let mut copy = connection.copy_in_raw(sql).await.map_err(map)?;
            let mut buffer = sqlx::postgres::PgArgumentBuffer::default();
            buffer.reserve(FLUSH_BYTES + 1024);
            buffer.extend_from_slice(COPY_HEADER);
            let mut rows = pin!(rows);
            let mut invalid = Vec::new();
            let mut index = 0_usize;
            while let Some(item) = poll_fn(|context| rows.as_mut().poll_next(context)).await {
                let row: &M = item.borrow();
                match row.validate() {
                    Err(errors) => invalid.push((index, errors)),
                    Ok(()) if invalid.is_empty() => {
                        if let Err(error) = row.write_copy_row(&mut buffer) {
                            // The server discards everything; its answer adds nothing.
                            let _ = copy.abort("a row could not be encoded").await;
                            return Err(Error::Encode(error));
                        }
                    }
                    Ok(()) => {}
                }
                index += 1;
                if buffer.len() >= FLUSH_BYTES && invalid.is_empty() {
                    copy.send(&buffer[..]).await.map_err(map)?;
                    buffer.clear();
                }
            }
            if !invalid.is_empty() {
                let _ = copy.abort("invalid rows: nothing is loaded").await;
                return Err(Error::InvalidRows { rows: invalid });
            }
            buffer.extend_from_slice(COPY_TRAILER);
            copy.send(&buffer[..]).await.map_err(map)?;
            copy.finish().await.map_err(map)
        }
    }
}

#[cfg(feature = "mysql")]
impl<M: SqlModel<sqlx::MySql> + MoneyModel + Send + Sync + 'static> BulkLoad<sqlx::MySql> for M {
    fn bulk_load<'a, A, S>(
        rows: S,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a, Database = sqlx::MySql> + Send + 'a,
        S: Stream + Send + 'a,
        S::Item: Borrow<Self> + Send,
    {
        values_load::<sqlx::MySql, M, A, S>(rows, acquire)
    }
}

#[cfg(any(feature = "sqlite", feature = "sqlite-unbundled"))]
impl<M: SqlModel<sqlx::Sqlite> + MoneyModel + Send + Sync + 'static> BulkLoad<sqlx::Sqlite> for M {
    fn bulk_load<'a, A, S>(
        rows: S,
        acquire: A,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a
    where
        A: Acquire<'a, Database = sqlx::Sqlite> + Send + 'a,
        S: Stream + Send + 'a,
        S::Item: Borrow<Self> + Send,
    {
        values_load::<sqlx::Sqlite, M, A, S>(rows, acquire)
    }
}

/// Multi-row `VALUES` statements of at most `DB::MAX_PARAMETERS`
/// parameters, bound as the rows arrive, in one transaction.
#[cfg_attr(
    not(any(feature = "mysql", feature = "sqlite", feature = "sqlite-unbundled")),
    allow(dead_code)
)]
async fn values_load<'a, DB, M, A, S>(rows: S, acquire: A) -> Result<u64, Error>
where
    DB: Driver,
    DB::Arguments: Send,
    M: SqlModel<DB> + MoneyModel + Send + Sync + 'static,
    A: Acquire<'a, Database = DB> + Send + 'a,
    S: Stream + Send + 'a,
    S::Item: Borrow<M> + Send,
{
    let map = |error| map_error::<M>(error, None);
    let width = M::DEFINITION.columns().len().max(1);
    let per_statement = (DB::MAX_PARAMETERS / width).max(1);
    let mut transaction = acquire.begin().await?;
    let mut rows = pin!(rows);
    let mut invalid = Vec::new();
    let mut index = 0_usize;
    let mut pending = 0_usize;
    let mut stored = 0_u64;
    let mut arguments = DB::Arguments::default();
    while let Some(item) = poll_fn(|context| rows.as_mut().poll_next(context)).await {
        let row: &M = item.borrow();
        match row.validate() {
            Err(errors) => invalid.push((index, errors)),
            Ok(()) if invalid.is_empty() => {
                row.bind_columns(&mut arguments).map_err(Error::Encode)?;
                pending += 1;
            }
            Ok(()) => {}
        }
        index += 1;
        if pending == per_statement && invalid.is_empty() {
            let sql = Cow::Borrowed(statement::<DB, M>(Statement::InsertValues(per_statement)));
            let full = std::mem::take(&mut arguments);
            DB::execute(&mut transaction, sql, full)
                .await
                .map_err(map)?;
            stored += pending as u64;
            pending = 0;
        }
    }
    if !invalid.is_empty() {
        transaction.rollback().await?;
        return Err(Error::InvalidRows { rows: invalid });
    }
    if pending > 0 {
        let sql = Cow::Owned(render(
            M::DEFINITION,
            DB::DIALECT,
            Statement::InsertValues(pending),
        ));
        DB::execute(&mut transaction, sql, arguments)
            .await
            .map_err(map)?;
        stored += pending as u64;
    }
    transaction.commit().await?;
    Ok(stored)
}
