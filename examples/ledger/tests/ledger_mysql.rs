//! `money_ledger` on a real MariaDB (`money_tests::mysql`: `MYSQL_URL`, or a
//! private server), beyond the behaviours `ledger.rs` runs on both
//! databases: the schema is the one the declarations render for
//! `Dialect::MySql`, and concurrent transfers in both directions keep the
//! total under its row locks. Cross-currency transfers run on both
//! databases in `ledger_fx.rs`.

mod support;

use money_core::{Decimal, Dialect};
use money_ledger::{Ledger, LedgerError, minimum_balance};
use money_tests::dec;
use sqlx::MySql;
use support::{Store, balances, mysql_ledger_with};
use tokio::task::JoinHandle;

#[tokio::test]
async fn the_schema_is_the_declarations_rendered_for_mysql_with_their_checks() {
    let (database, _ledger) = mysql_ledger_with(&[]).await;
    let mut checks: Vec<String> = sqlx::query_scalar(
        "SELECT CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME",
    )
    .fetch_all(&database.pool)
    .await
    .expect("check constraints");
    checks.sort();
    for expected in [
        "accounts_balance_min",
        "accounts_currency_currency",
        "journal_entries_amount_scale",
        "transfers_amount_min",
        "transfers_distinct_accounts",
    ] {
        assert!(
            checks.iter().any(|name| name == expected),
            "{expected} missing from {checks:?}"
        );
    }
    // What was created is what the declarations render for MariaDB/MySQL.
    let statements = money_ledger::schema::statements_for(Dialect::MySql).expect("statements");
    let created: String = sqlx::query_as::<_, (String, String)>("SHOW CREATE TABLE accounts")
        .fetch_one(&database.pool)
        .await
        .map(|(_, sql)| sql)
        .expect("SHOW CREATE TABLE");
    assert!(
        statements[0].contains("CONSTRAINT `accounts_balance_min` CHECK (`balance` >= 0)")
            && created.contains("CONSTRAINT `accounts_balance_min` CHECK (`balance` >= 0)"),
        "{created}"
    );
    // The timestamp columns hold microseconds.
    let as_of: String = sqlx::query_scalar(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'fx_rates' AND COLUMN_NAME = 'as_of'",
    )
    .fetch_one(&database.pool)
    .await
    .expect("column type");
    assert_eq!(as_of, "datetime(6)");
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_in_both_directions_keep_the_total_and_every_balance_above_zero() {
    const TASKS: i64 = 8;
    const PER_TASK: i64 = 25;
    let (database, _) = mysql_ledger_with(&[
        (1, "EUR", "10.00"),
        (2, "EUR", "10.00"),
        (3, "EUR", "10.00"),
    ])
    .await;
    let pool = database.pool_of(TASKS as u32).await;
    let options = <MySql as money_ledger::LedgerDatabase>::default_options().max_attempts(100);
    let ledger = Ledger::with_options(pool.clone(), options);
    let tasks: Vec<JoinHandle<(u64, u64, u32)>> = (0..TASKS)
        .map(|task| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let (mut booked, mut refused, mut retries) = (0, 0, 0);
                for round in 0..PER_TASK {
                    // Each pair in both directions: opposite lock orders
                    // would deadlock (1213, retried) without the ordered
                    // FOR UPDATE, which the retry count below would show.
                    let from = (task + round) % 3 + 1;
                    let to = (task + round + 1 + round % 2) % 3 + 1;
                    let id = task * 1000 + round;
                    match ledger.transfer(id, from, to, dec("3.00")).await {
                        Ok(posted) => {
                            booked += 1;
                            retries += posted.attempts - 1;
                        }
                        Err(LedgerError::BelowMinimum { .. }) => refused += 1,
                        Err(other) => panic!("transfer {id}: {other}"),
                    }
                }
                (booked, refused, retries)
            })
        })
        .collect();
    let (mut booked, mut refused, mut retries) = (0, 0, 0);
    for task in tasks {
        let (b, r, t) = task.await.expect("task");
        booked += b;
        refused += r;
        retries += t;
    }
    assert_eq!(booked + refused, (TASKS * PER_TASK) as u64);
    assert_eq!(retries, 0, "transfers on one server never deadlock");
    assert!(booked > 0);
    let balances = balances(&ledger).await;
    let total: Decimal = balances.iter().map(|(_, balance)| *balance).sum();
    assert_eq!(total, dec("30.00"), "{balances:?}");
    assert!(
        balances
            .iter()
            .all(|(_, balance)| Some(*balance) >= minimum_balance()),
        "{balances:?}"
    );
    assert_eq!(database.count("transfers").await, booked as i64);
    assert_eq!(database.count("journal_entries").await, 2 * booked as i64);
    // Each balance is its opening balance plus its entries.
    let sums: Vec<(i64, Decimal)> = sqlx::query_as(
        "SELECT a.id, a.balance - 10 - COALESCE(SUM(e.amount), 0)
         FROM accounts a LEFT JOIN journal_entries e ON e.account_id = a.id
         GROUP BY a.id, a.balance ORDER BY a.id",
    )
    .fetch_all(&pool)
    .await
    .expect("sums");
    assert!(
        sums.iter().all(|(_, drift)| drift.is_zero()),
        "balance and entries disagree: {sums:?}"
    );
    pool.close().await;
    database.drop().await;
}
