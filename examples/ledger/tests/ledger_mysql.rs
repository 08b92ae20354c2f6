//! `money_ledger` on a real MariaDB (`money_tests::mysql`: `MYSQL_URL`, or a
//! private server): the same operations and outcomes as on PostgreSQL
//! (`ledger.rs`, `ledger_fx.rs`): double-entry transfers, replay and
//! conflict by transfer id, concurrent submissions of one id booked once,
//! the overdraft refused by the declared `min = "0"` CHECK (MariaDB's 4025)
//! and mapped back to the field, invalid requests, concurrent transfers in
//! both directions that keep the total, and cross-currency transfers with
//! the newest fresh rate. The schema is the one the declarations render for
//! `Dialect::MySql`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use money_core::{Decimal, Dialect, Rule};
use money_ledger::{FxPolicy, FxRate, Ledger, LedgerError, Posted, Timestamp};
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

#[tokio::test]
async fn a_transfer_books_two_balanced_legs_and_a_resubmission_returns_the_first_outcome() {
    let (database, ledger) = mysql_ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0")]).await;

    let first = ledger
        .transfer(7, 1, 2, dec("25.50"))
        .await
        .expect("transfer");
    assert!(!first.replayed);
    assert_eq!(first.attempts, 1);
    let legs: Vec<(i16, i64, Decimal, &str)> = first
        .receipt
        .entries
        .iter()
        .map(|entry| {
            (
                entry.leg,
                entry.account_id,
                entry.amount,
                entry.currency.as_str(),
            )
        })
        .collect();
    assert_eq!(
        legs,
        [(0, 1, dec("-25.50"), "EUR"), (1, 2, dec("25.50"), "EUR")]
    );
    assert_eq!(first.receipt.conversion, None);
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("74.50")), (2, dec("25.50"))]
    );

    let replay = ledger
        .transfer(7, 1, 2, dec("25.5000"))
        .await
        .expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.receipt, first.receipt);
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("74.50")), (2, dec("25.50"))]
    );
    assert_eq!(mysql_count(&database.pool, "journal_entries").await, 2);
    database.drop().await;
}

#[tokio::test]
async fn the_same_id_with_another_payload_is_a_conflict_and_books_nothing() {
    let (database, ledger) =
        mysql_ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0"), (3, "EUR", "0")]).await;
    ledger.transfer(7, 1, 2, dec("10")).await.expect("transfer");
    for (from, to, amount) in [(1, 2, "10.01"), (1, 3, "10"), (2, 1, "10")] {
        match ledger.transfer(7, from, to, dec(amount)).await {
            Err(LedgerError::IdConflict {
                requested,
                existing,
            }) => {
                assert_eq!(
                    (requested.debit_account_id, requested.credit_account_id),
                    (from, to)
                );
                assert_eq!(
                    (
                        existing.debit_account_id,
                        existing.credit_account_id,
                        existing.amount
                    ),
                    (1, 2, dec("10"))
                );
            }
            other => panic!("({from}, {to}, {amount}): expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("90.00")), (2, dec("10")), (3, dec("0"))]
    );
    assert_eq!(mysql_count(&database.pool, "journal_entries").await, 2);
    database.drop().await;
}

#[tokio::test]
async fn an_overdraft_is_refused_by_the_min_check_and_mapped_back_to_the_field() {
    let (database, ledger) = mysql_ledger_with(&[(1, "EUR", "10.00"), (2, "EUR", "0")]).await;

    match ledger.transfer(7, 1, 2, dec("10.01")).await {
        Err(LedgerError::BelowMinimum {
            account,
            minimum,
            constraint,
            source,
        }) => {
            assert_eq!((account, minimum), (1, Decimal::ZERO));
            assert_eq!(constraint, "accounts_balance_min");
            // MariaDB's 4025, as money-sqlx maps it: the field and rule.
            match *source {
                money_sqlx::Error::Check {
                    table,
                    field,
                    column,
                    constraint,
                    rule,
                } => {
                    assert_eq!(
                        (table, field, column, constraint.as_str()),
                        ("accounts", "balance", "balance", "accounts_balance_min")
                    );
                    assert_eq!(rule, Rule::Min(Decimal::ZERO));
                }
                other => panic!("expected money_sqlx::Error::Check, got {other:?}"),
            }
        }
        other => panic!("expected BelowMinimum, got {other:?}"),
    }
    // Rolled back: no balance moved, no trace of the id (a failed statement
    // does not end a MariaDB transaction: the helper rolled it back).
    assert_eq!(balances(&ledger).await, [(1, dec("10.00")), (2, dec("0"))]);
    assert_eq!(mysql_count(&database.pool, "transfers").await, 0);
    assert_eq!(mysql_count(&database.pool, "journal_entries").await, 0);

    sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
        .execute(&database.pool)
        .await
        .expect("top up");
    let posted = ledger
        .transfer(7, 1, 2, dec("10.01"))
        .await
        .expect("transfer");
    assert!(!posted.replayed);
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("0.99")), (2, dec("10.01"))]
    );
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_of_one_id_book_it_once() {
    const TASKS: usize = 16;
    let (database, _) = mysql_ledger_with(&[(1, "USD", "100.00"), (2, "USD", "0")]).await;
    let pool = MySqlPoolOptions::new()
        .max_connections(TASKS as u32)
        .connect_with((*database.pool.connect_options()).clone())
        .await
        .expect("pool");
    let options = <MySql as money_ledger::LedgerDatabase>::default_options().max_attempts(100);
    let ledger = Ledger::with_options(pool.clone(), options);
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<JoinHandle<Result<Posted, LedgerError>>> = (0..TASKS)
        .map(|_| {
            let (ledger, barrier) = (ledger.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                ledger.transfer(42, 1, 2, dec("30.00")).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task").expect("transfer"));
    }
    let booked: Vec<&Posted> = outcomes.iter().filter(|posted| !posted.replayed).collect();
    assert_eq!(booked.len(), 1, "exactly one submission books it");
    for posted in &outcomes {
        assert_eq!(posted.receipt, booked[0].receipt);
    }
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("70.00")), (2, dec("30.00"))]
    );
    pool.close().await;
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

#[tokio::test]
async fn invalid_requests_are_refused_and_book_nothing() {
    let (database, ledger) =
        mysql_ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0"), (3, "JPY", "0")]).await;
    let refusals = [
        (ledger.transfer(1, 1, 1, dec("1")).await, "same account"),
        (ledger.transfer(2, 1, 2, dec("0")).await, "zero amount"),
        (ledger.transfer(3, 1, 2, dec("-1")).await, "negative amount"),
        (ledger.transfer(4, 1, 9, dec("1")).await, "unknown account"),
        (
            ledger.transfer(5, 1, 2, dec("0.001")).await,
            "finer than cents",
        ),
        (ledger.transfer(6, 1, 3, dec("1")).await, "two currencies"),
    ];
    for (outcome, what) in refusals {
        let error = outcome.expect_err(what);
        let expected = match what {
            "same account" => matches!(error, LedgerError::SameAccount { account: 1 }),
            "zero amount" | "negative amount" => matches!(error, LedgerError::Invalid(_)),
            "unknown account" => matches!(error, LedgerError::UnknownAccount { account: 9 }),
            "finer than cents" => matches!(error, LedgerError::Currency(_)),
            _ => matches!(error, LedgerError::CurrencyMismatch { .. }),
        };
        assert!(expected, "{what}: {error:?}");
    }
    assert_eq!(mysql_count(&database.pool, "transfers").await, 0);
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
