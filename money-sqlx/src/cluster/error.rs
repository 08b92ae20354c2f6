//! Why hosts were passed over, and what can go wrong setting up a cluster pool.

use std::fmt;
use std::time::Duration;

use super::{HostAddr, TargetSessionAttrs, UrlError};

/// Why a host was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PassOverReason {
    /// Nothing listens on the port (the server is down).
    Refused,
    /// No answer (connection and probe) within the connect timeout.
    TimedOut {
        /// The timeout that ran out.
        after: Duration,
    },
    /// The session refuses writes: a hot standby (PostgreSQL), `read_only=ON` (MariaDB/MySQL).
    ReadOnly {
        /// What showed it, such as `transaction_read_only = on`.
        detail: String,
    },
    /// The server is up but not ready for use: starting up or in recovery (PostgreSQL
    /// `57P03`), a Galera node outside the primary component (`wsrep_ready = OFF`, error 1047).
    NotReady {
        /// What showed it.
        detail: String,
    },
    /// The server refused the credentials or the role (SQLSTATE class `28`).
    Auth {
        /// The server's message.
        message: String,
    },
    /// The host could not be reached otherwise (name resolution, network, TLS).
    Unreachable {
        /// The error.
        message: String,
    },
    /// Any other error while connecting or probing.
    Failed {
        /// The error.
        message: String,
    },
}

impl fmt::Display for PassOverReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused => formatter.write_str("connection refused"),
            Self::TimedOut { after } => {
                write!(formatter, "timed out after {:.1} s", after.as_secs_f64())
            }
            Self::ReadOnly { detail } => write!(formatter, "read-only ({detail})"),
            Self::NotReady { detail } => write!(formatter, "not ready ({detail})"),
            Self::Auth { message } => write!(formatter, "authentication refused ({message})"),
            Self::Unreachable { message } => write!(formatter, "unreachable ({message})"),
            Self::Failed { message } => write!(formatter, "failed ({message})"),
        }
    }
}

/// One host that was passed over, and why (the last reason seen for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassedOver {
    /// The host.
    pub host: HostAddr,
    /// Why.
    pub reason: PassOverReason,
}

/// No host qualified within the wait: each host and why it was passed over.
///
/// ```
/// use std::time::Duration;
/// use money_sqlx::cluster::{
///     HostAddr, NoWritableHost, PassOverReason, PassedOver, TargetSessionAttrs,
/// };
///
/// let error = NoWritableHost {
///     target: TargetSessionAttrs::ReadWrite,
///     waited: Duration::from_secs(10),
///     rounds: 12,
///     hosts: vec![
///         PassedOver { host: HostAddr::new("db1", 5432), reason: PassOverReason::Refused },
///         PassedOver {
///             host: HostAddr::new("db2", 5432),
///             reason: PassOverReason::ReadOnly { detail: "transaction_read_only = on".into() },
///         },
///     ],
/// };
/// assert_eq!(
///     error.to_string(),
///     "no host accepted a read-write session within 10.0 s (12 rounds): \
///      db1:5432: connection refused; db2:5432: read-only (transaction_read_only = on)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct NoWritableHost {
    /// The session that was looked for.
    pub target: TargetSessionAttrs,
    /// How long the search took.
    pub waited: Duration,
    /// How many times every host was tried.
    pub rounds: u32,
    /// Every host, in the order given, with the reason of its last attempt.
    pub hosts: Vec<PassedOver>,
}

impl fmt::Display for NoWritableHost {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "no host accepted a {} session within {:.1} s ({} round{}): ",
            self.target,
            self.waited.as_secs_f64(),
            self.rounds,
            if self.rounds == 1 { "" } else { "s" }
        )?;
        for (index, passed) in self.hosts.iter().enumerate() {
            if index > 0 {
                formatter.write_str("; ")?;
            }
            write!(formatter, "{}: {}", passed.host, passed.reason)?;
        }
        Ok(())
    }
}

/// What can go wrong setting up a cluster pool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The URL is not a valid multi-host URL.
    #[error("invalid cluster URL: {0}")]
    Url(#[from] UrlError),
    /// A [`ClusterBuilder`](super::ClusterBuilder) was built without any host.
    #[error("a cluster needs at least one host")]
    NoHosts,
    /// No host qualified within the wait.
    #[error(transparent)]
    NoWritableHost(#[from] NoWritableHost),
    /// The pool could not open its first connection on the host that qualified.
    #[error("cannot open the pool on {host}: {source}")]
    Pool {
        /// The host.
        host: HostAddr,
        /// sqlx's error.
        #[source]
        source: sqlx::Error,
    },
}

/// The reason `after_connect` gives the pool for refusing a session; the pool logs it and tries
/// again (with the connect options of that moment) until its acquire timeout.
#[derive(Debug, Clone, thiserror::Error)]
#[error("refused the session: {reason}")]
pub struct SessionRefused {
    /// Why the session does not qualify.
    pub reason: PassOverReason,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        let reasons = [
            (PassOverReason::Refused, "connection refused"),
            (
                PassOverReason::TimedOut {
                    after: Duration::from_millis(2500),
                },
                "timed out after 2.5 s",
            ),
            (
                PassOverReason::NotReady {
                    detail: "wsrep_ready = OFF".into(),
                },
                "not ready (wsrep_ready = OFF)",
            ),
            (
                PassOverReason::Auth {
                    message: "password authentication failed for user \"app\"".into(),
                },
                "authentication refused (password authentication failed for user \"app\")",
            ),
        ];
        for (reason, expected) in reasons {
            assert_eq!(reason.to_string(), expected);
        }
    }
}
