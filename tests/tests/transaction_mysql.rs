//! `money_sqlx::transaction` on a real MariaDB server: the same helper as on PostgreSQL takes a
//! `MySqlPool` or a `MySqlConnection`, retries a deadlock (1213, SQLSTATE 40001) at a statement
//! and a connection killed in the middle of the body,
//! opens the transaction at the isolation level asked for, and applies a statement timeout that
//! ends with the transaction. (A Galera certification conflict at `COMMIT` is in
//! `cluster_galera.rs`, which owns the three-node cluster.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use money_sqlx::{Committed, IsolationLevel, TransactionOptions, transaction, transaction_on};
use money_tests::mysql::fresh_database;
use sqlx::MySqlPool;
use sqlx::mysql::MySqlDatabaseError;
use tokio::sync::Barrier;

#[path = "support/records.rs"]
mod records;
use records::Records;

async fn run(pool: &MySqlPool, sql: &'static str) {
    sqlx::raw_sql(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

fn number(error: &sqlx::Error) -> Option<u16> {
    Some(
        error
            .as_database_error()?
            .try_downcast_ref::<MySqlDatabaseError>()?
            .number(),
    )
}

/// Moves `amount` from `first` to `second`, locking `first` then `second`; on its first
/// attempt it waits at `barrier` between the two, so that two opposite transfers deadlock.
async fn opposite_transfer(
    pool: &MySqlPool,
    first: i64,
    second: i64,
    barrier: Arc<Barrier>,
    calls: Arc<AtomicU32>,
) -> Result<Committed<()>, money_sqlx::Error> {
    transaction(pool, &TransactionOptions::default(), |conn| {
        let first_attempt = calls.fetch_add(1, Ordering::SeqCst) == 0;
        let barrier = Arc::clone(&barrier);
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET balance = balance - 5 WHERE id = ?")
                .bind(first)
                .execute(&mut *conn)
                .await?;
            if first_attempt {
                barrier.wait().await;
            }
            sqlx::query("UPDATE accounts SET balance = balance + 5 WHERE id = ?")
                .bind(second)
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_at_a_statement_is_retried_until_both_commit() {
    let database = fresh_database().await;
    let pool = database.pool.clone();
    run(
        &pool,
        "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE = InnoDB",
    )
    .await;
    run(&pool, "INSERT INTO accounts VALUES (1, 100), (2, 100)").await;
    let barrier = Arc::new(Barrier::new(2));
    let (calls_a, calls_b) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let a = tokio::spawn({
        let (pool, barrier, calls) = (pool.clone(), Arc::clone(&barrier), Arc::clone(&calls_a));
        async move { opposite_transfer(&pool, 1, 2, barrier, calls).await }
    });
    let b = tokio::spawn({
        let (pool, barrier, calls) = (pool.clone(), Arc::clone(&barrier), Arc::clone(&calls_b));
        async move { opposite_transfer(&pool, 2, 1, barrier, calls).await }
    });
    let a = a.await.expect("task a").expect("transfer a commits");
    let b = b.await.expect("task b").expect("transfer b commits");
    // InnoDB picks one victim: that one ran twice, the other once.
    let mut attempts = [a.attempts, b.attempts];
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 2]);
    assert_eq!(
        calls_a.load(Ordering::SeqCst) + calls_b.load(Ordering::SeqCst),
        3
    );
    let balances: Vec<(i64, i64)> = sqlx::query_as("SELECT id, balance FROM accounts ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("balances");
    assert_eq!(balances, [(1, 100), (2, 100)], "both transfers, once each");
    database.drop().await;
}

#[tokio::test]
async fn the_retry_is_recorded_with_its_phase_and_reason() {
    let database = fresh_database().await;
    let pool = database.pool.clone();
    let (records, _guard) = Records::install();
    let calls = AtomicU32::new(0);
    // A deadlock as the server reports it (error 1213, SQLSTATE 40001), raised on purpose.
    let Committed { attempts, .. } = transaction(&pool, &TransactionOptions::default(), |conn| {
        let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
        Box::pin(async move {
            if first {
                sqlx::raw_sql(
                    "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'forced deadlock'",
                )
                .execute(&mut *conn)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect("the second attempt commits");
    assert_eq!(attempts, 2);
    assert_eq!(
        records.retries(),
        [("body".to_owned(), "conflict".to_owned(), "40001".to_owned())]
    );
    assert_eq!(records.outcome().as_deref(), Some("committed"));
    database.drop().await;
}

#[tokio::test]
async fn the_isolation_level_and_read_only_mode_are_those_asked_for_and_last_one_transaction() {
    let database = fresh_database().await;
    let mut connection = database.pool.acquire().await.expect("a connection");
    sqlx::raw_sql("CREATE TABLE t (id INT PRIMARY KEY) ENGINE = InnoDB")
        .execute(&mut *connection)
        .await
        .expect("create");
    sqlx::raw_sql("INSERT INTO t VALUES (1)")
        .execute(&mut *connection)
        .await
        .expect("insert");
    // What a transaction sees of a row another session changes between two reads: the same
    // under REPEATABLE READ (one snapshot), the new value under READ COMMITTED.
    for (counter, level, sees_the_change) in [
        (1, IsolationLevel::RepeatableRead, false),
        (2, IsolationLevel::ReadCommitted, true),
    ] {
        let other = database.pool.clone();
        let options = TransactionOptions::default().isolation(level);
        let Committed { value, .. } = transaction_on(&mut connection, &options, |conn| {
            let other = other.clone();
            Box::pin(async move {
                let before: i32 = sqlx::query_scalar("SELECT id FROM t")
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query("UPDATE t SET id = id + 1")
                    .execute(&other)
                    .await?;
                let after: i32 = sqlx::query_scalar("SELECT id FROM t")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok::<_, sqlx::Error>((before, after))
            })
        })
        .await
        .expect("committed");
        let expected_after = if sees_the_change {
            counter + 1
        } else {
            counter
        };
        assert_eq!(value, (counter, expected_after), "{level}");
    }
    // The level applied to that transaction only: the session keeps its own.
    let session: String = sqlx::query_scalar("SELECT @@session.tx_isolation")
        .fetch_one(&mut *connection)
        .await
        .expect("session level");
    assert_eq!(session, "REPEATABLE-READ");

    let calls = AtomicU32::new(0);
    let error = transaction_on(
        &mut connection,
        &TransactionOptions::default().read_only(true),
        |conn| {
            calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                sqlx::query("INSERT INTO t VALUES (100)")
                    .execute(&mut *conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })
        },
    )
    .await
    .expect_err("a write in a READ ONLY transaction");
    // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, SQLSTATE 25006: not retried.
    assert_eq!(number(&error), Some(1792), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(connection);
    database.drop().await;
}

#[tokio::test]
async fn a_statement_timeout_cancels_a_slow_statement_and_ends_with_the_transaction() {
    let database = fresh_database().await;
    let mut connection = database.pool.acquire().await.expect("a connection");
    let options = TransactionOptions::default().statement_timeout(Some(Duration::from_millis(300)));
    let calls = AtomicU32::new(0);
    let started = std::time::Instant::now();
    let error = transaction_on(&mut connection, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("SELECT SLEEP(5)").execute(&mut *conn).await?;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await
    .expect_err("the statement runs out of time");
    // MariaDB: ER_STATEMENT_TIMEOUT, "Query execution was interrupted (max_statement_time
    // exceeded)"; not retried.
    assert_eq!(number(&error), Some(1969), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // The session's own setting is back once the transaction has ended.
    let setting: f64 = sqlx::query_scalar("SELECT @@session.max_statement_time + 0e0")
        .fetch_one(&mut *connection)
        .await
        .expect("max_statement_time");
    let global: f64 = sqlx::query_scalar("SELECT @@global.max_statement_time + 0e0")
        .fetch_one(&mut *connection)
        .await
        .expect("max_statement_time");
    assert_eq!(setting, global);
    drop(connection);
    database.drop().await;
}

#[tokio::test]
async fn a_connection_killed_in_the_body_is_retried_on_a_fresh_connection() {
    let database = fresh_database().await;
    let pool = database.pool.clone();
    run(
        &pool,
        "CREATE TABLE booked (id BIGINT PRIMARY KEY) ENGINE = InnoDB",
    )
    .await;
    let (records, _guard) = Records::install();
    let killer = pool.clone();
    let ids = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let Committed { attempts, .. } = transaction(&pool, &TransactionOptions::default(), |conn| {
        let killer = killer.clone();
        let ids = Arc::clone(&ids);
        Box::pin(async move {
            sqlx::query("INSERT INTO booked VALUES (1)")
                .execute(&mut *conn)
                .await?;
            let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                .fetch_one(&mut *conn)
                .await?;
            let first = {
                let mut ids = ids.lock().unwrap();
                ids.push(id);
                ids.len() == 1
            };
            if first {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL CONNECTION {id}")))
                    .execute(&killer)
                    .await
                    .expect("KILL");
            }
            sqlx::query("INSERT INTO booked VALUES (2)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, money_sqlx::Error>(())
        })
    })
    .await
    .expect("committed on the second attempt");
    assert_eq!(attempts, 2);
    let ids = ids.lock().unwrap().clone();
    assert_ne!(ids[0], ids[1], "the retry ran on the killed connection");
    let retries = records.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(
        (retries[0].0.as_str(), retries[0].1.as_str()),
        ("body", "connection_lost"),
        "{retries:?}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM booked")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(stored, 2, "the killed attempt's insert was rolled back");
    database.drop().await;
}
