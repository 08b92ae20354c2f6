//! The embedded migrations against a real PostgreSQL (`money_tests::pg`:
//! `DATABASE_URL`, or a private server it starts): they build exactly the
//! tables the models render, rows behave as the models say, an applied
//! migration that changes is refused, and a model change goes in as a new
//! migration that takes an already migrated database to the new model.

use std::borrow::Cow;
use std::path::Path;

use money_core::{Decimal, Dialect, MoneyModel, Table, ddl};
use money_examples::{Account, FxRate, Settlement, TABLES};
use money_migrations_example::history::{self, ModelTable};
use money_migrations_example::{MIGRATOR, applied_versions, apply};
use money_sqlx::{Error, ModelExt, map_error};
use money_tests::dec;
use money_tests::pg::{count, fresh_schema, schema_with};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{PgPool, SqlSafeStr};

/// A column as the catalog describes it: table, column, type, NOT NULL,
/// default.
type CatalogColumn = (String, String, String, bool, Option<String>);

/// A constraint as the catalog describes it: table, name, kind, definition,
/// validated.
type CatalogConstraint = (String, String, String, String, bool);

/// The tables of `schema` (but sqlx's own), their columns by name (an
/// `ALTER TABLE ... ADD COLUMN` appends, so the order may differ from the
/// model's without consequence: every statement names its columns) and their
/// constraints. Indexes that no constraint owns are left out: a migration
/// may add them for speed.
async fn catalog(pool: &PgPool, schema: &str) -> (Vec<CatalogColumn>, Vec<CatalogConstraint>) {
    let columns = sqlx::query_as(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'
           AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, 2",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .expect("columns from the catalog");
    let constraints = sqlx::query_as(
        "SELECT c.relname::text, con.conname::text, con.contype::text,
                pg_get_constraintdef(con.oid), con.convalidated
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname <> '_sqlx_migrations'
         ORDER BY 1, 2",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .expect("constraints from the catalog");
    (columns, constraints)
}

/// The ordinary tables of `schema`, sqlx's own included.
async fn tables(pool: &PgPool, schema: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1")
        .bind(schema)
        .fetch_all(pool)
        .await
        .expect("tables from the catalog")
}

/// The files in `migrations/`, as the build script reads them.
fn committed_history() -> Vec<history::Migration> {
    history::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
        .expect("the committed migrations")
}

fn model_ddl(tables: &[&Table]) -> Vec<String> {
    tables
        .iter()
        .map(|table| ddl::create_table(table, Dialect::Postgres))
        .collect()
}

#[tokio::test]
async fn the_migrations_build_exactly_the_models_tables() {
    let migrated = fresh_schema().await;
    let applied = apply(&migrated.pool).await.expect("migrations apply");
    // Every committed file, embedded, applied to the empty schema.
    let committed: Vec<(i64, String, bool)> = committed_history()
        .iter()
        .map(|migration| {
            let description = migration.file_name.split_once('_').map(|(_, rest)| rest);
            let description = description.and_then(|rest| rest.strip_suffix(".sql"));
            (
                migration.version,
                description.unwrap_or_default().replace('_', " "),
                true,
            )
        })
        .collect();
    let applied_now: Vec<(i64, String, bool)> = applied
        .iter()
        .map(|migration| {
            (
                migration.version,
                migration.description.clone(),
                migration.applied_now,
            )
        })
        .collect();
    assert_eq!(applied_now, committed);
    assert_eq!(committed[0], (1, "create accounts".to_owned(), true));
    // Again: nothing to do, and the applied ones still match their files.
    let again = apply(&migrated.pool).await.expect("migrations apply twice");
    assert!(
        again.iter().all(|migration| !migration.applied_now),
        "{again:?}"
    );
    let versions: Vec<i64> = committed.iter().map(|(version, ..)| *version).collect();
    assert_eq!(
        applied_versions(&migrated.pool).await.expect("versions"),
        versions
    );

    let mut expected: Vec<String> = TABLES.iter().map(|table| table.name().to_owned()).collect();
    expected.push("_sqlx_migrations".to_owned());
    expected.sort();
    assert_eq!(tables(&migrated.pool, &migrated.name).await, expected);

    // The same tables, created straight from the models' DDL.
    let direct = schema_with(&model_ddl(TABLES)).await;
    let from_migrations = catalog(&migrated.pool, &migrated.name).await;
    assert_eq!(from_migrations, catalog(&direct.pool, &direct.name).await);
    // Not two empty lists: every rule of every model, and the keys.
    let declared: usize = TABLES
        .iter()
        .map(|table| table.constraints().count() + 1 + table.unique_keys().count())
        .sum();
    assert_eq!(from_migrations.1.len(), declared, "{from_migrations:?}");
    direct.drop().await;
    migrated.drop().await;
}

#[tokio::test]
async fn the_constraints_in_the_database_are_the_models() {
    let schema = fresh_schema().await;
    apply(&schema.pool).await.expect("migrations apply");
    for table in TABLES {
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, contype::text FROM pg_constraint
             WHERE conrelid = to_regclass($1) ORDER BY conname",
        )
        .bind(format!("{}.{}", schema.name, table.name()))
        .fetch_all(&schema.pool)
        .await
        .expect("constraints of the table");
        let mut declared: Vec<(String, String)> = table
            .constraints()
            .map(|constraint| (constraint.name, "c".to_owned()))
            .chain([(table.primary_key_name(), "p".to_owned())])
            .chain(table.unique_keys().map(|key| (key.name, "u".to_owned())))
            .collect();
        declared.sort();
        assert_eq!(found, declared, "table {}", table.name());
    }
    schema.drop().await;
}

#[tokio::test]
async fn rows_in_the_migrated_tables_follow_the_models() {
    let schema = fresh_schema().await;
    apply(&schema.pool).await.expect("migrations apply");
    let pool = &schema.pool;

    let account = Account {
        id: 1,
        balance: dec("100.5000"),
        currency: "EUR".to_owned(),
        overdraft_limit: Some(dec("250")),
    };
    account.insert(pool).await.expect("a valid account");
    Settlement {
        id: 1,
        settlement_id: 7,
        account_id: 1,
        amount: dec("9999999999999.9999"),
        note: "not stored".to_owned(),
    }
    .insert(pool)
    .await
    .expect("a valid settlement at its maximum");
    let rate = FxRate {
        id: 1,
        pair: "EURUSD".to_owned(),
        rate: dec("1.084250005"),
    }
    .insert_returning(pool)
    .await
    .expect("a rate with excess digits, rounded");
    assert_eq!(rate.rate, dec("1.08425001"));

    // Refused in Rust: nothing is sent.
    let negative = Account {
        id: 2,
        balance: dec("-0.01"),
        ..account.clone()
    };
    match negative.insert(pool).await {
        Err(Error::Invalid(errors)) => {
            let constraints: Vec<&str> = errors.iter().map(|error| error.constraint()).collect();
            assert_eq!(constraints, ["accounts_balance_min"]);
        }
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
    assert_eq!(count(pool, "accounts").await, 1);

    // Refused by the migrated table's CHECK, for a statement that skips
    // validation, and mapped back to the errors `validate()` gives.
    let excess = Account {
        id: 3,
        balance: dec("123.45678"),
        ..account.clone()
    };
    let error = sqlx::query("INSERT INTO accounts (id, balance, currency) VALUES ($1, $2, $3)")
        .bind(excess.id)
        .bind(excess.balance)
        .bind(&excess.currency)
        .execute(pool)
        .await
        .expect_err("the CHECK refuses 5 digits after the point");
    let database = error.as_database_error().expect("a database error");
    assert_eq!(database.code().as_deref(), Some("23514"));
    // 5 digits break the scale and the euro's 2 minor units; PostgreSQL
    // checks a row's CHECKs in name order and reports the first to fail.
    assert_eq!(database.constraint(), Some("accounts_balance_minor_units"));
    match map_error(error, Some(&excess)) {
        Error::Invalid(errors) => {
            assert_eq!(errors, excess.validate().expect_err("invalid in Rust too"));
        }
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
    assert_eq!(count(pool, "accounts").await, 1);
    schema.drop().await;
}

#[tokio::test]
async fn an_applied_migration_that_changes_is_refused() {
    let schema = fresh_schema().await;
    apply(&schema.pool).await.expect("migrations apply");

    // What regenerating 0001 from a changed model would embed.
    let changed: Vec<Migration> = MIGRATOR
        .iter()
        .map(|migration| match migration.version {
            1 => simple(
                1,
                &migration.description,
                &migration.sql.as_str().replace(">= 0)", ">= 1)"),
            ),
            _ => migration.clone(),
        })
        .collect();
    assert_ne!(
        changed[0].checksum,
        MIGRATOR.iter().next().expect("version 1").checksum
    );
    match Migrator::with_migrations(changed).run(&schema.pool).await {
        Err(MigrateError::VersionMismatch(1)) => {}
        other => panic!("expected a checksum mismatch on version 1, got {other:?}"),
    }
    schema.drop().await;
}

fn simple(version: i64, description: &str, sql: &str) -> Migration {
    Migration::new(
        version,
        Cow::Owned(description.to_owned()),
        MigrationType::Simple,
        sqlx::AssertSqlSafe(sql.to_owned()).into_sql_str(),
        false,
    )
}

/// `Account`, changed after version 1 was applied: a lower bound on the
/// overdraft limit, a lower minimum balance, and a new nullable column.
#[derive(Debug, Clone, MoneyModel)]
#[money(table = "accounts")]
struct AccountV2 {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 18, scale = 4, min = "-500", currency_field = "currency")]
    balance: Decimal,
    #[money(currency)]
    currency: String,
    #[money(precision = 18, scale = 4, min = "0")]
    overdraft_limit: Option<Decimal>,
    closed_on: Option<i32>,
}

#[tokio::test]
async fn a_model_change_goes_in_as_a_new_migration() {
    let v2_tables: Vec<&Table> = TABLES
        .iter()
        .map(|table| match table.name() {
            "accounts" => AccountV2::DEFINITION,
            _ => table,
        })
        .collect();
    let models: Vec<ModelTable> = v2_tables
        .iter()
        .map(|table| ModelTable {
            name: table.name().to_owned(),
            ddl: ddl::create_table(table, Dialect::Postgres),
        })
        .collect();

    // What the build drafts for the changed model.
    let committed = committed_history();
    assert_eq!(committed.len(), MIGRATOR.iter().count());
    let comparison = history::compare(&committed, &models);
    assert!(comparison.problems.is_empty(), "{comparison:?}");
    let [draft] = comparison.pending.as_slice() else {
        panic!("one migration to add: {comparison:?}")
    };
    let next_version = committed.last().map_or(1, |last| last.version + 1);
    assert_eq!(
        draft.file_name,
        format!("{next_version:04}_alter_accounts.sql")
    );
    assert!(draft.draft);

    // What a person makes of it: the column statement written out, the
    // draft line deleted. The build accepts it.
    let finished: String = draft
        .text
        .lines()
        .filter(|line| !line.starts_with("-- money-migrations: draft"))
        .map(
            |line| match line.strip_prefix("-- TODO new column \"closed_on\": ") {
                Some(todo) => todo
                    .split_once(';')
                    .map(|(statement, _)| format!("{statement};"))
                    .expect("a statement"),
                None => line.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        finished.contains("ALTER TABLE \"accounts\" ADD COLUMN \"closed_on\" integer;"),
        "{finished}"
    );
    let mut with_finished = committed.clone();
    with_finished.push(history::Migration::new(&draft.file_name, &finished).expect("valid name"));
    assert!(history::compare(&with_finished, &models).is_clean());

    // A database that applied the committed migrations, with a row, takes the
    // new one
    // (the applied ones are unchanged, so their checksums still match).
    let schema = fresh_schema().await;
    apply(&schema.pool)
        .await
        .expect("the committed migrations apply");
    Account {
        id: 1,
        balance: dec("10"),
        currency: "EUR".to_owned(),
        overdraft_limit: None,
    }
    .insert(&schema.pool)
    .await
    .expect("a row before the change");
    let mut migrations: Vec<Migration> = MIGRATOR.iter().cloned().collect();
    migrations.push(simple(next_version, "alter accounts", &finished));
    Migrator::with_migrations(migrations)
        .run(&schema.pool)
        .await
        .expect("the new migration applies");
    let mut versions: Vec<i64> = committed
        .iter()
        .map(|migration| migration.version)
        .collect();
    versions.push(next_version);
    assert_eq!(
        applied_versions(&schema.pool).await.expect("versions"),
        versions
    );

    // The result is the changed model's table, as if created from it.
    let direct = schema_with(&model_ddl(&v2_tables)).await;
    assert_eq!(
        catalog(&schema.pool, &schema.name).await,
        catalog(&direct.pool, &direct.name).await
    );
    direct.drop().await;

    // And it follows the new rules.
    AccountV2 {
        id: 2,
        balance: dec("-500"),
        currency: "EUR".to_owned(),
        overdraft_limit: Some(dec("0")),
        closed_on: Some(20_260_101),
    }
    .insert(&schema.pool)
    .await
    .expect("a balance the new minimum allows");
    let error = sqlx::query("UPDATE accounts SET overdraft_limit = -1 WHERE id = 1")
        .execute(&schema.pool)
        .await
        .expect_err("the new CHECK");
    match map_error::<AccountV2>(error, None) {
        Error::Check {
            field, constraint, ..
        } => {
            assert_eq!(
                (field, constraint.as_str()),
                ("overdraft_limit", "accounts_overdraft_limit_min")
            );
        }
        other => panic!("expected Error::Check, got {other:?}"),
    }
    schema.drop().await;
}

/// `verify` finds no drift on the committed history applied to an empty
/// schema (no false positive: the history went through `char(3)` and an
/// `ALTER COLUMN ... TYPE text`).
#[tokio::test]
async fn verify_is_clean_on_the_migrated_history() {
    let schema = fresh_schema().await;
    apply(&schema.pool).await.expect("migrations apply");
    let report = money_sqlx::schema::verify(&schema.pool, TABLES)
        .await
        .expect("verify");
    assert!(report.is_clean(), "{report}");
    schema.drop().await;
}

/// `DATABASE_URL` for the binary: the test server, with the search_path set
/// to `schema`.
fn url_for(schema: &str) -> String {
    let url = money_tests::pg::database_url();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

fn run_check(url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_money-migrations-example"))
        .arg("check")
        .env("DATABASE_URL", url)
        .output()
        .expect("run the binary")
}

/// `cargo run -p money-migrations-example -- check`: 0 and "clean" on the
/// migrated schema; 1 with the report and the fix after a drift; 0 again once
/// the printed fix is applied; 2 when it cannot tell.
#[tokio::test]
async fn the_check_command_exits_1_on_drift_with_the_fix() {
    let schema = fresh_schema().await;
    apply(&schema.pool).await.expect("migrations apply");
    let url = url_for(&schema.name);
    let clean = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_check(&url)
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(stdout.contains("clean"), "{stdout}");

    sqlx::raw_sql("ALTER TABLE settlements ALTER COLUMN amount TYPE numeric(19,4)")
        .execute(&schema.pool)
        .await
        .expect("drift");
    let drift = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_check(&url)
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&drift.stdout).into_owned();
    assert_eq!(drift.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("column settlements.amount"), "{stdout}");
    assert!(
        stdout.contains("numeric(19,4) rounds values with more than 4 digit(s) after the point before any CHECK runs"),
        "{stdout}"
    );
    let fix = stdout
        .lines()
        .filter(|line| line.starts_with("ALTER TABLE"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        fix,
        r#"ALTER TABLE "settlements" ALTER COLUMN "amount" TYPE numeric USING "amount"::numeric;"#
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(fix))
        .execute(&schema.pool)
        .await
        .expect("the printed fix runs");
    let fixed = tokio::task::spawn_blocking(move || run_check(&url))
        .await
        .expect("join");
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stdout)
    );
    let missing = tokio::task::spawn_blocking(|| run_check(""))
        .await
        .expect("join");
    assert_eq!(missing.status.code(), Some(2));
    schema.drop().await;
}
