//! Several MariaDB hosts (`money_sqlx::cluster`) on a real three-node Galera cluster
//! (`money_tests::galera`, one cluster for this whole test binary): a node that is down or
//! not ready is passed over, a killed node rejoins by incremental state transfer, a
//! conflicting COMMIT on a second node fails with 1213/40001, is classified retryable and is
//! retried by `money_sqlx::transaction`, and
//! a transaction whose node stops being ready (1047) mid-run is retried on another node, and
//! a CHECK refused on another node maps back to the field.

use std::time::{Duration, Instant};

use money_core::{Decimal, Dialect, MoneyModel};
use money_sqlx::Retryable;
use money_sqlx::cluster::{HostAddr, MySqlCluster, PassOverReason, TargetSessionAttrs};
use money_tests::galera;
use sqlx::mysql::{MySqlDatabaseError, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};

#[path = "support/records.rs"]
mod records;
use records::Records;

#[derive(Debug, MoneyModel)]
#[allow(dead_code)] // fields exist to be stored, not read
#[money(table = "accounts")]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
}

fn host(port: u16) -> HostAddr {
    HostAddr::new("127.0.0.1", port)
}

/// A connection to `node` that waits, before each statement, until the node has applied every
/// write set the cluster committed before it (`wsrep_sync_wait`): what another node committed
/// is visible.
async fn causal(node: usize, database: &str) -> MySqlConnection {
    let mut connection = galera::cluster().await.connect(node, database).await;
    sqlx::query("SET SESSION wsrep_sync_wait = 15")
        .execute(&mut connection)
        .await
        .expect("SET wsrep_sync_wait");
    connection
}

/// A fresh database with the `accounts` table and account 1 holding 100,
/// created through node 0; the database's name and a causal connection to
/// node 0.
async fn one_account(galera: &galera::Galera) -> (String, MySqlConnection) {
    let database = galera.fresh_database().await;
    let mut node0 = causal(0, &database).await;
    run(&mut node0, &Account::create_table_sql(Dialect::MySql)).await;
    run(
        &mut node0,
        "INSERT INTO accounts (id, balance) VALUES (1, 100)",
    )
    .await;
    (database, node0)
}

async fn run(connection: &mut MySqlConnection, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(connection)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn balance(connection: &mut MySqlConnection, id: i64) -> Decimal {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = ?")
        .bind(id)
        .fetch_one(connection)
        .await
        .expect("reading a balance")
}

fn number(error: &sqlx::Error) -> Option<u16> {
    Some(
        error
            .as_database_error()?
            .try_downcast_ref::<MySqlDatabaseError>()?
            .number(),
    )
}

#[test]
fn mysql_multi_host_urls_parse_and_bad_ones_say_why() {
    let cluster: MySqlCluster =
        "mysql://app:pw@10.0.0.1:3307,10.0.0.2,[::1]:3308/money?ssl-mode=disabled"
            .parse()
            .expect("a valid multi-host URL");
    assert_eq!(
        cluster.hosts(),
        [
            HostAddr::new("10.0.0.1", 3307),
            HostAddr::new("10.0.0.2", 3306),
            HostAddr::new("::1", 3308)
        ]
    );
    assert_eq!(cluster.target(), TargetSessionAttrs::ReadWrite);
    // The builder, as the README shows it.
    let built = MySqlCluster::builder(
        "mysql://app@localhost/money"
            .parse()
            .expect("connect options"),
    )
    .host("10.0.0.1", 3306)
    .host("10.0.0.2", 3306)
    .host("10.0.0.3", 3306)
    .target(TargetSessionAttrs::ReadWrite)
    .connect_timeout(Duration::from_secs(2))
    .wait(Duration::from_secs(10))
    .build()
    .expect("three hosts");
    assert_eq!(built.hosts().len(), 3);
    assert_eq!(built.connect_timeout(), Duration::from_secs(2));
    assert_eq!(built.wait(), Duration::from_secs(10));
    let none = MySqlCluster::builder(
        "mysql://app@localhost/money"
            .parse()
            .expect("connect options"),
    )
    .build()
    .expect_err("no host");
    assert_eq!(none.to_string(), "a cluster needs at least one host");
    let mariadb: MySqlCluster = "mariadb://h1,h2/money?target_session_attrs=any"
        .parse()
        .expect("the mariadb:// scheme");
    assert_eq!(mariadb.target(), TargetSessionAttrs::Any);
    for (url, expected) in [
        (
            "postgres://h1/money",
            "invalid cluster URL: the URL must start with mysql:// or mariadb://, found `postgres://`",
        ),
        (
            "mysql:///money",
            "invalid cluster URL: the URL names no host: give one or more as `host:port,host:port`",
        ),
        (
            "mysql://h1/money?socket=/run/mysqld/mysqld.sock",
            "invalid cluster URL: the URL gives `socket` as a parameter: give every host in the host list (`//h1:port,h2:port/`) instead",
        ),
    ] {
        match url.parse::<MySqlCluster>() {
            Ok(cluster) => panic!("{url} parsed: {cluster:?}"),
            Err(error) => assert_eq!(error.to_string(), expected, "{url}"),
        }
    }
}

#[tokio::test]
async fn a_node_that_is_down_is_passed_over_and_rejoins_by_ist() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().write().await;
    let (database, _) = one_account(galera).await;

    galera.kill(2);
    let cluster = galera
        .multi_host_url(&[2, 0, 1], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(5))
        .with_connect_timeout(Duration::from_secs(5));
    let pool = cluster
        .connect_with(MySqlPoolOptions::new().max_connections(2))
        .await
        .expect("a pool past the dead node");
    assert_eq!(pool.current_host(), host(galera.client_port(0)));
    // Written while node 2 is down.
    sqlx::query("INSERT INTO accounts (id, balance) VALUES (2, 250)")
        .execute(pool.pool())
        .await
        .expect("writing with a node down");

    // Alone, the dead node is passed over as refused, after one round (no wait).
    let alone = galera
        .multi_host_url(&[2], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::ZERO);
    let error = alone.find_host().await.expect_err("a dead node");
    assert_eq!(error.rounds, 1, "{error}");
    assert_eq!(error.hosts.len(), 1, "{error}");
    assert_eq!(error.hosts[0].host, host(galera.client_port(2)));
    assert_eq!(error.hosts[0].reason, PassOverReason::Refused, "{error}");

    let log_before = galera.log(2).len();
    let restarted = Instant::now();
    galera.restart(2).await;
    eprintln!(
        "node 2 rejoined in {:.2} s",
        restarted.elapsed().as_secs_f64()
    );
    let rejoin_log = galera.log(2);
    let rejoin_log = rejoin_log.get(log_before..).unwrap_or_default();
    assert!(
        rejoin_log.contains("IST received"),
        "node 2 did not rejoin by IST; its log since the restart:\n{rejoin_log}"
    );
    let mut node2 = causal(2, &database).await;
    assert_eq!(balance(&mut node2, 2).await, Decimal::new(250, 0));
    pool.pool().close().await;
}

#[tokio::test]
async fn a_node_that_is_not_ready_is_passed_over() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().write().await;
    let database = galera.fresh_database().await;
    let mut node0 = causal(0, &database).await;
    run(&mut node0, &Account::create_table_sql(Dialect::MySql)).await;
    let mut node1 = causal(1, &database).await;
    run(&mut node1, "SELECT count(*) FROM accounts").await;
    let _ = node1.close().await;

    galera.isolate(1, true).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while galera.status(1, "wsrep_ready").await.as_deref() != Some("OFF") {
        assert!(
            Instant::now() < deadline,
            "node 1 still ready 60 s after gmcast.isolate=1"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Its statements fail with 1047.
    let mut isolated = galera.connect(1, &database).await;
    let refused = sqlx::query("SELECT count(*) FROM accounts")
        .execute(&mut isolated)
        .await;
    let _ = isolated.close().await;

    let alone = galera
        .multi_host_url(&[1], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::ZERO);
    let error = alone
        .find_host()
        .await
        .expect_err("a node that is not ready");
    let with_another = galera
        .multi_host_url(&[1, 0], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(5));
    let pool = with_another.connect().await;

    galera.isolate(1, false).await;
    galera
        .wait_synced()
        .await
        .unwrap_or_else(|message| panic!("{message}"));

    let refused = refused.expect_err("an isolated node refuses statements");
    assert_eq!(number(&refused), Some(1047), "{refused}");
    assert_eq!(
        error.hosts[0].reason,
        PassOverReason::NotReady {
            detail: "wsrep_ready = OFF".to_owned()
        },
        "{error}"
    );
    let pool = pool.expect("a pool past the node that is not ready");
    assert_eq!(pool.current_host(), host(galera.client_port(0)));
    pool.pool().close().await;
}

#[tokio::test]
async fn a_conflicting_commit_on_another_node_fails_with_40001_and_is_retryable() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().read().await;
    let (database, mut node0) = one_account(galera).await;
    let mut node1 = causal(1, &database).await;

    // Both transactions update the same row, each on its own node: neither waits for a lock,
    // Galera certifies at COMMIT.
    run(&mut node0, "BEGIN").await;
    run(
        &mut node0,
        "UPDATE accounts SET balance = balance - 10 WHERE id = 1",
    )
    .await;
    run(&mut node1, "BEGIN").await;
    run(
        &mut node1,
        "UPDATE accounts SET balance = balance - 20 WHERE id = 1",
    )
    .await;
    run(&mut node0, "COMMIT").await;
    let error = sqlx::raw_sql("COMMIT")
        .execute(&mut node1)
        .await
        .expect_err("the second COMMIT must lose the certification");
    assert_eq!(number(&error), Some(1213), "{error}");
    assert_eq!(error.sqlstate().as_deref(), Some("40001"), "{error}");
    assert!(error.is_retryable(), "{error}");
    let mapped = money_sqlx::map_error::<Account>(error, None);
    assert!(
        matches!(&mapped, money_sqlx::Error::Conflict { sqlstate, .. } if sqlstate == "40001"),
        "{mapped:?}"
    );
    assert!(mapped.is_retryable());

    // Running the whole transaction again on node 1 succeeds.
    run(&mut node1, "BEGIN").await;
    run(
        &mut node1,
        "UPDATE accounts SET balance = balance - 20 WHERE id = 1",
    )
    .await;
    run(&mut node1, "COMMIT").await;
    for node in 0..galera::NODES {
        let mut connection = causal(node, &database).await;
        assert_eq!(
            balance(&mut connection, 1).await,
            Decimal::new(70, 0),
            "node {node}"
        );
    }
}

#[tokio::test]
async fn money_sqlx_transaction_retries_a_certification_conflict_at_commit() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().read().await;
    let (database, _) = one_account(galera).await;
    let other_node = MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&galera.url(0, &database))
        .await
        .expect("a pool on node 0");
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .after_connect(|connection, _| {
            Box::pin(async move {
                // See node 0's committed writes before each statement.
                sqlx::query("SET SESSION wsrep_sync_wait = 15")
                    .execute(connection)
                    .await?;
                Ok(())
            })
        })
        .connect(&galera.url(1, &database))
        .await
        .expect("a pool on node 1");

    // On node 1, the first attempt updates the row; meanwhile node 0 commits an update of the
    // same row. Nothing waits for a lock: node 1's COMMIT loses the certification (1213), and
    // the helper runs the whole transaction again.
    let (records, _guard) = Records::install();
    let calls = std::sync::atomic::AtomicU32::new(0);
    let committed =
        money_sqlx::transaction(&pool, &money_sqlx::TransactionOptions::default(), |conn| {
            let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let other_node = other_node.clone();
            Box::pin(async move {
                sqlx::query("UPDATE accounts SET balance = balance - 20 WHERE id = 1")
                    .execute(&mut *conn)
                    .await?;
                if first {
                    sqlx::query("UPDATE accounts SET balance = balance - 10 WHERE id = 1")
                        .execute(&other_node)
                        .await?;
                }
                Ok::<_, money_sqlx::Error>(())
            })
        })
        .await
        .expect("committed on the second attempt");
    assert_eq!(committed.attempts, 2);
    assert_eq!(
        records.retries(),
        [(
            "commit".to_owned(),
            "conflict".to_owned(),
            "40001".to_owned()
        )]
    );
    assert_eq!(records.outcome().as_deref(), Some("committed"));
    for node in 0..galera::NODES {
        let mut connection = causal(node, &database).await;
        assert_eq!(
            balance(&mut connection, 1).await,
            Decimal::new(70, 0),
            "node {node}: both updates, once each"
        );
    }
    pool.close().await;
    other_node.close().await;
}

#[tokio::test]
async fn a_check_refused_on_another_node_maps_to_the_field() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().read().await;
    let database = galera.fresh_database().await;
    let mut node0 = causal(0, &database).await;
    run(&mut node0, &Account::create_table_sql(Dialect::MySql)).await;

    // The table was made on node 0; node 2 refuses a negative balance with the same CHECK.
    let mut node2 = causal(2, &database).await;
    let error = sqlx::query("INSERT INTO accounts (id, balance) VALUES (1, -5)")
        .execute(&mut node2)
        .await
        .expect_err("the replicated CHECK refuses");
    assert_eq!(number(&error), Some(4025), "{error}");
    match money_sqlx::map_error::<Account>(error, None) {
        money_sqlx::Error::Check { field, column, .. } => {
            assert_eq!(field, "balance");
            assert_eq!(column, "balance");
        }
        other => panic!("not mapped to the field: {other:?}"),
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&mut node0)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

/// The port of the server a connection talks to.
async fn port_of(connection: &mut MySqlConnection) -> u16 {
    let port: i64 = sqlx::query_scalar("SELECT CAST(@@port AS SIGNED)")
        .fetch_one(connection)
        .await
        .expect("SELECT @@port");
    u16::try_from(port).expect("a port")
}

#[tokio::test]
async fn a_read_only_node_is_passed_over_and_reroute_drops_old_connections() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().write().await;
    let database = galera.fresh_database().await;
    let cluster = galera
        .multi_host_url(&[0, 1], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(5));
    let pool = cluster
        .connect_with(MySqlPoolOptions::new().max_connections(2))
        .await
        .expect("a pool on node 0");
    assert_eq!(pool.current_host(), host(galera.client_port(0)));
    // Two connections to node 0, back in the pool, idle.
    let mut first = pool.pool().acquire().await.expect("acquire");
    let mut second = pool.pool().acquire().await.expect("acquire");
    assert_eq!(port_of(&mut first).await, galera.client_port(0));
    assert_eq!(port_of(&mut second).await, galera.client_port(0));
    drop((first, second));

    let mut node0 = galera.connect(0, &database).await;
    run(&mut node0, "SET GLOBAL read_only = ON").await;
    let rerouted = pool.reroute().await;
    let alone = galera
        .multi_host_url(&[0], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::ZERO)
        .find_host()
        .await;
    // The connections opened to node 0 before the reroute are not handed out again.
    let mut ports = Vec::new();
    if rerouted.is_ok() {
        for _ in 0..2 {
            let mut connection = pool.pool().acquire().await.expect("acquire");
            ports.push(port_of(&mut connection).await);
        }
    }
    run(&mut node0, "SET GLOBAL read_only = OFF").await;

    assert_eq!(
        rerouted.expect("node 1 qualifies"),
        host(galera.client_port(1))
    );
    assert_eq!(ports, vec![galera.client_port(1); 2]);
    let error = alone.expect_err("a read-only node");
    assert_eq!(
        error.hosts[0].reason,
        PassOverReason::ReadOnly {
            detail: "read_only = ON".to_owned()
        },
        "{error}"
    );
    pool.pool().close().await;
}

#[tokio::test]
async fn a_transaction_on_a_node_that_stops_being_ready_is_retried_on_another() {
    let galera = galera::cluster().await;
    let _faults = galera.faults().write().await;
    let (database, _) = one_account(galera).await;
    // A cluster pool on node 1, node 0 its alternative; one idle connection
    // to node 1 in it.
    let pool = galera
        .multi_host_url(&[1, 0], &database)
        .parse::<MySqlCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(5))
        .connect_with(MySqlPoolOptions::new().max_connections(1))
        .await
        .expect("a pool on node 1");
    assert_eq!(pool.current_host(), host(galera.client_port(1)));
    let mut connection = pool.pool().acquire().await.expect("acquire");
    assert_eq!(port_of(&mut connection).await, galera.client_port(1));
    drop(connection);

    // Node 1 leaves the primary component: the pool's connection to it is
    // still open, and its statements now fail with 1047.
    galera.isolate(1, true).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = true;
    while Instant::now() < deadline {
        if galera.status(1, "wsrep_ready").await.as_deref() == Some("OFF") {
            ready = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (records, _guard) = Records::install();
    let ports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let committed = if ready {
        None
    } else {
        Some(
            money_sqlx::transaction(&pool, &money_sqlx::TransactionOptions::default(), |conn| {
                let ports = ports.clone();
                Box::pin(async move {
                    let port = port_of(&mut *conn).await;
                    ports.lock().unwrap().push(port);
                    sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
                        .execute(&mut *conn)
                        .await?;
                    Ok::<_, money_sqlx::Error>(())
                })
            })
            .await,
        )
    };
    galera.isolate(1, false).await;
    galera
        .wait_synced()
        .await
        .unwrap_or_else(|message| panic!("{message}"));

    assert!(!ready, "node 1 still ready 60 s after gmcast.isolate=1");
    let committed = committed
        .expect("ran")
        .expect("committed on node 0 after the reroute");
    // The attempt on node 1 failed before COMMIT (1047 is SQLSTATE 08S01);
    // the next ran on node 0, where the pool now points.
    let retries = records.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0].1, "not_ready", "{retries:?}");
    assert_ne!(retries[0].0, "commit", "{retries:?}");
    assert_eq!(committed.attempts, 2);
    assert_eq!(pool.current_host(), host(galera.client_port(0)));
    assert_eq!(
        ports.lock().unwrap().last().copied(),
        Some(galera.client_port(0))
    );
    assert_eq!(records.outcome().as_deref(), Some("committed"));
    for node in 0..galera::NODES {
        let mut connection = causal(node, &database).await;
        assert_eq!(
            balance(&mut connection, 1).await,
            Decimal::new(101, 0),
            "node {node}: the update, once"
        );
    }
    pool.pool().close().await;
}
