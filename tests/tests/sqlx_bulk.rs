//! `ModelExt::bulk_insert` / `bulk_insert_stream` against real databases:
//! PostgreSQL through binary `COPY` (amounts as binary `numeric`, other
//! columns as their binary binds), MariaDB and SQLite through multi-row
//! `INSERT` batches in one transaction. Many rows round trip exactly; an
//! invalid row is reported by its index with nothing written; a CHECK
//! that only the database holds (the table is stricter than the model)
//! still fires during the load and maps back to the field and rule.

use money_core::{Decimal, Dialect, MoneyModel, Rule, RuleKind};
use money_sqlx::{Error, ModelExt};
use money_tests::dec;

/// Money columns in reject and round mode, a nullable one, and columns of
/// other types (text, nullable text, boolean, nullable integer).
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "payouts")]
pub struct Payout {
    #[money(primary_key)]
    id: i64,
    reference: String,
    memo: Option<String>,
    settled: bool,
    batch: Option<i32>,
    #[money(precision = 19, scale = 4, min = "0")]
    amount: Decimal,
    #[money(precision = 12, scale = 4, on_excess_scale = "round")]
    rate: Decimal,
    #[money(precision = 10, scale = 2)]
    fee: Option<Decimal>,
}

/// The same table, stricter: its `amount` must be at least 10. The
/// database holds this rule, the model above does not.
mod strict {
    use money_core::{Decimal, MoneyModel};

    #[derive(Debug, Clone, PartialEq, MoneyModel)]
    #[money(table = "payouts")]
    pub struct Payout {
        #[money(primary_key)]
        id: i64,
        reference: String,
        memo: Option<String>,
        settled: bool,
        batch: Option<i32>,
        #[money(precision = 19, scale = 4, min = "10")]
        amount: Decimal,
        #[money(precision = 12, scale = 4, on_excess_scale = "round")]
        rate: Decimal,
        #[money(precision = 10, scale = 2)]
        fee: Option<Decimal>,
    }
}

/// Row `id`: every kind of value, from negative-free amounts with 0 to 4
/// places and the largest of `numeric(19, 4)`, to rates that round.
fn payout(id: i64) -> Payout {
    let amount = match id % 5 {
        0 => Decimal::new(id * 7919 % 100_000_000, (id % 5) as u32),
        1 => dec("99999999999999.9999"),
        2 => Decimal::new(id, 4),
        3 => dec("0"),
        _ => Decimal::new(id * 104_729, 2),
    };
    Payout {
        id,
        reference: format!("ref-{id}-é"),
        memo: (id % 3 == 0).then(|| format!("memo {id}")),
        settled: id % 2 == 0,
        batch: (id % 4 != 0).then_some((id % 1000) as i32),
        amount,
        rate: Decimal::new(id * 31 % 10_000_000 - 5_000_000, 5 + (id % 3) as u32),
        fee: (id % 2 == 1).then(|| Decimal::new(-(id % 100_000), 2)),
    }
}

/// What the database stores for `row`: amounts rounded half away from zero
/// where the column rounds.
fn as_stored(row: &Payout) -> Payout {
    let spec = Payout::DEFINITION
        .column_of_field("rate")
        .and_then(|column| column.money_spec())
        .expect("rate is a money column");
    Payout {
        rate: spec.stored_value(row.rate),
        ..row.clone()
    }
}

const SELECT: &str =
    "SELECT id, reference, memo, settled, batch, amount, rate, fee FROM payouts ORDER BY id";

fn expect_invalid_rows(result: Result<u64, Error>, indexes: &[usize]) {
    match result {
        Err(Error::InvalidRows { rows }) => {
            let found: Vec<usize> = rows.iter().map(|(index, _)| *index).collect();
            assert_eq!(found, indexes);
            for (_, errors) in rows {
                assert!(
                    errors.iter().any(|error| error.field() == "amount"),
                    "{errors:?}"
                );
            }
        }
        other => panic!("expected InvalidRows, got {other:?}"),
    }
}

fn expect_min_check(result: Result<u64, Error>) {
    match result {
        Err(Error::Check { field, rule, .. }) => {
            assert_eq!(field, "amount");
            assert_eq!(rule.kind(), RuleKind::Min);
            assert!(
                matches!(rule, Rule::Min(min) if min == dec("0")),
                "{rule:?}"
            );
        }
        other => panic!("expected a mapped CHECK violation, got {other:?}"),
    }
}

mod postgres {
    use super::*;
    use money_tests::pg::{count, schema_with};

    #[tokio::test]
    async fn copy_round_trips_many_rows_exactly() {
        let schema = schema_with(&[Payout::create_table_sql(Dialect::Postgres)]).await;
        let pool = &schema.pool;
        // Rows made as they are sent, by reference and by value.
        const ROWS: i64 = 60_000;
        let stored = Payout::bulk_insert((1..=ROWS).map(payout), pool)
            .await
            .expect("bulk_insert");
        assert_eq!(stored, ROWS as u64);
        let back: Vec<Payout> = sqlx::query_as(SELECT)
            .fetch_all(pool)
            .await
            .expect("read back");
        assert_eq!(back.len(), ROWS as usize);
        for (read, id) in back.iter().zip(1..) {
            assert_eq!(read, &as_stored(&payout(id)), "row {id}");
        }
        // The amounts are stored as numeric with the column's scale.
        let text: String = sqlx::query_scalar("SELECT amount::text FROM payouts WHERE id = 2")
            .fetch_one(pool)
            .await
            .expect("amount as text");
        assert_eq!(text, "0.0002");

        // A slice of rows (references) in a stream of its own.
        let more: Vec<Payout> = (ROWS + 1..=ROWS + 10).map(payout).collect();
        let stored = Payout::bulk_insert_stream(IterRows(more.iter()), pool)
            .await
            .expect("bulk_insert_stream");
        assert_eq!(stored, 10);
        assert_eq!(count(pool, "payouts").await, ROWS + 10);
        schema.drop().await;
    }

    /// A hand-written `Stream`, to show the stream entry takes any.
    struct IterRows<I>(I);

    impl<I: Iterator + Unpin> futures_core::Stream for IterRows<I> {
        type Item = I::Item;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<I::Item>> {
            std::task::Poll::Ready(self.get_mut().0.next())
        }
    }

    /// A `Decimal` bound through `encode_numeric_binary`, so that the
    /// server's `numeric_recv` reads our bytes.
    struct OurNumeric(Decimal);

    impl sqlx::Type<sqlx::Postgres> for OurNumeric {
        fn type_info() -> sqlx::postgres::PgTypeInfo {
            <Decimal as sqlx::Type<sqlx::Postgres>>::type_info()
        }
    }

    impl sqlx::Encode<'_, sqlx::Postgres> for OurNumeric {
        fn encode_by_ref(
            &self,
            buffer: &mut sqlx::postgres::PgArgumentBuffer,
        ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
            money_core::pg::encode_numeric_binary(self.0, buffer);
            Ok(sqlx::encode::IsNull::No)
        }
    }

    fn random_decimal() -> Decimal {
        let mantissa: u128 = match fastrand::u8(0..3) {
            0 => fastrand::u128(..1 << 96),
            1 => fastrand::u128(..1_000_000),
            _ => 10_u128.pow(fastrand::u32(0..28)),
        };
        Decimal::from_parts(
            mantissa as u32,
            (mantissa >> 32) as u32,
            (mantissa >> 64) as u32,
            fastrand::bool(),
            fastrand::u32(0..=28),
        )
    }

    #[tokio::test]
    async fn the_encoder_writes_what_numeric_send_writes_and_numeric_recv_reads_it_back() {
        let schema = schema_with(&[]).await;
        let pool = &schema.pool;
        let mut values: Vec<Decimal> = (0..1_500).map(|_| random_decimal()).collect();
        values.extend([
            Decimal::ZERO,
            Decimal::new(0, 4),
            Decimal::MAX,
            Decimal::MIN,
        ]);
        for value in values {
            let mut ours = Vec::new();
            money_core::pg::encode_numeric_binary(value, &mut ours);
            // PostgreSQL's text of the same number with the same scale (it
            // has no negative zero).
            let text = if value.is_zero() {
                value.abs().to_string()
            } else {
                value.to_string()
            };
            let (sent, received): (Vec<u8>, String) =
                sqlx::query_as("SELECT numeric_send($1::numeric), $2::numeric::text")
                    .bind(&text)
                    .bind(OurNumeric(value))
                    .fetch_one(pool)
                    .await
                    .expect("numeric_send and numeric_recv");
            assert_eq!(ours, sent, "numeric_send of {text}");
            assert_eq!(received, text, "numeric_recv of our bytes for {text}");
        }
        schema.drop().await;
    }

    #[tokio::test]
    async fn invalid_rows_are_reported_by_index_and_nothing_is_written() {
        let schema = schema_with(&[Payout::create_table_sql(Dialect::Postgres)]).await;
        let pool = &schema.pool;
        // Row 70,000 (index 69,999) and the last are invalid: by then
        // several buffers of rows have been sent.
        let rows = (1..=80_000).map(|id| {
            let mut row = payout(id);
            if id == 70_000 || id == 80_000 {
                row.amount = dec("-0.01");
            }
            row
        });
        expect_invalid_rows(Payout::bulk_insert(rows, pool).await, &[69_999, 79_999]);
        assert_eq!(count(pool, "payouts").await, 0);
        // The connection is usable afterwards.
        assert_eq!(
            Payout::bulk_insert([payout(1)], pool).await.expect("after"),
            1
        );
        schema.drop().await;
    }

    #[tokio::test]
    async fn a_check_only_the_database_holds_fires_during_copy_and_maps_back() {
        let schema = schema_with(&[strict::Payout::create_table_sql(Dialect::Postgres)]).await;
        let pool = &schema.pool;
        // Valid for the model (min 0), refused by the table (min 10).
        let rows = (1..=5_000).map(|id| Payout {
            amount: if id == 4_321 { dec("5") } else { dec("10") },
            ..payout(id)
        });
        expect_min_check(Payout::bulk_insert(rows, pool).await);
        assert_eq!(count(pool, "payouts").await, 0);
        schema.drop().await;
    }
}

macro_rules! values_tests {
    ($module:ident, $dialect:expr, $rows:expr, $setup_ty:ty, $setup:expr, $connection:ident => $acquire:expr, $teardown:expr) => {
        mod $module {
            use super::*;
            use sqlx::AssertSqlSafe;

            async fn create_table(ddl: String, $connection: &mut Setup) {
                sqlx::raw_sql(AssertSqlSafe(ddl))
                    .execute($acquire)
                    .await
                    .expect("create table");
            }

            async fn count($connection: &mut Setup) -> i64 {
                sqlx::query_scalar("SELECT count(*) FROM payouts")
                    .fetch_one($acquire)
                    .await
                    .expect("count")
            }

            type Setup = $setup_ty;

            #[tokio::test]
            async fn batches_round_trip_many_rows_exactly() {
                let mut setup = $setup;
                let $connection = &mut setup;
                create_table(Payout::create_table_sql($dialect), $connection).await;
                // More rows than one statement's parameters can carry.
                const ROWS: i64 = $rows;
                let stored = Payout::bulk_insert((1..=ROWS).map(payout), $acquire)
                    .await
                    .expect("bulk_insert");
                assert_eq!(stored, ROWS as u64);
                let back: Vec<Payout> = sqlx::query_as(SELECT)
                    .fetch_all($acquire)
                    .await
                    .expect("read back");
                assert_eq!(back.len(), ROWS as usize);
                for (read, id) in back.iter().zip(1..) {
                    assert_eq!(read, &as_stored(&payout(id)), "row {id}");
                }
                $teardown(setup).await;
            }

            #[tokio::test]
            async fn invalid_rows_are_reported_by_index_and_nothing_is_written() {
                let mut setup = $setup;
                let $connection = &mut setup;
                create_table(Payout::create_table_sql($dialect), $connection).await;
                // The first invalid row comes after a full statement.
                let rows = (1..=$rows).map(|id| {
                    let mut row = payout(id);
                    if id == $rows - 10 || id == $rows {
                        row.amount = dec("-0.01");
                    }
                    row
                });
                expect_invalid_rows(
                    Payout::bulk_insert(rows, $acquire).await,
                    &[$rows - 11, $rows - 1],
                );
                assert_eq!(count($connection).await, 0);
                $teardown(setup).await;
            }

            #[tokio::test]
            async fn a_check_only_the_database_holds_fires_and_maps_back() {
                let mut setup = $setup;
                let $connection = &mut setup;
                create_table(strict::Payout::create_table_sql($dialect), $connection).await;
                let rows = (1..=$rows).map(|id| Payout {
                    amount: if id == $rows - 5 { dec("5") } else { dec("10") },
                    ..payout(id)
                });
                expect_min_check(Payout::bulk_insert(rows, $acquire).await);
                assert_eq!(count($connection).await, 0);
                $teardown(setup).await;
            }
        }
    };
}

mod mariadb_tests {
    use super::*;
    values_tests!(
        mariadb,
        Dialect::MySql,
        20_000,
        money_tests::mysql::TestDatabase,
        money_tests::mysql::fresh_database().await,
        database => &database.pool,
        money_tests::mysql::TestDatabase::drop
    );
}

mod sqlite_tests {
    use super::*;
    values_tests!(
        sqlite,
        Dialect::Sqlite,
        6_000,
        sqlx::SqliteConnection,
        money_tests::sqlite::fresh_database().await,
        connection => &mut *connection,
        close
    );

    async fn close(connection: sqlx::SqliteConnection) {
        sqlx::Connection::close(connection).await.expect("close");
    }
}
