//! A real server on a loopback port, and a small HTTP/1.1 client that talks
//! to it over TCP: one connection per request (`Connection: close`), or a
//! kept-alive connection ([`Client`]).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use money_ledger_api::{AppState, Config, Store, serve};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server.
pub struct Server {
    pub address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves `store` with `config` on a free loopback port.
    pub async fn start(store: Store, config: Config) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (sender, receiver) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, AppState::new(store, config), async move {
            let _ = receiver.await;
        }));
        Server {
            address,
            shutdown: Some(sender),
            task,
        }
    }

    /// Graceful shutdown; panics when the server failed.
    pub async fn stop(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the server stops")
            .expect("the server task")
            .expect("the server ran without an I/O error");
    }

    /// `POST path` with a JSON body and, when given, an Idempotency-Key.
    pub async fn post(&self, path: &str, key: Option<&str>, body: &str) -> Reply {
        let mut headers = vec![("Content-Type", "application/json".to_owned())];
        if let Some(key) = key {
            headers.push(("Idempotency-Key", key.to_owned()));
        }
        request(self.address, "POST", path, &headers, body).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        request(self.address, "GET", path, &[], "").await
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 exchange on a new connection.
pub async fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Reply {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    exchange(&mut stream, address, false, method, path, headers, body).await
}

/// A kept-alive HTTP/1.1 connection, as a client's connection pool keeps
/// one: requests one after another on the same TCP connection.
pub struct Client {
    address: SocketAddr,
    stream: TcpStream,
}

impl Client {
    /// Connects to `server`.
    pub async fn connect(server: &Server) -> Client {
        let stream = TcpStream::connect(server.address).await.expect("connect");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Client {
            address: server.address,
            stream,
        }
    }

    /// `POST path` with a JSON body and an Idempotency-Key.
    pub async fn post(&mut self, path: &str, key: &str, body: &str) -> Reply {
        let headers = [
            ("Content-Type", "application/json".to_owned()),
            ("Idempotency-Key", key.to_owned()),
        ];
        exchange(
            &mut self.stream,
            self.address,
            true,
            "POST",
            path,
            &headers,
            body,
        )
        .await
    }
}

/// Sends one request on `stream` and reads its reply.
async fn exchange(
    stream: &mut TcpStream,
    address: SocketAddr,
    keep_alive: bool,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Reply {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: {connection}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // One write: a head and a body in two segments would wait for the
    // server's delayed ACK (Nagle).
    head.push_str(body);
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the request");
    // Read the head, then as many bytes as Content-Length says (waiting
    // for the server to close the connection costs tens of milliseconds).
    let mut raw = Vec::new();
    let mut buffer = [0_u8; 8192];
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut buffer).await.expect("read the reply");
        assert!(
            read > 0,
            "the connection closed before the head ended: {raw:?}"
        );
        raw.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8(raw[..head_end].to_vec()).expect("a UTF-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect::<Vec<_>>();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok());
    let mut body = raw[head_end + 4..].to_vec();
    match length {
        Some(length) => {
            while body.len() < length {
                let read = stream.read(&mut buffer).await.expect("read the body");
                assert!(read > 0, "the connection closed before the body ended");
                body.extend_from_slice(&buffer[..read]);
            }
            body.truncate(length);
        }
        None => {
            assert!(
                !keep_alive,
                "a reply on a kept-alive connection without Content-Length"
            );
            stream.read_to_end(&mut body).await.expect("read the body");
        }
    }
    let body = String::from_utf8(body).expect("a UTF-8 body");
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked { dechunk(&body) } else { body };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// The OpenAPI 3.1 schema (`https://spec.openapis.org/oas/3.1/schema/2022-10-07`,
/// published by the OpenAPI Initiative under the Apache License 2.0), kept
/// beside the tests so that they need nothing else on the machine.
pub fn openapi_31_schema() -> Value {
    serde_json::from_str(include_str!("openapi-3.1-schema.json"))
        .expect("the OpenAPI schema is JSON")
}

/// A validator of the document's component `name`.
pub fn component_validator(document: &Value, name: &str) -> jsonschema::Validator {
    // The component, with the document's components beside it for its
    // `$ref`s.
    let schema = serde_json::json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": document["components"],
    });
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|error| panic!("component {name} is a JSON Schema: {error}"))
}

/// Panics unless `body` is valid under `validator` (of component `name`).
pub fn assert_valid(validator: &jsonschema::Validator, name: &str, body: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|error| error.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{body} does not match {name}: {errors:?}"
    );
}

/// Panics unless `body` is valid under the document's component `name`.
pub fn assert_matches_component(document: &Value, name: &str, body: &Value) {
    assert_valid(&component_validator(document, name), name, body);
}
