//! The pool a [`Cluster`] builds, and how it follows the qualifying host.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::Pool;

use super::{Cluster, ClusterDatabase, HostAddr, NoWritableHost};

/// Which host a [`ClusterPool`] points at, and since when.
#[derive(Debug)]
pub(super) struct Route {
    /// When the pool was made; the reroute time is counted from here.
    pub(super) started: Instant,
    /// Nanoseconds from `started` to the last reroute that changed hosts (0: none yet).
    pub(super) rerouted_at_nanos: AtomicU64,
    /// The host new connections go to.
    pub(super) current: Mutex<HostAddr>,
}

impl Route {
    /// Whether a connection of age `age` was opened before the last reroute that changed
    /// hosts (so it may be on the old host).
    pub(super) fn opened_before_reroute(&self, age: Duration) -> bool {
        let rerouted_at = self.rerouted_at_nanos.load(Ordering::Acquire);
        if rerouted_at == 0 {
            return false;
        }
        let opened_at = self.started.elapsed().saturating_sub(age);
        opened_at.as_nanos() < u128::from(rerouted_at)
    }
}

/// A pool whose new connections go only to the cluster's qualifying host, and that can be
/// pointed at another one after a failover. Made by [`Cluster::connect`]; cheap to clone (all
/// clones share the pool and its route).
#[derive(Debug)]
pub struct ClusterPool<DB: ClusterDatabase> {
    pub(super) pool: Pool<DB>,
    pub(super) cluster: Cluster<DB>,
    pub(super) route: Arc<Route>,
}

// By hand: a derive would ask `DB: Clone`, which sqlx's database types are not.
impl<DB: ClusterDatabase> Clone for ClusterPool<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            cluster: self.cluster.clone(),
            route: Arc::clone(&self.route),
        }
    }
}

impl<DB: ClusterDatabase> ClusterPool<DB> {
    /// The sqlx pool: run queries and `money_sqlx::transaction` on it.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The cluster the pool was built from.
    pub fn cluster(&self) -> &Cluster<DB> {
        &self.cluster
    }

    /// The host new connections go to.
    pub fn current_host(&self) -> HostAddr {
        match self.route.current.lock() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Finds the qualifying host again ([`Cluster::find_host`], within the cluster's wait)
    /// and points the pool's new connections at it, without closing the pool. When the host
    /// changed, connections opened before are closed when next acquired. Returns the host.
    ///
    /// Call it after a failover: when acquiring a connection times out, or a statement fails
    /// with a connection error, SQLSTATE `25006` (read-only transaction: the host is now a
    /// standby) or `57P01`..`57P03` (the server is shutting down or starting).
    /// [`transaction`](crate::transaction()) on this pool calls it by itself on those errors.
    ///
    /// # Errors
    ///
    /// [`NoWritableHost`] when no host qualifies within the wait; the pool keeps its host.
    pub async fn reroute(&self) -> Result<HostAddr, NoWritableHost> {
        let (host, options) = self.cluster.find_host().await?;
        self.pool.set_connect_options(options);
        let mut current = match self.route.current.lock() {
            Ok(current) => current,
            Err(poisoned) => poisoned.into_inner(),
        };
        if *current != host {
            let nanos = u64::try_from(self.route.started.elapsed().as_nanos())
                .unwrap_or(u64::MAX)
                .max(1);
            self.route.rerouted_at_nanos.store(nanos, Ordering::Release);
            tracing::info!(from = %*current, to = %host, "cluster pool rerouted");
            *current = host.clone();
        }
        Ok(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Route {
        Route {
            started: Instant::now(),
            rerouted_at_nanos: AtomicU64::new(0),
            current: Mutex::new(HostAddr::new("db1", 5432)),
        }
    }

    #[test]
    fn no_connection_is_stale_before_a_reroute() {
        let route = route();
        assert!(!route.opened_before_reroute(Duration::ZERO));
        assert!(!route.opened_before_reroute(Duration::from_secs(3600)));
    }

    #[test]
    fn connections_opened_before_a_reroute_are_stale() {
        let route = route();
        std::thread::sleep(Duration::from_millis(20));
        let now = u64::try_from(route.started.elapsed().as_nanos()).unwrap();
        route.rerouted_at_nanos.store(now, Ordering::Release);
        // Opened at the start, 20 ms before the reroute.
        assert!(route.opened_before_reroute(route.started.elapsed()));
        // Opened just now, after the reroute.
        std::thread::sleep(Duration::from_millis(5));
        assert!(!route.opened_before_reroute(Duration::ZERO));
    }
}
