//! `money_ledger` against real databases. On PostgreSQL and on MariaDB
//! alike (one body per behaviour, run on both): double-entry transfers,
//! idempotency (replay, conflict, concurrent submissions of one id), the
//! overdraft refused by the `min = "0"` CHECK and mapped back through
//! money-sqlx, invalid requests. On PostgreSQL: unknown outcomes at commit
//! (the connection cut after the server committed, and a backend terminated
//! during COMMIT) resolved by resubmitting. Cross-currency transfers:
//! `ledger_fx.rs`; what only MariaDB shows: `ledger_mysql.rs`.

#[macro_use]
mod support;

use std::sync::Arc;
use std::time::Duration;

use money_core::{Decimal, Rule};
use money_ledger::{Ledger, LedgerError, Posted};
use money_sqlx::schema::{ConstraintKind, Difference};
use money_tests::dec;
use money_tests::pg::execute;
use money_tests::proxy::CommitCutter;
use sqlx::postgres::PgPoolOptions;
use support::{Server, Store, balances, ledger_with, stored_transfers};
use tokio::task::JoinHandle;

async fn a_transfer_books_two_balanced_legs_and_a_resubmission_returns_the_first_outcome<
    DB: Server,
>() {
    let (store, ledger) = DB::ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0")]).await;

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

    // Same id, same payload (written with another scale): the first receipt,
    // nothing booked again.
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
    assert_eq!(store.count("journal_entries").await, 2);
    store.remove().await;
}

async fn the_same_id_with_another_payload_is_a_conflict_and_books_nothing<DB: Server>() {
    let (store, ledger) =
        DB::ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0"), (3, "EUR", "0")]).await;
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
    assert_eq!(store.count("journal_entries").await, 2);
    store.remove().await;
}

async fn an_overdraft_is_refused_by_the_min_check_and_mapped_back_to_the_field<DB: Server>() {
    let (store, ledger) = DB::ledger_with(&[(1, "EUR", "10.00"), (2, "EUR", "0")]).await;

    match ledger.transfer(7, 1, 2, dec("10.01")).await {
        Err(LedgerError::BelowMinimum {
            account,
            minimum,
            constraint,
            source,
        }) => {
            assert_eq!((account, minimum), (1, Decimal::ZERO));
            assert_eq!(constraint, "accounts_balance_min");
            // The database's CHECK violation (PostgreSQL's 23514, MariaDB's
            // 4025), as money-sqlx maps it: the field and rule.
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
    assert_eq!(store.count("transfers").await, 0);
    assert_eq!(store.count("journal_entries").await, 0);

    // A failure leaves nothing behind, so the same id can be booked once
    // the money is there.
    store
        .execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
        .await;
    let posted = ledger
        .transfer(7, 1, 2, dec("10.01"))
        .await
        .expect("transfer");
    assert!(!posted.replayed);
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("0.99")), (2, dec("10.01"))]
    );
    store.remove().await;
}

async fn concurrent_submissions_of_one_id_book_it_once<DB: Server>() {
    const TASKS: usize = 16;
    let (store, _) = DB::ledger_with(&[(1, "USD", "100.00"), (2, "USD", "0")]).await;
    let pool = store.pool_of(TASKS as u32).await;
    let ledger = Ledger::with_options(pool.clone(), DB::default_options().max_attempts(100));
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
    store.remove().await;
}

async fn invalid_requests_are_refused_and_book_nothing<DB: Server>() {
    let (store, ledger) =
        DB::ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0"), (3, "JPY", "0")]).await;
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
    assert_eq!(store.count("transfers").await, 0);
    store.remove().await;
}

/// The live schema, as `schema::create` made it, is the declarations plus
/// the one CHECK they cannot state (two columns of one row): `verify`
/// reports that CHECK as extra, and nothing else: the timestamps' types
/// included, on MariaDB as on PostgreSQL.
async fn the_live_schema_is_the_declarations_and_the_cross_column_check<
    DB: Server + money_sqlx::schema::Verifiable,
>() {
    let (store, _ledger) = DB::ledger_with(&[]).await;
    let pool = store.pool_of(1).await;
    let report = money_sqlx::schema::verify(&pool, &money_ledger::schema::TABLES)
        .await
        .expect("verify");
    let differences: Vec<&Difference> = report.differences().collect();
    assert!(
        matches!(
            differences.as_slice(),
            [Difference::ExtraConstraint { table, constraint, kind: ConstraintKind::Check, .. }]
                if table == "transfers" && constraint == "transfers_distinct_accounts"
        ),
        "{report}"
    );
    pool.close().await;
    store.remove().await;
}

on_both_databases! {
    #[tokio::test] the_live_schema_is_the_declarations_and_the_cross_column_check,
    #[tokio::test] a_transfer_books_two_balanced_legs_and_a_resubmission_returns_the_first_outcome,
    #[tokio::test] the_same_id_with_another_payload_is_a_conflict_and_books_nothing,
    #[tokio::test] an_overdraft_is_refused_by_the_min_check_and_mapped_back_to_the_field,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)] concurrent_submissions_of_one_id_book_it_once,
    #[tokio::test] invalid_requests_are_refused_and_book_nothing,
}

// PostgreSQL only: unknown outcomes at commit, made by cutting the
// connection (a proxy) or terminating the backend.

#[tokio::test]
async fn a_connection_cut_after_the_server_committed_is_an_unknown_outcome_that_a_resubmission_resolves()
 {
    let (schema, ledger) = ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0")]).await;
    let server = (*schema.pool.connect_options()).clone();
    let cutter = CommitCutter::start(&server).await;
    let proxied_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cutter.client_options(&server))
        .await
        .expect("pool through the proxy");
    let proxied = Ledger::new(proxied_pool.clone());

    cutter.arm();
    let outcome = proxied.transfer(7, 1, 2, dec("30.00")).await;
    assert!(
        matches!(outcome, Err(LedgerError::OutcomeUnknown { .. })),
        "{outcome:?}"
    );
    // The server did commit it.
    assert_eq!(stored_transfers(&schema.pool).await, 1);

    // Resubmitting learns it: a replay, booked once.
    let resolved = ledger
        .transfer(7, 1, 2, dec("30.00"))
        .await
        .expect("resubmission");
    assert!(resolved.replayed);
    assert_eq!(resolved.receipt.entries.len(), 2);
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("70.00")), (2, dec("30.00"))]
    );
    assert_eq!(cutter.cuts(), 1);
    proxied_pool.close().await;
    drop(cutter);
    schema.drop().await;
}

#[tokio::test]
async fn a_backend_terminated_during_commit_is_an_unknown_outcome_that_a_resubmission_resolves() {
    let (schema, ledger) = ledger_with(&[(1, "EUR", "100.00"), (2, "EUR", "0")]).await;
    // A deferred trigger makes COMMIT take a second, long enough to
    // terminate the backend while it commits.
    execute(
        &schema.pool,
        "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
         CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON transfers
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()",
    )
    .await;
    let tag = format!("{}_victim", schema.name);
    let victim_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(
            (*schema.pool.connect_options())
                .clone()
                .application_name(&tag),
        )
        .await
        .expect("pool");
    let victim = Ledger::new(victim_pool.clone());
    let killer = tokio::spawn({
        let pool = schema.pool.clone();
        async move {
            for _ in 0..200 {
                let terminated: Option<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = $1 AND state = 'active' AND query = 'COMMIT'",
                )
                .bind(&tag)
                .fetch_optional(&pool)
                .await
                .expect("terminate");
                if terminated == Some(true) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        }
    });
    let outcome = victim.transfer(7, 1, 2, dec("30.00")).await;
    assert!(killer.await.expect("killer"), "no COMMIT to terminate");
    assert!(
        matches!(outcome, Err(LedgerError::OutcomeUnknown { .. })),
        "{outcome:?}"
    );
    // Terminated before its commit record: nothing stored.
    assert_eq!(stored_transfers(&schema.pool).await, 0);

    let resolved = ledger
        .transfer(7, 1, 2, dec("30.00"))
        .await
        .expect("resubmission");
    assert!(!resolved.replayed, "it had not been booked, so it is now");
    assert_eq!(
        balances(&ledger).await,
        [(1, dec("70.00")), (2, dec("30.00"))]
    );
    victim_pool.close().await;
    schema.drop().await;
}
