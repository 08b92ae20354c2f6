//! MariaDB (or MySQL) for the integration tests.
//!
//! Every test that needs one calls [`fresh_database`] and works inside the database it gets, so
//! tests never see each other's tables, whether they run against a shared server named by
//! `MYSQL_URL` or against the private server this module starts.
//!
//! When `MYSQL_URL` is unset (or empty), the first caller in a test process starts a private,
//! throwaway MariaDB from the system's binaries (`mariadb-install-db` and `mariadbd`, or their
//! `mysql_install_db`/`mysqld` names): a fresh data directory under
//! `/tmp/money-mysql-<pid>-<nanos>`, reachable only through a Unix socket in that directory
//! (`--skip-networking`, so it never collides with a server on 3306), with a `root` user without
//! password. A small watchdog shell process waits for the test process to end (normally or
//! killed), then stops that server and removes its directory, as [`crate::pg`] does. When the
//! process runs as root (as CI does), the server runs as the `mysql` system user, or as `nobody`
//! when there is no such user. A server with neither binary fails every test with a message
//! saying to install `mariadb-server` or to set `MYSQL_URL`.
//!
//! Every connection sets `sql_mode` to [`STRICT_SQL_MODE`] explicitly, whatever the server's
//! default: the generated DDL assumes a strict mode (see `money_core::Dialect::MySql`).
//!
//! ```no_run
//! # async fn demo() {
//! let database = money_tests::mysql::fresh_database().await;
//! sqlx::query("CREATE TABLE accounts (id bigint PRIMARY KEY)")
//!     .execute(&database.pool)
//!     .await
//!     .expect("create table");
//! database.drop().await;
//! # }
//! ```

use std::fs::File;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, MySqlPool};

use crate::server::{
    ServerUser, effective_uid_is_root, log_tail, make_private_dir, nanos_since_epoch,
    record_server_pid, run_as, spawn_watchdog, unique_name, unprivileged_user,
};

/// The `sql_mode` every test connection sets: strict, so that a value the column cannot hold is
/// an error rather than a warning and a clipped or zeroed value.
pub const STRICT_SQL_MODE: &str =
    "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// MariaDB's error number for a violated CHECK constraint:
/// ``CONSTRAINT `name` failed for `db`.`table` ``.
pub const MARIADB_CHECK_VIOLATION: u16 = 4025;

/// MySQL's error number for a violated CHECK constraint: `Check constraint 'name' is violated.`
pub const MYSQL_CHECK_VIOLATION: u16 = 3819;

/// How long the private server may take to accept connections before we give up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Most connections a [`TestDatabase`] pool opens.
const POOL_MAX_CONNECTIONS: u32 = 8;

/// The socket file's name in the server's `sock` directory.
const SOCKET_NAME: &str = "mysqld.sock";

/// The server URL, or why there is none; computed once per process, an error kept so that a
/// broken setup fails every test with the same message instead of starting several servers.
static SERVER_URL: OnceLock<Result<String, String>> = OnceLock::new();

/// URL of the MariaDB or MySQL server the tests use: `MYSQL_URL` when set, otherwise a private
/// throwaway MariaDB started once per test process.
///
/// # Panics
///
/// When no server can be provided: the server binaries are missing, initialising the data
/// directory fails, or the server does not start within 60 seconds. The message says what failed.
pub fn server_url() -> &'static str {
    let url = SERVER_URL.get_or_init(|| match std::env::var("MYSQL_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start_private_server(),
    });
    match url {
        Ok(url) => url,
        Err(message) => panic!("{message}"),
    }
}

/// [`server_url`] for async callers: a first call (which starts the server) runs on tokio's
/// blocking pool instead of stalling the runtime's worker thread.
async fn server_url_async() -> &'static str {
    if let Some(Ok(url)) = SERVER_URL.get() {
        return url;
    }
    match tokio::task::spawn_blocking(server_url).await {
        Ok(url) => url,
        Err(error) => match error.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(error) => panic!("the task starting the test MariaDB server failed: {error}"),
        },
    }
}

/// Connection options for `url`, with [`STRICT_SQL_MODE`] set on every connection.
fn options(url: &str) -> MySqlConnectOptions {
    let options: MySqlConnectOptions = url
        .parse()
        .unwrap_or_else(|error| panic!("invalid MySQL URL {url}: {error}"));
    // sqlx appends PIPES_AS_CONCAT and NO_ENGINE_SUBSTITUTION to the server's default mode;
    // the pool's `after_connect` replaces the whole mode with the strict one.
    options.pipes_as_concat(false)
}

async fn set_strict_mode(connection: &mut MySqlConnection) -> Result<(), sqlx::Error> {
    connection
        .execute(AssertSqlSafe(format!(
            "SET SESSION sql_mode = '{STRICT_SQL_MODE}'"
        )))
        .await
        .map(|_| ())
}

/// A database of its own for one test, and a pool whose connections use it.
#[derive(Debug)]
pub struct TestDatabase {
    /// Pool (up to 8 connections) whose every connection uses [`Self::name`] as its default
    /// database and [`STRICT_SQL_MODE`] as its `sql_mode`.
    pub pool: MySqlPool,
    /// Name of the database, `t_<pid>_<counter>_<random>`: lowercase ASCII letters, digits and
    /// underscores, so it needs no quoting in SQL.
    pub name: String,
}

impl TestDatabase {
    /// Drops the database and everything in it, then closes the pool.
    ///
    /// A test that panics before calling this leaves its database behind; on the private server
    /// that goes away with the server, on a shared `MYSQL_URL` server it stays until dropped by
    /// hand.
    ///
    /// # Panics
    ///
    /// When the database cannot be dropped.
    pub async fn drop(self) {
        let sql = format!("DROP DATABASE IF EXISTS `{}`", self.name);
        sqlx::query(AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|error| panic!("cannot drop test database {}: {error}", self.name));
        self.pool.close().await;
    }
}

/// A fresh database with a unique name on the test server, and a pool whose every connection
/// uses it and sets [`STRICT_SQL_MODE`]. Call [`TestDatabase::drop`] at the end of the test.
///
/// # Panics
///
/// When the server cannot be provided, the database cannot be created, or the pool cannot
/// connect.
pub async fn fresh_database() -> TestDatabase {
    let url = server_url_async().await;
    let name = unique_name();
    let mut connection = MySqlConnection::connect_with(&options(url))
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test MariaDB at {url}: {error}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("cannot create test database {name}: {error}"));
    connection
        .close()
        .await
        .expect("closing the connection that created a test database failed");

    let pool = MySqlPoolOptions::new()
        .max_connections(POOL_MAX_CONNECTIONS)
        .after_connect(|connection, _| Box::pin(set_strict_mode(connection)))
        .connect_with(options(url).database(&name))
        .await
        .unwrap_or_else(|error| panic!("cannot open a pool on test database {name}: {error}"));
    TestDatabase { pool, name }
}

/// The name of the CHECK constraint a MariaDB (4025) or MySQL (3819) error `number` with
/// `message` reports as violated; `None` for any other error.
///
/// ```
/// use money_tests::mysql::check_violation;
/// assert_eq!(check_violation(4025, "CONSTRAINT `t_x_min` failed for `db`.`t`"), Some("t_x_min"));
/// assert_eq!(check_violation(3819, "Check constraint 't_x_min' is violated."), Some("t_x_min"));
/// assert_eq!(check_violation(1264, "Out of range value for column 'x' at row 1"), None);
/// ```
pub fn check_violation(number: u16, message: &str) -> Option<&str> {
    // Constraint names are identifiers the toolkit made: no quote characters inside.
    let (open, close) = match number {
        MARIADB_CHECK_VIOLATION => ("CONSTRAINT `", '`'),
        MYSQL_CHECK_VIOLATION => ("Check constraint '", '\''),
        _ => return None,
    };
    let rest = message.strip_prefix(open)?;
    rest.split_once(close).map(|(name, _)| name)
}

/// [`check_violation`] of an sqlx error.
pub fn violated_check(error: &sqlx::Error) -> Option<&str> {
    let error = error
        .as_database_error()?
        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()?;
    check_violation(error.number(), error.message())
}

/// `SELECT VERSION()`, such as `10.11.6-MariaDB-0+deb12u1`.
///
/// # Panics
///
/// When the query fails.
pub async fn version(pool: &MySqlPool) -> String {
    sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("SELECT VERSION(): {error}"))
}

/// The server and data-directory initialisation binaries.
pub(crate) struct Binaries {
    pub(crate) server: PathBuf,
    /// `mariadb-install-db`/`mysql_install_db`; `None` for Oracle MySQL, whose server
    /// initialises a data directory itself (`--initialize-insecure`).
    pub(crate) install_db: Option<PathBuf>,
}

/// Starts the private server and returns its URL.
fn start_private_server() -> Result<String, String> {
    let started = Instant::now();
    let binaries = find_binaries()?;
    let user = if effective_uid_is_root() {
        Some(unprivileged_user(
            "mysql",
            "mariadbd refuses to run as root, so create one of them or set MYSQL_URL",
        )?)
    } else {
        None
    };
    let owner = user.as_ref().map(|user| (user.uid, user.gid));

    let dir = PathBuf::from(format!(
        "/tmp/money-mysql-{}-{}",
        std::process::id(),
        nanos_since_epoch()
    ));
    make_private_dir(&dir, owner)?;
    // From here on the watchdog removes `dir` (and stops the server once its pid is recorded)
    // when this process exits, whatever happens next.
    if let Err(error) = spawn_watchdog(WATCHDOG_SCRIPT, "money-mysql-watchdog", &dir) {
        let _ = std::fs::remove_dir(&dir);
        return Err(error);
    }
    let sock_dir = dir.join("sock");
    make_private_dir(&sock_dir, owner)?;
    let data_dir = dir.join("data");
    let socket = sock_dir.join(SOCKET_NAME);

    initialise(&binaries, &dir, &data_dir, user.as_ref())?;

    let log_path = dir.join("server.log");
    // The server writes its log itself (`--log-error`), as the server user: create it for
    // that user so it can.
    File::create(&log_path)
        .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&log_path, Some(uid), Some(gid))
            .map_err(|error| format!("cannot chown {}: {error}", log_path.display()))?;
    }
    let mut server = Command::new(&binaries.server);
    server
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data_dir.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
        .arg(format!("--log-error={}", log_path.display()))
        .arg("--skip-networking")
        .arg(format!("--sql-mode={STRICT_SQL_MODE}"))
        .arg("--character-set-server=utf8mb4")
        .arg("--innodb-flush-log-at-trx-commit=0")
        .arg("--max-connections=200");
    run_as(&mut server, &dir, user.as_ref());
    let mut child = server
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C aimed at the test run must not reach the server; the
        // watchdog stops it.
        .process_group(0)
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", binaries.server.display()))?;
    record_server_pid(&dir, "server.pid", child.id())?;

    wait_until_ready(&socket, &mut child, &log_path)?;
    eprintln!(
        "money-tests: private MariaDB from {} ready in {:.2} s at {}",
        binaries.server.display(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(format!(
        "mysql://root@localhost/mysql?socket={}",
        socket.display()
    ))
}

/// Creates the data directory with a `root` user that needs no password.
fn initialise(
    binaries: &Binaries,
    dir: &Path,
    data_dir: &Path,
    user: Option<&ServerUser>,
) -> Result<(), String> {
    let (program, mut command) = match &binaries.install_db {
        Some(install_db) => {
            let mut command = Command::new(install_db);
            command
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data_dir.display()))
                .args([
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ]);
            (install_db, command)
        }
        None => {
            let mut command = Command::new(&binaries.server);
            command
                .arg("--no-defaults")
                .arg("--initialize-insecure")
                .arg(format!("--datadir={}", data_dir.display()));
            (&binaries.server, command)
        }
    };
    run_as(&mut command, dir, user);
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", program.display()))?;
    if !output.status.success() {
        return Err(format!(
            "initialising the test MariaDB's data directory with {} failed ({}){}:\n{}{}",
            program.display(),
            output.status,
            user.map(|user| format!(" running as user {}", user.name))
                .unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout),
        ));
    }
    Ok(())
}

/// The server binary (`mariadbd`, else `mysqld`) and the data-directory initialiser
/// (`mariadb-install-db`, else `mysql_install_db`), from `PATH`, `/usr/sbin`, `/usr/bin`,
/// `/usr/libexec` and `/usr/local/mysql/bin`.
pub(crate) fn find_binaries() -> Result<Binaries, String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/sbin",
            "/usr/bin",
            "/usr/libexec",
            "/usr/local/mysql/bin",
        ]
        .iter()
        .map(PathBuf::from),
    );
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            dirs.iter()
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    };
    let Some(server) = find(&["mariadbd", "mysqld"]) else {
        return Err(
            "MariaDB server binaries (mariadbd or mysqld) not found on PATH, /usr/sbin or \
             /usr/libexec; install them (Debian: `apt-get install mariadb-server`) or set \
             MYSQL_URL to a server the tests may use (a user that may create databases, such as \
             mysql://root@127.0.0.1:3306/mysql)"
                .to_owned(),
        );
    };
    let install_db = find(&["mariadb-install-db", "mysql_install_db"]);
    Ok(Binaries { server, install_db })
}

/// Shell script of the watchdog. `$1`: pid of the test process, `$2`: the server's directory.
/// Once the test process is gone, it stops the server whose pid is in `$2/server.pid` with
/// SIGTERM (a clean shutdown), then SIGKILL after ~10 s, and removes the directory.
const WATCHDOG_SCRIPT: &str = r#"
while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
pid=$(cat "$2/server.pid" 2>/dev/null)
if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null
    i=0
    while [ -e "$2/mysqld.pid" ] && kill -0 "$pid" 2>/dev/null; do
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

/// Polls the server's socket until it greets a client, the server exits, or
/// [`STARTUP_TIMEOUT`] passes.
fn wait_until_ready(socket: &Path, server: &mut Child, log_path: &Path) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!(
                "the test MariaDB exited during startup ({status}); end of {}:\n{}",
                log_path.display(),
                log_tail(log_path)
            ));
        }
        if greets(socket) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the test MariaDB did not accept connections on {} within {} s; end of {}:\n{}",
                socket.display(),
                STARTUP_TIMEOUT.as_secs(),
                log_path.display(),
                log_tail(log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the server at `socket` sends the initial handshake of protocol 10 (rather than an
/// error packet, `0xff`): the first packet's 4-byte header, then the protocol version.
fn greets(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let mut start = [0_u8; 5];
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .and_then(|()| stream.read_exact(&mut start))
        .is_ok_and(|()| start[4] == 10)
}
