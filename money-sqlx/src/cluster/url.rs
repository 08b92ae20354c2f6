//! libpq's multi-host connection URL, `scheme://[user[:password]@]host1[:port1],host2[:port2],.../[database][?parameters]`,
//! taken apart into its host list and the single-host URL sqlx parses for
//! everything else.

use std::fmt;
use std::time::Duration;

/// One host of a cluster: a name or address and a TCP port.
///
/// An IPv6 address is held without brackets and printed with them
/// (`[::1]:5432`).
///
/// ```
/// use money_sqlx::cluster::HostAddr;
///
/// let host = HostAddr::new("db1.internal", 5433);
/// assert_eq!(host.to_string(), "db1.internal:5433");
/// assert_eq!(HostAddr::new("::1", 5432).to_string(), "[::1]:5432");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostAddr {
    /// The host name or address, without brackets.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl HostAddr {
    /// A host and port.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }
}

impl fmt::Display for HostAddr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(formatter, "[{}]:{}", self.host, self.port)
        } else {
            write!(formatter, "{}:{}", self.host, self.port)
        }
    }
}

/// Which session a connection must land on, libpq's `target_session_attrs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TargetSessionAttrs {
    /// `read-write` (the default here, unlike libpq, because money is written): a session that
    /// accepts writes. PostgreSQL: `SHOW transaction_read_only` is `off` (a primary, not a hot
    /// standby). MariaDB/MySQL: `@@global.read_only` is off and, on a Galera node,
    /// `wsrep_ready` is `ON`.
    #[default]
    ReadWrite,
    /// `any`: the first host that accepts a connection (on Galera, one that is ready).
    Any,
}

impl TargetSessionAttrs {
    /// The parameter's value, as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadWrite => "read-write",
            Self::Any => "any",
        }
    }
}

impl fmt::Display for TargetSessionAttrs {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What is wrong with a multi-host URL. Never quotes the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The URL does not start with one of the database's schemes.
    #[error("the URL must start with {expected}, found `{found}`")]
    Scheme {
        /// The schemes this database accepts, such as `postgres:// or postgresql://`.
        expected: &'static str,
        /// What the URL starts with (up to `://`, or its first 16 characters).
        found: String,
    },
    /// No host between `//` and the path.
    #[error("the URL names no host: give one or more as `host:port,host:port`")]
    NoHost,
    /// A host of the comma-separated list is empty (`h1,,h2` or a trailing comma).
    #[error("host #{position} of the URL's host list is empty")]
    EmptyHost {
        /// 1-based position in the list.
        position: usize,
    },
    /// An IPv6 address opens `[` and never closes it, or has something other than `:port` after `]`.
    #[error("host #{position} of the URL's host list is a malformed bracketed IPv6 address")]
    BadBracket {
        /// 1-based position in the list.
        position: usize,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("host `{host}` has port `{port}`: a port is a number from 1 to 65535")]
    BadPort {
        /// The host the port belongs to.
        host: String,
        /// The port as written.
        port: String,
    },
    /// `target_session_attrs` has a value this crate does not support.
    #[error(
        "target_session_attrs=`{value}` is not supported: use `read-write` (the default) or `any`"
    )]
    TargetSessionAttrs {
        /// The value as written.
        value: String,
    },
    /// `connect_timeout` is not a whole number of seconds above zero.
    #[error("connect_timeout=`{value}` is not a whole number of seconds above zero")]
    ConnectTimeout {
        /// The value as written.
        value: String,
    },
    /// A host or port given as a query parameter: ambiguous next to the host list.
    #[error(
        "the URL gives `{parameter}` as a parameter: give every host in the host list (`//h1:port,h2:port/`) instead"
    )]
    HostParameter {
        /// The parameter (`host`, `hostaddr`, `port` or `socket`).
        parameter: String,
    },
    /// sqlx refused the rest of the URL (user, database, other parameters).
    #[error("the URL's other parts are not valid connect options: {0}")]
    Options(#[source] sqlx::Error),
}

/// A multi-host URL taken apart.
#[derive(Debug)]
pub(crate) struct ParsedUrl {
    /// The hosts, in order.
    pub hosts: Vec<HostAddr>,
    /// The URL with only the first host and without the parameters this module consumed, for
    /// sqlx to parse the rest.
    pub single_host_url: String,
    /// `target_session_attrs`, when given.
    pub target: Option<TargetSessionAttrs>,
    /// `connect_timeout` (seconds), when given.
    pub connect_timeout: Option<Duration>,
}

/// Takes `url` apart. `schemes` are the accepted schemes (without `://`), `expected` says them
/// for an error, `default_port` stands for a host without a port.
pub(crate) fn parse(
    url: &str,
    schemes: &[&str],
    expected: &'static str,
    default_port: u16,
) -> Result<ParsedUrl, UrlError> {
    let Some((scheme, rest)) = url
        .split_once("://")
        .filter(|(scheme, _)| schemes.contains(scheme))
    else {
        let found = match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://"),
            None => url.chars().take(16).collect(),
        };
        return Err(UrlError::Scheme { expected, found });
    };

    // The authority ends at the path, the query or the fragment.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host_list) = match authority.rsplit_once('@') {
        Some((userinfo, host_list)) => (Some(userinfo), host_list),
        None => (None, authority),
    };
    if host_list.is_empty() {
        return Err(UrlError::NoHost);
    }
    let hosts = host_list
        .split(',')
        .enumerate()
        .map(|(index, entry)| parse_host(entry, index + 1, default_port))
        .collect::<Result<Vec<_>, _>>()?;

    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let (query, fragment) = match query {
        Some(query) => match query.split_once('#') {
            Some((query, fragment)) => (Some(query), Some(fragment)),
            None => (Some(query), None),
        },
        None => (None, None),
    };

    let mut target = None;
    let mut connect_timeout = None;
    let mut kept = Vec::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "target_session_attrs" => {
                target = Some(match value {
                    "read-write" => TargetSessionAttrs::ReadWrite,
                    "any" => TargetSessionAttrs::Any,
                    other => {
                        return Err(UrlError::TargetSessionAttrs {
                            value: other.to_owned(),
                        });
                    }
                });
            }
            "connect_timeout" => {
                let seconds = value
                    .parse::<u64>()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .ok_or_else(|| UrlError::ConnectTimeout {
                        value: value.to_owned(),
                    })?;
                connect_timeout = Some(Duration::from_secs(seconds));
            }
            "host" | "hostaddr" | "port" | "socket" => {
                return Err(UrlError::HostParameter {
                    parameter: key.to_owned(),
                });
            }
            _ => kept.push(pair),
        }
    }

    let first = &hosts[0];
    let mut single_host_url = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        single_host_url.push_str(userinfo);
        single_host_url.push('@');
    }
    single_host_url.push_str(&first.to_string());
    single_host_url.push_str(path);
    if !kept.is_empty() {
        single_host_url.push('?');
        single_host_url.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        single_host_url.push('#');
        single_host_url.push_str(fragment);
    }
    Ok(ParsedUrl {
        hosts,
        single_host_url,
        target,
        connect_timeout,
    })
}

/// One `host[:port]` or `[ipv6][:port]` entry of the list.
fn parse_host(entry: &str, position: usize, default_port: u16) -> Result<HostAddr, UrlError> {
    if entry.is_empty() {
        return Err(UrlError::EmptyHost { position });
    }
    let (host, port) = if let Some(bracketed) = entry.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or(UrlError::BadBracket { position })?;
        if address.is_empty() {
            return Err(UrlError::BadBracket { position });
        }
        let port = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(':')
                    .ok_or(UrlError::BadBracket { position })?,
            ),
        };
        (address, port)
    } else {
        match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::EmptyHost { position });
    }
    let port = match port {
        None => default_port,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| UrlError::BadPort {
                host: host.to_owned(),
                port: text.to_owned(),
            })?,
    };
    Ok(HostAddr::new(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(url: &str) -> Result<ParsedUrl, UrlError> {
        parse(url, &["postgres", "postgresql"], "postgres://", 5432)
    }

    #[test]
    fn hosts_ports_and_parameters() {
        let parsed = pg(
            "postgres://app:s%40cret@h1:5433,h2,[::1]:6000/money?target_session_attrs=any&sslmode=disable&connect_timeout=3",
        )
        .unwrap();
        assert_eq!(
            parsed.hosts,
            vec![
                HostAddr::new("h1", 5433),
                HostAddr::new("h2", 5432),
                HostAddr::new("::1", 6000)
            ]
        );
        assert_eq!(parsed.target, Some(TargetSessionAttrs::Any));
        assert_eq!(parsed.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(
            parsed.single_host_url,
            "postgres://app:s%40cret@h1:5433/money?sslmode=disable"
        );
    }

    #[test]
    fn a_single_host_without_anything_else() {
        let parsed = pg("postgresql://db").unwrap();
        assert_eq!(parsed.hosts, vec![HostAddr::new("db", 5432)]);
        assert_eq!(parsed.target, None);
        assert_eq!(parsed.single_host_url, "postgresql://db:5432");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            (
                "mysql://h1/db",
                "the URL must start with postgres://, found `mysql://`",
            ),
            ("h1:5432", "found `h1:5432`"),
            ("postgres:///db", "names no host"),
            ("postgres://u@/db", "names no host"),
            (
                "postgres://h1,,h2/db",
                "host #2 of the URL's host list is empty",
            ),
            ("postgres://h1,/db", "host #2"),
            ("postgres://:5432/db", "host #1"),
            ("postgres://h1:0/db", "host `h1` has port `0`"),
            ("postgres://h1:99999/db", "host `h1` has port `99999`"),
            ("postgres://h1:/db", "host `h1` has port ``"),
            ("postgres://[::1/db", "malformed bracketed IPv6"),
            ("postgres://[::1]x/db", "malformed bracketed IPv6"),
            (
                "postgres://h1/db?target_session_attrs=standby",
                "target_session_attrs=`standby` is not supported",
            ),
            ("postgres://h1/db?connect_timeout=0", "connect_timeout=`0`"),
            ("postgres://h1/db?host=/tmp", "gives `host` as a parameter"),
            ("postgres://h1/db?port=5", "gives `port` as a parameter"),
        ];
        for (url, expected) in cases {
            let message = match pg(url) {
                Ok(parsed) => panic!("{url} parsed: {parsed:?}"),
                Err(error) => error.to_string(),
            };
            assert!(message.contains(expected), "{url}: {message}");
        }
    }

    #[test]
    fn errors_never_quote_the_password() {
        let error = pg("postgres://app:hunter2@h1:x/db")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
