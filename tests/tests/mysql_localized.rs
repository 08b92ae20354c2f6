//! MariaDB names a broken constraint or column only in its message, written
//! in the session's `lc_messages` language. On a session set to German or
//! Spanish, a violation money-sqlx cannot read is `Error::UnreadableMessage`
//! (never a guessed field); a message that still names the constraint in
//! its readable form maps to the right field; after
//! `MYSQL_ENGLISH_MESSAGES` (the `after_connect` line of the docs) every
//! violation maps to its field again. Against the real MariaDB
//! (`money_tests::mysql`: a private server, or `MYSQL_URL`).

use money_core::{Decimal, Dialect, MoneyModel, RuleKind};
use money_sqlx::Error;
use money_sqlx::error::MYSQL_ENGLISH_MESSAGES;
use sqlx::mysql::{MySqlConnection, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, Executor};

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "wallets", unique(owner), dialects(mysql))]
struct Wallet {
    #[money(primary_key)]
    id: i64,
    #[money(sql_type = "varchar(64)")]
    owner: String,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
}

/// The error of `sql` on `connection`, mapped for `Wallet`.
async fn mapped(connection: &mut MySqlConnection, sql: &'static str) -> Error {
    let error = connection
        .execute(sql)
        .await
        .expect_err("the statement breaks a rule");
    money_sqlx::map_error::<Wallet>(error, None)
}

const NULL_BALANCE: &str = "INSERT INTO wallets (id, owner, balance) VALUES (2, 'b', NULL)";
const DUPLICATE_OWNER: &str = "INSERT INTO wallets (id, owner, balance) VALUES (3, 'a', 1)";
const NEGATIVE_BALANCE: &str = "INSERT INTO wallets (id, owner, balance) VALUES (4, 'c', -1)";

fn assert_unreadable(error: &Error, expected: u16) {
    match error {
        Error::UnreadableMessage {
            number, message, ..
        } => {
            assert_eq!(*number, expected, "{message}");
            assert!(
                error.to_string().contains("lc_messages"),
                "the error says what to do: {error}"
            );
        }
        other => panic!("expected an unreadable-message error {expected}, got {other:?}"),
    }
}

#[tokio::test]
async fn localized_messages_are_never_mapped_to_a_guessed_field() {
    let database = money_tests::mysql::fresh_database().await;
    sqlx::raw_sql(AssertSqlSafe(Wallet::create_table_sql(Dialect::MySql)))
        .execute(&database.pool)
        .await
        .expect("create table");
    let mut connection = database.pool.acquire().await.expect("a connection");
    connection
        .execute("INSERT INTO wallets (id, owner, balance) VALUES (1, 'a', 1)")
        .await
        .expect("a valid row");

    // German: NOT NULL ("Feld 'balance' darf nicht NULL sein") and duplicate
    // ("Doppelter Eintrag ...") are unreadable; the CHECK message still
    // starts with CONSTRAINT `name`, the name itself, and maps to its field.
    connection
        .execute("SET SESSION lc_messages = 'de_DE'")
        .await
        .expect("German messages");
    assert_unreadable(&mapped(&mut connection, NULL_BALANCE).await, 1048);
    assert_unreadable(&mapped(&mut connection, DUPLICATE_OWNER).await, 1062);
    match mapped(&mut connection, NEGATIVE_BALANCE).await {
        Error::Check { field, rule, .. } => {
            assert_eq!((field, rule.kind()), ("balance", RuleKind::Min))
        }
        other => panic!("expected the balance's min rule, got {other:?}"),
    }

    // Spanish: the CHECK message is reworded ("No se cumple la RESTRICCIÓN
    // `name` ...") and is unreadable too.
    connection
        .execute("SET SESSION lc_messages = 'es_ES'")
        .await
        .expect("Spanish messages");
    assert_unreadable(&mapped(&mut connection, NEGATIVE_BALANCE).await, 4025);

    // English again, through the documented statement: every violation maps.
    connection
        .execute(MYSQL_ENGLISH_MESSAGES)
        .await
        .expect("English messages");
    match mapped(&mut connection, NULL_BALANCE).await {
        Error::NotNull { field, .. } => assert_eq!(field, Some("balance")),
        other => panic!("expected a NOT NULL on balance, got {other:?}"),
    }
    match mapped(&mut connection, DUPLICATE_OWNER).await {
        Error::Duplicate {
            constraint,
            columns,
            ..
        } => assert_eq!(
            (constraint.as_str(), columns),
            ("wallets_owner_key", vec!["owner"])
        ),
        other => panic!("expected a duplicate owner, got {other:?}"),
    }
    match mapped(&mut connection, NEGATIVE_BALANCE).await {
        Error::Check { field, rule, .. } => {
            assert_eq!((field, rule.kind()), ("balance", RuleKind::Min))
        }
        other => panic!("expected the balance's min rule, got {other:?}"),
    }
    drop(connection);

    // The documented pool setup: every connection it opens speaks English,
    // even one whose first statement had set another language.
    let options = database.pool.connect_options().as_ref().clone();
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .after_connect(|connection, _| {
            Box::pin(async move {
                connection
                    .execute("SET SESSION lc_messages = 'de_DE'")
                    .await?;
                connection.execute(MYSQL_ENGLISH_MESSAGES).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .expect("a pool");
    let language: String = sqlx::query_scalar("SELECT @@SESSION.lc_messages")
        .fetch_one(&pool)
        .await
        .expect("lc_messages");
    assert_eq!(language, "en_US");
    pool.close().await;
    database.drop().await;
}
