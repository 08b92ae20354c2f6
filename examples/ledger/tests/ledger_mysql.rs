//! `money_ledger` on a real MariaDB (`money_tests::mysql`: `MYSQL_URL`, or a
//! private server), beyond the behaviours `ledger.rs` runs on both
//! databases: the schema is the one the declarations render for
//! `Dialect::MySql`, concurrent transfers in both directions keep the total
//! under its row locks, and cross-currency transfers take the newest fresh
//! rate (as `ledger_fx.rs` on PostgreSQL).

mod support;

use std::time::Duration;

use money_core::{Decimal, Dialect};
use money_ledger::{FxPolicy, FxRate, Ledger, LedgerError, Timestamp};
use money_tests::dec;
use sqlx::MySql;
use sqlx::mysql::MySqlPoolOptions;
use support::{balances, mysql_count, mysql_ledger_with};
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
    let pool = MySqlPoolOptions::new()
        .max_connections(TASKS as u32)
        .connect_with((*database.pool.connect_options()).clone())
        .await
        .expect("pool");
    let options = <MySql as money_ledger::LedgerDatabase>::default_options().max_attempts(100);
    let ledger = Ledger::with_options(pool.clone(), options);
    let tasks: Vec<JoinHandle<(u64, u64)>> = (0..TASKS)
        .map(|task| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let (mut booked, mut refused) = (0, 0);
                for round in 0..PER_TASK {
                    // Each pair in both directions, so that opposite lock
                    // orders would deadlock without the ordered FOR UPDATE.
                    let from = (task + round) % 3 + 1;
                    let to = (task + round + 1 + round % 2) % 3 + 1;
                    let id = task * 1000 + round;
                    match ledger.transfer(id, from, to, dec("3.00")).await {
                        Ok(_) => booked += 1,
                        Err(LedgerError::BelowMinimum { .. }) => refused += 1,
                        Err(other) => panic!("transfer {id}: {other}"),
                    }
                }
                (booked, refused)
            })
        })
        .collect();
    let (mut booked, mut refused) = (0, 0);
    for task in tasks {
        let (b, r) = task.await.expect("task");
        booked += b;
        refused += r;
    }
    assert_eq!(booked + refused, (TASKS * PER_TASK) as u64);
    assert!(booked > 0);
    let balances = balances(&ledger).await;
    let total: Decimal = balances.iter().map(|(_, balance)| *balance).sum();
    assert_eq!(total, dec("30.00"), "{balances:?}");
    assert!(
        balances
            .iter()
            .all(|(_, balance)| *balance >= Decimal::ZERO),
        "{balances:?}"
    );
    assert_eq!(
        mysql_count(&database.pool, "transfers").await,
        booked as i64
    );
    assert_eq!(
        mysql_count(&database.pool, "journal_entries").await,
        2 * booked as i64
    );
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

const ALICE_USD: i64 = 1;
const BOB_EUR: i64 = 2;
const DESK_USD: i64 = 900;
const DESK_EUR: i64 = 901;

/// An instant `seconds` before (negative: after) the database's clock.
async fn database_time(ledger: &Ledger<MySql>, seconds_ago: i64) -> Timestamp {
    let now = ledger.database_now().await.expect("now");
    now - money_ledger::time::Duration::seconds(seconds_ago)
}

async fn publish(ledger: &Ledger<MySql>, id: i64, rate: &str, as_of: Timestamp) {
    ledger
        .publish_rate(&FxRate {
            id,
            base_currency: "EUR".to_owned(),
            quote_currency: "USD".to_owned(),
            rate: dec(rate),
            as_of,
        })
        .await
        .expect("publish rate");
}

#[tokio::test]
async fn fx_uses_the_newest_fresh_rate_and_refuses_a_stale_one() {
    let (database, ledger) = mysql_ledger_with(&[
        (ALICE_USD, "USD", "1000.00"),
        (BOB_EUR, "EUR", "100.00"),
        (DESK_USD, "USD", "1000.00"),
        (DESK_EUR, "EUR", "1000.00"),
    ])
    .await;
    let policy = FxPolicy::new(Duration::from_secs(60))
        .desk("USD", DESK_USD)
        .desk("EUR", DESK_EUR);
    match ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
    {
        Err(LedgerError::NoRate { base, quote }) => {
            assert_eq!((base, quote), ("EUR".into(), "USD".into()))
        }
        other => panic!("expected NoRate, got {other:?}"),
    }
    publish(&ledger, 1, "1.20", database_time(&ledger, 120).await).await;
    match ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
    {
        Err(LedgerError::StaleRate { rate, age, .. }) => {
            assert_eq!(rate.id, 1);
            assert!(age >= Duration::from_secs(120), "{age:?}");
        }
        other => panic!("expected StaleRate, got {other:?}"),
    }
    publish(&ledger, 2, "1.25", database_time(&ledger, 5).await).await;
    // Not yet valid: ignored.
    publish(&ledger, 3, "9.99", database_time(&ledger, -3600).await).await;

    // 0.10 EUR at 1.25 is 0.125 USD: booked 0.13, half away from zero.
    let posted = ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
        .expect("fx transfer");
    let conversion = posted.receipt.conversion.clone().expect("a conversion");
    assert_eq!(conversion.rate_id, 2);
    assert_eq!(conversion.exact_amount, dec("0.125"));
    assert_eq!(conversion.booked_amount, dec("0.13"));
    assert_eq!(conversion.rounding_difference, dec("0.005"));
    let age = Duration::try_from(conversion.priced_at - conversion.rate_as_of)
        .expect("rate not from the future");
    assert!(age <= policy.max_rate_age(), "{age:?}");
    assert_eq!(
        balances(&ledger).await,
        [
            (ALICE_USD, dec("1000.13")),
            (BOB_EUR, dec("99.90")),
            (DESK_USD, dec("999.87")),
            (DESK_EUR, dec("1000.10")),
        ]
    );
    // A replay returns the stored pricing, microseconds included.
    let replay = ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
        .expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.receipt, posted.receipt);
    assert_eq!(mysql_count(&database.pool, "journal_entries").await, 4);
    database.drop().await;
}
