//! `time::OffsetDateTime` fields (money-core's `time` feature): one
//! declaration renders `timestamptz` on PostgreSQL, `datetime(6)` on
//! MariaDB/MySQL and `text` on SQLite; on each real database a row written
//! through the model reads back as the same instant, in UTC (to the
//! microsecond, whatever offset it was written with), from the year 1000 to
//! the end of 9999, and `schema::verify` finds the freshly created table
//! clean.
//!
//! On MariaDB the instants after January 2038 are the point: sqlx types an
//! `OffsetDateTime` parameter `TIMESTAMP`, and MariaDB stored NULL for them
//! (an error on the NOT NULL column) before the model bound them as
//! `DATETIME` in UTC.

use money_core::{Decimal, Dialect, MoneyModel, Scalar, ddl};
use money_sqlx::ModelExt;
use money_tests::dec;
use sqlx::AssertSqlSafe;
use time::{Duration, OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "stamped_payments", dialects(postgres, mysql, sqlite))]
struct Payment {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 18, scale = 4, min = "0")]
    amount: Decimal,
    booked_at: OffsetDateTime,
    settled_at: Option<OffsetDateTime>,
}

/// Rows whose instants are microsecond-exact, some written with a non-UTC
/// offset, one at each end of the range every database holds.
fn payments() -> Vec<Payment> {
    let base = OffsetDateTime::from_unix_timestamp(1_765_000_000).expect("a valid instant")
        + Duration::microseconds(123_456);
    let east = UtcOffset::from_hms(5, 30, 0).expect("a valid offset");
    let west = UtcOffset::from_hms(-8, 0, 0).expect("a valid offset");
    vec![
        Payment {
            id: 1,
            amount: dec("10.5"),
            booked_at: base,
            settled_at: None,
        },
        Payment {
            id: 2,
            amount: dec("0"),
            booked_at: base.to_offset(east),
            settled_at: Some((base + Duration::days(3)).to_offset(west)),
        },
        Payment {
            id: 3,
            amount: dec("99.9999"),
            booked_at: OffsetDateTime::from_unix_timestamp(-30_610_224_000)
                .expect("year 1000, MariaDB's first"),
            settled_at: Some(
                OffsetDateTime::from_unix_timestamp(253_402_300_799).expect("the end of 9999")
                    + Duration::microseconds(999_999),
            ),
        },
    ]
}

/// What was read back is what was written: the same instants (`==` on
/// `OffsetDateTime` compares instants, not offsets), in UTC.
fn assert_read_back(read: &[Payment]) {
    assert_eq!(read, payments());
    for payment in read {
        assert_eq!(payment.booked_at.offset(), UtcOffset::UTC, "{payment:?}");
    }
}

#[test]
fn one_declaration_renders_each_dialects_type() {
    let column = Payment::DEFINITION
        .column_of_field("booked_at")
        .expect("booked_at is a column");
    assert_eq!(
        column.column_type(),
        money_core::ColumnType::Scalar(Scalar::Timestamp)
    );
    assert!(!column.nullable());
    assert!(
        Payment::DEFINITION
            .column_of_field("settled_at")
            .expect("settled_at is a column")
            .nullable()
    );
    for (dialect, sql_type, definition) in [
        (
            Dialect::Postgres,
            "timestamptz",
            r#""booked_at" timestamptz NOT NULL"#,
        ),
        (
            Dialect::MySql,
            "datetime(6)",
            "`booked_at` datetime(6) NOT NULL",
        ),
        (Dialect::Sqlite, "text", r#""booked_at" text NOT NULL"#),
    ] {
        assert_eq!(ddl::column_type(column, dialect), sql_type);
        let sql = ddl::create_table(Payment::DEFINITION, dialect);
        assert!(sql.contains(definition), "{dialect:?}: {sql}");
    }
}

/// Creates the table from the DDL for `$dialect` in `$pool`, writes
/// [`payments`] through the model, reads them back, and verifies the
/// table: the same body on each database.
macro_rules! round_trip_and_verify {
    ($pool:expr, $dialect:expr) => {{
        let pool = $pool;
        sqlx::raw_sql(AssertSqlSafe(ddl::create_table(
            Payment::DEFINITION,
            $dialect,
        )))
        .execute(pool)
        .await
        .expect("create table");
        for payment in payments() {
            payment.insert(pool).await.expect("insert");
        }
        let read: Vec<Payment> = sqlx::query_as("SELECT * FROM stamped_payments ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("read back");
        assert_read_back(&read);
        let report = money_sqlx::schema::verify(pool, &[Payment::DEFINITION])
            .await
            .expect("verify");
        assert!(report.is_clean(), "{report}");
    }};
}

#[tokio::test]
async fn postgres_round_trip_and_verify() {
    let schema = money_tests::pg::schema_with(&[]).await;
    round_trip_and_verify!(&schema.pool, Dialect::Postgres);
    schema.drop().await;
}

#[tokio::test]
async fn mariadb_round_trip_and_verify() {
    let database = money_tests::mysql::fresh_database().await;
    round_trip_and_verify!(&database.pool, Dialect::MySql);
    database.drop().await;
}

#[tokio::test]
async fn sqlite_round_trip_and_verify() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    round_trip_and_verify!(&pool, Dialect::Sqlite);
    // Stored in UTC: rows 1 and 2 hold one instant, written with two
    // offsets, as one text, so text order is time order.
    let texts: Vec<String> =
        sqlx::query_scalar("SELECT booked_at FROM stamped_payments WHERE id IN (1, 2)")
            .fetch_all(&pool)
            .await
            .expect("the stored texts");
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0], texts[1]);
}
