//! A PostgreSQL primary with one synchronous standby, for the failover tests.
//!
//! [`ReplicaPair::start`] makes a private pair from the system's server binaries, as
//! [`crate::pg`] makes a single server: a directory `/tmp/money-pgpair-<pid>-<nanos>` holding
//! both data directories, servers listening on two free loopback TCP ports, run as the
//! `postgres` user (or `nobody`) when the tests run as root. The primary has
//! `synchronous_standby_names = 'standby1'` and `synchronous_commit = on`; the standby is a
//! `pg_basebackup -R` of it, started with `cluster_name = standby1`, so a COMMIT is
//! acknowledged only once the standby has flushed it. `start` returns once the standby is
//! streaming with `sync_state = sync`.
//!
//! [`ReplicaPair::kill_primary`] SIGKILLs the primary's process group (postmaster and
//! backends at once, as a crash would), [`ReplicaPair::promote_standby`] runs `pg_ctl
//! promote`. The promoted standby runs without `synchronous_standby_names` (there is no
//! standby left to wait for). Dropping the pair kills both servers and removes the directory;
//! a watchdog does the same should the test process die first.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use crate::pg::find_server_bindir;
use crate::server::{
    CLUSTER_WATCHDOG_SCRIPT, ServerUser, effective_uid_is_root, free_ports, kill_group, log_tail,
    make_private_dir, nanos_since_epoch, record_server_pid, run_as, spawn_watchdog,
    unprivileged_user,
};

/// How long each server may take to accept connections, and the standby to become synchronous.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The standby's name, as the primary's `synchronous_standby_names` lists it.
pub const STANDBY_NAME: &str = "standby1";

/// A running primary and its synchronous standby. See the [module documentation](self).
#[derive(Debug)]
pub struct ReplicaPair {
    dir: PathBuf,
    bindir: PathBuf,
    user: Option<ServerUserIds>,
    /// The primary's TCP port on 127.0.0.1.
    pub primary_port: u16,
    /// The standby's TCP port on 127.0.0.1.
    pub standby_port: u16,
    primary: Mutex<Option<Child>>,
    standby: Mutex<Option<Child>>,
}

/// What `run_as` needs of the server user, kept after start.
#[derive(Debug, Clone)]
struct ServerUserIds {
    name: String,
    uid: u32,
    gid: u32,
}

impl ServerUserIds {
    fn as_user(&self) -> ServerUser {
        ServerUser {
            name: self.name.clone(),
            uid: self.uid,
            gid: self.gid,
        }
    }
}

impl ReplicaPair {
    /// Starts a primary and a synchronous standby (a few seconds).
    ///
    /// # Panics
    ///
    /// When the pair cannot be started; the message says which step failed, with the end of
    /// the server's log.
    pub async fn start() -> ReplicaPair {
        match Self::try_start().await {
            Ok(pair) => pair,
            Err(message) => panic!("{message}"),
        }
    }

    async fn try_start() -> Result<ReplicaPair, String> {
        let started = Instant::now();
        let bindir = find_server_bindir()?;
        let user = if effective_uid_is_root() {
            let user = unprivileged_user(
                "postgres",
                "initdb refuses to run as root, so create one of them",
            )?;
            Some(ServerUserIds {
                name: user.name,
                uid: user.uid,
                gid: user.gid,
            })
        } else {
            None
        };
        let owner = user.as_ref().map(|user| (user.uid, user.gid));
        let dir = PathBuf::from(format!(
            "/tmp/money-pgpair-{}-{}",
            std::process::id(),
            nanos_since_epoch()
        ));
        make_private_dir(&dir, owner)?;
        if let Err(error) = spawn_watchdog(CLUSTER_WATCHDOG_SCRIPT, "money-pgpair-watchdog", &dir) {
            let _ = fs::remove_dir(&dir);
            return Err(error);
        }
        make_private_dir(&dir.join("sock"), owner)?;
        let ports = free_ports(2)?;
        let pair = ReplicaPair {
            dir,
            bindir,
            user,
            primary_port: ports[0],
            standby_port: ports[1],
            primary: Mutex::new(None),
            standby: Mutex::new(None),
        };

        pair.run_tool(
            "initdb",
            &[
                "-D",
                &pair.data_dir("primary"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        // initdb's pg_hba.conf lets local replication in with trust; say it for loopback
        // TCP explicitly, whatever the version's template holds.
        let hba = pair.dir.join("primary").join("pg_hba.conf");
        OpenOptions::new()
            .append(true)
            .open(&hba)
            .and_then(|mut file| file.write_all(b"\nhost replication all 127.0.0.1/32 trust\n"))
            .map_err(|error| format!("cannot append to {}: {error}", hba.display()))?;

        let synchronous = format!("synchronous_standby_names={STANDBY_NAME}");
        let primary = pair.spawn_server(
            "primary",
            pair.primary_port,
            &[
                "-c",
                "wal_level=replica",
                "-c",
                "max_wal_senders=4",
                "-c",
                &synchronous,
                "-c",
                "synchronous_commit=on",
            ],
        )?;
        *lock(&pair.primary) = Some(primary);
        pair.wait_accepts("primary", pair.primary_port, &pair.primary)
            .await?;

        let primary_port = pair.primary_port.to_string();
        pair.run_tool(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port,
                "-U",
                "postgres",
                "-D",
                &pair.data_dir("standby"),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        )?;
        let cluster_name = format!("cluster_name={STANDBY_NAME}");
        let standby = pair.spawn_server(
            "standby",
            pair.standby_port,
            &[
                "-c",
                &cluster_name,
                "-c",
                "hot_standby=on",
                // Once promoted it is alone: it must not wait for a standby of its own.
                "-c",
                "synchronous_standby_names=",
            ],
        )?;
        *lock(&pair.standby) = Some(standby);
        pair.wait_accepts("standby", pair.standby_port, &pair.standby)
            .await?;
        pair.wait_synchronous().await?;
        eprintln!(
            "money-tests: PostgreSQL primary (port {}) with synchronous standby (port {}) ready in {:.2} s at {}",
            pair.primary_port,
            pair.standby_port,
            started.elapsed().as_secs_f64(),
            pair.dir.display()
        );
        Ok(pair)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }

    /// The primary's URL.
    pub fn primary_url(&self) -> String {
        Self::url(self.primary_port)
    }

    /// The standby's URL.
    pub fn standby_url(&self) -> String {
        Self::url(self.standby_port)
    }

    /// A multi-host URL for a cluster pool that writes to whichever of
    /// `ports` is the primary (`target_session_attrs=read-write`), tried in
    /// that order.
    pub fn read_write_url(ports: [u16; 2]) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
            ports[0], ports[1]
        )
    }

    /// SIGKILLs the primary (postmaster and backends) and waits for it to be gone.
    ///
    /// # Panics
    ///
    /// When the primary is not running or cannot be killed.
    pub fn kill_primary(&self) {
        let mut primary = lock(&self.primary);
        let Some(mut child) = primary.take() else {
            panic!("the primary is not running");
        };
        kill_group(child.id()).unwrap_or_else(|error| panic!("killing the primary: {error}"));
        let _ = child.wait();
        let _ = fs::remove_file(self.dir.join("primary.server-pid"));
    }

    /// `pg_ctl promote -w` on the standby: returns once it accepts writes.
    ///
    /// # Panics
    ///
    /// When `pg_ctl promote` fails; the message has its output and the standby's log.
    pub fn promote_standby(&self) {
        if let Err(message) = self.run_tool(
            "pg_ctl",
            &["promote", "-w", "-t", "60", "-D", &self.data_dir("standby")],
        ) {
            panic!(
                "{message}\nend of the standby's log:\n{}",
                log_tail(&self.dir.join("standby.log"))
            );
        }
    }

    fn data_dir(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs one of the server's tools as the server user; an error has its output.
    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bindir.join(tool);
        let mut command = Command::new(&program);
        command.args(args);
        let user = self.user.as_ref().map(ServerUserIds::as_user);
        run_as(&mut command, &self.dir, user.as_ref());
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", program.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} {} failed ({}):\n{}{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            ))
        }
    }

    /// Starts `postgres` on the data directory `name`, listening on 127.0.0.1:`port`.
    fn spawn_server(&self, name: &str, port: u16, extra: &[&str]) -> Result<Child, String> {
        let log_path = self.dir.join(format!("{name}.log"));
        let log = File::create(&log_path)
            .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|error| format!("cannot duplicate {}: {error}", log_path.display()))?;
        let program = self.bindir.join("postgres");
        let mut command = Command::new(&program);
        command
            .arg("-D")
            .arg(self.dir.join(name))
            .arg("-k")
            .arg(self.dir.join("sock"))
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            // A process kill loses nothing the OS has: fsync only matters to a machine crash.
            .args(["-c", "fsync=off", "-c", "max_connections=100"])
            .args(extra);
        let user = self.user.as_ref().map(ServerUserIds::as_user);
        run_as(&mut command, &self.dir, user.as_ref());
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", program.display()))?;
        record_server_pid(&self.dir, &format!("{name}.server-pid"), child.id())?;
        Ok(child)
    }

    /// Waits until the server `name` accepts a connection (a hot standby does once it is
    /// consistent).
    async fn wait_accepts(
        &self,
        name: &str,
        port: u16,
        child: &Mutex<Option<Child>>,
    ) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let log_path = self.dir.join(format!("{name}.log"));
        loop {
            if let Some(child) = lock(child).as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "the test PostgreSQL {name} exited during startup ({status}); end of {}:\n{}",
                    log_path.display(),
                    log_tail(&log_path)
                ));
            }
            let last_error = match PgConnection::connect(&Self::url(port)).await {
                Ok(connection) => {
                    let _ = connection.close().await;
                    return Ok(());
                }
                Err(error) => error,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "the test PostgreSQL {name} did not accept connections on 127.0.0.1:{port} within {} s (last error: {last_error}); end of {}:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    log_path.display(),
                    log_tail(&log_path)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the primary reports the standby as streaming and synchronous.
    async fn wait_synchronous(&self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut connection = PgConnection::connect(&self.primary_url())
            .await
            .map_err(|error| format!("cannot connect to the primary: {error}"))?;
        loop {
            let state: Option<(String, String)> = sqlx::query_as(
                "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1",
            )
            .bind(STANDBY_NAME)
            .fetch_optional(&mut connection)
            .await
            .map_err(|error| format!("reading pg_stat_replication: {error}"))?;
            if let Some((state, sync_state)) = &state
                && state == "streaming"
                && sync_state == "sync"
            {
                let _ = connection.close().await;
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the standby did not become a synchronous standby within {} s (pg_stat_replication: {state:?}); end of the standby's log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    log_tail(&self.dir.join("standby.log"))
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ReplicaPair {
    fn drop(&mut self) {
        for server in [&self.primary, &self.standby] {
            if let Some(mut child) = lock(server).take() {
                let _ = kill_group(child.id());
                let _ = child.wait();
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The guard of a mutex, poisoned or not (a panicking test must still clean up).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
