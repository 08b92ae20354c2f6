//! PostgreSQL for the integration tests.
//!
//! Every test that needs a database calls [`fresh_schema`] and works inside the schema it gets,
//! so tests never see each other's tables, whether they run against a shared server named by
//! `DATABASE_URL` or against the private server this module starts.
//!
//! When `DATABASE_URL` is unset (or empty), the first caller in a test process starts a private,
//! throwaway PostgreSQL from the system's server binaries: a fresh data directory under
//! `/tmp/money-pg-<pid>-<nanos>`, reachable only through a Unix socket in that directory (no TCP
//! port, so it never collides with a server on 5432). Statics are never dropped when a test binary
//! exits, so a small watchdog shell process waits for the test process to end (normally or
//! killed), then stops that server and removes its directory.
//!
//! When the process runs as root (as CI does), `initdb` and `postgres` refuse to run, so they are
//! started as the `postgres` system user, or as `nobody` when there is no such user.
//!
//! ```no_run
//! # async fn demo() {
//! let schema = money_tests::pg::fresh_schema().await;
//! sqlx::query("CREATE TABLE accounts (id bigint PRIMARY KEY)")
//!     .execute(&schema.pool)
//!     .await
//!     .expect("create table");
//! schema.drop().await;
//! # }
//! ```

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use crate::server::{
    effective_uid_is_root, log_tail, make_private_dir, nanos_since_epoch, record_server_pid,
    run_as, spawn_watchdog, unique_name, unprivileged_user,
};

/// How long the private server may take to accept connections before we give up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Most connections a [`TestSchema`] pool opens.
const POOL_MAX_CONNECTIONS: u32 = 8;

/// The server URL, or why there is none. Computed once per process; an error is kept (rather than
/// retried by the next caller) so that a broken setup fails every test with the same message
/// instead of starting several servers.
static SERVER_URL: OnceLock<Result<String, String>> = OnceLock::new();

/// URL of the PostgreSQL server the tests use: `DATABASE_URL` when set, otherwise a private
/// throwaway server started once per test process.
///
/// The first call may take a second or two (it runs `initdb` and starts the server); concurrent
/// first calls from several threads wait for that one start and share its server.
///
/// # Panics
///
/// When no server can be provided: the PostgreSQL server binaries are missing, `initdb` fails, or
/// the server does not start within 30 seconds. The message says what failed.
pub fn database_url() -> &'static str {
    let url = SERVER_URL.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start_private_server(),
    });
    match url {
        Ok(url) => url,
        Err(message) => panic!("{message}"),
    }
}

/// [`database_url`] for async callers: a first call (which starts the server) runs on tokio's
/// blocking pool instead of stalling the runtime's worker thread.
async fn database_url_async() -> &'static str {
    if let Some(Ok(url)) = SERVER_URL.get() {
        return url;
    }
    match tokio::task::spawn_blocking(database_url).await {
        Ok(url) => url,
        Err(error) => match error.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(error) => panic!("the task starting the test PostgreSQL server failed: {error}"),
        },
    }
}

/// A new connection to the default database of the test server (no schema of its own: use it for
/// server-wide checks, such as whether a schema still exists).
///
/// # Panics
///
/// When the server cannot be provided or the connection fails.
pub async fn connect() -> PgConnection {
    let url = database_url_async().await;
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test PostgreSQL at {url}: {error}"))
}

/// A schema of its own for one test, and a pool whose connections see only that schema.
#[derive(Debug)]
pub struct TestSchema {
    /// Pool (up to 8 connections) whose every connection has `search_path` set to [`Self::name`]
    /// only, so unqualified table names are created and found in this schema.
    pub pool: PgPool,
    /// Name of the schema, `t_<pid>_<counter>_<random>`: lowercase ASCII letters, digits and
    /// underscores, so it needs no quoting in SQL.
    pub name: String,
}

impl TestSchema {
    /// Drops the schema and everything in it (`DROP SCHEMA ... CASCADE`), then closes the pool.
    ///
    /// A test that panics before calling this leaves its schema behind; on the private server
    /// that goes away with the server, on a shared `DATABASE_URL` server it stays until dropped by
    /// hand.
    ///
    /// # Panics
    ///
    /// When the schema cannot be dropped.
    pub async fn drop(self) {
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        sqlx::query(AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|error| panic!("cannot drop test schema {}: {error}", self.name));
        self.pool.close().await;
    }
}

/// A fresh schema with a unique name on that server, and a pool whose every connection has
/// `search_path` set to that schema only. Tests create their tables there, so they never see
/// each other's tables, even against a shared `DATABASE_URL` server.
///
/// Call [`TestSchema::drop`] at the end of the test.
///
/// # Panics
///
/// When the server cannot be provided, the schema cannot be created, or the pool cannot connect.
pub async fn fresh_schema() -> TestSchema {
    let url = database_url_async().await;
    let name = unique_name();

    let mut conn = connect().await;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|error| panic!("cannot create test schema {name}: {error}"));
    conn.close()
        .await
        .expect("closing the connection that created a test schema failed");

    let options: PgConnectOptions = url
        .parse()
        .unwrap_or_else(|error| panic!("invalid PostgreSQL URL {url}: {error}"));
    let options = options.options([("search_path", name.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(POOL_MAX_CONNECTIONS)
        .connect_with(options)
        .await
        .unwrap_or_else(|error| panic!("cannot open a pool on test schema {name}: {error}"));
    TestSchema { pool, name }
}

/// Starts the private server and returns its URL.
fn start_private_server() -> Result<String, String> {
    let started = Instant::now();
    let bindir = find_server_bindir()?;
    let user = if effective_uid_is_root() {
        Some(unprivileged_user(
            "postgres",
            "initdb refuses to run as root, so create one of them or set DATABASE_URL",
        )?)
    } else {
        None
    };
    let owner = user.as_ref().map(|user| (user.uid, user.gid));

    let dir = PathBuf::from(format!(
        "/tmp/money-pg-{}-{}",
        std::process::id(),
        nanos_since_epoch()
    ));
    make_private_dir(&dir, owner)?;
    // From here on the watchdog removes `dir` (and stops the server once its pid is recorded)
    // when this process exits, whatever happens next.
    if let Err(error) = spawn_watchdog(WATCHDOG_SCRIPT, "money-pg-watchdog", &dir) {
        let _ = fs::remove_dir(&dir);
        return Err(error);
    }
    let sock_dir = dir.join("sock");
    make_private_dir(&sock_dir, owner)?;
    let data_dir = dir.join("data");

    let mut initdb = Command::new(bindir.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data_dir)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
        .args(["--no-sync", "--no-instructions"]);
    run_as(&mut initdb, &dir, user.as_ref());
    let output = initdb
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", bindir.join("initdb").display()))?;
    if !output.status.success() {
        return Err(format!(
            "initdb for the test PostgreSQL failed ({}){}:\n{}{}",
            output.status,
            user.as_ref()
                .map(|user| format!(" running as user {}", user.name))
                .unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout),
        ));
    }

    let log_path = dir.join("postgres.log");
    let log = File::create(&log_path)
        .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|error| {
        format!(
            "cannot duplicate the handle of {}: {error}",
            log_path.display()
        )
    })?;
    let mut postgres = Command::new(bindir.join("postgres"));
    postgres
        .arg("-D")
        .arg(&data_dir)
        .arg("-k")
        .arg(&sock_dir)
        // An explicit port (PGPORT in the environment would change the default); with no
        // listen address it only names the socket file, `.s.PGSQL.5432`.
        .args(["-p", "5432", "-c", "listen_addresses=", "-F"])
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=200"]);
    run_as(&mut postgres, &dir, user.as_ref());
    let mut child = postgres
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own process group: a Ctrl-C aimed at the test run must not reach the server; the
        // watchdog stops it.
        .process_group(0)
        .spawn()
        .map_err(|error| {
            format!(
                "cannot start {}: {error}",
                bindir.join("postgres").display()
            )
        })?;
    record_server_pid(&dir, "postgres.pid", child.id())?;

    wait_until_ready(&sock_dir, &mut child, &log_path)?;
    eprintln!(
        "money-tests: private PostgreSQL from {} ready in {:.2} s at {}",
        bindir.display(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    // The socket directory goes in the `host` parameter: the URL authority cannot hold a path
    // (unless percent-encoded), and `postgres://user@/db` is rejected as an empty host. The port
    // is explicit so that PGPORT in the environment cannot change the socket file name.
    Ok(format!(
        "postgres:///postgres?user=postgres&host={}&port=5432",
        sock_dir.display()
    ))
}

/// The directory holding `initdb` and `postgres`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`, else where `initdb` on `PATH` lives.
pub(crate) fn find_server_bindir() -> Result<PathBuf, String> {
    fn has_server(dir: &Path) -> bool {
        dir.join("initdb").is_file() && dir.join("postgres").is_file()
    }

    if let Ok(output) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }

    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let newest = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let version: Vec<u32> = entry
                    .file_name()
                    .to_str()?
                    .split('.')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .ok()?;
                let bin = entry.path().join("bin");
                has_server(&bin).then_some((version, bin))
            })
            .max();
        if let Some((_, bin)) = newest {
            return Ok(bin);
        }
    }

    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if !initdb.is_file() {
                continue;
            }
            // `initdb` on PATH is often a symlink into the real bindir.
            if let Some(real_dir) = fs::canonicalize(&initdb)
                .ok()
                .and_then(|real| real.parent().map(Path::to_path_buf))
                && has_server(&real_dir)
            {
                return Ok(real_dir);
            }
            if has_server(&dir) {
                return Ok(dir);
            }
        }
    }

    Err(
        "PostgreSQL server binaries (initdb, postgres) not found (tried `pg_config --bindir`, \
         /usr/lib/postgresql/*/bin and PATH); install them (Debian: `apt-get install postgresql`) \
         or set DATABASE_URL to a server the tests may use"
            .to_owned(),
    )
}

/// Shell script of the watchdog. `$1`: pid of the test process, `$2`: the server's directory.
/// Once the test process is gone, it stops the server whose pid is in `$2/postgres.pid` (or, should
/// that be missing, in the server's own `postmaster.pid`) with a fast shutdown, then SIGKILL after
/// ~10 s, and removes the directory. The server's own
/// `postmaster.pid` going away also ends the wait, in case nobody reaps the exited server
/// (`kill -0` succeeds on a zombie).
const WATCHDOG_SCRIPT: &str = r#"
while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
pid=$(cat "$2/postgres.pid" 2>/dev/null || head -n 1 "$2/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null
    i=0
    while [ -e "$2/data/postmaster.pid" ] && kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
fi
rm -rf "$2"
"#;

/// Polls the server's socket until it accepts a connection, the server exits, or
/// [`STARTUP_TIMEOUT`] passes.
fn wait_until_ready(sock_dir: &Path, server: &mut Child, log_path: &Path) -> Result<(), String> {
    let socket = sock_dir.join(".s.PGSQL.5432");
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!(
                "the test PostgreSQL exited during startup ({status}); end of {}:\n{}",
                log_path.display(),
                log_tail(log_path)
            ));
        }
        if accepts_connections(&socket) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the test PostgreSQL did not accept connections on {} within {} s; end of {}:\n{}",
                socket.display(),
                STARTUP_TIMEOUT.as_secs(),
                log_path.display(),
                log_tail(log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the server at `socket` lets user `postgres` in: sends a protocol 3.0 startup message
/// and checks that the reply is an authentication request (`R`) rather than an error (`E`, as
/// while the server is still starting up).
fn accepts_connections(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let mut body = 196_608_u32.to_be_bytes().to_vec(); // protocol version 3.0
    for field in ["user", "postgres", "database", "postgres", ""] {
        body.extend_from_slice(field.as_bytes());
        body.push(0);
    }
    let length = u32::try_from(body.len() + 4).expect("startup message length fits in u32");
    let mut message = length.to_be_bytes().to_vec();
    message.extend_from_slice(&body);

    let mut reply = [0_u8; 1];
    let ready = stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .and_then(|()| stream.write_all(&message))
        .and_then(|()| stream.read_exact(&mut reply))
        .is_ok_and(|()| reply[0] == b'R');
    if ready {
        // Terminate, so that the server does not log an unexpected disconnection.
        let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
    }
    ready
}

/// A [`fresh_schema`] with `ddl` run in it, statement by statement.
pub async fn schema_with(ddl: &[String]) -> TestSchema {
    let schema = fresh_schema().await;
    for statement in ddl {
        execute(&schema.pool, statement).await;
    }
    schema
}

/// Runs `sql` (one or more statements, no parameters), panicking with the
/// statement and the error when it fails.
pub async fn execute(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// `SELECT count(*)` of a table of the test's own.
pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("count {table}: {error}"))
}
