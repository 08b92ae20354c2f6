//! A fault that `pg_terminate_backend` cannot produce on demand: the
//! connection dies after the server committed and before the client hears
//! it. [`CommitCutter`] is a proxy on a Unix socket in front of the test
//! server; once armed, it lets the next `COMMIT` through, swallows the
//! server's answer and hangs up on both sides. The transaction is committed
//! and the client gets an I/O error at `COMMIT`: the textbook unknown
//! outcome.
//!
//! ```no_run
//! # async fn demo(server: sqlx::postgres::PgConnectOptions) {
//! use money_tests::proxy::CommitCutter;
//!
//! let cutter = CommitCutter::start(&server).await;
//! let pool = sqlx::PgPool::connect_with(cutter.client_options(&server)).await.unwrap();
//! cutter.arm(); // the next COMMIT through the proxy commits, and its answer is lost
//! # }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// Where the test server listens.
#[derive(Clone, Debug)]
enum Upstream {
    Unix(PathBuf),
    Tcp(String, u16),
}

/// The proxy; see the [module documentation](self). Dropping it stops
/// accepting connections and removes its socket directory.
#[derive(Debug)]
pub struct CommitCutter {
    dir: PathBuf,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

impl CommitCutter {
    /// Starts the proxy in front of the server `server` points to (a Unix
    /// socket or a TCP address).
    ///
    /// # Panics
    ///
    /// When its socket directory or socket cannot be created.
    pub async fn start(server: &PgConnectOptions) -> Self {
        let socket_file = format!(".s.PGSQL.{}", server.get_port());
        let upstream = match server.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(&socket_file)),
            None if server.get_host().starts_with('/') => {
                Upstream::Unix(PathBuf::from(server.get_host()).join(&socket_file))
            }
            None => Upstream::Tcp(server.get_host().to_owned(), server.get_port()),
        };
        let dir = std::env::temp_dir().join(format!(
            "money-commit-cutter-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let listener = UnixListener::bind(dir.join(&socket_file))
            .unwrap_or_else(|error| panic!("cannot listen in {}: {error}", dir.display()));
        let armed = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn({
            let (armed, cuts) = (Arc::clone(&armed), Arc::clone(&cuts));
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    let (armed, cuts) = (Arc::clone(&armed), Arc::clone(&cuts));
                    tokio::spawn(async move {
                        match upstream {
                            Upstream::Unix(path) => {
                                if let Ok(server) = UnixStream::connect(path).await {
                                    relay(client, server, armed, cuts).await;
                                }
                            }
                            Upstream::Tcp(host, port) => {
                                if let Ok(server) = TcpStream::connect((host.as_str(), port)).await
                                {
                                    relay(client, server, armed, cuts).await;
                                }
                            }
                        }
                    });
                }
            }
        });
        Self {
            dir,
            armed,
            cuts,
            accept,
        }
    }

    /// `server` with its address replaced by the proxy's, and TLS off (the
    /// proxy reads the protocol to find the `COMMIT`).
    pub fn client_options(&self, server: &PgConnectOptions) -> PgConnectOptions {
        server
            .clone()
            .socket(&self.dir)
            .ssl_mode(PgSslMode::Disable)
    }

    /// Cuts the connection of the next `COMMIT` that goes through, on any
    /// connection, after the server has answered it. Arming an armed
    /// cutter changes nothing.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// How many connections were cut after a `COMMIT` so far.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for CommitCutter {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies bytes both ways until either side hangs up or, armed, the
/// server answers a `COMMIT`: then the answer is dropped and both
/// connections are closed.
async fn relay<S>(client: UnixStream, server: S, armed: Arc<AtomicBool>, cuts: Arc<AtomicUsize>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut server_read, mut server_write) = tokio::io::split(server);
    let commit_sent = Arc::new(AtomicBool::new(false));
    let upward = tokio::spawn({
        let commit_sent = Arc::clone(&commit_sent);
        async move {
            let mut buffer = vec![0_u8; 16 * 1024];
            while let Ok(read) = client_read.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                let chunk = &buffer[..read];
                // sqlx sends `COMMIT` as a simple-protocol Query message,
                // the statement text ending in a NUL byte. The flag is set
                // before the bytes leave, so the answer cannot outrun it.
                if chunk.windows(7).any(|window| window == b"COMMIT\0")
                    && armed.swap(false, Ordering::SeqCst)
                {
                    commit_sent.store(true, Ordering::SeqCst);
                }
                if server_write.write_all(chunk).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut buffer = vec![0_u8; 16 * 1024];
    while let Ok(read) = server_read.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        if commit_sent.load(Ordering::SeqCst) {
            cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if client_write.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    upward.abort();
}
