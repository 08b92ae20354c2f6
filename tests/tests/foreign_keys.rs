//! Foreign keys declared with `#[money(references = ...)]` and
//! `#[money(foreign_key(...))]`, against real PostgreSQL, MariaDB and
//! SQLite: the tables are created from the generated DDL in dependency
//! order, violating statements are sent as raw SQL, and `map_error` must
//! name the declared fields (PostgreSQL, MariaDB) or say that it cannot tell
//! which key (SQLite).

use money_core::{Dialect, MoneyModel, Table, ddl};
use money_sqlx::{Error, ForeignKeyViolation, map_error};
use sqlx::{AssertSqlSafe, Executor};

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "fk_accounts", unique(id, currency))]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(currency)]
    currency: String,
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "fk_transfers")]
struct Transfer {
    #[money(primary_key)]
    id: i64,
    #[money(references = "fk_accounts(id)")]
    account_id: i64,
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(
    table = "fk_entries",
    foreign_key(
        fields(account_id, currency),
        references = "fk_accounts(id, currency)",
        on_delete = "cascade"
    )
)]
struct Entry {
    #[money(primary_key)]
    id: i64,
    account_id: i64,
    #[money(currency)]
    currency: String,
}

/// Referencing tables first: `create_tables` must reorder them.
const TABLES: &[&Table] = &[Entry::DEFINITION, Transfer::DEFINITION, Account::DEFINITION];

const DANGLING_TRANSFER: &str = "INSERT INTO fk_transfers (id, account_id) VALUES (1, 99)";
/// Account 1 exists, but in USD.
const WRONG_CURRENCY_ENTRY: &str =
    "INSERT INTO fk_entries (id, account_id, currency) VALUES (1, 1, 'EUR')";
const DELETE_REFERENCED: &str = "DELETE FROM fk_accounts WHERE id = 1";
const SETUP: &[&str] = &[
    "INSERT INTO fk_accounts (id, currency) VALUES (1, 'USD')",
    "INSERT INTO fk_accounts (id, currency) VALUES (2, 'EUR')",
    "INSERT INTO fk_transfers (id, account_id) VALUES (10, 1)",
    "INSERT INTO fk_entries (id, account_id, currency) VALUES (20, 2, 'EUR')",
];

fn statements(dialect: Dialect) -> Vec<String> {
    let statements = ddl::create_tables(TABLES, dialect).expect("no cycle");
    assert!(
        statements[0].starts_with(&format!(
            "CREATE TABLE {}",
            ddl::quote(dialect, "fk_accounts")
        )),
        "{statements:?}"
    );
    statements
}

/// What every dialect that names the constraint must report.
fn assert_named(
    dangling: sqlx::Error,
    wrong_currency: sqlx::Error,
    delete_as_account: sqlx::Error,
    delete_as_transfer: sqlx::Error,
) {
    match map_error::<Transfer>(dangling, None) {
        Error::ForeignKey {
            table,
            constraint,
            fields,
            violation,
            ..
        } => {
            assert_eq!(table, "fk_transfers");
            assert_eq!(constraint, "fk_transfers_account_id_fkey");
            assert_eq!(fields, ["account_id"]);
            assert_eq!(violation, ForeignKeyViolation::MissingReferencedRow);
        }
        other => panic!("expected a foreign key error, got {other:?}"),
    }
    match map_error::<Entry>(wrong_currency, None) {
        Error::ForeignKey {
            constraint,
            fields,
            violation,
            ..
        } => {
            assert_eq!(constraint, "fk_entries_account_id_currency_fkey");
            assert_eq!(fields, ["account_id", "currency"]);
            assert_eq!(violation, ForeignKeyViolation::MissingReferencedRow);
        }
        other => panic!("expected a foreign key error, got {other:?}"),
    }
    // The referenced table's model does not declare the key: the constraint
    // and its table are named, no fields are guessed.
    match map_error::<Account>(delete_as_account, None) {
        Error::ForeignKey {
            table,
            constraint,
            fields,
            violation,
            ..
        } => {
            assert_eq!(table, "fk_transfers");
            assert_eq!(constraint, "fk_transfers_account_id_fkey");
            assert!(fields.is_empty(), "{fields:?}");
            assert_eq!(violation, ForeignKeyViolation::StillReferenced);
        }
        other => panic!("expected a foreign key error, got {other:?}"),
    }
    match map_error::<Transfer>(delete_as_transfer, None) {
        Error::ForeignKey {
            fields, violation, ..
        } => {
            assert_eq!(fields, ["account_id"]);
            assert_eq!(violation, ForeignKeyViolation::StillReferenced);
        }
        other => panic!("expected a foreign key error, got {other:?}"),
    }
}

async fn refused<'e, E: Executor<'e>>(executor: E, sql: &str) -> sqlx::Error {
    executor
        .execute(AssertSqlSafe(sql.to_owned()))
        .await
        .map(drop)
        .expect_err(sql)
}

async fn run<'e, E: Executor<'e>>(executor: E, sql: &str) {
    executor
        .execute(AssertSqlSafe(sql.to_owned()))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

#[tokio::test]
async fn postgres_names_the_declared_fields() {
    let schema = money_tests::pg::schema_with(&statements(Dialect::Postgres)).await;
    let pool = &schema.pool;
    for statement in SETUP {
        run(pool, statement).await;
    }
    let dangling = refused(pool, DANGLING_TRANSFER).await;
    let wrong_currency = refused(pool, WRONG_CURRENCY_ENTRY).await;
    let delete_as_account = refused(pool, DELETE_REFERENCED).await;
    let delete_as_transfer = refused(pool, DELETE_REFERENCED).await;
    assert_eq!(
        dangling
            .as_database_error()
            .and_then(|error| error.code())
            .as_deref(),
        Some("23503")
    );
    assert_named(
        dangling,
        wrong_currency,
        delete_as_account,
        delete_as_transfer,
    );
    // Restrict is the default, cascade is what `on_delete` declared.
    let actions: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conname::text, confdeltype::text, confupdtype::text FROM pg_constraint
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY conname",
    )
    .fetch_all(pool)
    .await
    .expect("read the keys");
    assert_eq!(
        actions,
        [
            (
                "fk_entries_account_id_currency_fkey".into(),
                "c".into(),
                "r".into()
            ),
            (
                "fk_transfers_account_id_fkey".into(),
                "r".into(),
                "r".into()
            ),
        ]
    );
    run(pool, "DELETE FROM fk_accounts WHERE id = 2").await;
    assert_eq!(
        money_tests::pg::count(pool, "fk_entries").await,
        0,
        "cascade"
    );
    schema.drop().await;
}

#[tokio::test]
async fn mariadb_names_the_declared_fields() {
    let database = money_tests::mysql::fresh_database().await;
    let pool = &database.pool;
    for statement in statements(Dialect::MySql) {
        run(pool, &statement).await;
    }
    for statement in SETUP {
        run(pool, statement).await;
    }
    let dangling = refused(pool, DANGLING_TRANSFER).await;
    let wrong_currency = refused(pool, WRONG_CURRENCY_ENTRY).await;
    let delete_as_account = refused(pool, DELETE_REFERENCED).await;
    let delete_as_transfer = refused(pool, DELETE_REFERENCED).await;
    let number = |error: &sqlx::Error| {
        error
            .as_database_error()
            .and_then(|error| error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
            .map(|error| error.number())
    };
    assert_eq!(number(&dangling), Some(1452));
    assert_eq!(number(&delete_as_account), Some(1451));
    assert_named(
        dangling,
        wrong_currency,
        delete_as_account,
        delete_as_transfer,
    );
    run(pool, "DELETE FROM fk_accounts WHERE id = 2").await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM fk_entries")
        .fetch_one(pool)
        .await
        .expect("count");
    assert_eq!(left, 0, "cascade");
    database.drop().await;
}

#[tokio::test]
async fn sqlite_says_it_cannot_tell_which_key() {
    let pool = money_sqlx::sqlite::open("sqlite::memory:")
        .await
        .expect("open SQLite");
    let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&pool)
        .await
        .expect("read the pragma");
    assert_eq!(
        enforced, 1,
        "money_sqlx::sqlite::open must enforce foreign keys"
    );
    for statement in statements(Dialect::Sqlite) {
        run(&pool, &statement).await;
    }
    for statement in SETUP {
        run(&pool, statement).await;
    }
    for (sql, error) in [
        (DANGLING_TRANSFER, refused(&pool, DANGLING_TRANSFER).await),
        (
            WRONG_CURRENCY_ENTRY,
            refused(&pool, WRONG_CURRENCY_ENTRY).await,
        ),
        (DELETE_REFERENCED, refused(&pool, DELETE_REFERENCED).await),
    ] {
        match map_error::<Transfer>(error, None) {
            Error::ForeignKeyUnnamed { message, .. } => {
                assert_eq!(message, "FOREIGN KEY constraint failed", "{sql}");
            }
            other => panic!("{sql}: expected the unnamed foreign key error, got {other:?}"),
        }
    }
    run(&pool, "DELETE FROM fk_accounts WHERE id = 2").await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM fk_entries")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(left, 0, "cascade");
    // With the pragma off, SQLite ignores the keys: what `open` prevents.
    let unchecked = sqlx::SqlitePool::connect_with(
        money_sqlx::sqlite::connect_options("sqlite::memory:")
            .expect("options")
            .foreign_keys(false),
    )
    .await
    .expect("open SQLite");
    let mut connection = unchecked.acquire().await.expect("connection");
    for statement in statements(Dialect::Sqlite) {
        run(&mut *connection, &statement).await;
    }
    run(&mut *connection, DANGLING_TRANSFER).await;
}
