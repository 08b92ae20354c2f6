//! The MariaDB facts the MySQL dialect's DDL rests on, each checked against
//! the real server (a private MariaDB, or `MYSQL_URL`), next to what
//! `validate()` says.

use money_core::{Decimal, Dialect, MoneyModel, RuleKind};
use money_tests::dec;
use money_tests::mysql::{self, TestDatabase};
use sqlx::{AssertSqlSafe, Row};

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
    #[money(precision = 19, scale = 4)]
    overdraft_limit: Option<Decimal>,
}

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts_round")]
struct RoundedAccount {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0", on_excess_scale = "round")]
    balance: Decimal,
    #[money(precision = 19, scale = 4, on_excess_scale = "round")]
    overdraft_limit: Option<Decimal>,
}

/// Names long enough to be hashed, and a column named by a reserved word.
#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "settlement_instructions_pending_counterparty_review")]
struct LongNames {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 12, scale = 2, min = "0", max = "1000")]
    counterparty_reserved_amount_in_minor_units: Decimal,
    #[money(precision = 12, scale = 2, min = "0", max = "1000")]
    counterparty_reserved_amount_in_major_units: Decimal,
    #[money(precision = 10, scale = 2, column = "order")]
    order_total: Option<Decimal>,
    #[money(column = "user")]
    user_name: String,
}

async fn database_with(ddl: &[String]) -> TestDatabase {
    let database = mysql::fresh_database().await;
    for statement in ddl {
        sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&database.pool)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    database
}

/// What the server did with one insert: the stored balance as it prints it,
/// or the error number and message.
type Outcome = Result<String, (u16, String)>;

fn failure(error: sqlx::Error) -> (u16, String) {
    match error
        .as_database_error()
        .and_then(|error| error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
    {
        Some(error) => (error.number(), error.message().to_owned()),
        None => panic!("not a database error: {error}"),
    }
}

/// Inserts `(id, balance)` with `balance` spliced in as SQL (a literal such
/// as `'1.5'`, as another client would send it), and reads the balance back.
async fn insert_sql(database: &TestDatabase, table: &str, id: i64, balance: &str) -> Outcome {
    let insert = format!("INSERT INTO `{table}` (`id`, `balance`) VALUES ({id}, {balance})");
    sqlx::query(AssertSqlSafe(insert))
        .execute(&database.pool)
        .await
        .map_err(failure)?;
    Ok(stored(database, table, id).await)
}

/// Inserts `(id, balance)` with `balance` bound as an sqlx `Decimal`.
async fn insert_bound(database: &TestDatabase, table: &str, id: i64, balance: Decimal) -> Outcome {
    let insert = format!("INSERT INTO `{table}` (`id`, `balance`) VALUES (?, ?)");
    sqlx::query(AssertSqlSafe(insert))
        .bind(id)
        .bind(balance)
        .execute(&database.pool)
        .await
        .map_err(failure)?;
    Ok(stored(database, table, id).await)
}

async fn stored(database: &TestDatabase, table: &str, id: i64) -> String {
    let select = format!("SELECT CAST(`balance` AS CHAR) FROM `{table}` WHERE `id` = ?");
    sqlx::query_scalar(AssertSqlSafe(select))
        .bind(id)
        .fetch_one(&database.pool)
        .await
        .expect("read the row back")
}

fn violated(outcome: &Outcome) -> Option<&str> {
    match outcome {
        Err((number, message)) => mysql::check_violation(*number, message),
        Ok(_) => None,
    }
}

fn account(balance: &str) -> Account {
    Account {
        id: 0,
        balance: dec(balance),
        overdraft_limit: None,
    }
}

#[tokio::test]
async fn decimal_p_s_rounds_excess_digits_with_only_a_note_even_in_strict_mode() {
    let database = database_with(&[
        "CREATE TABLE plain (id bigint PRIMARY KEY, balance decimal(19, 4))".to_owned(),
    ])
    .await;
    let mut connection = database.pool.acquire().await.expect("a connection");
    sqlx::query("INSERT INTO plain VALUES (1, '123.45678')")
        .execute(&mut *connection)
        .await
        .expect("a decimal(19, 4) column takes 123.45678");
    let warnings = sqlx::query("SHOW WARNINGS")
        .fetch_all(&mut *connection)
        .await
        .expect("SHOW WARNINGS");
    let warnings: Vec<(String, u32)> = warnings
        .iter()
        .map(|row| (row.get::<String, _>(0), row.get::<u32, _>(1)))
        .collect();
    assert_eq!(warnings, [("Note".to_owned(), 1265)]);
    drop(connection);
    assert_eq!(stored(&database, "plain", 1).await, "123.4568");
    // So a CHECK on such a column could never see the excess digit; the
    // generated column is wide enough to keep it.
    assert!(
        Account::create_table_sql(Dialect::MySql).contains("`balance` decimal(65, 30) NOT NULL")
    );
    database.drop().await;
}

#[tokio::test]
async fn reject_mode_refuses_excess_digits_by_name_and_keeps_trailing_zeros() {
    let database = database_with(&[Account::create_table_sql(Dialect::MySql)]).await;
    let excess = insert_sql(&database, "accounts", 1, "'123.45678'").await;
    assert_eq!(violated(&excess), Some("accounts_balance_scale"));
    assert_eq!(
        account("123.45678")
            .validate()
            .unwrap_err()
            .iter()
            .next()
            .map(|error| error.constraint().to_owned()),
        Some("accounts_balance_scale".to_owned())
    );
    let bound = insert_bound(&database, "accounts", 2, dec("-0.00001")).await;
    assert_eq!(violated(&bound), Some("accounts_balance_scale"));

    let zeros = insert_bound(&database, "accounts", 3, dec("1.20000")).await;
    assert_eq!(
        zeros.map(|text| dec(text.trim_end_matches('0'))),
        Ok(dec("1.2"))
    );
    assert!(account("1.20000").validate().is_ok());
    database.drop().await;
}

/// The limit of reject mode on MariaDB/MySQL, pinned: `decimal(65, 30)`
/// rounds a text with more than 30 digits after the point, with only note
/// 1265, before any CHECK (or trigger) sees it. No `sql_mode` turns that
/// note into an error, and a `BEFORE INSERT` trigger reads the value already
/// rounded. Rust never sends such a value (a `Decimal` has at most 28
/// places, and `validate()` refuses it at scale 4); another writer's
/// `1.0000000000000000000000000000001` is stored as `1`.
#[tokio::test]
async fn more_than_30_places_are_rounded_before_any_check_even_by_a_trigger() {
    let database = database_with(&[
        Account::create_table_sql(Dialect::MySql),
        "CREATE TABLE guarded (id bigint PRIMARY KEY, balance decimal(65, 30))".to_owned(),
        "CREATE TRIGGER guarded_scale BEFORE INSERT ON guarded FOR EACH ROW \
         BEGIN IF NEW.balance <> round(NEW.balance, 4) THEN \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'guarded_scale'; END IF; END"
            .to_owned(),
    ])
    .await;
    let thirty_one_places = "'1.0000000000000000000000000000001'";
    for sql_mode in [
        "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION",
        "TRADITIONAL",
    ] {
        let mut connection = database.pool.acquire().await.expect("a connection");
        sqlx::raw_sql(AssertSqlSafe(format!(
            "SET SESSION sql_mode = '{sql_mode}'"
        )))
        .execute(&mut *connection)
        .await
        .expect("set sql_mode");
        for table in ["accounts", "guarded"] {
            sqlx::raw_sql(AssertSqlSafe(format!("DELETE FROM `{table}`")))
                .execute(&mut *connection)
                .await
                .expect("empty the table");
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO `{table}` (`id`, `balance`) VALUES (1, {thirty_one_places})"
            )))
            .execute(&mut *connection)
            .await
            .unwrap_or_else(|error| panic!("{table}, {sql_mode}: {error}"));
            let warnings: Vec<(String, u32)> = sqlx::query("SHOW WARNINGS")
                .fetch_all(&mut *connection)
                .await
                .expect("SHOW WARNINGS")
                .iter()
                .map(|row| (row.get::<String, _>(0), row.get::<u32, _>(1)))
                .collect();
            assert_eq!(warnings, [("Note".to_owned(), 1265)], "{table}, {sql_mode}");
        }
        drop(connection);
        for table in ["accounts", "guarded"] {
            assert_eq!(
                stored(&database, table, 1).await,
                format!("1.{}", "0".repeat(30)),
                "{table}, {sql_mode}"
            );
        }
    }
    // 29 and 30 places still reach the CHECK and the trigger as sent.
    let thirty_places = "'1.000000000000000000000000000001'";
    let refused = insert_sql(&database, "accounts", 2, thirty_places).await;
    assert_eq!(violated(&refused), Some("accounts_balance_scale"));
    let refused = insert_sql(&database, "guarded", 2, thirty_places).await;
    assert_eq!(refused.map_err(|(number, _)| number), Err(1644));
    database.drop().await;
}

#[tokio::test]
async fn round_mode_rounds_half_away_from_zero_as_text_and_as_a_bound_decimal() {
    let database = database_with(&[RoundedAccount::create_table_sql(Dialect::MySql)]).await;
    let spec = RoundedAccount::DEFINITION.columns()[1]
        .money_spec()
        .expect("money");
    let mut id = 0;
    for (sent, expected) in [
        ("2.34565", "2.3457"),
        ("0.00005", "0.0001"),
        ("0.00004", "0.0000"),
        ("1.23455", "1.2346"),
    ] {
        assert_eq!(spec.stored_value(dec(sent)).to_string(), expected);
        id += 1;
        assert_eq!(
            insert_sql(&database, "accounts_round", id, &format!("'{sent}'")).await,
            Ok(expected.to_owned())
        );
        id += 1;
        assert_eq!(
            insert_bound(&database, "accounts_round", id, dec(sent)).await,
            Ok(expected.to_owned())
        );
    }
    // Negative values round away from zero too (the balance has a minimum of
    // 0, the overdraft limit has none).
    let select = "SELECT CAST(overdraft_limit AS CHAR) FROM accounts_round WHERE id = 100";
    sqlx::query("INSERT INTO accounts_round VALUES (100, 0, ?)")
        .bind(dec("-2.34565"))
        .execute(&database.pool)
        .await
        .expect("insert a negative overdraft limit");
    let negative: String = sqlx::query_scalar(select)
        .fetch_one(&database.pool)
        .await
        .expect("read it");
    assert_eq!(negative, "-2.3457");
    assert_eq!(spec.stored_value(dec("-2.34565")), dec("-2.3457"));
    // Rounded to zero, a tiny negative value is no longer below the minimum.
    assert_eq!(
        insert_sql(&database, "accounts_round", 101, "'-0.00004'").await,
        Ok("0.0000".to_owned())
    );
    database.drop().await;
}

#[tokio::test]
async fn a_value_too_large_is_the_named_digits_check_not_out_of_range() {
    let database = database_with(&[
        Account::create_table_sql(Dialect::MySql),
        RoundedAccount::create_table_sql(Dialect::MySql),
    ])
    .await;
    for table in ["accounts", "accounts_round"] {
        let outcome = insert_bound(&database, table, 1, dec("1000000000000000")).await;
        assert_eq!(
            violated(&outcome),
            Some(format!("{table}_balance_digits").as_str())
        );
        let largest = insert_bound(&database, table, 2, Decimal::MAX).await;
        assert_eq!(
            violated(&largest),
            Some(format!("{table}_balance_digits").as_str())
        );
    }
    database.drop().await;
}

#[tokio::test]
async fn text_that_is_no_number_is_an_error_in_strict_mode_and_zero_under_ignore() {
    let database = database_with(&[Account::create_table_sql(Dialect::MySql)]).await;
    for (id, text) in [(1, "'NaN'"), (2, "'Infinity'"), (3, "'abc'")] {
        let outcome = insert_sql(&database, "accounts", id, text).await;
        assert_eq!(outcome.map_err(|(number, _)| number), Err(1366), "{text}");
    }
    // Why the DDL assumes no INSERT IGNORE: it turns that error into a warning
    // and stores 0.
    sqlx::query("INSERT IGNORE INTO accounts (id, balance) VALUES (4, 'abc')")
        .execute(&database.pool)
        .await
        .expect("INSERT IGNORE takes 'abc'");
    assert_eq!(
        dec(stored(&database, "accounts", 4).await.trim_end_matches('0')),
        Decimal::ZERO
    );
    database.drop().await;
}

#[tokio::test]
async fn mariadb_reports_the_first_failing_check_in_declaration_order() {
    let database = database_with(&[Account::create_table_sql(Dialect::MySql)]).await;
    // Breaks scale and min: scale is declared first.
    let outcome = insert_sql(&database, "accounts", 1, "'-1.23456'").await;
    assert_eq!(violated(&outcome), Some("accounts_balance_scale"));
    // Breaks digits, scale and min: digits is declared first.
    let outcome = insert_sql(&database, "accounts", 2, "'-1000000000000000.12345'").await;
    assert_eq!(violated(&outcome), Some("accounts_balance_digits"));
    let outcome = insert_sql(&database, "accounts", 3, "'-1'").await;
    assert_eq!(violated(&outcome), Some("accounts_balance_min"));
    database.drop().await;
}

#[tokio::test]
async fn null_only_where_the_field_is_an_option() {
    let database = database_with(&[Account::create_table_sql(Dialect::MySql)]).await;
    sqlx::query("INSERT INTO accounts (id, balance, overdraft_limit) VALUES (1, 5, NULL)")
        .execute(&database.pool)
        .await
        .expect("an Option field is nullable");
    let outcome = insert_sql(&database, "accounts", 2, "NULL").await;
    assert_eq!(
        outcome.map_err(|(number, _)| number),
        Err(1048),
        "column cannot be null"
    );
    database.drop().await;
}

#[tokio::test]
async fn long_names_are_hashed_and_reserved_words_quoted() {
    let ddl = LongNames::create_table_sql(Dialect::MySql);
    let database = database_with(std::slice::from_ref(&ddl)).await;
    let table = LongNames::DEFINITION.name();
    let insert = format!(
        "INSERT INTO `{table}` (`id`, `counterparty_reserved_amount_in_minor_units`, \
         `counterparty_reserved_amount_in_major_units`, `order`, `user`) VALUES (1, 5, 1000.01, NULL, 'me')"
    );
    let error = sqlx::query(AssertSqlSafe(insert))
        .execute(&database.pool)
        .await
        .expect_err("1000.01 is above the maximum");
    let name = mysql::violated_check(&error)
        .expect("a named CHECK")
        .to_owned();
    assert_eq!(name.len(), 63, "{name}");
    let found = LongNames::DEFINITION
        .find_constraint(&name)
        .expect("a constraint of the model");
    assert_eq!(
        found.column.field(),
        "counterparty_reserved_amount_in_major_units"
    );
    assert_eq!(found.rule.kind(), RuleKind::Max);
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT `order`, `user` FROM `{table}`"
    )))
    .fetch_optional(&database.pool)
    .await
    .expect("select reserved-word columns");
    assert!(row.is_none());
    database.drop().await;
}
