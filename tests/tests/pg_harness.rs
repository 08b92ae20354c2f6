//! Tests of the PostgreSQL test harness itself (`money_tests::pg`), against the real server:
//! `DATABASE_URL` when set, otherwise the private server the harness starts.

use money_tests::pg::{self, TestSchema};

/// Whether `schema` exists on the server, asked on a connection outside any test schema.
async fn schema_exists(schema: &str) -> bool {
    let mut conn = pg::connect().await;
    sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(schema)
        .fetch_one(&mut conn)
        .await
        .expect("querying pg_namespace failed")
}

/// `SHOW search_path` on one connection of the schema's pool.
async fn search_path_of(schema: &TestSchema) -> String {
    sqlx::query_scalar::<_, String>("SHOW search_path")
        .fetch_one(&schema.pool)
        .await
        .expect("SHOW search_path failed")
}

#[tokio::test]
async fn schemas_are_distinct_and_isolated() {
    let a = pg::fresh_schema().await;
    let b = pg::fresh_schema().await;
    assert_ne!(a.name, b.name);
    assert!(schema_exists(&a.name).await, "schema {} missing", a.name);
    assert!(schema_exists(&b.name).await, "schema {} missing", b.name);

    sqlx::query("CREATE TABLE items (id integer PRIMARY KEY)")
        .execute(&a.pool)
        .await
        .expect("CREATE TABLE in schema a failed");
    sqlx::query("INSERT INTO items (id) VALUES (1), (2)")
        .execute(&a.pool)
        .await
        .expect("INSERT in schema a failed");

    // The table landed in schema a, and b does not see it.
    let table_schema: String = sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'items' \
         AND table_schema = current_schema()",
    )
    .fetch_one(&a.pool)
    .await
    .expect("looking up table items in schema a failed");
    assert_eq!(table_schema, a.name);
    let seen_from_b: Option<String> = sqlx::query_scalar("SELECT to_regclass('items')::text")
        .fetch_one(&b.pool)
        .await
        .expect("to_regclass in schema b failed");
    assert_eq!(seen_from_b, None, "schema b sees schema a's table");
    let select_from_b = sqlx::query("SELECT id FROM items").execute(&b.pool).await;
    assert!(select_from_b.is_err(), "SELECT from items worked in b");

    // b can have its own table of the same name, independent of a's.
    sqlx::query("CREATE TABLE items (id integer PRIMARY KEY)")
        .execute(&b.pool)
        .await
        .expect("CREATE TABLE of the same name in schema b failed");
    let count_a: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&a.pool)
        .await
        .expect("count in a failed");
    let count_b: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&b.pool)
        .await
        .expect("count in b failed");
    assert_eq!((count_a, count_b), (2, 0));

    // Every pooled connection has the search_path, not just the first: hold several at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(
            a.pool
                .acquire()
                .await
                .expect("acquiring a connection failed"),
        );
    }
    for conn in &mut held {
        let path: String = sqlx::query_scalar("SHOW search_path")
            .fetch_one(&mut **conn)
            .await
            .expect("SHOW search_path failed");
        assert_eq!(path, a.name);
    }
    drop(held);
    assert!(
        a.pool.size() >= 4,
        "pool opened {} connections",
        a.pool.size()
    );
    assert_eq!(search_path_of(&b).await, b.name);

    let (a_name, b_name) = (a.name.clone(), b.name.clone());
    a.drop().await;
    b.drop().await;
    assert!(
        !schema_exists(&a_name).await,
        "schema {a_name} still exists"
    );
    assert!(
        !schema_exists(&b_name).await,
        "schema {b_name} still exists"
    );
}

#[tokio::test]
async fn server_is_postgresql_14_or_newer() {
    let mut conn = pg::connect().await;
    let version: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(&mut conn)
        .await
        .expect("SHOW server_version_num failed");
    let version: u32 = version.parse().expect("server_version_num is not a number");
    assert!(version >= 140_000, "PostgreSQL {version} is older than 14");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fresh_schemas_all_succeed() {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(async {
                let schema = pg::fresh_schema().await;
                let current: String = sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(&schema.pool)
                    .await
                    .expect("SELECT current_schema() failed");
                assert_eq!(current, schema.name);
                sqlx::query("CREATE TABLE t (id integer)")
                    .execute(&schema.pool)
                    .await
                    .expect("CREATE TABLE failed");
                schema
            })
        })
        .collect();
    let mut schemas = Vec::new();
    for task in tasks {
        schemas.push(task.await.expect("a fresh_schema task panicked"));
    }
    let mut names: Vec<&str> = schemas.iter().map(|schema| schema.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 8, "schema names repeat: {names:?}");
    for schema in schemas {
        schema.drop().await;
    }
}

#[test]
fn database_url_is_started_once_and_shared_across_threads() {
    let barrier = std::sync::Barrier::new(8);
    let urls: Vec<&'static str> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    pg::database_url()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                // Re-raise a thread's panic with its own message.
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for url in &urls {
        assert!(std::ptr::eq(*url, urls[0]), "{url} != {}", urls[0]);
    }
    match std::env::var("DATABASE_URL") {
        Ok(env_url) if !env_url.is_empty() => assert_eq!(urls[0], env_url),
        _ => assert!(
            urls[0].starts_with("postgres:///postgres?user=postgres&host=/tmp/money-pg-"),
            "unexpected private server URL {}",
            urls[0]
        ),
    }
}

#[tokio::test]
async fn private_server_has_no_tcp_port() {
    if std::env::var("DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        return; // A shared server is what it is; only the private one is ours to check.
    }
    let mut conn = pg::connect().await;
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .expect("SHOW listen_addresses failed");
    assert_eq!(listen, "");
    let fsync: String = sqlx::query_scalar("SHOW fsync")
        .fetch_one(&mut conn)
        .await
        .expect("SHOW fsync failed");
    assert_eq!(fsync, "off");
}
