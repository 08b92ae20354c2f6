//! `money_sqlx::schema::verify` against a real PostgreSQL: tables from the
//! generated DDL, one drift at a time made with raw SQL, the report must be
//! exactly that difference, and its `fix_sql()` applied must make the report
//! clean again.
//!
//! A declared table that exists only in another schema is an error by
//! design, and every case creates these tables in a schema of its own: the
//! cases run one at a time (one lock), each dropping its schema at the end.

use money_core::{Decimal, Dialect, MoneyModel, Table, ddl};
use money_sqlx::schema::{ConstraintKind, Difference, Error, SchemaReport, verify};
use money_tests::pg::{TestSchema, execute, schema_with};
use tokio::sync::Mutex;

use money_tests::drift::{Account, Ghost, TABLES, Transfer};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

async fn fresh() -> TestSchema {
    schema_with(&ddl::create_tables(TABLES, Dialect::Postgres).expect("no cycle")).await
}

async fn report(schema: &TestSchema) -> SchemaReport {
    verify(&schema.pool, TABLES)
        .await
        .unwrap_or_else(|error| panic!("verify: {error}"))
}

async fn apply_fixes(schema: &TestSchema, report: &SchemaReport) {
    for fix in report.fix_sql() {
        execute(&schema.pool, &fix.sql).await;
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// Makes `drift`, expects exactly `expected`, applies the fix, expects a
/// clean report.
async fn drift_case(drift: &str, expected: Vec<Difference>) -> (TestSchema, SchemaReport) {
    let schema = fresh().await;
    execute(&schema.pool, drift).await;
    let found = report(&schema).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(differences, expected, "after {drift}:\n{found}");
    // Every query for the rows a fix would fail on runs, and finds none in
    // these empty tables.
    for fix in found.fix_sql() {
        if let Some(query) = &fix.violations_query {
            let rows = sqlx::query(sqlx::AssertSqlSafe(query.clone()))
                .fetch_all(&schema.pool)
                .await
                .unwrap_or_else(|error| panic!("{query}: {error}"));
            assert!(rows.is_empty(), "{query}");
        }
    }
    apply_fixes(&schema, &found).await;
    let after = report(&schema).await;
    assert!(after.is_clean(), "after the fix of {drift}:\n{after}");
    (schema, found)
}

#[tokio::test]
async fn fresh_ddl_is_clean() {
    let _one = ONE_AT_A_TIME.lock().await;
    let schema = fresh().await;
    let found = report(&schema).await;
    assert!(found.is_clean(), "{found}");
    assert!(found.fix_sql().is_empty());
    assert!(found.to_string().contains("clean"), "{found}");
    schema.drop().await;
}

#[tokio::test]
async fn numeric_19_4_is_reported_with_what_it_does_and_fixed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (schema, found) = drift_case(
        "ALTER TABLE drift_accounts ALTER COLUMN balance TYPE numeric(19,4)",
        vec![Difference::ColumnType {
            table: s("drift_accounts"),
            column: s("balance"),
            declared: s("numeric"),
            found: s("numeric(19,4)"),
        }],
    )
    .await;
    let text = found.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("numeric(19,4) rounds values with more than 4 digit(s) after the point before any CHECK runs"),
        "{text}"
    );
    let fixes = found.fix_sql();
    assert_eq!(fixes.len(), 1);
    assert!(fixes[0].rewrites_table, "{}", fixes[0]);
    assert!(text.contains("rewrites the table"), "{text}");
    // Refused again by the database, by the scale CHECK.
    let error = sqlx::query(
        "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', 123.45678)",
    )
    .execute(&schema.pool)
    .await
    .expect_err("123.45678 has 5 digits after the point");
    let database = error.as_database_error().expect("a database error");
    assert_eq!(database.code().as_deref(), Some("23514"));
    assert_eq!(database.constraint(), Some("drift_accounts_balance_scale"));
    schema.drop().await;
}

#[tokio::test]
async fn a_narrower_decimal_is_less_range() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (schema, found) = drift_case(
        "ALTER TABLE drift_transfers ALTER COLUMN amount TYPE numeric(10,2)",
        vec![Difference::ColumnType {
            table: s("drift_transfers"),
            column: s("amount"),
            declared: s("numeric"),
            found: s("numeric(10,2)"),
        }],
    )
    .await;
    assert!(
        found.to_string().contains("numeric(10,2) holds less than the declared range: at most 8 digit(s) before the point, the declaration allows 15"),
        "{found}"
    );
    schema.drop().await;
}

#[tokio::test]
async fn tables_and_columns() {
    let _one = ONE_AT_A_TIME.lock().await;
    let schema = fresh().await;
    let with_ghost = [Transfer::DEFINITION, Account::DEFINITION, Ghost::DEFINITION];
    let found = verify(&schema.pool, &with_ghost).await.expect("verify");
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::MissingTable {
            table: s("drift_ghosts"),
        }]
    );
    apply_fixes(&schema, &found).await;
    let after = verify(&schema.pool, &with_ghost).await.expect("verify");
    assert!(after.is_clean(), "{after}");
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts DROP COLUMN memo",
        vec![Difference::MissingColumn {
            table: s("drift_accounts"),
            column: s("memo"),
            declared_type: s("text"),
        }],
    )
    .await;
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts ALTER COLUMN balance DROP NOT NULL",
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("balance"),
            declared_not_null: true,
        }],
    )
    .await;
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts ALTER COLUMN memo SET NOT NULL",
        vec![Difference::Nullability {
            table: s("drift_accounts"),
            column: s("memo"),
            declared_not_null: false,
        }],
    )
    .await;
    schema.drop().await;

    // An extra column is reported and never dropped by the fix.
    let schema = fresh().await;
    execute(
        &schema.pool,
        "ALTER TABLE drift_accounts ADD COLUMN legacy integer",
    )
    .await;
    let found = report(&schema).await;
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
    schema.drop().await;
}

#[tokio::test]
async fn checks() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (schema, found) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_balance_min",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("CHECK ((balance >= (0)::numeric))"),
        }],
    )
    .await;
    let fixes = found.fix_sql();
    assert!(fixes[0].sql.ends_with("NOT VALID"), "{}", fixes[0]);
    assert!(fixes[1].sql.contains("VALIDATE CONSTRAINT"), "{}", fixes[1]);
    assert!(fixes[1].violations_query.is_some());
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_hotfix CHECK (balance < 100)",
        vec![Difference::ExtraConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_hotfix"),
            kind: ConstraintKind::Check,
            found: s("CHECK ((balance < (100)::numeric))"),
        }],
    )
    .await;
    schema.drop().await;
    // A CHECK on no column (PostgreSQL stores no column list for it).
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_constant CHECK (1 = 1)",
        vec![Difference::ExtraConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_constant"),
            kind: ConstraintKind::Check,
            found: s("CHECK ((1 = 1))"),
        }],
    )
    .await;
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_balance_min;
         ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_balance_min CHECK (balance >= -5)",
        vec![Difference::ConstraintDiffers {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("CHECK ((balance >= (0)::numeric))"),
            found: s("CHECK ((balance >= ('-5'::integer)::numeric))"),
        }],
    )
    .await;
    schema.drop().await;
}

#[tokio::test]
async fn keys() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_transfers DROP CONSTRAINT drift_transfers_pkey",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_pkey"),
            kind: ConstraintKind::PrimaryKey,
            declared: s("PRIMARY KEY (id)"),
        }],
    )
    .await;
    schema.drop().await;
    // A key with more than its columns is not the declared one.
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_id_currency_key;
         ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_id_currency_key
           UNIQUE (id, currency) INCLUDE (balance)",
        vec![Difference::ConstraintDiffers {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            kind: ConstraintKind::Unique,
            declared: s("UNIQUE (id, currency)"),
            found: s("UNIQUE (id, currency) INCLUDE (balance)"),
        }],
    )
    .await;
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_id_currency_key",
        vec![Difference::MissingConstraint {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            kind: ConstraintKind::Unique,
            declared: s("UNIQUE (id, currency)"),
        }],
    )
    .await;
    schema.drop().await;
    // The same key as a unique index of the declared name (a migration's
    // `CREATE UNIQUE INDEX`): the rows refused are the same, so it is no
    // missing key, and its fix adopts the index rather than adding a second
    // one under a name the index already holds (which would fail).
    let (schema, found) = drift_case(
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_id_currency_key;
         CREATE UNIQUE INDEX drift_accounts_id_currency_key ON drift_accounts (id, currency)",
        vec![Difference::UniqueIndex {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_id_currency_key"),
            declared: s("UNIQUE (id, currency)"),
        }],
    )
    .await;
    assert!(
        found.fix_sql()[0]
            .sql
            .ends_with("UNIQUE USING INDEX \"drift_accounts_id_currency_key\""),
        "{found}"
    );
    assert!(!found.fix_sql()[0].rewrites_table, "{found}");
    schema.drop().await;
    // A unique index that refuses other rows than the key (partial here)
    // does not stand for it.
    let schema = fresh().await;
    execute(
        &schema.pool,
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_id_currency_key;
         CREATE UNIQUE INDEX drift_accounts_id_currency_key ON drift_accounts (id, currency) WHERE id > 0",
    )
    .await;
    let found = report(&schema).await;
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
    schema.drop().await;
    let declared_key = "FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE RESTRICT ON UPDATE RESTRICT";
    let (schema, found) = drift_case(
        "ALTER TABLE drift_transfers DROP CONSTRAINT drift_transfers_account_id_fkey",
        vec![Difference::MissingConstraint {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
        }],
    )
    .await;
    let fixes = found.fix_sql();
    assert!(
        fixes[0].sql.ends_with("NOT VALID") && fixes[1].sql.contains("VALIDATE"),
        "{found}"
    );
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_transfers DROP CONSTRAINT drift_transfers_account_id_fkey;
         ALTER TABLE drift_transfers ADD CONSTRAINT drift_transfers_account_id_fkey
           FOREIGN KEY (account_id) REFERENCES drift_accounts (id) ON DELETE CASCADE",
        vec![Difference::ConstraintDiffers {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
            found: s("FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE CASCADE ON UPDATE NO ACTION"),
        }],
    )
    .await;
    schema.drop().await;
    // Every flag of a key is read: SET DEFAULT (code `d`) is not
    // DEFERRABLE, and MATCH FULL and INITIALLY DEFERRED are reported.
    let (schema, _) = drift_case(
        "ALTER TABLE drift_transfers DROP CONSTRAINT drift_transfers_account_id_fkey;
         ALTER TABLE drift_transfers ADD CONSTRAINT drift_transfers_account_id_fkey
           FOREIGN KEY (account_id) REFERENCES drift_accounts (id) ON DELETE SET DEFAULT ON UPDATE SET NULL",
        vec![Difference::ConstraintDiffers {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
            found: s("FOREIGN KEY (account_id) REFERENCES drift_accounts(id) ON DELETE SET DEFAULT ON UPDATE SET NULL"),
        }],
    )
    .await;
    schema.drop().await;
    let (schema, _) = drift_case(
        "ALTER TABLE drift_transfers DROP CONSTRAINT drift_transfers_account_id_fkey;
         ALTER TABLE drift_transfers ADD CONSTRAINT drift_transfers_account_id_fkey
           FOREIGN KEY (account_id) REFERENCES drift_accounts (id) MATCH FULL
           ON DELETE RESTRICT ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED",
        vec![Difference::ConstraintDiffers {
            table: s("drift_transfers"),
            constraint: s("drift_transfers_account_id_fkey"),
            kind: ConstraintKind::ForeignKey,
            declared: s(declared_key),
            found: s(&format!(
                "{declared_key} MATCH FULL DEFERRABLE INITIALLY DEFERRED"
            )),
        }],
    )
    .await;
    schema.drop().await;
}

#[tokio::test]
async fn not_valid_is_reported_with_the_rows_that_break_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let schema = fresh().await;
    execute(
        &schema.pool,
        "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_balance_min;
         INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', -1), (2, 'USD', 5);
         ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_balance_min CHECK (balance >= 0) NOT VALID",
    )
    .await;
    let found = report(&schema).await;
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::NotValidated {
            table: s("drift_accounts"),
            constraint: s("drift_accounts_balance_min"),
            kind: ConstraintKind::Check,
        }]
    );
    let fixes = found.fix_sql();
    assert_eq!(fixes.len(), 1);
    let query = fixes[0]
        .violations_query
        .clone()
        .expect("a query for the rows that break it");
    let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT violations, id FROM ({query}) AS broken"
    )))
    .fetch_all(&schema.pool)
    .await
    .expect("the violations query runs");
    assert_eq!(rows, [(1, 1)]);
    // The fix fails while the row is there, and works once it is gone.
    sqlx::raw_sql(sqlx::AssertSqlSafe(fixes[0].sql.clone()))
        .execute(&schema.pool)
        .await
        .expect_err("row 1 breaks the constraint");
    execute(&schema.pool, "DELETE FROM drift_accounts WHERE id = 1").await;
    apply_fixes(&schema, &found).await;
    assert!(report(&schema).await.is_clean());
    schema.drop().await;
}

#[tokio::test]
async fn a_table_in_another_schema_is_an_error() {
    let _one = ONE_AT_A_TIME.lock().await;
    let elsewhere = fresh().await;
    let here = money_tests::pg::fresh_schema().await;
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
    // A reference outside the set cannot be rendered: an error, not a guess.
    let schema = fresh().await;
    match verify(&schema.pool, &[Transfer::DEFINITION]).await {
        Err(Error::MissingReference {
            referenced_table, ..
        }) => {
            assert_eq!(referenced_table, "drift_accounts");
        }
        other => panic!("expected MissingReference, got {other:?}"),
    }
    schema.drop().await;
}

#[tokio::test]
async fn a_schema_the_role_cannot_use_is_an_error() {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    let _one = ONE_AT_A_TIME.lock().await;
    let schema = fresh().await;
    // A role of its own, whose search_path names the schema but which has
    // no USAGE on it: the catalog still lists the tables, the schema is
    // not the role's to read.
    let role = format!("reader_{}", schema.name);
    execute(&schema.pool, &format!("CREATE ROLE {role} LOGIN")).await;
    let options: PgConnectOptions = money_tests::pg::database_url()
        .parse()
        .expect("a PostgreSQL URL");
    let options = options
        .username(&role)
        .options([("search_path", schema.name.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("connect as the reader");
    let without_usage = verify(&pool, TABLES).await;
    execute(
        &schema.pool,
        &format!("GRANT USAGE ON SCHEMA {} TO {role}", schema.name),
    )
    .await;
    // A new connection sees the grant in its search_path.
    pool.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(
            money_tests::pg::database_url()
                .parse::<PgConnectOptions>()
                .expect("a PostgreSQL URL")
                .username(&role)
                .options([("search_path", schema.name.as_str())]),
        )
        .await
        .expect("connect as the reader");
    let with_usage = verify(&pool, TABLES).await;
    pool.close().await;
    execute(
        &schema.pool,
        &format!(
            "REVOKE USAGE ON SCHEMA {} FROM {role}; DROP ROLE {role}",
            schema.name
        ),
    )
    .await;
    schema.drop().await;
    assert!(
        matches!(without_usage, Err(Error::NoCurrentSchema)),
        "{without_usage:?}"
    );
    let with_usage = with_usage.unwrap_or_else(|error| panic!("verify with USAGE: {error}"));
    assert!(with_usage.is_clean(), "{with_usage}");
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_wallets_a")]
struct WalletA {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "drift_wallets_b")]
struct WalletB {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
}

/// Two declarations with the same CHECK expressions share one scratch
/// table and one rendering of each CHECK: a drift in one of them is still
/// that one difference, and the other table stays clean.
#[tokio::test]
async fn a_shared_check_drifting_in_one_table() {
    let _one = ONE_AT_A_TIME.lock().await;
    let wallets: &[&Table] = &[WalletA::DEFINITION, WalletB::DEFINITION];
    let schema =
        schema_with(&ddl::create_tables(wallets, Dialect::Postgres).expect("no cycle")).await;
    assert!(
        verify(&schema.pool, wallets)
            .await
            .expect("verify")
            .is_clean()
    );
    execute(
        &schema.pool,
        "ALTER TABLE drift_wallets_a DROP CONSTRAINT drift_wallets_a_balance_min;
         ALTER TABLE drift_wallets_a ADD CONSTRAINT drift_wallets_a_balance_min CHECK (balance >= -5)",
    )
    .await;
    let found = verify(&schema.pool, wallets).await.expect("verify");
    let differences: Vec<Difference> = found.differences().cloned().collect();
    assert_eq!(
        differences,
        [Difference::ConstraintDiffers {
            table: s("drift_wallets_a"),
            constraint: s("drift_wallets_a_balance_min"),
            kind: ConstraintKind::Check,
            declared: s("CHECK ((balance >= (0)::numeric))"),
            found: s("CHECK ((balance >= ('-5'::integer)::numeric))"),
        }]
    );
    apply_fixes(&schema, &found).await;
    assert!(
        verify(&schema.pool, wallets)
            .await
            .expect("verify")
            .is_clean()
    );
    schema.drop().await;
}

/// A currency CHECK as an older money-core rendered it (an `IN` list, which
/// PostgreSQL stores as an array of one constant per code): the same rule,
/// reported as a difference that does nothing to values and replaced by the
/// fix; an `IN` list that lacks a code is another rule.
#[tokio::test]
async fn a_currency_check_spelled_as_an_in_list_is_the_same_rule() {
    let _one = ONE_AT_A_TIME.lock().await;
    let in_list = |skip: &str| {
        let codes: Vec<String> = money_core::Currency::all()
            .map(|currency| currency.code())
            .filter(|code| *code != skip)
            .map(|code| format!("'{code}'"))
            .collect();
        format!(
            "ALTER TABLE drift_accounts DROP CONSTRAINT drift_accounts_currency_currency;
             ALTER TABLE drift_accounts ADD CONSTRAINT drift_accounts_currency_currency
               CHECK (currency IN ({}))",
            codes.join(", ")
        )
    };
    for (skip, same) in [("", true), ("USD", false)] {
        let schema = fresh().await;
        execute(&schema.pool, &in_list(skip)).await;
        let found = report(&schema).await;
        let entries = found.entries();
        assert_eq!(entries.len(), 1, "{found}");
        let Difference::ConstraintDiffers {
            constraint,
            kind,
            declared,
            found: live,
            ..
        } = &entries[0].difference
        else {
            panic!("{found}");
        };
        assert_eq!(constraint, "drift_accounts_currency_currency");
        assert_eq!(*kind, ConstraintKind::Check);
        assert!(declared.contains("ANY ('{AED,AFN,"), "{declared}");
        assert!(live.contains("ARRAY['AED'::text, 'AFN'::text"), "{live}");
        assert_eq!(
            entries[0].effect.starts_with("none on values"),
            same,
            "{found}"
        );
        apply_fixes(&schema, &found).await;
        let after = report(&schema).await;
        assert!(after.is_clean(), "{after}");
        // The replaced CHECK judges as declared: USD in, a withdrawn code out.
        execute(
            &schema.pool,
            "INSERT INTO drift_accounts (id, currency, balance) VALUES (1, 'USD', 1)",
        )
        .await;
        let refused =
            sqlx::query("INSERT INTO drift_accounts (id, currency, balance) VALUES (2, 'HRK', 1)")
                .execute(&schema.pool)
                .await
                .expect_err("HRK is withdrawn");
        assert!(
            refused
                .to_string()
                .contains("drift_accounts_currency_currency"),
            "{refused}"
        );
        schema.drop().await;
    }
}
