//! The SQLite facts the SQLite dialect's DDL rests on, each checked against
//! sqlx's bundled SQLite, next to what `validate()` says.

use money_core::dialect::sqlite::{from_units, stored_units, to_units};
use money_core::{Decimal, Dialect, MoneyModel, RuleKind};
use money_tests::dec;
use money_tests::sqlite;
use sqlx::{AssertSqlSafe, SqliteConnection};

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 18, scale = 4, min = "0")]
    balance: Decimal,
    #[money(precision = 18, scale = 4)]
    overdraft_limit: Option<Decimal>,
}

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts_round")]
struct RoundedAccount {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 18, scale = 4, min = "0", on_excess_scale = "round")]
    balance: Decimal,
}

async fn database_with(ddl: &[String]) -> SqliteConnection {
    let mut connection = sqlite::fresh_database().await;
    for statement in ddl {
        sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    connection
}

/// Inserts `(id, balance)` with `balance` spliced in as SQL, as another
/// client would send it, and returns the stored value and its type, or the
/// violated constraint (any other error panics).
async fn insert(
    connection: &mut SqliteConnection,
    table: &str,
    id: i64,
    balance: &str,
) -> Result<(String, String), String> {
    let insert = format!(
        "INSERT INTO \"{table}\" (\"id\", \"balance\") VALUES ({id}, {balance}) \
         RETURNING CAST(\"balance\" AS TEXT), typeof(\"balance\")"
    );
    match sqlx::query_as(AssertSqlSafe(insert))
        .fetch_one(&mut *connection)
        .await
    {
        Ok(row) => Ok(row),
        Err(error) => match sqlite::violated_check(&error) {
            Some(name) => Err(name.to_owned()),
            None => panic!("{balance}: not a CHECK violation: {error}"),
        },
    }
}

/// What [`insert`] returns: the stored value and its type, or the violated
/// constraint.
type Outcome = Result<(String, String), String>;

fn stored_integer(units: &str) -> Outcome {
    Ok((units.to_owned(), "integer".to_owned()))
}

#[tokio::test]
async fn integer_affinity_would_round_a_long_text_silently() {
    // Why the money column has no declared type: with `integer` affinity the
    // text of a value with excess digits becomes a float, the float is
    // integral, and SQLite stores that integer.
    let mut connection =
        database_with(&["CREATE TABLE plain (id integer, balance integer)".to_owned()]).await;
    assert_eq!(
        insert(&mut connection, "plain", 1, "'12345678901234567.5'").await,
        stored_integer("12345678901234568")
    );
    assert_eq!(
        insert(&mut connection, "plain", 2, "'1.0000000000000001'").await,
        stored_integer("1")
    );
    // The generated column keeps the text, and the scale CHECK refuses it.
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    assert_eq!(
        insert(&mut connection, "accounts", 1, "'12345678901234567.5'").await,
        Err("accounts_balance_scale".to_owned())
    );
    let value = dec("1234567890123.45675");
    assert!(to_units(value, 4).is_err());
    let errors = Account {
        id: 1,
        balance: value,
        overdraft_limit: None,
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        errors
            .iter()
            .map(|error| error.rule_kind())
            .collect::<Vec<_>>(),
        [RuleKind::Scale]
    );
}

#[tokio::test]
async fn only_an_integer_is_an_amount() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    assert_eq!(
        insert(&mut connection, "accounts", 1, "12345").await,
        stored_integer("12345")
    );
    assert_eq!(from_units(12345, 4), Ok(dec("1.2345")));
    for (id, sent) in [
        (2, "'12345'"),
        (3, "12.0"),
        (4, "'12.5'"),
        (5, "x'00'"),
        (6, "12.5"),
    ] {
        assert_eq!(
            insert(&mut connection, "accounts", id, sent).await,
            Err("accounts_balance_scale".to_owned()),
            "{sent}"
        );
    }
}

#[tokio::test]
async fn too_many_digits_is_the_digits_check_even_beyond_64_bits() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    for (id, sent) in [
        (1, "1000000000000000000"),
        (2, "-9223372036854775808"),
        (3, "9223372036854775807"),
        (4, "'100000000000000000000'"),
        (5, "'-100000000000000000000'"),
        (6, "1e999"),
    ] {
        assert_eq!(
            insert(&mut connection, "accounts", id, sent).await,
            Err("accounts_balance_digits".to_owned()),
            "{sent}"
        );
    }
    assert_eq!(
        insert(&mut connection, "accounts", 7, "999999999999999999").await,
        stored_integer("999999999999999999")
    );
    // A text with a decimal point is left to the scale CHECK, even where its
    // float would round up to the bound.
    assert_eq!(
        insert(&mut connection, "accounts", 8, "'999999999999999999.5'").await,
        Err("accounts_balance_scale".to_owned())
    );
}

/// The README's SQLite table, kind by kind, with generated values: an
/// INTEGER is judged by `_digits` (and is otherwise stored); a plain integer
/// text (`-?[0-9]+`) by its digit count once leading zeros are dropped
/// (more than P is `_digits`, else `_scale`), exactly at the bound where
/// `abs()` would read `999999999999999999` as the float 10^18; a float by
/// its magnitude (at least 10^P is `_digits`, else `_scale`); every other
/// text and a blob by `_scale`.
#[tokio::test]
async fn each_kind_of_value_is_refused_by_the_constraint_the_table_names() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    let digits = "accounts_balance_digits".to_owned();
    let scale = "accounts_balance_scale".to_owned();
    let mut rng = fastrand::Rng::with_seed(4);
    let mut cases: Vec<(String, Outcome)> = vec![
        ("'999999999999999999'".into(), Err(scale.clone())),
        ("'-999999999999999999'".into(), Err(scale.clone())),
        ("'1000000000000000000'".into(), Err(digits.clone())),
        ("'-1000000000000000000'".into(), Err(digits.clone())),
        ("'123'".into(), Err(scale.clone())),
        ("'-0'".into(), Err(scale.clone())),
        (format!("'{}1'", "0".repeat(40)), Err(scale.clone())),
        ("'--5'".into(), Err(scale.clone())),
        ("'-'".into(), Err(scale.clone())),
        ("''".into(), Err(scale.clone())),
        ("' 1'".into(), Err(scale.clone())),
        ("'1e30'".into(), Err(scale.clone())),
        ("'abc'".into(), Err(scale.clone())),
        (
            "x'31303030303030303030303030303030303030303030'".into(),
            Err(scale.clone()),
        ),
        ("1e18".into(), Err(digits.clone())),
        ("-1e18".into(), Err(digits.clone())),
        ("9.99999999999999e17".into(), Err(scale.clone())),
        (
            "999999999999999999".into(),
            stored_integer("999999999999999999"),
        ),
    ];
    for _ in 0..400 {
        let significant = rng.usize(1..=30);
        let mut text: String = std::iter::once(char::from(b'1' + rng.u8(0..9)))
            .chain((1..significant).map(|_| rng.digit(10)))
            .collect();
        text.insert_str(0, &"0".repeat(rng.usize(0..3)));
        if rng.bool() {
            text.insert(0, '-');
        }
        let expected = if significant > 18 { &digits } else { &scale };
        cases.push((format!("'{text}'"), Err(expected.clone())));
        let float = (rng.f64() + 0.05) * 10f64.powi(rng.i32(10..=25));
        let expected = if float >= 1e18 { &digits } else { &scale };
        cases.push((format!("{float:e}"), Err(expected.clone())));
    }
    for (id, (sent, expected)) in (1..).zip(&cases) {
        let outcome = insert(&mut connection, "accounts", id, sent).await;
        assert_eq!(&outcome, expected, "{sent}");
    }
}

#[tokio::test]
async fn sqlite_reports_the_first_failing_check_in_declaration_order() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    // Breaks scale and min: scale is declared first.
    assert_eq!(
        insert(&mut connection, "accounts", 1, "'-1.5'").await,
        Err("accounts_balance_scale".to_owned())
    );
    // Breaks digits and min: digits is declared first.
    assert_eq!(
        insert(&mut connection, "accounts", 2, "-1000000000000000000").await,
        Err("accounts_balance_digits".to_owned())
    );
    assert_eq!(
        insert(&mut connection, "accounts", 3, "-1").await,
        Err("accounts_balance_min".to_owned())
    );
}

#[tokio::test]
async fn round_mode_rounds_in_rust_and_guards_against_other_writers() {
    let mut connection = database_with(&[RoundedAccount::create_table_sql(Dialect::Sqlite)]).await;
    let spec = RoundedAccount::DEFINITION.columns()[1]
        .money_spec()
        .expect("money");
    assert_eq!(stored_units(spec, dec("2.34565")), Ok(23457));
    assert_eq!(stored_units(spec, dec("-0.00004")), Ok(0));
    let units = stored_units(spec, dec("2.34565")).expect("fits");
    assert_eq!(
        insert(&mut connection, "accounts_round", 1, &units.to_string()).await,
        stored_integer("23457")
    );
    // The rule set has no scale rule in round mode; the guard has the name
    // such a rule would have, and maps back to no rule of the model.
    assert_eq!(
        insert(&mut connection, "accounts_round", 2, "'23456.5'").await,
        Err("accounts_round_balance_scale".to_owned())
    );
    assert!(
        RoundedAccount::DEFINITION
            .find_constraint("accounts_round_balance_scale")
            .is_none()
    );
}

#[tokio::test]
async fn sums_are_exact_and_overflow_is_an_error() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    for (id, units) in [
        (1, "999999999999999999"),
        (2, "1"),
        (3, "999999999999999999"),
    ] {
        insert(&mut connection, "accounts", id, units)
            .await
            .expect("a valid amount");
    }
    let sum: i64 = sqlx::query_scalar("SELECT sum(balance) FROM accounts WHERE id <= 2")
        .fetch_one(&mut connection)
        .await
        .expect("sum");
    assert_eq!(sum, 1_000_000_000_000_000_000);
    for id in 4..=12 {
        insert(&mut connection, "accounts", id, "999999999999999999")
            .await
            .expect("a valid amount");
    }
    let overflow = sqlx::query_scalar::<_, i64>("SELECT sum(balance) FROM accounts")
        .fetch_one(&mut connection)
        .await
        .expect_err("11 * 10^18 does not fit 64 bits");
    assert!(
        overflow.to_string().contains("integer overflow"),
        "{overflow}"
    );
}

#[tokio::test]
async fn null_only_where_the_field_is_an_option() {
    let mut connection = database_with(&[Account::create_table_sql(Dialect::Sqlite)]).await;
    sqlx::query("INSERT INTO accounts (id, balance, overdraft_limit) VALUES (1, 5, NULL)")
        .execute(&mut connection)
        .await
        .expect("an Option field is nullable");
    let error = sqlx::query("INSERT INTO accounts (id, balance) VALUES (2, NULL)")
        .execute(&mut connection)
        .await
        .expect_err("balance is NOT NULL");
    assert!(
        error
            .to_string()
            .contains("NOT NULL constraint failed: accounts.balance"),
        "{error}"
    );
}
