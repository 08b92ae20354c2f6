//! `money_sqlx::schema::verify` against a real MariaDB (or MySQL with
//! `MYSQL_URL`): tables from the generated DDL, one drift at a time made with
//! raw SQL, the report must be exactly that difference, and its `fix_sql()`
//! applied must make the report clean again.
//!
//! Each case has a database of its own; the cases run one at a time (one
//! lock), since a declared table missing here is looked for in the other
//! databases of the server.

use money_core::{Dialect, MoneyModel, ddl};
use money_sqlx::schema::{ConstraintKind, Difference, Error, SchemaReport, verify};
use money_tests::mysql::{TestDatabase, fresh_database, violated_check};
use sqlx::AssertSqlSafe;
use tokio::sync::Mutex;

use money_tests::drift::{Account, Ghost, TABLES, Transfer};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

async fn execute(database: &TestDatabase, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&database.pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn fresh() -> TestDatabase {
    let database = fresh_database().await;
    for statement in ddl::create_tables(TABLES, Dialect::MySql).expect("no cycle") {
        execute(&database, &statement).await;
    }
    database
}

async fn report(database: &TestDatabase) -> SchemaReport {
    verify(&database.pool, TABLES)
        .await
        .unwrap_or_else(|error| panic!("verify: {error}"))
}

async fn apply_fixes(database: &TestDatabase, report: &SchemaReport) {
    for fix in report.fix_sql() {
        execute(database, &fix.sql).await;
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// Makes `drift`, expects exactly `expected`, checks that every query for
/// the rows a fix would fail on runs (and finds none), applies the fix,
/// expects a clean report.
async fn drift_case(drift: &str, expected: Vec<Difference>) -> (TestDatabase, SchemaReport) {
    let database = fresh().await;
    execute(&database, drift).await;
    let found = report(&database).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(differences, expected, "after {drift}:\n{found}");
    for fix in found.fix_sql() {
        if let Some(query) = &fix.violations_query {
            let rows = sqlx::query(AssertSqlSafe(query.clone()))
                .fetch_all(&database.pool)
                .await
                .unwrap_or_else(|error| panic!("{query}: {error}"));
            assert!(rows.is_empty(), "{query}");
        }
    }
    apply_fixes(&database, &found).await;
    let after = report(&database).await;
    assert!(after.is_clean(), "after the fix of {drift}:\n{after}");
    (database, found)
}

#[tokio::test]
async fn fresh_ddl_is_clean() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = fresh().await;
    let found = report(&database).await;
    assert!(found.is_clean(), "{found}");
    assert!(found.fix_sql().is_empty());
    database.drop().await;
}

#[tokio::test]
async fn decimal_19_4_is_reported_with_what_it_does_and_fixed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = fresh().await;
    execute(
        &database,
        "ALTER TABLE drift_accounts MODIFY balance decimal(19,4) NOT NULL",
    )
    .await;
    // The drift at work: the server rounds before any CHECK runs.
    execute(
        &database,
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', 123.45678)",
    )
    .await;
    let stored: String = sqlx::query_scalar("SELECT CAST(balance AS CHAR) FROM drift_accounts")
        .fetch_one(&database.pool)
        .await
        .expect("read back");
    assert_eq!(stored, "123.4568");
    execute(&database, "DELETE FROM drift_accounts").await;

    let found = report(&database).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::ColumnType {
            table: s("drift_accounts"),
            column: s("balance"),
            declared: s("decimal(65,30)"),
            found: s("decimal(19,4)"),
        }],
        "{found}"
    );
    let text = found.to_string();
    assert!(
        text.contains("decimal(19,4) rounds values with more than 4 digit(s) after the point before any CHECK runs"),
        "{text}"
    );
    let fixes = found.fix_sql();
    assert_eq!(fixes.len(), 1, "{text}");
    assert!(fixes[0].rewrites_table, "{}", fixes[0]);
    assert!(fixes[0].sql.contains("MODIFY COLUMN"), "{}", fixes[0]);
    apply_fixes(&database, &found).await;
    assert!(report(&database).await.is_clean());
    // Refused again by the database, by the scale CHECK.
    let error = sqlx::query(
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', 123.45678)",
    )
    .execute(&database.pool)
    .await
    .expect_err("123.45678 has 5 digits after the point");
    assert_eq!(violated_check(&error), Some("drift_accounts_balance_scale"));
    database.drop().await;
}

#[tokio::test]
async fn a_narrower_decimal_is_less_range() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (database, found) = drift_case(
        "ALTER TABLE drift_transfers MODIFY amount decimal(10,2) NOT NULL",
        vec![Difference::ColumnType {
            table: s("drift_transfers"),
            column: s("amount"),
            declared: s("decimal(65,30)"),
            found: s("decimal(10,2)"),
        }],
    )
    .await;
    assert!(
        found.to_string().contains("decimal(10,2) holds less than the declared range: at most 8 digit(s) before the point, the declaration allows 15"),
        "{found}"
    );
    database.drop().await;
}

#[tokio::test]
async fn tables_and_columns() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = fresh().await;
    let with_ghost = [Transfer::DEFINITION, Account::DEFINITION, Ghost::DEFINITION];
    let found = verify(&database.pool, &with_ghost).await.expect("verify");
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::MissingTable {
            table: s("drift_ghosts"),
        }]
    );
    apply_fixes(&database, &found).await;
    let after = verify(&database.pool, &with_ghost).await.expect("verify");
    assert!(after.is_clean(), "{after}");
    database.drop().await;

    // The declared type of `memo` as this server prints it (its default
    // collation varies between servers).
    let database = fresh().await;
    execute(&database, "ALTER TABLE drift_accounts DROP COLUMN memo").await;
    let found = report(&database).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    match differences.as_slice() {
        [
            Difference::MissingColumn {
                table,
                column,
                declared_type,
            },
        ] => {
            assert_eq!(
                (table.as_str(), column.as_str()),
                ("drift_accounts", "memo")
            );
            assert!(declared_type.starts_with("text"), "{declared_type}");
        }
        other => panic!("expected the missing column memo, got {other:?}"),
    }
    apply_fixes(&database, &found).await;
    assert!(report(&database).await.is_clean());
    database.drop().await;

    let (database, _) = drift_case(
        "ALTER TABLE drift_accounts MODIFY balance decimal(65,30) NULL",
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("balance"),
            declared_not_null: true,
        }],
    )
    .await;
    database.drop().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_accounts MODIFY memo text NOT NULL",
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("memo"),
            declared_not_null: false,
        }],
    )
    .await;
    database.drop().await;

    // An extra column is reported and never dropped by the fix.
    let database = fresh().await;
    execute(
        &database,
        "ALTER TABLE drift_accounts ADD COLUMN legacy int",
    )
    .await;
    let found = report(&database).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    match differences.as_slice() {
        [Difference::ExtraColumn { table, column, .. }] => {
            assert_eq!(
                (table.as_str(), column.as_str()),
                ("drift_accounts", "legacy")
            );
        }
        other => panic!("expected the extra column legacy, got {other:?}"),
    }
    assert!(found.fix_sql().is_empty(), "{found}");
    database.drop().await;
}

#[tokio::test]
async fn checks() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (database, found) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_balance_min",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("`balance` >= 0"),
        }],
    )
    .await;
    let fixes = found.fix_sql();
    assert_eq!(fixes.len(), 1);
    assert!(fixes[0].violations_query.is_some(), "{}", fixes[0]);
    database.drop().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_hotfix CHECK (balance < 100)",
        vec![Difference::ExtraConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_hotfix"),
            kind: ConstraintKind::Check,
            found: s("`balance` < 100"),
        }],
    )
    .await;
    database.drop().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_balance_min;
         ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_balance_min CHECK (balance >= -5)",
        vec![Difference::ConstraintDiffers {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("`balance` >= 0"),
            found: s("`balance` >= -5"),
        }],
    )
    .await;
    database.drop().await;
}

#[tokio::test]
async fn keys() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_transfers DROP PRIMARY KEY",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_pkey"),
            kind: ConstraintKind::PrimaryKey,
            declared: s("PRIMARY KEY (id)"),
        }],
    )
    .await;
    database.drop().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_accounts DROP INDEX drift_accounts_id_currency_key",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            kind: ConstraintKind::Unique,
            declared: s("UNIQUE (id, currency)"),
        }],
    )
    .await;
    database.drop().await;
    // The key remade by `CREATE UNIQUE INDEX` under its name: on MariaDB/MySQL
    // a unique index is the UNIQUE constraint, so nothing differs.
    let database = fresh().await;
    execute(
        &database,
        "ALTER TABLE drift_accounts DROP INDEX drift_accounts_id_currency_key",
    )
    .await;
    execute(
        &database,
        "CREATE UNIQUE INDEX drift_accounts_id_currency_key ON drift_accounts (id, currency)",
    )
    .await;
    let found = report(&database).await;
    assert!(found.is_clean(), "{found}");
    database.drop().await;
    let declared_key = "FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE RESTRICT ON UPDATE RESTRICT";
    let (database, _) = drift_case(
        "ALTER TABLE drift_transfers DROP FOREIGN KEY drift_transfers_account_id_fkey",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
        }],
    )
    .await;
    database.drop().await;
    let (database, _) = drift_case(
        "ALTER TABLE drift_transfers DROP FOREIGN KEY drift_transfers_account_id_fkey;
         ALTER TABLE drift_transfers ADD CONSTRAINT drift_transfers_account_id_fkey
           FOREIGN KEY (account_id) REFERENCES drift_accounts (id) ON DELETE CASCADE",
        vec![Difference::ConstraintDiffers {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
            found: s("FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE CASCADE ON UPDATE RESTRICT"),
        }],
    )
    .await;
    database.drop().await;
}

#[tokio::test]
async fn a_table_in_another_database_is_an_error() {
    let _one = ONE_AT_A_TIME.lock().await;
    let elsewhere = fresh().await;
    let here = fresh_database().await;
    match verify(&here.pool, TABLES).await {
        Err(Error::TableInOtherSchema {
            table, found_in, ..
        }) => {
            assert_eq!(table, "drift_accounts");
            assert!(found_in.contains(&elsewhere.name), "{found_in:?}");
        }
        other => panic!("expected TableInOtherSchema, got {other:?}"),
    }
    here.drop().await;
    elsewhere.drop().await;
}
