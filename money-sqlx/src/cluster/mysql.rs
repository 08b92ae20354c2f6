//! MariaDB/MySQL hosts: `read_only` servers (replicas) refuse writes, and a
//! Galera node outside the primary component is not ready (`wsrep_ready =
//! OFF`; its statements fail with error 1047).

use sqlx::MySql;
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};

use super::{ClusterDatabase, HostAddr, SessionRole, sealed};
use crate::driver::BoxFuture;
use crate::retry::WSREP_NOT_READY;

impl sealed::Sealed for MySql {}

impl ClusterDatabase for MySql {
    const SCHEMES: &'static [&'static str] = &["mysql", "mariadb"];
    const SCHEMES_TEXT: &'static str = "mysql:// or mariadb://";
    const DEFAULT_PORT: u16 = 3306;

    fn parse_options(url: &str) -> Result<MySqlConnectOptions, sqlx::Error> {
        // sqlx's parser knows only `mysql://`.
        match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}").parse(),
            None => url.parse(),
        }
    }

    fn with_host(options: &MySqlConnectOptions, host: &HostAddr) -> MySqlConnectOptions {
        options.clone().host(&host.host).port(host.port)
    }

    /// `wsrep_ready` first (a status variable only Galera servers have; `SHOW STATUS` still
    /// answers on a node that is not ready), then `@@global.read_only`.
    fn probe(
        connection: &mut sqlx::MySqlConnection,
    ) -> BoxFuture<'_, Result<SessionRole, sqlx::Error>> {
        Box::pin(async move {
            let wsrep_ready: Option<(String, String)> =
                sqlx::query_as("SHOW GLOBAL STATUS LIKE 'wsrep_ready'")
                    .fetch_optional(&mut *connection)
                    .await?;
            if let Some((_, value)) = wsrep_ready
                && !value.eq_ignore_ascii_case("ON")
            {
                return Ok(SessionRole::NotReady(format!("wsrep_ready = {value}")));
            }
            let read_only: i64 = sqlx::query_scalar("SELECT CAST(@@global.read_only AS SIGNED)")
                .fetch_one(&mut *connection)
                .await?;
            Ok(if read_only == 0 {
                SessionRole::Writable
            } else {
                SessionRole::ReadOnly("read_only = ON".to_owned())
            })
        })
    }

    fn is_not_ready(error: &dyn sqlx::error::DatabaseError) -> bool {
        error
            .try_downcast_ref::<MySqlDatabaseError>()
            .is_some_and(|error| error.number() == WSREP_NOT_READY)
    }
}
