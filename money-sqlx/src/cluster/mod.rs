//! Several hosts for one pool: connections go only to the writable primary,
//! and after a failover the pool is pointed at the new one without a restart.
//!
//! sqlx takes one host per pool. This module takes libpq's multi-host syntax
//! (`postgres://h1:5432,h2:5433/db?target_session_attrs=read-write`, the same
//! for `mysql://`) or a [`ClusterBuilder`], finds the host that accepts
//! writes the way libpq does (PostgreSQL: `SHOW transaction_read_only` is
//! `off`; MariaDB/MySQL: `@@global.read_only` is off and a Galera node's
//! `wsrep_ready` is `ON`), and builds a [`sqlx::Pool`] that connects only
//! there:
//!
//! - every new connection is checked the same way in `after_connect`, and a
//!   read-only or not-ready session is refused (sqlx's pool then retries with
//!   backoff until its acquire timeout), so a demoted primary is never used
//!   for a write;
//! - [`ClusterPool::reroute`] finds the writable host again after a failover
//!   and swaps the pool's connect options
//!   ([`sqlx::Pool::set_connect_options`]); connections opened to the old
//!   host before that are closed when next acquired (`before_acquire`).
//!
//! When no host qualifies, the search ends after a bounded wait with
//! [`NoWritableHost`], which names every host and why it was passed over.
//!
//! [`transaction`](crate::transaction()) takes a [`ClusterPool`]: when an
//! attempt fails because its host went away before `COMMIT` was sent (a
//! connection error, `25006`, `57P01`..`57P03`), it calls
//! [`ClusterPool::reroute`] and runs the transaction again on the new
//! primary. Outside it, call `reroute` yourself on those errors.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use money_sqlx::cluster::PgCluster;
//!
//! let cluster: PgCluster =
//!     "postgres://app@db1:5432,db2:5432/money?target_session_attrs=read-write".parse()?;
//! let pool = cluster.connect().await?;
//! sqlx::query("INSERT INTO audit (note) VALUES ('on the primary')")
//!     .execute(pool.pool())
//!     .await?;
//!
//! // After a failover (the old primary is gone, a standby was promoted):
//! let primary = pool.reroute().await?;
//! println!("now writing to {primary}");
//! # Ok(())
//! # }
//! ```

mod error;
#[cfg(feature = "mysql")]
mod mysql;
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
mod url;

use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolOptions;
use sqlx::{ConnectOptions, Connection, Database};

use crate::driver::BoxFuture;

pub use error::{ClusterError, NoWritableHost, PassOverReason, PassedOver, SessionRefused};
pub use pool::ClusterPool;
use pool::Route;
pub use url::{HostAddr, TargetSessionAttrs, UrlError};

/// How long one host may take to accept a connection and answer the probe, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long [`Cluster::find_host`] keeps looking for a qualifying host, by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// The longest pause between two rounds over the hosts.
const MAX_ROUND_PAUSE: Duration = Duration::from_millis(500);

/// A cluster of PostgreSQL hosts.
#[cfg(feature = "postgres")]
pub type PgCluster = Cluster<sqlx::Postgres>;

/// A cluster of MariaDB/MySQL hosts (such as the nodes of a Galera cluster).
#[cfg(feature = "mysql")]
pub type MySqlCluster = Cluster<sqlx::MySql>;

/// The connect options of a database's connections.
pub type OptionsOf<DB> = <<DB as Database>::Connection as Connection>::Options;

mod sealed {
    pub trait Sealed {}
}

/// What a session is, as the probe sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(hidden)]
pub enum SessionRole {
    /// Accepts writes.
    Writable,
    /// Refuses writes; says what showed it.
    ReadOnly(String),
    /// Not ready for application use; says what showed it.
    NotReady(String),
}

/// A database whose hosts this module can tell apart: PostgreSQL and
/// MariaDB/MySQL, each under the feature of the same name. Sealed.
pub trait ClusterDatabase: Database + sealed::Sealed {
    /// The URL schemes, without `://`.
    #[doc(hidden)]
    const SCHEMES: &'static [&'static str];
    /// The schemes, as an error message says them.
    #[doc(hidden)]
    const SCHEMES_TEXT: &'static str;
    /// The port of a host given without one.
    #[doc(hidden)]
    const DEFAULT_PORT: u16;

    /// Parses a single-host URL.
    #[doc(hidden)]
    fn parse_options(url: &str) -> Result<OptionsOf<Self>, sqlx::Error>;

    /// `options` pointed at `host`.
    #[doc(hidden)]
    fn with_host(options: &OptionsOf<Self>, host: &HostAddr) -> OptionsOf<Self>;

    /// Asks an open session whether it accepts writes.
    #[doc(hidden)]
    fn probe(connection: &mut Self::Connection) -> BoxFuture<'_, Result<SessionRole, sqlx::Error>>;

    /// Whether a database error says the server is up but not ready for use (PostgreSQL
    /// `57P03`; MariaDB Galera `1047`).
    #[doc(hidden)]
    fn is_not_ready(error: &dyn sqlx::error::DatabaseError) -> bool;
}
/// Several hosts of one database, and how to choose among them. Build it from a URL
/// ([`str::parse`]) or with [`Cluster::builder`].
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use std::time::Duration;
/// use money_sqlx::cluster::{HostAddr, PgCluster, TargetSessionAttrs};
///
/// let cluster: PgCluster =
///     "postgres://app@10.0.0.1:5432,10.0.0.2:5433/money?target_session_attrs=read-write"
///         .parse()
///         .unwrap();
/// assert_eq!(
///     cluster.hosts(),
///     [HostAddr::new("10.0.0.1", 5432), HostAddr::new("10.0.0.2", 5433)]
/// );
/// assert_eq!(cluster.target(), TargetSessionAttrs::ReadWrite);
///
/// let error = "postgres://db1,,db2/money".parse::<PgCluster>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid cluster URL: host #2 of the URL's host list is empty"
/// );
/// # }
/// ```
#[derive(Debug)]
pub struct Cluster<DB: ClusterDatabase> {
    hosts: Vec<HostAddr>,
    options: OptionsOf<DB>,
    target: TargetSessionAttrs,
    connect_timeout: Duration,
    wait: Duration,
}

/// Builds a [`Cluster`] from connect options (user, password, database, TLS...) and a list of
/// hosts; the host and port of the options are replaced by each host's.
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use std::time::Duration;
/// use money_sqlx::cluster::{PgCluster, TargetSessionAttrs};
/// use sqlx::postgres::PgConnectOptions;
///
/// let options = PgConnectOptions::new().username("app").database("money");
/// let cluster = PgCluster::builder(options)
///     .host("db1", 5432)
///     .host("db2", 5432)
///     .target(TargetSessionAttrs::ReadWrite)
///     .connect_timeout(Duration::from_secs(1))
///     .wait(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(cluster.hosts().len(), 2);
/// assert_eq!(cluster.wait(), Duration::from_secs(5));
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClusterBuilder<DB: ClusterDatabase> {
    hosts: Vec<HostAddr>,
    options: OptionsOf<DB>,
    target: TargetSessionAttrs,
    connect_timeout: Duration,
    wait: Duration,
}

impl<DB: ClusterDatabase> ClusterBuilder<DB> {
    /// Adds a host; hosts are tried in the order added.
    pub fn host(mut self, host: impl Into<String>, port: u16) -> Self {
        self.hosts.push(HostAddr::new(host, port));
        self
    }

    /// Which session qualifies ([`TargetSessionAttrs::ReadWrite`] unless set).
    pub fn target(mut self, target: TargetSessionAttrs) -> Self {
        self.target = target;
        self
    }

    /// How long one host may take to accept a connection and answer the probe
    /// ([`DEFAULT_CONNECT_TIMEOUT`] unless set).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to keep trying the hosts before giving up with [`NoWritableHost`]
    /// ([`DEFAULT_WAIT`] unless set). Zero means one round.
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The cluster.
    ///
    /// # Errors
    ///
    /// [`ClusterError::NoHosts`] when no host was added.
    pub fn build(self) -> Result<Cluster<DB>, ClusterError> {
        if self.hosts.is_empty() {
            return Err(ClusterError::NoHosts);
        }
        Ok(Cluster {
            hosts: self.hosts,
            options: self.options,
            target: self.target,
            connect_timeout: self.connect_timeout,
            wait: self.wait,
        })
    }
}

impl<DB: ClusterDatabase> Clone for Cluster<DB> {
    fn clone(&self) -> Self {
        Self {
            hosts: self.hosts.clone(),
            options: self.options.clone(),
            target: self.target,
            connect_timeout: self.connect_timeout,
            wait: self.wait,
        }
    }
}

impl<DB: ClusterDatabase> FromStr for Cluster<DB> {
    type Err = ClusterError;

    /// Parses libpq's multi-host URL: `scheme://[user[:password]@]host[:port][,host[:port]...][/database][?parameters]`.
    /// `target_session_attrs` (`read-write` or `any`) and `connect_timeout` (seconds, per host)
    /// are read here; every other parameter goes to sqlx. A host without a port gets the
    /// database's default port. `host`, `hostaddr`, `port` and `socket` parameters are refused.
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let parsed = url::parse(url, DB::SCHEMES, DB::SCHEMES_TEXT, DB::DEFAULT_PORT)?;
        let options = DB::parse_options(&parsed.single_host_url).map_err(UrlError::Options)?;
        Ok(Self {
            hosts: parsed.hosts,
            options,
            target: parsed.target.unwrap_or_default(),
            connect_timeout: parsed.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            wait: DEFAULT_WAIT,
        })
    }
}

impl<DB: ClusterDatabase> Cluster<DB> {
    /// A builder starting from `options` (whose host and port are ignored), with no host yet.
    pub fn builder(options: OptionsOf<DB>) -> ClusterBuilder<DB> {
        ClusterBuilder {
            hosts: Vec::new(),
            options,
            target: TargetSessionAttrs::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            wait: DEFAULT_WAIT,
        }
    }

    /// The hosts, in the order they are tried.
    pub fn hosts(&self) -> &[HostAddr] {
        &self.hosts
    }

    /// Which session qualifies.
    pub fn target(&self) -> TargetSessionAttrs {
        self.target
    }

    /// How long one host may take to accept a connection and answer the probe.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// How long [`Self::find_host`] keeps trying.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The same cluster with another wait (see [`ClusterBuilder::wait`]).
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The same cluster with another per-host timeout (see [`ClusterBuilder::connect_timeout`]).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The connect options for one host.
    pub fn options_for(&self, host: &HostAddr) -> OptionsOf<DB> {
        DB::with_host(&self.options, host)
    }

    /// The first host, in order, that qualifies, with its connect options.
    ///
    /// Tries every host in turn (each within the connect timeout), and starts over after a
    /// short pause until one qualifies or the wait has passed; then fails with every host's
    /// last reason. It returns within about `wait + hosts × connect_timeout`.
    ///
    /// # Errors
    ///
    /// [`NoWritableHost`] when no host qualified within the wait.
    pub async fn find_host(&self) -> Result<(HostAddr, OptionsOf<DB>), NoWritableHost> {
        let started = Instant::now();
        let deadline = started + self.wait;
        let mut pause = Duration::from_millis(25);
        let mut rounds = 0;
        loop {
            rounds += 1;
            let mut passed = Vec::with_capacity(self.hosts.len());
            for host in &self.hosts {
                let options = self.options_for(host);
                match self.probe_host(&options).await {
                    Ok(()) => {
                        tracing::debug!(%host, rounds, "cluster host qualifies");
                        return Ok((host.clone(), options));
                    }
                    Err(reason) => {
                        tracing::debug!(%host, %reason, "cluster host passed over");
                        passed.push(PassedOver {
                            host: host.clone(),
                            reason,
                        });
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(NoWritableHost {
                    target: self.target,
                    waited: now - started,
                    rounds,
                    hosts: passed,
                });
            }
            sqlx_core::rt::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(MAX_ROUND_PAUSE);
        }
    }

    /// Connects to one host and asks whether it qualifies, all within the connect timeout.
    async fn probe_host(&self, options: &OptionsOf<DB>) -> Result<(), PassOverReason> {
        let target = self.target;
        let attempt = async {
            let mut connection = options.connect().await.map_err(classify::<DB>)?;
            let verdict = session_verdict::<DB>(&mut connection, target).await;
            // The probe's connection is not kept: the pool opens its own.
            let _ = connection.close().await;
            verdict
        };
        match sqlx_core::rt::timeout(self.connect_timeout, attempt).await {
            Ok(verdict) => verdict,
            Err(_) => Err(PassOverReason::TimedOut {
                after: self.connect_timeout,
            }),
        }
    }

    /// A pool (sqlx's default pool options) on the first host that qualifies. See
    /// [`Self::connect_with`].
    ///
    /// # Errors
    ///
    /// As [`Self::connect_with`].
    pub async fn connect(&self) -> Result<ClusterPool<DB>, ClusterError> {
        self.connect_with(PoolOptions::new()).await
    }

    /// A pool on the first host that qualifies, built from `pool_options`.
    ///
    /// The pool's `after_connect` refuses a session that does not qualify (so a demoted
    /// primary is never written to) and its `before_acquire` closes connections opened
    /// before the last [`ClusterPool::reroute`] that changed hosts: both replace any set on
    /// `pool_options`. To run statements on every new connection, call
    /// [`check_session`] from your own `after_connect` instead and build the pool yourself.
    ///
    /// # Errors
    ///
    /// [`ClusterError::NoWritableHost`] when no host qualifies within the wait;
    /// [`ClusterError::Pool`] when the pool's first connection fails (should the host stop
    /// qualifying between the search and that connection, the pool's `after_connect` refuses
    /// it until the pool's acquire timeout, then this is [`sqlx::Error::PoolTimedOut`]).
    pub async fn connect_with(
        &self,
        pool_options: PoolOptions<DB>,
    ) -> Result<ClusterPool<DB>, ClusterError> {
        let (host, options) = self.find_host().await?;
        let route = Arc::new(Route {
            started: Instant::now(),
            rerouted_at_nanos: AtomicU64::new(0),
            current: Mutex::new(host.clone()),
        });
        let target = self.target;
        let for_acquire = Arc::clone(&route);
        let pool = pool_options
            .after_connect(move |connection, _| {
                Box::pin(async move { check_session::<DB>(connection, target).await })
            })
            .before_acquire(move |_, metadata| {
                let keep = !for_acquire.opened_before_reroute(metadata.age);
                Box::pin(async move { Ok(keep) })
            })
            .connect_with(options)
            .await
            .map_err(|source| ClusterError::Pool {
                host: host.clone(),
                source,
            })?;
        Ok(ClusterPool {
            pool,
            cluster: self.clone(),
            route,
        })
    }
}

/// Whether an open session qualifies for `target`; `Ok` when it does.
async fn session_verdict<DB: ClusterDatabase>(
    connection: &mut DB::Connection,
    target: TargetSessionAttrs,
) -> Result<(), PassOverReason> {
    match DB::probe(connection).await.map_err(classify::<DB>)? {
        SessionRole::Writable => Ok(()),
        SessionRole::ReadOnly(detail) => match target {
            TargetSessionAttrs::ReadWrite => Err(PassOverReason::ReadOnly { detail }),
            TargetSessionAttrs::Any => Ok(()),
        },
        SessionRole::NotReady(detail) => Err(PassOverReason::NotReady { detail }),
    }
}

/// The check [`Cluster::connect_with`] installs as the pool's `after_connect`: an error (a
/// boxed [`SessionRefused`] in [`sqlx::Error::AnyDriverError`]) when the session does not
/// qualify for `target`. Call it from your own `after_connect` when you build the pool yourself.
///
/// ```no_run
/// # #[cfg(feature = "postgres")]
/// # async fn demo(options: sqlx::postgres::PgConnectOptions) -> Result<(), sqlx::Error> {
/// use money_sqlx::cluster::{TargetSessionAttrs, check_session};
/// use sqlx::postgres::PgPoolOptions;
///
/// let pool = PgPoolOptions::new()
///     .after_connect(|connection, _| {
///         Box::pin(async move {
///             check_session::<sqlx::Postgres>(connection, TargetSessionAttrs::ReadWrite).await?;
///             sqlx::query("SET application_name = 'ledger'").execute(connection).await?;
///             Ok(())
///         })
///     })
///     .connect_with(options)
///     .await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// When the session is read-only (for [`TargetSessionAttrs::ReadWrite`]), not ready, or the
/// probe fails.
pub async fn check_session<DB: ClusterDatabase>(
    connection: &mut DB::Connection,
    target: TargetSessionAttrs,
) -> Result<(), sqlx::Error> {
    session_verdict::<DB>(connection, target)
        .await
        .map_err(|reason| sqlx::Error::AnyDriverError(Box::new(SessionRefused { reason })))
}

/// Why a connection attempt or probe failed, as a reason to pass the host over.
fn classify<DB: ClusterDatabase>(error: sqlx::Error) -> PassOverReason {
    match &error {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            PassOverReason::Refused
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => PassOverReason::Unreachable {
            message: error.to_string(),
        },
        sqlx::Error::Database(database) => {
            if DB::is_not_ready(database.as_ref()) {
                PassOverReason::NotReady {
                    detail: database.message().to_owned(),
                }
            } else if database.code().is_some_and(|code| code.starts_with("28")) {
                PassOverReason::Auth {
                    message: database.message().to_owned(),
                }
            } else {
                PassOverReason::Failed {
                    message: error.to_string(),
                }
            }
        }
        _ => PassOverReason::Failed {
            message: error.to_string(),
        },
    }
}
