//! The bank test's nemesis: a task that, at random moments from a seeded
//! generator, terminates backends (`pg_terminate_backend`), cancels their
//! running statement (`pg_cancel_backend`) or arms a [`CommitCutter`] to cut
//! a connection right after the server answered its `COMMIT`. It finds its
//! targets in `pg_stat_activity` by `application_name` prefix, so it hits
//! only the connections of the test that started it, even on a shared
//! server. Every statement it runs has a timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::time::timeout;

use crate::proxy::CommitCutter;

/// Bound on each statement of the fault task and on connecting.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// How often and which faults.
#[derive(Clone, Copy, Debug)]
pub struct FaultPlan {
    /// Pause between two faults, drawn from this range, in milliseconds.
    pub pause_ms: (u64, u64),
    /// Of 100 faults, this many arm the commit cutter.
    pub cut_percent: u32,
    /// Of 100 faults, this many terminate a backend; the rest cancel a
    /// running statement.
    pub terminate_percent: u32,
}

/// What the fault task did.
#[derive(Clone, Debug, Default)]
pub struct FaultLog {
    /// Times the commit cutter was armed.
    pub cuts_armed: usize,
    /// `pg_terminate_backend` calls.
    pub terminate_requested: usize,
    /// Those that found their backend.
    pub terminate_delivered: usize,
    /// `pg_cancel_backend` calls.
    pub cancel_requested: usize,
    /// Those that found their backend.
    pub cancel_delivered: usize,
    /// Times there was no backend to hit (none active, for a cancel).
    pub no_target: usize,
    /// Failures of the fault task's own connection or statements.
    pub control_errors: usize,
}

/// Arms the commit cutter, terminates and cancels the workers' backends at
/// random moments until `stop`.
///
/// `options` is for the fault task's own connection; `prefix` starts the
/// `application_name` of every connection it may hit.
pub async fn inject(
    options: PgConnectOptions,
    prefix: String,
    cutter: Arc<CommitCutter>,
    plan: FaultPlan,
    seed: u64,
    stop: Instant,
) -> FaultLog {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut log = FaultLog::default();
    let mut connection: Option<PgConnection> = None;
    while Instant::now() < stop {
        tokio::time::sleep(Duration::from_millis(
            rng.u64(plan.pause_ms.0..=plan.pause_ms.1),
        ))
        .await;
        let fault = rng.u32(0..100);
        let pick = rng.u64(..);
        if fault < plan.cut_percent {
            cutter.arm();
            log.cuts_armed += 1;
            continue;
        }
        let terminate = fault < plan.cut_percent + plan.terminate_percent;
        if connection.is_none() {
            connection = match timeout(CONTROL_TIMEOUT, PgConnection::connect_with(&options)).await
            {
                Ok(Ok(connection)) => Some(connection),
                _ => {
                    log.control_errors += 1;
                    continue;
                }
            };
        }
        let Some(control) = connection.as_mut() else {
            continue;
        };
        // A cancel only stops a running statement, so it picks among the
        // active backends; a terminate picks among all of them.
        let pids = timeout(
            CONTROL_TIMEOUT,
            sqlx::query_scalar::<_, i32>(
                "SELECT pid FROM pg_stat_activity
                 WHERE starts_with(application_name, $1) AND ($2 OR state = 'active')
                 ORDER BY pid",
            )
            .bind(&prefix)
            .bind(terminate)
            .fetch_all(&mut *control),
        )
        .await;
        let pids = match pids {
            Ok(Ok(pids)) => pids,
            _ => {
                log.control_errors += 1;
                connection = None;
                continue;
            }
        };
        let Some(&pid) = pids.get((pick % pids.len().max(1) as u64) as usize) else {
            log.no_target += 1;
            continue;
        };
        let signal = if terminate {
            log.terminate_requested += 1;
            "SELECT pg_terminate_backend($1)"
        } else {
            log.cancel_requested += 1;
            "SELECT pg_cancel_backend($1)"
        };
        match timeout(
            CONTROL_TIMEOUT,
            sqlx::query_scalar::<_, bool>(signal)
                .bind(pid)
                .fetch_one(&mut *control),
        )
        .await
        {
            Ok(Ok(true)) if terminate => log.terminate_delivered += 1,
            Ok(Ok(true)) => log.cancel_delivered += 1,
            Ok(Ok(false)) => {}
            _ => {
                log.control_errors += 1;
                connection = None;
            }
        }
    }
    if let Some(connection) = connection {
        let _ = timeout(CONTROL_TIMEOUT, connection.close()).await;
    }
    log
}

/// Waits until no backend whose `application_name` starts with `prefix` is
/// left (a transaction abandoned by a timed-out call may still be running on the server), terminating
/// stragglers after a while, so that resolving unknown outcomes sees only
/// finished transactions.
///
/// # Panics
///
/// When the backends do not go away within 20 s, or a query fails.
pub async fn drain_backends(pool: &PgPool, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE starts_with(application_name, $1)",
        )
        .bind(prefix)
        .fetch_one(pool)
        .await
        .expect("count worker backends");
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} worker backends still there after 20 s"
        );
        if Instant::now() + Duration::from_secs(10) > deadline {
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE starts_with(application_name, $1)",
            )
            .bind(prefix)
            .execute(pool)
            .await
            .expect("terminate worker backends");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
