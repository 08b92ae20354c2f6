//! `money_sqlx::schema::verify` against SQLite (sqlx's bundled library, an
//! in-memory database per case): tables from the generated DDL, one drift
//! at a time (SQLite alters almost nothing, so a drift is the table created
//! from edited DDL), the report must be exactly that difference, and its
//! `fix_sql()` (the table rebuild SQLite documents) applied must make the
//! report clean again.

use money_core::{Decimal, Dialect, MoneyModel, Table, ddl};
use money_sqlx::schema::{ConstraintKind, Difference, SchemaReport, verify};
use money_tests::sqlite::violated_check;
use sqlx::{AssertSqlSafe, SqlitePool};

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_accounts", unique(id, currency))]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(currency)]
    currency: String,
    #[money(precision = 18, scale = 4, min = "0")]
    balance: Decimal,
    memo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_transfers")]
struct Transfer {
    #[money(primary_key)]
    id: i64,
    #[money(references = "drift_accounts(id)")]
    account_id: i64,
    #[money(precision = 18, scale = 4, min = "0.0001")]
    amount: Decimal,
}

const TABLES: &[&Table] = &[Transfer::DEFINITION, Account::DEFINITION];

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_ghosts")]
struct Ghost {
    #[money(primary_key)]
    id: i64,
    #[money(references = "drift_accounts(id)")]
    account_id: i64,
}

async fn execute(pool: &SqlitePool, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The generated DDL, with `from` replaced by `to` (which must be there).
fn edited(from: &str, to: &str) -> Vec<String> {
    let statements = ddl::create_tables(TABLES, Dialect::Sqlite).expect("no cycle");
    assert!(
        statements.iter().any(|statement| statement.contains(from)),
        "{from:?} is not in the DDL:\n{}",
        statements.join("\n")
    );
    statements
        .into_iter()
        .map(|statement| statement.replace(from, to))
        .collect()
}

async fn database_with(statements: &[String]) -> SqlitePool {
    let pool = money_sqlx::sqlite::open("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    for statement in statements {
        execute(&pool, statement).await;
    }
    pool
}

async fn report(pool: &SqlitePool) -> SchemaReport {
    verify(pool, TABLES)
        .await
        .unwrap_or_else(|error| panic!("verify: {error}"))
}

async fn apply_fixes(pool: &SqlitePool, report: &SchemaReport) {
    for fix in report.fix_sql() {
        execute(pool, &fix.sql).await;
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// Tables from the DDL with `from` replaced by `to`: exactly `expected`,
/// every violations query runs and finds nothing, the fix makes it clean.
async fn drift_case(from: &str, to: &str, expected: Vec<Difference>) -> (SqlitePool, SchemaReport) {
    let pool = database_with(&edited(from, to)).await;
    let found = report(&pool).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(differences, expected, "after {from:?} -> {to:?}:\n{found}");
    for fix in found.fix_sql() {
        if let Some(query) = &fix.violations_query {
            let rows = sqlx::query(AssertSqlSafe(query.clone()))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|error| panic!("{query}: {error}"));
            assert!(rows.is_empty(), "{query}");
        }
    }
    apply_fixes(&pool, &found).await;
    let after = report(&pool).await;
    assert!(
        after.is_clean(),
        "after the fix of {from:?} -> {to:?}:\n{after}"
    );
    (pool, found)
}

#[tokio::test]
async fn fresh_ddl_is_clean() {
    let pool = database_with(&ddl::create_tables(TABLES, Dialect::Sqlite).expect("no cycle")).await;
    let found = report(&pool).await;
    assert!(found.is_clean(), "{found}");
    assert!(found.fix_sql().is_empty());
}

#[tokio::test]
async fn a_declared_type_is_reported_and_rebuilt_away() {
    let (pool, found) = drift_case(
        r#""balance" NOT NULL"#,
        r#""balance" numeric(19,4) NOT NULL"#,
        vec![Difference::ColumnType {
            table: s("drift_accounts"),
            column: s("balance"),
            declared: s(""),
            found: s("numeric(19,4)"),
        }],
    )
    .await;
    let text = found.to_string();
    assert!(text.contains("NUMERIC affinity"), "{text}");
    let fixes = found.fix_sql();
    assert!(
        fixes
            .iter()
            .any(|fix| fix.sql.starts_with("INSERT INTO") && fix.rewrites_table),
        "{text}"
    );
    // Refused again by the database: 123.45678 at scale 4 is 1234567.8
    // units, no integer (the scale CHECK), and so is the text '1234567',
    // which NUMERIC affinity had turned into an integer.
    let error = sqlx::query(
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', 1234567.8)",
    )
    .execute(&pool)
    .await
    .expect_err("123.45678 has 5 digits after the point");
    assert_eq!(violated_check(&error), Some("drift_accounts_balance_scale"));
    let error = sqlx::query(
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', '1234567')",
    )
    .execute(&pool)
    .await
    .expect_err("a text is no integer");
    assert_eq!(violated_check(&error), Some("drift_accounts_balance_scale"));
}

#[tokio::test]
async fn numeric_affinity_lets_a_text_in() {
    // What the drift does, before the fix: the text '1234567' becomes the
    // integer 1234567 before the CHECKs see it.
    let pool = database_with(&edited(
        r#""balance" NOT NULL"#,
        r#""balance" numeric(19,4) NOT NULL"#,
    ))
    .await;
    execute(
        &pool,
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', '1234567')",
    )
    .await;
    let kind: String = sqlx::query_scalar("SELECT typeof(balance) FROM drift_accounts")
        .fetch_one(&pool)
        .await
        .expect("read back");
    assert_eq!(kind, "integer");
}

#[tokio::test]
async fn tables_and_columns() {
    let pool = database_with(&ddl::create_tables(TABLES, Dialect::Sqlite).expect("no cycle")).await;
    let with_ghost = [Transfer::DEFINITION, Account::DEFINITION, Ghost::DEFINITION];
    let found = verify(&pool, &with_ghost).await.expect("verify");
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::MissingTable {
            table: s("drift_ghosts"),
        }]
    );
    apply_fixes(&pool, &found).await;
    assert!(verify(&pool, &with_ghost).await.expect("verify").is_clean());

    // A nullable column is added in place.
    let (_, found) = drift_case(
        ",\n    \"memo\" text",
        "",
        vec![Difference::MissingColumn {
            table: s("drift_accounts"),
            column: s("memo"),
            declared_type: s("text"),
        }],
    )
    .await;
    assert!(found.fix_sql()[0].sql.contains("ADD COLUMN"), "{found}");
    drift_case(
        r#""balance" NOT NULL"#,
        r#""balance""#,
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("balance"),
            declared_not_null: true,
        }],
    )
    .await;
    drift_case(
        r#""memo" text"#,
        r#""memo" text NOT NULL"#,
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("memo"),
            declared_not_null: false,
        }],
    )
    .await;
}

#[tokio::test]
async fn an_extra_column_is_kept_by_the_rebuild() {
    let pool = database_with(&edited(
        ",\n    \"memo\" text",
        ",\n    \"memo\" text,\n    \"legacy\" integer",
    ))
    .await;
    let found = report(&pool).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::ExtraColumn {
            table: s("drift_accounts"),
            column: s("legacy"),
            found_type: s("integer"),
        }]
    );
    assert!(found.fix_sql().is_empty(), "{found}");
    // With a CHECK gone as well, the rebuild keeps the column and its data.
    let pool = database_with(&edited(
        ",\n    \"memo\" text",
        ",\n    \"memo\" text,\n    \"legacy\" integer",
    ))
    .await;
    let pool_with_drift = {
        let statements = edited(
            ",\n    CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0)",
            "",
        );
        drop(pool);
        let statements: Vec<String> = statements
            .into_iter()
            .map(|statement| {
                statement.replace(
                    ",\n    \"memo\" text",
                    ",\n    \"memo\" text,\n    \"legacy\" integer",
                )
            })
            .collect();
        database_with(&statements).await
    };
    execute(
        &pool_with_drift,
        "INSERT INTO drift_accounts (id, currency, balance, legacy) VALUES (1, 'USD', 5, 42)",
    )
    .await;
    let found = report(&pool_with_drift).await;
    assert_eq!(found.differences().count(), 2, "{found}");
    apply_fixes(&pool_with_drift, &found).await;
    let after = report(&pool_with_drift).await;
    let differences: Vec<Difference> = after.differences().cloned().collect();
    assert!(
        matches!(differences.as_slice(), [Difference::ExtraColumn { column, .. }] if column == "legacy"),
        "{after}"
    );
    let legacy: i64 = sqlx::query_scalar("SELECT legacy FROM drift_accounts WHERE id = 1")
        .fetch_one(&pool_with_drift)
        .await
        .expect("the row survived the rebuild");
    assert_eq!(legacy, 42);
}

#[tokio::test]
async fn checks() {
    let (_, found) = drift_case(
        ",\n    CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0)",
        "",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("CHECK (balance >= 0)"),
        }],
    )
    .await;
    let text = found.to_string();
    assert!(text.contains("PRAGMA foreign_keys = OFF"), "{text}");
    drift_case(
        "CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0)",
        "CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0),\n    CONSTRAINT drift_accounts_hotfix CHECK (balance < 1000000)",
        vec![Difference::ExtraConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_hotfix"),
            kind: ConstraintKind::Check,
            found: s("CHECK (balance < 1000000)"),
        }],
    )
    .await;
    drift_case(
        "CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0)",
        "CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= -50000)",
        vec![Difference::ConstraintDiffers {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("CHECK (balance >= 0)"),
            found: s("CHECK (balance >= - 50000)"),
        }],
    )
    .await;
    // Spelling that does not change the rule is no drift.
    let pool = database_with(&edited(
        "CONSTRAINT \"drift_accounts_balance_min\" CHECK (\"balance\" >= 0)",
        "constraint drift_accounts_balance_min check ( BALANCE>=0 /* why */ )",
    ))
    .await;
    let found = report(&pool).await;
    assert!(found.is_clean(), "{found}");
}

#[tokio::test]
async fn keys() {
    drift_case(
        ",\n    CONSTRAINT \"drift_transfers_pkey\" PRIMARY KEY (\"id\")",
        "",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_pkey"),
            kind: ConstraintKind::PrimaryKey,
            declared: s("PRIMARY KEY (id)"),
        }],
    )
    .await;
    drift_case(
        ",\n    CONSTRAINT \"drift_accounts_id_currency_key\" UNIQUE (\"id\", \"currency\")",
        "",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            kind: ConstraintKind::Unique,
            declared: s("UNIQUE (id, currency)"),
        }],
    )
    .await;
    // The key made by `CREATE UNIQUE INDEX` instead: SQLite refuses the same
    // rows and names the same columns, so it is the declared key, whatever
    // the index is called. A partial one refuses fewer rows: missing.
    let unique =
        ",\n    CONSTRAINT \"drift_accounts_id_currency_key\" UNIQUE (\"id\", \"currency\")";
    let mut statements = edited(unique, "");
    statements.push(
        "CREATE UNIQUE INDEX accounts_by_id_and_code ON drift_accounts (id, currency)".to_owned(),
    );
    let found = report(&database_with(&statements).await).await;
    assert!(found.is_clean(), "{found}");
    let mut statements = edited(unique, "");
    statements.push(
        "CREATE UNIQUE INDEX accounts_by_id_and_code ON drift_accounts (id, currency) WHERE id > 0"
            .to_owned(),
    );
    let found = report(&database_with(&statements).await).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            kind: ConstraintKind::Unique,
            declared: s("UNIQUE (id, currency)"),
        }],
        "{found}"
    );
    let declared_key = "FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE RESTRICT ON UPDATE RESTRICT";
    drift_case(
        ",\n    CONSTRAINT \"drift_transfers_account_id_fkey\" FOREIGN KEY (\"account_id\") REFERENCES \"drift_accounts\" (\"id\") ON DELETE RESTRICT ON UPDATE RESTRICT",
        "",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
        }],
    )
    .await;
    drift_case(
        "REFERENCES \"drift_accounts\" (\"id\") ON DELETE RESTRICT ON UPDATE RESTRICT",
        "REFERENCES \"drift_accounts\" (\"id\") ON DELETE CASCADE",
        vec![Difference::ConstraintDiffers {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
            found: s("FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE CASCADE ON UPDATE NO ACTION"),
        }],
    )
    .await;
}
