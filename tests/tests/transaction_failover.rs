//! The failure phases of `money_sqlx::transaction` on PostgreSQL, against real servers: a
//! `COMMIT` cut after it was sent is an unknown outcome and never retried; a session the server
//! terminated in the middle of the body (`57P01`) is retried on a fresh connection; a write
//! refused by a read-only session (`25006`) is retried on the primary that a cluster pool finds
//! after a promotion, and the read-only host never gets the write.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use money_sqlx::cluster::{HostAddr, PgCluster};
use money_sqlx::{Committed, TransactionOptions, transaction};
use money_tests::pg::{execute, fresh_schema};
use money_tests::pg_replica::ReplicaPair;
use money_tests::proxy::CommitCutter;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

#[path = "support/records.rs"]
mod records;
use records::Records;

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

#[tokio::test]
async fn a_commit_cut_after_it_was_sent_is_an_unknown_outcome_never_retried() {
    let schema = fresh_schema().await;
    execute(&schema.pool, "CREATE TABLE booked (id bigint PRIMARY KEY)").await;
    let server = (*schema.pool.connect_options()).clone();
    let cutter = CommitCutter::start(&server).await;
    let proxied = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(cutter.client_options(&server))
        .await
        .expect("pool through the proxy");
    let (records, _guard) = Records::install();
    let options = TransactionOptions::default();

    // With money_sqlx::Error: a variant to match.
    let calls = Arc::new(AtomicU32::new(0));
    cutter.arm();
    let outcome = transaction(&proxied, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("INSERT INTO booked VALUES (1)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, money_sqlx::Error>(())
        })
    })
    .await;
    match outcome {
        Err(money_sqlx::Error::OutcomeUnknown { source }) => assert!(
            source.as_database_error().is_none(),
            "the server never answered, yet: {source}"
        ),
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
    assert_eq!(cutter.cuts(), 1);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "an unknown outcome was retried"
    );
    assert!(records.retries().is_empty(), "{:?}", records.retries());
    assert_eq!(records.outcome().as_deref(), Some("unknown"));
    // The server did commit it: running it again would have booked it twice.
    assert_eq!(count(&schema.pool, "SELECT count(*) FROM booked").await, 1);

    // With sqlx::Error, the default `commit_outcome_unknown` is the error itself, and it is
    // not retried either.
    let calls = Arc::new(AtomicU32::new(0));
    cutter.arm();
    let outcome = transaction(&proxied, &options, |conn| {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            sqlx::query("INSERT INTO booked VALUES (2)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        })
    })
    .await;
    let error = outcome.expect_err("the answer to COMMIT was cut");
    assert!(error.as_database_error().is_none(), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cutter.cuts(), 2);
    assert_eq!(count(&schema.pool, "SELECT count(*) FROM booked").await, 2);

    // A commit that is not cut goes through the same proxy untouched.
    let Committed { attempts, .. } = transaction(&proxied, &options, |conn| {
        Box::pin(async move {
            sqlx::query("INSERT INTO booked VALUES (3)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, money_sqlx::Error>(())
        })
    })
    .await
    .expect("an uncut commit");
    assert_eq!(attempts, 1);
    proxied.close().await;
    drop(cutter);
    schema.drop().await;
}

#[tokio::test]
async fn a_session_terminated_in_the_body_is_retried_on_a_fresh_connection() {
    let schema = fresh_schema().await;
    execute(&schema.pool, "CREATE TABLE booked (id bigint PRIMARY KEY)").await;
    let (records, _guard) = Records::install();
    let killer = schema.pool.clone();
    let pids = Arc::new(Mutex::new(Vec::<i32>::new()));
    let Committed { attempts, .. } =
        transaction(&schema.pool, &TransactionOptions::default(), |conn| {
            let killer = killer.clone();
            let pids = Arc::clone(&pids);
            Box::pin(async move {
                sqlx::query("INSERT INTO booked VALUES (1)")
                    .execute(&mut *conn)
                    .await?;
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await?;
                let first = {
                    let mut pids = pids.lock().unwrap();
                    pids.push(pid);
                    pids.len() == 1
                };
                if first {
                    // Waits (up to 5 s) until the backend is gone.
                    let terminated: bool =
                        sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
                            .bind(pid)
                            .fetch_one(&killer)
                            .await
                            .expect("terminate");
                    assert!(terminated);
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
    let pids = pids.lock().unwrap().clone();
    assert_eq!(pids.len(), 2);
    assert_ne!(pids[0], pids[1], "the retry ran on the terminated session");
    let retries = records.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    let (phase, reason, _) = &retries[0];
    assert_eq!(phase, "body");
    // The server says why (57P01) when its FATAL message arrives before the hang-up.
    assert!(
        reason == "shutdown" || reason == "connection_lost",
        "{retries:?}"
    );
    assert_eq!(
        count(&schema.pool, "SELECT count(*) FROM booked").await,
        2,
        "the first attempt's insert was rolled back, the second committed"
    );
    schema.drop().await;
}

#[tokio::test]
async fn a_write_refused_by_a_read_only_host_is_retried_on_the_new_primary() {
    let pair = ReplicaPair::start().await;
    let url = ReplicaPair::read_write_url([pair.primary_port, pair.standby_port]);
    let cluster = url
        .parse::<PgCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(10))
        .with_connect_timeout(Duration::from_secs(5));
    let pool = cluster
        .connect_with(
            PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5)),
        )
        .await
        .expect("a pool on the primary");
    assert_eq!(
        pool.current_host(),
        HostAddr::new("127.0.0.1", pair.primary_port)
    );
    sqlx::raw_sql("CREATE TABLE booked (id bigint PRIMARY KEY)")
        .execute(pool.pool())
        .await
        .expect("create on the primary");

    // The old primary is fenced read-only (what a failover manager does before it promotes
    // the standby): its sessions keep running, and every new transaction there is read-only.
    // The pool's connection to it stays open.
    let mut old_primary = PgConnection::connect(&pair.primary_url())
        .await
        .expect("a direct connection to the primary");
    for statement in [
        "ALTER SYSTEM SET default_transaction_read_only = on",
        "SELECT pg_reload_conf()",
    ] {
        sqlx::raw_sql(statement)
            .execute(&mut old_primary)
            .await
            .expect("fencing the primary");
    }
    pair.promote_standby();

    let (records, _guard) = Records::install();
    let ports = Arc::new(Mutex::new(Vec::<i32>::new()));
    let Committed { attempts, .. } = transaction(&pool, &TransactionOptions::default(), |conn| {
        let ports = Arc::clone(&ports);
        Box::pin(async move {
            let port: i32 = sqlx::query_scalar("SELECT inet_server_port()")
                .fetch_one(&mut *conn)
                .await?;
            ports.lock().unwrap().push(port);
            sqlx::query("INSERT INTO booked VALUES (1)")
                .execute(&mut *conn)
                .await?;
            Ok::<_, money_sqlx::Error>(())
        })
    })
    .await
    .expect("committed on the new primary");
    assert_eq!(attempts, 2);
    assert_eq!(
        *ports.lock().unwrap(),
        [i32::from(pair.primary_port), i32::from(pair.standby_port)]
    );
    assert_eq!(
        records.retries(),
        [(
            "body".to_owned(),
            "read_only".to_owned(),
            "25006".to_owned()
        )]
    );
    assert_eq!(
        pool.current_host(),
        HostAddr::new("127.0.0.1", pair.standby_port)
    );

    // The write is on the new primary, and the read-only host never got it.
    let mut new_primary = PgConnection::connect(&pair.standby_url())
        .await
        .expect("a direct connection to the new primary");
    let on_new: i64 = sqlx::query_scalar("SELECT count(*) FROM booked")
        .fetch_one(&mut new_primary)
        .await
        .expect("count");
    let on_old: i64 = sqlx::query_scalar("SELECT count(*) FROM booked")
        .fetch_one(&mut old_primary)
        .await
        .expect("count");
    assert_eq!((on_new, on_old), (1, 0));
    pool.pool().close().await;
}
