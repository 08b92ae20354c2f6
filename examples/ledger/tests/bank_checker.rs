//! The bank test's checker (`support::bank::check`) is not vacuous:
//! each of its checks fails on a ledger state (or a read) that breaks its
//! invariant. The state is a real one, booked by `money_ledger`, corrupted
//! inside a transaction that is rolled back after the check.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use money_ledger::{Account, Ledger, LedgerError, minimum_balance};
use money_tests::dec;
use money_tests::pg::fresh_schema;
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, PgConnection};
use support::bank::{History, Submitted, check, load_state};

async fn execute_on(connection: &mut PgConnection, sql: &'static str) {
    sqlx::raw_sql(sql)
        .execute(&mut *connection)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Each check of `support::bank::check` fails on a state that breaks
/// its invariant: the bank test's checks are not vacuous.
#[tokio::test]
async fn bank_checker_catches_each_broken_invariant() {
    let schema = fresh_schema().await;
    let ledger = Ledger::new(schema.pool.clone());
    ledger
        .create_schema()
        .await
        .expect("create the ledger's tables");
    let mut initial = BTreeMap::new();
    for id in 1..=3 {
        let account = Account {
            id,
            currency: "USD".to_owned(),
            balance: dec("100.00"),
        };
        ledger.open_account(&account).await.expect("open account");
        initial.insert(id, account.balance);
    }
    let mut ok = BTreeMap::new();
    for (transfer_id, from, to, amount) in [(1, 1, 2, "30.00"), (2, 2, 3, "10.00")] {
        let amount = dec(amount);
        ledger
            .transfer(transfer_id, from, to, amount)
            .await
            .expect("transfer");
        ok.insert(transfer_id, Submitted { from, to, amount });
    }
    let refused = ledger.transfer(3, 3, 1, dec("1000.00")).await;
    assert!(
        matches!(refused, Err(LedgerError::BelowMinimum { .. })),
        "{refused:?}"
    );
    let read: Vec<(i64, Decimal)> = ledger
        .accounts()
        .await
        .expect("read")
        .into_iter()
        .map(|account| (account.id, account.balance))
        .collect();
    let history = History {
        initial,
        minimum: minimum_balance().expect("minimum"),
        ok,
        failed: BTreeSet::from([3]),
        reads: vec![read.clone()],
    };

    let mut connection = schema.pool.acquire().await.expect("connection");
    let state = load_state(&mut connection).await.expect("state");
    assert_eq!(check(&history, &state), Vec::<String>::new());

    let corruptions: &[(&str, &str, &[&str])] = &[
        (
            "a balance changed without an entry",
            "UPDATE accounts SET balance = balance + 1 WHERE id = 1",
            &[
                "total differs from the initial total",
                "balance differs from initial balance plus entries",
            ],
        ),
        (
            "a balance below the minimum",
            "ALTER TABLE accounts DROP CONSTRAINT accounts_balance_min;
             UPDATE accounts SET balance = balance - 500 WHERE id = 1;
             UPDATE accounts SET balance = balance + 500 WHERE id = 2",
            &["balance below its minimum"],
        ),
        (
            "an account too many",
            "INSERT INTO accounts (id, currency, balance) VALUES (4, 'USD', 0)",
            &["account set differs from the initial one"],
        ),
        (
            "a lost leg",
            "DELETE FROM journal_entries WHERE transfer_id = 1 AND leg = 1",
            &[
                "entries of a transfer do not sum to zero",
                "entries do not sum to zero overall",
            ],
        ),
        (
            "a transfer applied twice",
            "INSERT INTO journal_entries (transfer_id, leg, account_id, currency, amount)
                 VALUES (1, 2, 1, 'USD', -30.00), (1, 3, 2, 'USD', 30.00);
             UPDATE accounts SET balance = balance - 30 WHERE id = 1;
             UPDATE accounts SET balance = balance + 30 WHERE id = 2",
            &["transfer applied more than once"],
        ),
        (
            "an ok transfer lost",
            "DELETE FROM journal_entries WHERE transfer_id = 2;
             DELETE FROM transfers WHERE transfer_id = 2;
             UPDATE accounts SET balance = balance + 10 WHERE id = 2;
             UPDATE accounts SET balance = balance - 10 WHERE id = 3",
            &["ok transfer absent"],
        ),
        (
            "a failed transfer booked",
            "INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, amount)
                 VALUES (3, 3, 1, 1.00);
             INSERT INTO journal_entries (transfer_id, leg, account_id, currency, amount)
                 VALUES (3, 0, 3, 'USD', -1.00), (3, 1, 1, 'USD', 1.00);
             UPDATE accounts SET balance = balance - 1 WHERE id = 3;
             UPDATE accounts SET balance = balance + 1 WHERE id = 1",
            &["failed transfer present"],
        ),
        (
            "a transfer nobody submitted",
            "INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, amount)
                 VALUES (99, 3, 1, 1.00);
             INSERT INTO journal_entries (transfer_id, leg, account_id, currency, amount)
                 VALUES (99, 0, 3, 'USD', -1.00), (99, 1, 1, 'USD', 1.00);
             UPDATE accounts SET balance = balance - 1 WHERE id = 3;
             UPDATE accounts SET balance = balance + 1 WHERE id = 1",
            &["stored transfer that no client saw succeed"],
        ),
        (
            "a payload changed",
            "UPDATE transfers SET amount = 31.00 WHERE transfer_id = 1",
            &[
                "entries do not match the transfer",
                "ok transfer stored with another payload",
            ],
        ),
        (
            "entries without their transfer",
            "ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_transfer_id_fkey;
             DELETE FROM transfers WHERE transfer_id = 1",
            &["entries without a stored transfer", "ok transfer absent"],
        ),
    ];
    for (what, sql, expected) in corruptions {
        execute_on(&mut connection, "BEGIN").await;
        sqlx::raw_sql(AssertSqlSafe(*sql))
            .execute(&mut *connection)
            .await
            .unwrap_or_else(|error| panic!("{what}: {sql}: {error}"));
        let corrupted = load_state(&mut connection).await.expect("state");
        execute_on(&mut connection, "ROLLBACK").await;
        let violations = check(&history, &corrupted).join("\n");
        for kind in *expected {
            assert!(
                violations.contains(kind),
                "{what}: expected a violation {kind:?}, got:\n{violations}"
            );
        }
    }
    // The rollbacks left the clean state.
    let state = load_state(&mut connection).await.expect("state");
    assert_eq!(check(&history, &state), Vec::<String>::new());

    // Reads are checked too.
    let mut short_read = read.clone();
    short_read.pop();
    let mut rich_read = read;
    rich_read[0].1 += Decimal::ONE;
    let bad_reads = History {
        reads: vec![short_read, rich_read],
        ..history
    };
    let violations = check(&bad_reads, &state).join("\n");
    for kind in [
        "read 0: accounts [1, 2]",
        "read 1: total 301.00",
        "total differs from the initial total",
    ] {
        assert!(
            violations.contains(kind),
            "expected {kind:?} in:\n{violations}"
        );
    }
    drop(connection);
    schema.drop().await;
}
