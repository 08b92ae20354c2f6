//! The model glue on MariaDB and SQLite, through sqlx and real databases:
//! rows written with `ModelExt` read back exactly, database errors map back
//! to the field, batches are atomic across statements, idempotent inserts
//! tell a replay from a conflict, and stored values that break the
//! declaration are refused on the way in.
//!
//! The same tests run on both (one macro, two modules): MariaDB through
//! `MYSQL_URL` or the private server the harness starts, SQLite in memory.

use money_core::{Decimal, Dialect, MoneyModel, MoneyValue, Rule, RuleKind};
use money_sqlx::{Error, Idempotent, ModelExt};
use money_tests::dec;

/// A fee: a value type, so the column comes from the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 6, scale = 3, min = "0")]
pub struct Fee(Decimal);

/// Every kind of money column: reject mode with a minimum, round mode, a
/// nullable one, a value type; a unique key besides the primary key.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "wallets", unique(settlement_id))]
pub struct Wallet {
    #[money(primary_key)]
    id: i64,
    settlement_id: i64,
    #[money(precision = 12, scale = 2, min = "0")]
    balance: Decimal,
    #[money(precision = 10, scale = 4, on_excess_scale = "round")]
    rate: Decimal,
    #[money(precision = 9, scale = 2)]
    limit: Option<Decimal>,
    fee: Fee,
}

fn wallet(id: i64, balance: &str, rate: &str) -> Wallet {
    Wallet {
        id,
        settlement_id: 1000 + id,
        balance: dec(balance),
        rate: dec(rate),
        limit: (id % 2 == 0).then(|| dec("-12.5")),
        fee: Fee::parse("0.125").expect("a valid fee"),
    }
}

/// The round-mode column's declaration.
fn rate_spec() -> &'static money_core::MoneySpec {
    Wallet::DEFINITION
        .column_of_field("rate")
        .and_then(|column| column.money_spec())
        .expect("rate is a money column")
}

/// The columns, as the raw statements below write them.
const COLUMNS: &str = "(id, settlement_id, balance, rate, `limit`, fee)";

macro_rules! dialect_tests {
    ($module:ident, $dialect:expr, $conn:ty, $connect:expr, $raw:path, $raw_ty:ty) => {
        mod $module {
            use super::*;
            use money_sqlx::AsConnection;
            use sqlx::AssertSqlSafe;

            async fn create(connection: &mut $conn) {
                for ddl in [Wallet::create_table_sql($dialect)] {
                    sqlx::raw_sql(AssertSqlSafe(ddl))
                        .execute(&mut *connection.as_connection())
                        .await
                        .expect("create table");
                }
            }

            /// Writes a row with raw SQL, bypassing `validate()`, and maps
            /// the database's error as the model would.
            async fn raw_insert(
                connection: &mut $conn,
                row: &Wallet,
                balance: Option<$raw_ty>,
                rate: $raw_ty,
            ) -> Result<(), sqlx::Error> {
                let sql = format!("INSERT INTO wallets {COLUMNS} VALUES (?, ?, ?, ?, ?, ?)");
                sqlx::query(AssertSqlSafe(sql))
                    .bind(row.id)
                    .bind(row.settlement_id)
                    .bind(balance)
                    .bind(rate)
                    .bind(Option::<$raw_ty>::None)
                    .bind(row.fee)
                    .execute(&mut *connection.as_connection())
                    .await
                    .map(drop)
            }

            async fn count(connection: &mut $conn) -> i64 {
                sqlx::query_scalar("SELECT count(*) FROM wallets")
                    .fetch_one(&mut *connection.as_connection())
                    .await
                    .expect("count")
            }

            async fn read_all(connection: &mut $conn) -> Result<Vec<Wallet>, sqlx::Error> {
                sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {} FROM wallets ORDER BY id",
                    &COLUMNS[1..COLUMNS.len() - 1]
                )))
                .fetch_all(&mut *connection.as_connection())
                .await
            }

            #[tokio::test]
            async fn rows_round_trip_exactly() {
                let mut connection = $connect;
                create(&mut connection).await;
                let rows = [
                    wallet(1, "0", "1.00005"),
                    wallet(2, "9999999999.99", "-999999.99985"),
                    wallet(3, "1.20000", "0.00004999"),
                    wallet(4, "0.01", "123456.7"),
                ];
                for row in &rows {
                    row.insert(&mut *connection.as_connection()).await.expect("insert");
                }
                let stored = read_all(&mut connection).await.expect("read back");
                let expected: Vec<Wallet> = rows
                    .iter()
                    .map(|row| Wallet {
                        rate: rate_spec().stored_value(row.rate),
                        ..row.clone()
                    })
                    .collect();
                assert_eq!(stored, expected);
                // Round mode rounds half away from zero, as Rust does.
                assert_eq!(stored[0].rate, dec("1.0001"));
                assert_eq!(stored[1].rate, dec("-999999.9999"));
                assert_eq!(stored[2].rate, dec("0"));

                let returned = wallet(5, "7.5", "2.00015")
                    .insert_returning(&mut *connection.as_connection())
                    .await
                    .expect("insert returning");
                assert_eq!(returned.rate, dec("2.0002"));
                assert_eq!(returned.balance.to_string(), "7.50");
            }

            #[tokio::test]
            async fn check_violations_map_back_to_the_field() {
                let mut connection = $connect;
                create(&mut connection).await;
                let row = wallet(1, "-0.01", "1");
                let error = raw_insert(&mut connection, &row, Some($raw("-0.01", 2)), $raw("1", 4))
                    .await
                    .expect_err("the minimum CHECK refuses -0.01");
                match money_sqlx::map_error(error, Some(&row)) {
                    Error::Invalid(errors) => {
                        let broken: Vec<_> = errors.iter().map(|e| e.constraint()).collect();
                        assert_eq!(broken, ["wallets_balance_min"]);
                    }
                    other => panic!("expected Invalid, got {other:?}"),
                }
                let error = raw_insert(&mut connection, &row, Some($raw("-0.01", 2)), $raw("1", 4))
                    .await
                    .expect_err("refused again");
                match money_sqlx::map_error::<Wallet>(error, None) {
                    Error::Check { field, constraint, rule, .. } => {
                        assert_eq!((field, constraint.as_str()), ("balance", "wallets_balance_min"));
                        assert_eq!(rule, Rule::Min(dec("0")));
                    }
                    other => panic!("expected Check, got {other:?}"),
                }
                // A value the row passes in Rust but the table refuses: drift.
                let fine = wallet(2, "5", "1");
                let error = raw_insert(&mut connection, &fine, Some($raw("-5", 2)), $raw("1", 4))
                    .await
                    .expect_err("refused");
                assert!(
                    matches!(money_sqlx::map_error(error, Some(&fine)), Error::SchemaDrift { field: "balance", .. })
                );
                assert_eq!(count(&mut connection).await, 0);
            }

            #[tokio::test]
            async fn null_and_duplicates_name_the_field_and_key() {
                let mut connection = $connect;
                create(&mut connection).await;
                let row = wallet(1, "1", "1");
                let error = raw_insert(&mut connection, &row, None, $raw("1", 4))
                    .await
                    .expect_err("NOT NULL");
                match money_sqlx::map_error(error, Some(&row)) {
                    Error::NotNull { column, field, .. } => {
                        assert_eq!((column.as_str(), field), ("balance", Some("balance")));
                    }
                    other => panic!("expected NotNull, got {other:?}"),
                }
                row.insert(&mut *connection.as_connection()).await.expect("first insert");
                let same_id = Wallet { settlement_id: 9, ..row.clone() };
                match same_id.insert(&mut *connection.as_connection()).await {
                    Err(Error::Duplicate { columns, constraint, .. }) => {
                        assert_eq!(columns, ["id"]);
                        assert_eq!(constraint, "wallets_pkey");
                    }
                    other => panic!("expected a duplicate id, got {other:?}"),
                }
                let same_settlement = Wallet { id: 2, ..row.clone() };
                match same_settlement.insert(&mut *connection.as_connection()).await {
                    Err(Error::Duplicate { columns, constraint, .. }) => {
                        assert_eq!(columns, ["settlement_id"]);
                        assert_eq!(constraint, "wallets_settlement_id_key");
                    }
                    other => panic!("expected a duplicate settlement_id, got {other:?}"),
                }
            }

            #[tokio::test]
            async fn insert_many_spans_statements_atomically() {
                let mut connection = $connect;
                create(&mut connection).await;
                // More rows than one statement's parameters can carry.
                let rows: Vec<Wallet> = (1..=25_000)
                    .map(|id| {
                        let cents = (id * 7919) % 1_000_000;
                        let text = format!("{}.{:02}", cents / 100, cents % 100);
                        wallet(id, &text, "1.23455")
                    })
                    .collect();
                let inserted = Wallet::insert_many(&rows, connection.as_connection())
                    .await
                    .expect("insert_many");
                assert_eq!(inserted, 25_000);
                assert_eq!(count(&mut connection).await, 25_000);
                let stored = read_all(&mut connection).await.expect("read back");
                let total: Decimal = stored.iter().map(|row| row.balance).sum();
                let expected: Decimal = rows.iter().map(|row| row.balance).sum();
                assert_eq!(total, expected);
                assert!(stored.iter().all(|row| row.rate == dec("1.2346")));

                // The last row of the next batch repeats an id: nothing of
                // the batch stays, although its first statements succeeded.
                let mut batch: Vec<Wallet> = (30_001..=50_000)
                    .map(|id| wallet(id, "1", "1"))
                    .collect();
                batch.push(Wallet { settlement_id: 99_999_999, ..wallet(7, "1", "1") });
                match Wallet::insert_many(&batch, connection.as_connection()).await {
                    Err(Error::Duplicate { columns, .. }) => assert_eq!(columns, ["id"]),
                    other => panic!("expected a duplicate, got {other:?}"),
                }
                assert_eq!(count(&mut connection).await, 25_000);

                let invalid = [wallet(60_001, "1", "1"), wallet(60_002, "-1", "1")];
                match Wallet::insert_many(&invalid, connection.as_connection()).await {
                    Err(Error::InvalidRows { rows }) => assert_eq!(rows[0].0, 1),
                    other => panic!("expected InvalidRows, got {other:?}"),
                }
            }

            #[tokio::test]
            async fn idempotent_inserts_tell_replays_from_conflicts() {
                let mut connection = $connect;
                create(&mut connection).await;
                let row = wallet(1, "10.5", "2.00015");
                match row.insert_idempotent(&mut connection).await {
                    Ok(Idempotent::Inserted(stored)) => assert_eq!(stored.rate, dec("2.0002")),
                    other => panic!("expected Inserted, got {other:?}"),
                }
                // The same payload, written differently, is a replay.
                let replay = Wallet {
                    balance: dec("10.500"),
                    rate: dec("2.00016"),
                    ..row.clone()
                };
                assert!(matches!(
                    replay.insert_idempotent(&mut connection).await,
                    Ok(Idempotent::AlreadyExists(_))
                ));
                // The same key with another amount is a conflict.
                let changed = Wallet { balance: dec("10.51"), ..row.clone() };
                match changed.insert_idempotent(&mut connection).await {
                    Ok(Idempotent::Conflict { existing }) => assert_eq!(existing.balance, dec("10.5")),
                    other => panic!("expected Conflict, got {other:?}"),
                }
                // A new idempotency key whose primary key is taken: the
                // duplicate is reported, not hidden.
                let taken_id = Wallet { settlement_id: 5, ..row.clone() };
                assert!(matches!(
                    taken_id.insert_idempotent(&mut connection).await,
                    Err(Error::Duplicate { ref columns, .. }) if columns == &["id"]
                ));
                let invalid = wallet(2, "-1", "1");
                assert!(matches!(
                    invalid.insert_idempotent(&mut connection).await,
                    Err(Error::Invalid(_))
                ));
                assert_eq!(count(&mut connection).await, 1);
            }

            #[tokio::test]
            async fn stored_values_that_break_the_declaration_are_refused() {
                let mut connection = $connect;
                create(&mut connection).await;
                // The same table without its CHECKs, as another client's
                // migration might have left it.
                let loose = Wallet::create_table_sql($dialect);
                let loose = loose
                    .split_once(",\n    CONSTRAINT")
                    .map(|(columns, _)| format!("{columns});"))
                    .expect("a table with constraints")
                    .replace("wallets", "loose_wallets");
                sqlx::raw_sql(AssertSqlSafe(format!("DROP TABLE wallets; {loose} ALTER TABLE loose_wallets RENAME TO wallets;")))
                    .execute(&mut *connection.as_connection())
                    .await
                    .expect("a table without CHECKs");
                let row = wallet(1, "1", "1");
                raw_insert(&mut connection, &row, Some($raw("-3", 2)), $raw("1", 4))
                    .await
                    .expect("no CHECK here");
                match read_all(&mut connection).await {
                    Err(sqlx::Error::Decode(source)) => {
                        let errors = source
                            .downcast_ref::<money_core::ValidationErrors>()
                            .expect("validation errors");
                        let rules: Vec<_> = errors.iter().map(|e| e.rule().kind()).collect();
                        assert_eq!(rules, [RuleKind::Min]);
                    }
                    other => panic!("expected a decode error, got {other:?}"),
                }
            }
        }
    };
}

/// MariaDB binds the decimal itself.
fn decimal(text: &str, _scale: u32) -> Decimal {
    dec(text)
}

/// SQLite binds minor units.
fn units(text: &str, scale: u32) -> i64 {
    money_core::dialect::sqlite::to_units(dec(text), scale).expect("units")
}

dialect_tests!(
    mariadb,
    Dialect::MySql,
    sqlx::pool::PoolConnection<sqlx::MySql>,
    money_tests::mysql::fresh_database()
        .await
        .pool
        .acquire()
        .await
        .expect("a MariaDB connection"),
    decimal,
    Decimal
);

dialect_tests!(
    sqlite,
    Dialect::Sqlite,
    sqlx::SqliteConnection,
    money_tests::sqlite::fresh_database().await,
    units,
    i64
);

mod sqlite_only {
    use super::*;
    use money_sqlx::AsConnection;

    /// SQLite's round-mode `_scale` guard refuses a non-integer (another
    /// client's unrounded value); it maps like a scale rule.
    #[tokio::test]
    async fn the_round_mode_guard_maps_to_its_field() {
        let mut connection = money_tests::sqlite::fresh_database().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(Wallet::create_table_sql(
            money_core::Dialect::Sqlite,
        )))
        .execute(connection.as_connection())
        .await
        .expect("create table");
        let row = wallet(1, "1", "1.00005");
        let error = sqlx::query(
            "INSERT INTO wallets (id, settlement_id, balance, rate, fee) VALUES (1, 1, 100, 10000.5, 125)",
        )
        .execute(&mut connection)
        .await
        .expect_err("a float of units is refused");
        match money_sqlx::map_error(error, Some(&row)) {
            Error::SchemaDrift {
                field, constraint, ..
            } => {
                assert_eq!((field, constraint.as_str()), ("rate", "wallets_rate_scale"));
            }
            other => panic!("expected SchemaDrift, got {other:?}"),
        }
        let error = sqlx::query(
            "INSERT INTO wallets (id, settlement_id, balance, rate, fee) VALUES (1, 1, 100, '10000.5', 125)",
        )
        .execute(&mut connection)
        .await
        .expect_err("a text of units is refused");
        match money_sqlx::map_error::<Wallet>(error, None) {
            Error::Check { field, rule, .. } => {
                assert_eq!((field, rule), ("rate", Rule::Scale { scale: 4 }));
            }
            other => panic!("expected Check, got {other:?}"),
        }
    }

    /// A float in a money column of a table without CHECKs is named, not
    /// truncated.
    #[tokio::test]
    async fn a_float_in_a_money_column_is_refused() {
        let mut connection = money_tests::sqlite::fresh_database().await;
        sqlx::raw_sql(
            "CREATE TABLE wallets (id, settlement_id, balance, rate, `limit`, fee);
             INSERT INTO wallets VALUES (1, 1, 150.0, 10000, NULL, 125);",
        )
        .execute(&mut connection)
        .await
        .expect("a loose table");
        let error = sqlx::query_as::<_, Wallet>("SELECT * FROM wallets")
            .fetch_one(&mut connection)
            .await
            .expect_err("a REAL is no units");
        let message = error.to_string();
        assert!(
            message.contains("balance") && message.contains("REAL"),
            "{message}"
        );
    }
}
