//! A three-node MariaDB Galera cluster on loopback, for the cluster tests.
//!
//! [`cluster`] starts it once per test process (a test binary shares one cluster: the start
//! takes several seconds) from the system's binaries (`mariadbd`, `mariadb-install-db`, the
//! galera-4 provider `/usr/lib/galera/libgalera_smm.so`, `rsync` for state transfers): a
//! directory `/tmp/money-galera-<pid>-<nanos>` with one data directory per node, run as the
//! `mysql` user (or `nobody`) when the tests run as root. Each node has its own free loopback
//! ports for clients, group communication (`gmcast.listen_addr`), incremental state transfer
//! (`ist.recv_addr`) and full state transfer (rsync). Node 0 bootstraps the cluster
//! (`--wsrep-new-cluster`); nodes 1 and 2 start with empty data directories and receive a full
//! state transfer. Clients reach each node as `root` without password on
//! `127.0.0.1:<client port>`.
//!
//! [`Galera::kill`] SIGKILLs a node, [`Galera::restart`] starts it again (it rejoins by
//! incremental state transfer from the others' write-set cache), [`Galera::isolate`] cuts a
//! node off the group (`gmcast.isolate`), so that it leaves the primary component and stops
//! being ready (`wsrep_ready = OFF`, statements fail with 1047). [`Galera::wait_synced`] waits
//! until every running node is `Synced` in a cluster of all running nodes. Tests that change
//! the cluster's shape hold [`Galera::faults`] for writing; the others hold it for reading.
//!
//! A watchdog kills the nodes and removes the directory once the test process is gone.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlConnection};
use tokio::sync::{OnceCell, RwLock};

use crate::mysql::{STRICT_SQL_MODE, find_binaries};
use crate::server::{
    CLUSTER_WATCHDOG_SCRIPT, effective_uid_is_root, free_ports, kill_group, log_tail,
    make_private_dir, nanos_since_epoch, record_server_pid, run_as, spawn_watchdog, unique_name,
    unprivileged_user,
};

/// The galera-4 provider library, as Debian's `galera-4` package installs it.
pub const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// How many nodes the cluster has.
pub const NODES: usize = 3;

/// How long a node may take to start and join, and the cluster to sync.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

static CLUSTER: OnceCell<Result<Galera, String>> = OnceCell::const_new();

/// The process's Galera cluster, started by the first caller.
///
/// # Panics
///
/// When the cluster cannot be started: binaries or the provider missing, a node not joining
/// in time. The message says which, with the end of that node's log.
pub async fn cluster() -> &'static Galera {
    match CLUSTER.get_or_init(Galera::start).await {
        Ok(galera) => galera,
        Err(message) => panic!("{message}"),
    }
}

/// One node's ports, directories and process.
#[derive(Debug)]
struct Node {
    client_port: u16,
    gmcast_port: u16,
    ist_port: u16,
    sst_port: u16,
    process: Mutex<Option<Child>>,
}

/// The running cluster. See the [module documentation](self).
#[derive(Debug)]
pub struct Galera {
    dir: PathBuf,
    server: PathBuf,
    owner: Option<(u32, u32)>,
    nodes: Vec<Node>,
    faults: RwLock<()>,
}

impl Galera {
    async fn start() -> Result<Galera, String> {
        let started = Instant::now();
        if !std::path::Path::new(PROVIDER).is_file() {
            return Err(format!(
                "the Galera provider {PROVIDER} is missing: install it (Debian: `apt-get install galera-4 rsync`)"
            ));
        }
        let binaries = find_binaries()?;
        let Some(install_db) = binaries.install_db.clone() else {
            return Err(format!(
                "{} has no mariadb-install-db beside it: a Galera cluster needs MariaDB",
                binaries.server.display()
            ));
        };
        let user = if effective_uid_is_root() {
            Some(unprivileged_user(
                "mysql",
                "mariadbd refuses to run as root, so create one of them",
            )?)
        } else {
            None
        };
        let owner = user.as_ref().map(|user| (user.uid, user.gid));
        let dir = PathBuf::from(format!(
            "/tmp/money-galera-{}-{}",
            std::process::id(),
            nanos_since_epoch()
        ));
        make_private_dir(&dir, owner)?;
        if let Err(error) = spawn_watchdog(CLUSTER_WATCHDOG_SCRIPT, "money-galera-watchdog", &dir) {
            let _ = fs::remove_dir(&dir);
            return Err(error);
        }
        let ports = free_ports(4 * NODES)?;
        let nodes = ports
            .chunks(4)
            .map(|ports| Node {
                client_port: ports[0],
                gmcast_port: ports[1],
                ist_port: ports[2],
                sst_port: ports[3],
                process: Mutex::new(None),
            })
            .collect();
        let galera = Galera {
            dir,
            server: binaries.server,
            owner,
            nodes,
            faults: RwLock::new(()),
        };
        for index in 0..NODES {
            make_private_dir(&galera.node_dir(index), owner)?;
        }

        // Only the first node gets system tables; the others receive everything by SST.
        let mut command = Command::new(&install_db);
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", galera.data_dir(0).display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ]);
        run_as(&mut command, &galera.dir, user.as_ref());
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", install_db.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} for Galera node 0 failed ({}):\n{}{}",
                install_db.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            ));
        }
        for index in 1..NODES {
            make_private_dir(&galera.data_dir(index), owner)?;
        }

        galera.spawn(0, true)?;
        galera.wait_ready(0).await?;
        for index in 1..NODES {
            galera.spawn(index, false)?;
        }
        galera.wait_synced().await?;
        eprintln!(
            "money-tests: Galera cluster of {NODES} MariaDB nodes (client ports {:?}) ready in {:.2} s at {}",
            galera.client_ports(),
            started.elapsed().as_secs_f64(),
            galera.dir.display()
        );
        Ok(galera)
    }

    /// The lock that orders fault injection: hold it for writing while a node is down or
    /// isolated, for reading otherwise.
    pub fn faults(&self) -> &RwLock<()> {
        &self.faults
    }

    /// Each node's client port on 127.0.0.1.
    pub fn client_ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.client_port).collect()
    }

    /// The client port of node `index`.
    pub fn client_port(&self, index: usize) -> u16 {
        self.nodes[index].client_port
    }

    /// `mysql://root@127.0.0.1:<port>/<database>` for node `index`.
    pub fn url(&self, index: usize, database: &str) -> String {
        format!(
            "mysql://root@127.0.0.1:{}/{database}",
            self.client_port(index)
        )
    }

    /// `mysql://root@127.0.0.1:<port>,127.0.0.1:<port>.../<database>` over `nodes`, in order.
    pub fn multi_host_url(&self, nodes: &[usize], database: &str) -> String {
        let hosts: Vec<String> = nodes
            .iter()
            .map(|index| format!("127.0.0.1:{}", self.client_port(*index)))
            .collect();
        format!("mysql://root@{}/{database}", hosts.join(","))
    }

    /// A connection to node `index` with the tests' strict `sql_mode`.
    ///
    /// # Panics
    ///
    /// When the node does not accept it.
    pub async fn connect(&self, index: usize, database: &str) -> MySqlConnection {
        match self.try_connect(index, database).await {
            Ok(connection) => connection,
            Err(error) => panic!("cannot connect to Galera node {index}: {error}"),
        }
    }

    async fn try_connect(
        &self,
        index: usize,
        database: &str,
    ) -> Result<MySqlConnection, sqlx::Error> {
        let options: MySqlConnectOptions = self.url(index, database).parse()?;
        let mut connection = options.pipes_as_concat(false).connect().await?;
        connection
            .execute(AssertSqlSafe(format!(
                "SET SESSION sql_mode = '{STRICT_SQL_MODE}'"
            )))
            .await?;
        Ok(connection)
    }

    /// A new database (unique name), created on node 0 and replicated to all.
    ///
    /// # Panics
    ///
    /// When it cannot be created.
    pub async fn fresh_database(&self) -> String {
        let name = unique_name();
        let mut connection = self.connect(0, "mysql").await;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
        let _ = connection.close().await;
        name
    }

    /// SIGKILLs node `index` and waits for it to be gone.
    ///
    /// # Panics
    ///
    /// When the node is not running.
    pub fn kill(&self, index: usize) {
        let Some(mut child) = lock(&self.nodes[index].process).take() else {
            panic!("Galera node {index} is not running");
        };
        kill_group(child.id()).unwrap_or_else(|error| panic!("killing node {index}: {error}"));
        let _ = child.wait();
        let _ = fs::remove_file(self.dir.join(format!("node{index}.server-pid")));
    }

    /// Starts a killed node again; it rejoins from the others (by IST when their write-set
    /// cache still holds what it missed). Returns once it is Synced in a full cluster.
    ///
    /// A node killed while it was applying write sets has no position in its `grastate.dat`
    /// (seqno -1), and would ask for a full state transfer. As `mysqld_safe` does, a first
    /// `mariadbd --wsrep-recover` pass reads the position InnoDB committed ("Recovered
    /// position" in the node's log), and the node starts from it (`--wsrep-start-position`),
    /// so that the others send it only the write sets it missed (IST). That pass takes a
    /// second or two, awaited without blocking the runtime.
    ///
    /// # Panics
    ///
    /// When the recovery pass fails or the node does not rejoin in time; the message has the
    /// end of its log.
    pub async fn restart(&self, index: usize) {
        let position = match self.recover_position(index).await {
            Ok(position) => position,
            Err(message) => panic!("{message}"),
        };
        if let Err(message) = self.spawn_with(index, false, position.as_deref()) {
            panic!("{message}");
        }
        if let Err(message) = self.wait_synced().await {
            panic!("{message}");
        }
    }

    /// Cuts node `index` off the group (`true`) or lets it back (`false`), through
    /// `gmcast.isolate`. Isolated, it leaves the primary component: `wsrep_ready` becomes
    /// `OFF` and its statements fail with 1047.
    ///
    /// # Panics
    ///
    /// When the setting cannot be changed.
    pub async fn isolate(&self, index: usize, isolated: bool) {
        let mut connection = self.connect(index, "mysql").await;
        let value = if isolated { 1 } else { 0 };
        sqlx::query(AssertSqlSafe(format!(
            "SET GLOBAL wsrep_provider_options = 'gmcast.isolate={value}'"
        )))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("gmcast.isolate={value} on node {index}: {error}"));
        let _ = connection.close().await;
    }

    /// A status variable of node `index` (such as `wsrep_ready`), `None` when it cannot be read.
    pub async fn status(&self, index: usize, variable: &str) -> Option<String> {
        let mut connection = self.try_connect(index, "mysql").await.ok()?;
        let row: Option<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SHOW GLOBAL STATUS LIKE '{variable}'"
        )))
        .fetch_optional(&mut connection)
        .await
        .ok()?;
        let _ = connection.close().await;
        row.map(|(_, value)| value)
    }

    /// The end of node `index`'s error log.
    pub fn log_tail(&self, index: usize) -> String {
        log_tail(&self.log_path(index))
    }

    /// The whole error log of node `index`.
    pub fn log(&self, index: usize) -> String {
        fs::read_to_string(self.log_path(index)).unwrap_or_default()
    }

    /// Waits until every running node reports `Synced` and a cluster of all running nodes.
    ///
    /// # Errors
    ///
    /// After the startup timeout, each node's state and the end of a lagging node's log.
    pub async fn wait_synced(&self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let running: Vec<usize> = (0..NODES)
                .filter(|index| lock(&self.nodes[*index].process).is_some())
                .collect();
            let mut states = Vec::new();
            let mut all_synced = true;
            for index in &running {
                let state = self.status(*index, "wsrep_local_state_comment").await;
                let size = self.status(*index, "wsrep_cluster_size").await;
                let synced = state.as_deref() == Some("Synced")
                    && size.as_deref() == Some(running.len().to_string().as_str());
                all_synced &= synced;
                states.push(format!("node {index}: {state:?}, cluster size {size:?}"));
                if !synced && let Some(message) = self.exited(*index) {
                    return Err(message);
                }
            }
            if all_synced {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let lagging = running.last().copied().unwrap_or(0);
                return Err(format!(
                    "the Galera cluster did not sync within {} s ({}); end of node {lagging}'s log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    states.join("; "),
                    self.log_tail(lagging)
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until node `index` is ready (`wsrep_ready = ON`).
    async fn wait_ready(&self, index: usize) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if self.status(index, "wsrep_ready").await.as_deref() == Some("ON") {
                return Ok(());
            }
            if let Some(message) = self.exited(index) {
                return Err(message);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "Galera node {index} was not ready within {} s; end of its log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    self.log_tail(index)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `Some(message)` when node `index`'s process has exited.
    fn exited(&self, index: usize) -> Option<String> {
        let mut process = lock(&self.nodes[index].process);
        let status = process.as_mut()?.try_wait().ok()??;
        process.take();
        Some(format!(
            "Galera node {index} exited ({status}); end of its log:\n{}",
            self.log_tail(index)
        ))
    }

    fn node_dir(&self, index: usize) -> PathBuf {
        self.dir.join(format!("node{index}"))
    }

    fn data_dir(&self, index: usize) -> PathBuf {
        self.node_dir(index).join("data")
    }

    fn log_path(&self, index: usize) -> PathBuf {
        self.node_dir(index).join("error.log")
    }

    /// Runs `mariadbd --wsrep-recover` on node `index`'s data directory and returns the
    /// position it logs (`uuid:seqno`), or `None` when it logs none (a node that never
    /// committed anything).
    async fn recover_position(&self, index: usize) -> Result<Option<String>, String> {
        const MARK: &str = "WSREP: Recovered position: ";
        let before = self.log(index).len();
        let mut command = self.command(index, false, &["--wsrep-recover".to_owned()])?;
        let cannot = |error: std::io::Error| {
            format!(
                "cannot run {} --wsrep-recover: {error}",
                self.server.display()
            )
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(cannot)?;
        // Waited for without blocking the runtime's thread: the other
        // nodes' clients run on it meanwhile.
        let status = loop {
            match child.try_wait().map_err(cannot)? {
                Some(status) => break status,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let log = self.log(index);
        let recovered = log.get(before..).unwrap_or_default();
        if !status.success() {
            return Err(format!(
                "mariadbd --wsrep-recover on node {index} failed ({status}); its log:\n{recovered}"
            ));
        }
        Ok(recovered
            .lines()
            .filter_map(|line| line.split_once(MARK).map(|(_, position)| position.trim()))
            .next_back()
            .filter(|position| !position.ends_with(":-1"))
            .map(str::to_owned))
    }

    /// Starts node `index`'s `mariadbd`, bootstrapping a new cluster when `bootstrap`.
    fn spawn(&self, index: usize, bootstrap: bool) -> Result<(), String> {
        self.spawn_with(index, bootstrap, None)
    }

    /// [`Self::spawn`], from `position` (`uuid:seqno`) when given.
    fn spawn_with(
        &self,
        index: usize,
        bootstrap: bool,
        position: Option<&str>,
    ) -> Result<(), String> {
        let extra: Vec<String> = position
            .map(|position| format!("--wsrep-start-position={position}"))
            .into_iter()
            .collect();
        let mut command = self.command(index, bootstrap, &extra)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", self.server.display()))?;
        record_server_pid(&self.dir, &format!("node{index}.server-pid"), child.id())?;
        *lock(&self.nodes[index].process) = Some(child);
        Ok(())
    }

    /// The `mariadbd` command of node `index`, with `extra` arguments last.
    fn command(&self, index: usize, bootstrap: bool, extra: &[String]) -> Result<Command, String> {
        let node = &self.nodes[index];
        let node_dir = self.node_dir(index);
        let log_path = self.log_path(index);
        if !log_path.exists() {
            File::create(&log_path)
                .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
            if let Some((uid, gid)) = self.owner {
                std::os::unix::fs::chown(&log_path, Some(uid), Some(gid))
                    .map_err(|error| format!("cannot chown {}: {error}", log_path.display()))?;
            }
        }
        let members: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.gmcast_port))
            .collect();
        let mut command = Command::new(&self.server);
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", self.data_dir(index).display()))
            .arg(format!("--socket={}", node_dir.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", node_dir.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", log_path.display()))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--port={}", node.client_port))
            .arg(format!("--sql-mode={STRICT_SQL_MODE}"))
            .arg("--character-set-server=utf8mb4")
            .arg("--max-connections=200")
            .arg("--innodb-buffer-pool-size=64M")
            .arg("--innodb-flush-log-at-trx-commit=0")
            // What Galera requires of the server.
            .arg("--binlog-format=ROW")
            .arg("--default-storage-engine=InnoDB")
            .arg("--innodb-autoinc-lock-mode=2")
            .arg("--wsrep-on=ON")
            .arg(format!("--wsrep-provider={PROVIDER}"))
            .arg("--wsrep-cluster-name=money-tests")
            .arg(format!("--wsrep-cluster-address=gcomm://{}", members.join(",")))
            .arg(format!("--wsrep-node-name=node{index}"))
            .arg(format!("--wsrep-node-address=127.0.0.1:{}", node.gmcast_port))
            .arg(format!(
                "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=64M",
                node.gmcast_port, node.ist_port
            ))
            .arg("--wsrep-sst-method=rsync")
            .arg(format!("--wsrep-sst-receive-address=127.0.0.1:{}", node.sst_port));
        if bootstrap {
            command.arg("--wsrep-new-cluster");
        }
        command.args(extra);
        // The SST script (`wsrep_sst_rsync`) and rsync are found on PATH.
        command.env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
        let user = self.owner.map(|(uid, gid)| crate::server::ServerUser {
            name: String::new(),
            uid,
            gid,
        });
        run_as(&mut command, &self.dir, user.as_ref());
        Ok(command)
    }
}

/// The guard of a mutex, poisoned or not.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
