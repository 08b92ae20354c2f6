//! PostgreSQL hosts: a primary accepts writes, a hot standby does not.

use sqlx::Postgres;
use sqlx::postgres::PgConnectOptions;

use super::{ClusterDatabase, HostAddr, SessionRole, sealed};
use crate::driver::BoxFuture;

/// SQLSTATE `57P03`, `cannot_connect_now`: starting up, shutting down, or in recovery without
/// hot standby.
const CANNOT_CONNECT_NOW: &str = "57P03";

impl sealed::Sealed for Postgres {}

impl ClusterDatabase for Postgres {
    const SCHEMES: &'static [&'static str] = &["postgres", "postgresql"];
    const SCHEMES_TEXT: &'static str = "postgres:// or postgresql://";
    const DEFAULT_PORT: u16 = 5432;

    fn parse_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
        url.parse()
    }

    fn with_host(options: &PgConnectOptions, host: &HostAddr) -> PgConnectOptions {
        options.clone().host(&host.host).port(host.port)
    }

    /// libpq's test for `read-write`: `SHOW transaction_read_only`. It is `on` on a hot
    /// standby (and where `default_transaction_read_only` is on).
    fn probe(
        connection: &mut sqlx::PgConnection,
    ) -> BoxFuture<'_, Result<SessionRole, sqlx::Error>> {
        Box::pin(async move {
            let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
                .fetch_one(&mut *connection)
                .await?;
            Ok(if read_only == "off" {
                SessionRole::Writable
            } else {
                SessionRole::ReadOnly(format!("transaction_read_only = {read_only}"))
            })
        })
    }

    fn is_not_ready(error: &dyn sqlx::error::DatabaseError) -> bool {
        error.code().as_deref() == Some(CANNOT_CONNECT_NOW)
    }
}
