//! Several PostgreSQL hosts (`money_sqlx::cluster`) against a real primary with a synchronous
//! standby (`money_tests::pg_replica`): the pool writes only on the primary, survives a
//! failover through `reroute`, keeps every acknowledged commit, and says why each host was
//! passed over when none is writable.

use std::time::{Duration, Instant};

use money_sqlx::cluster::{HostAddr, PassOverReason, PgCluster, TargetSessionAttrs, check_session};
use money_tests::pg_replica::ReplicaPair;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

fn host(port: u16) -> HostAddr {
    HostAddr::new("127.0.0.1", port)
}

/// The port of the server a pooled connection talks to, and whether its session is read-only.
async fn server_of(pool: &PgPool) -> (i32, String) {
    sqlx::query_as("SELECT inet_server_port(), current_setting('transaction_read_only')")
        .fetch_one(pool)
        .await
        .expect("asking the server its port")
}

#[test]
fn multi_host_urls_parse_and_bad_ones_say_why() {
    let cluster: PgCluster =
        "postgres://app:secret@127.0.0.1:5433,db2/money?target_session_attrs=any&sslmode=disable"
            .parse()
            .expect("a valid multi-host URL");
    assert_eq!(
        cluster.hosts(),
        [HostAddr::new("127.0.0.1", 5433), HostAddr::new("db2", 5432)]
    );
    assert_eq!(cluster.target(), TargetSessionAttrs::Any);
    let default: PgCluster = "postgresql://h1,h2/money".parse().expect("valid");
    assert_eq!(default.target(), TargetSessionAttrs::ReadWrite);

    for (url, expected) in [
        (
            "mysql://h1,h2/money",
            "invalid cluster URL: the URL must start with postgres:// or postgresql://, found `mysql://`",
        ),
        (
            "postgres://h1,,h2/money",
            "invalid cluster URL: host #2 of the URL's host list is empty",
        ),
        (
            "postgres://h1:5432,h2:http/money",
            "invalid cluster URL: host `h2` has port `http`: a port is a number from 1 to 65535",
        ),
        (
            "postgres://h1,h2/money?target_session_attrs=prefer-standby",
            "invalid cluster URL: target_session_attrs=`prefer-standby` is not supported: use `read-write` (the default) or `any`",
        ),
        (
            "postgres://h1/money?host=/run/postgresql",
            "invalid cluster URL: the URL gives `host` as a parameter: give every host in the host list (`//h1:port,h2:port/`) instead",
        ),
    ] {
        match url.parse::<PgCluster>() {
            Ok(cluster) => panic!("{url} parsed: {cluster:?}"),
            Err(error) => assert_eq!(error.to_string(), expected, "{url}"),
        }
    }
}

#[tokio::test]
async fn writes_go_to_the_primary_and_follow_a_failover() {
    let pair = ReplicaPair::start().await;
    // The standby first: the pool must pass over it.
    let url = ReplicaPair::read_write_url([pair.standby_port, pair.primary_port]);
    let cluster = url
        .parse::<PgCluster>()
        .expect("valid URL")
        .with_wait(Duration::from_secs(2))
        .with_connect_timeout(Duration::from_secs(5));
    let pool = cluster
        .connect_with(
            PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(3)),
        )
        .await
        .expect("a pool on the primary");
    assert_eq!(pool.current_host(), host(pair.primary_port));

    // Every connection of the pool is on the primary, in a read-write session.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut connection = pool.pool().acquire().await.expect("acquire");
        let (port, read_only): (i32, String) =
            sqlx::query_as("SELECT inet_server_port(), current_setting('transaction_read_only')")
                .fetch_one(&mut *connection)
                .await
                .expect("server port");
        assert_eq!(i64::from(port), i64::from(pair.primary_port));
        assert_eq!(read_only, "off");
        held.push(connection);
    }
    drop(held);

    sqlx::raw_sql(
        "CREATE TABLE transfers (id bigint PRIMARY KEY, amount numeric NOT NULL);\
         INSERT INTO transfers SELECT n, n * 1.5 FROM generate_series(1, 100) AS n",
    )
    .execute(pool.pool())
    .await
    .expect("writing on the primary");
    // Each INSERT below is acknowledged: with a synchronous standby, that means the standby
    // has flushed it.
    for id in 101..=120_i64 {
        sqlx::query("INSERT INTO transfers (id, amount) VALUES ($1, 7.25)")
            .bind(id)
            .execute(pool.pool())
            .await
            .expect("an acknowledged insert");
    }

    // The acknowledgements above waited for the standby: it is synchronous.
    let (sync_state, synchronous_commit): (String, String) = sqlx::query_as(
        "SELECT sync_state, current_setting('synchronous_commit') FROM pg_stat_replication \
         WHERE application_name = $1",
    )
    .bind(money_tests::pg_replica::STANDBY_NAME)
    .fetch_one(pool.pool())
    .await
    .expect("the standby in pg_stat_replication");
    assert_eq!(
        (sync_state.as_str(), synchronous_commit.as_str()),
        ("sync", "on")
    );

    pair.kill_primary();

    // With the primary gone and the standby not promoted, nothing is writable: reroute says
    // why for each host, within the wait, and the pool keeps its host.
    let started = Instant::now();
    let error = pool
        .reroute()
        .await
        .expect_err("no writable host while the standby is not promoted");
    assert!(
        started.elapsed() < Duration::from_secs(2 + 2 * 5 + 2),
        "{error}"
    );
    assert_eq!(error.hosts.len(), 2, "{error}");
    assert_eq!(error.hosts[0].host, host(pair.standby_port));
    assert_eq!(
        error.hosts[0].reason,
        PassOverReason::ReadOnly {
            detail: "transaction_read_only = on".to_owned()
        },
        "{error}"
    );
    assert_eq!(error.hosts[1].host, host(pair.primary_port));
    assert_eq!(error.hosts[1].reason, PassOverReason::Refused, "{error}");
    assert_eq!(pool.current_host(), host(pair.primary_port));
    // The pool itself cannot reach the dead primary: acquiring times out, it does not hang.
    let acquired = pool.pool().acquire().await;
    assert!(
        matches!(acquired, Err(sqlx::Error::PoolTimedOut)),
        "acquire on the dead primary: {acquired:?}"
    );

    pair.promote_standby();
    let killed_to_writable = Instant::now();
    let new_primary = pool.reroute().await.expect("the promoted standby");
    assert_eq!(new_primary, host(pair.standby_port));
    assert_eq!(pool.current_host(), host(pair.standby_port));
    eprintln!(
        "rerouted to {new_primary} in {:.2} s after the promotion",
        killed_to_writable.elapsed().as_secs_f64()
    );

    // The same pool, not restarted, now writes on the new primary...
    let (port, read_only) = server_of(pool.pool()).await;
    assert_eq!(i64::from(port), i64::from(pair.standby_port));
    assert_eq!(read_only, "off");
    sqlx::query("INSERT INTO transfers (id, amount) VALUES (121, 1)")
        .execute(pool.pool())
        .await
        .expect("writing on the new primary");
    // ...and every row acknowledged before the kill is there.
    let (count, total): (i64, sqlx::types::Decimal) =
        sqlx::query_as("SELECT count(*), sum(amount) FROM transfers WHERE id <= 120")
            .fetch_one(pool.pool())
            .await
            .expect("reading the acknowledged rows");
    assert_eq!(count, 120);
    // 1.5 * (1 + ... + 100) + 20 * 7.25
    assert_eq!(total, sqlx::types::Decimal::new(772_000, 2));
    pool.pool().close().await;
}

#[tokio::test]
async fn a_read_only_session_is_never_used_for_writes() {
    let pair = ReplicaPair::start().await;
    // A pool pointed at the standby by hand, with the cluster's session check: it never gets
    // a connection (a demoted primary would be refused the same way).
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(2))
        .after_connect(|connection, _| {
            Box::pin(async move {
                check_session::<sqlx::Postgres>(connection, TargetSessionAttrs::ReadWrite).await
            })
        })
        .connect_lazy(&pair.standby_url())
        .expect("lazy pool");
    let started = Instant::now();
    let acquired = pool.acquire().await;
    assert!(
        matches!(acquired, Err(sqlx::Error::PoolTimedOut)),
        "a session on the standby was handed out: {acquired:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // The standby itself is up and answers, read-only.
    let mut direct = PgConnection::connect(&pair.standby_url())
        .await
        .expect("a direct connection to the standby");
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(&mut direct)
        .await
        .expect("SHOW");
    assert_eq!(read_only, "on");
    let refused = sqlx::query("CREATE TABLE t (id int)")
        .execute(&mut direct)
        .await
        .expect_err("the standby refuses writes");
    assert_eq!(
        refused
            .as_database_error()
            .and_then(|error| error.code())
            .as_deref(),
        Some("25006"),
        "{refused}"
    );
    // And with `any`, the same standby qualifies.
    let any = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?target_session_attrs=any",
        pair.standby_port
    )
    .parse::<PgCluster>()
    .expect("valid URL");
    let (found, _) = any.find_host().await.expect("any session");
    assert_eq!(found, host(pair.standby_port));
}

#[tokio::test]
async fn no_writable_host_is_an_error_naming_each_host_within_the_bound() {
    let pair = ReplicaPair::start().await;
    // A port nobody listens on, and one that accepts TCP but never answers.
    let refused_port = money_tests_free_port();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_port = silent.local_addr().expect("address").port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });

    let cluster = PgCluster::builder(
        "postgres://postgres@127.0.0.1/postgres"
            .parse()
            .expect("options"),
    )
    .host("127.0.0.1", pair.standby_port)
    .host("127.0.0.1", refused_port)
    .host("127.0.0.1", silent_port)
    // Long enough for a loaded machine to open a session on the standby.
    .connect_timeout(Duration::from_secs(3))
    .wait(Duration::from_secs(2))
    .build()
    .expect("three hosts");
    let started = Instant::now();
    let error = match cluster.connect().await {
        Ok(pool) => panic!("connected to {}", pool.current_host()),
        Err(money_sqlx::cluster::ClusterError::NoWritableHost(error)) => error,
        Err(other) => panic!("unexpected error: {other}"),
    };
    let elapsed = started.elapsed();
    // The bound: the wait, plus one connect timeout per host for the last round.
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(2 + 3 * 3 + 2),
        "took {elapsed:?}: {error}"
    );
    assert!(error.rounds >= 1);
    let reasons: Vec<(HostAddr, PassOverReason)> = error
        .hosts
        .iter()
        .map(|passed| (passed.host.clone(), passed.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                host(pair.standby_port),
                PassOverReason::ReadOnly {
                    detail: "transaction_read_only = on".to_owned()
                }
            ),
            (host(refused_port), PassOverReason::Refused),
            (
                host(silent_port),
                PassOverReason::TimedOut {
                    after: Duration::from_secs(3)
                }
            ),
        ]
    );
    let message = error.to_string();
    for part in [
        format!(
            "127.0.0.1:{}: read-only (transaction_read_only = on)",
            pair.standby_port
        ),
        format!("127.0.0.1:{refused_port}: connection refused"),
        format!("127.0.0.1:{silent_port}: timed out after 3.0 s"),
    ] {
        assert!(message.contains(&part), "{message} lacks {part}");
    }
    holder.abort();
}

/// A loopback port that was free a moment ago (nothing listens on it afterwards).
fn money_tests_free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
