//! Where [`transaction`](super::transaction()) takes its connections: a sqlx pool, or a
//! [`ClusterPool`](crate::cluster::ClusterPool) that it points at the new primary when a host
//! goes away.

use std::time::Duration;

use sqlx::Pool;

use super::TransactionDatabase;
use crate::driver::BoxFuture;

/// A pool [`transaction`](super::transaction()) can take connections from: a sqlx
/// [`Pool`] (`PgPool`, `MySqlPool`) or a [`ClusterPool`](crate::cluster::ClusterPool).
///
/// After an attempt failed because its host went away (a dead connection, a read-only
/// standby, a server shutting down: [`RetryCause::leaves_host`](crate::RetryCause::leaves_host)),
/// a `ClusterPool` is [rerouted](crate::cluster::ClusterPool::reroute) before the next attempt,
/// within what is left of the transaction's deadline; a plain pool is left as it is (its
/// next connection goes where its connect options say).
pub trait TransactionPool: Sync {
    /// The database.
    type Database: TransactionDatabase;

    /// The pool the attempts take their connections from.
    #[doc(hidden)]
    fn sqlx_pool(&self) -> &Pool<Self::Database>;

    /// Called once an attempt failed because its host went away, before the next attempt;
    /// returns within `within` when given.
    #[doc(hidden)]
    fn after_host_failure(&self, within: Option<Duration>) -> BoxFuture<'_, ()>;
}

impl<DB: TransactionDatabase> TransactionPool for Pool<DB> {
    type Database = DB;

    fn sqlx_pool(&self) -> &Pool<DB> {
        self
    }

    fn after_host_failure(&self, _within: Option<Duration>) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl<DB> TransactionPool for crate::cluster::ClusterPool<DB>
where
    DB: TransactionDatabase + crate::cluster::ClusterDatabase,
{
    type Database = DB;

    fn sqlx_pool(&self) -> &Pool<DB> {
        self.pool()
    }

    /// [`ClusterPool::reroute`](crate::cluster::ClusterPool::reroute), cut short at `within`;
    /// a failed or cut reroute leaves the pool where it was, and the next attempt finds out.
    fn after_host_failure(&self, within: Option<Duration>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let rerouted = match within {
                Some(within) => match sqlx_core::rt::timeout(within, self.reroute()).await {
                    Ok(rerouted) => rerouted,
                    Err(_) => {
                        tracing::warn!(
                            within = ?within,
                            "transaction: no writable host found before the deadline"
                        );
                        return;
                    }
                },
                None => self.reroute().await,
            };
            match rerouted {
                Ok(host) => {
                    tracing::debug!(%host, "transaction: cluster pool points at the writable host")
                }
                Err(error) => tracing::warn!(%error, "transaction: no writable host"),
            }
        })
    }
}
