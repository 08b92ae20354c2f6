//! Round trips counted on the wire: [`RoundTripCounter`] is a proxy on a
//! Unix socket in front of the test server that relays every byte both
//! ways and counts the `ReadyForQuery` messages the server sends. The
//! server sends exactly one at the end of every simple-protocol `Query` and
//! every `Sync` of the extended protocol (and one when a connection is
//! ready), so the count is the number of times a client waited for the
//! server: its round trips. It counts the real connection, whatever the
//! client (sqlx, pgbench).
//!
//! ```no_run
//! # async fn demo(server: sqlx::postgres::PgConnectOptions) {
//! use money_tests::roundtrips::RoundTripCounter;
//!
//! let counter = RoundTripCounter::start(&server).await;
//! let before = counter.count();
//! // ... work on connections made with counter.client_options(&server) ...
//! let round_trips = counter.count() - before;
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// The proxy; see the [module documentation](self). Dropping it stops
/// accepting connections and removes its socket directory.
#[derive(Debug)]
pub struct RoundTripCounter {
    dir: PathBuf,
    port: u16,
    ready: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

#[derive(Clone, Debug)]
enum Upstream {
    Unix(PathBuf),
    Tcp(String, u16),
}

impl RoundTripCounter {
    /// Starts the proxy in front of the server `server` points to (a Unix
    /// socket or a TCP address).
    ///
    /// # Panics
    ///
    /// When its socket directory or socket cannot be created.
    pub async fn start(server: &PgConnectOptions) -> Self {
        let port = server.get_port();
        let socket_file = format!(".s.PGSQL.{port}");
        let upstream = match server.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(&socket_file)),
            None if server.get_host().starts_with('/') => {
                Upstream::Unix(PathBuf::from(server.get_host()).join(&socket_file))
            }
            None => Upstream::Tcp(server.get_host().to_owned(), port),
        };
        let dir = std::env::temp_dir().join(format!(
            "money-round-trips-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let listener = UnixListener::bind(dir.join(&socket_file))
            .unwrap_or_else(|error| panic!("cannot listen in {}: {error}", dir.display()));
        let ready = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn({
            let ready = Arc::clone(&ready);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    let ready = Arc::clone(&ready);
                    tokio::spawn(async move {
                        match upstream {
                            Upstream::Unix(path) => {
                                if let Ok(server) = UnixStream::connect(path).await {
                                    relay(client, server, ready).await;
                                }
                            }
                            Upstream::Tcp(host, port) => {
                                if let Ok(server) = TcpStream::connect((host.as_str(), port)).await
                                {
                                    relay(client, server, ready).await;
                                }
                            }
                        }
                    });
                }
            }
        });
        Self {
            dir,
            port,
            ready,
            accept,
        }
    }

    /// `server` with its address replaced by the proxy's, and TLS off (the
    /// proxy reads the protocol).
    pub fn client_options(&self, server: &PgConnectOptions) -> PgConnectOptions {
        server
            .clone()
            .socket(&self.dir)
            .ssl_mode(PgSslMode::Disable)
    }

    /// The directory of the proxy's socket: libpq's `host`.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The port in the socket's name: libpq's `port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ReadyForQuery` messages relayed so far, on every connection.
    pub fn count(&self) -> usize {
        self.ready.load(Ordering::SeqCst)
    }
}

impl Drop for RoundTripCounter {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads the server's messages (a type byte and a big-endian length that
/// counts itself) out of a byte stream cut anywhere, and counts the
/// `ReadyForQuery` ones (`Z`).
#[derive(Debug, Default)]
struct MessageReader {
    /// Bytes of the current message's header read so far.
    header: Vec<u8>,
    /// Body bytes of the current message still to skip.
    remaining: usize,
}

impl MessageReader {
    fn feed(&mut self, mut bytes: &[u8]) -> usize {
        let mut ready = 0;
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(bytes.len());
                self.remaining -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let take = (5 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.header.len() == 5 {
                let length = u32::from_be_bytes([
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ]);
                if self.header[0] == b'Z' {
                    ready += 1;
                }
                self.remaining = (length as usize).saturating_sub(4);
                self.header.clear();
            }
        }
        ready
    }
}

/// Copies bytes both ways until either side hangs up, counting the
/// server's `ReadyForQuery` messages.
async fn relay<S>(client: UnixStream, server: S, ready: Arc<AtomicUsize>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut server_read, mut server_write) = tokio::io::split(server);
    let upward = tokio::spawn(async move {
        let mut buffer = vec![0_u8; 16 * 1024];
        while let Ok(read) = client_read.read(&mut buffer).await {
            if read == 0 || server_write.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
    });
    let mut reader = MessageReader::default();
    let mut buffer = vec![0_u8; 16 * 1024];
    while let Ok(read) = server_read.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        // Counted before the bytes leave, so that a client that got its
        // answer never reads a count without it.
        ready.fetch_add(reader.feed(&buffer[..read]), Ordering::SeqCst);
        if client_write.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    upward.abort();
}

#[cfg(test)]
mod tests {
    use super::MessageReader;

    #[test]
    fn counts_ready_for_query_across_any_cut() {
        // CommandComplete "BEGIN", ReadyForQuery 'T', a DataRow, ReadyForQuery 'I'.
        let mut stream = vec![b'C', 0, 0, 0, 10];
        stream.extend_from_slice(b"BEGIN\0");
        stream.extend_from_slice(&[b'Z', 0, 0, 0, 5, b'T']);
        stream.extend_from_slice(&[b'D', 0, 0, 0, 6, 0, 0]);
        stream.extend_from_slice(&[b'Z', 0, 0, 0, 5, b'I']);
        for chunk in 1..=stream.len() {
            let mut reader = MessageReader::default();
            let counted: usize = stream.chunks(chunk).map(|part| reader.feed(part)).sum();
            assert_eq!(counted, 2, "chunks of {chunk} bytes");
        }
        // A 'Z' byte inside a body is not a message.
        let mut reader = MessageReader::default();
        assert_eq!(reader.feed(&[b'C', 0, 0, 0, 6, b'Z', 0]), 0);
    }
}
