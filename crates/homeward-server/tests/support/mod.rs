//! Shared by the integration tests: the databases to run on, and real
//! network peers for the notification tests (an SMTP server that keeps what
//! it receives, an HTTP webhook receiver that checks signatures).
//! Each test binary uses part of it.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The databases every test runs on: a SQLite file at `sqlite_file`, and a
/// fresh database on the PostgreSQL server `HOMEWARD_TEST_PG_URL` names, if any.
pub async fn databases(sqlite_file: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", sqlite_file.display())];
    if let Ok(admin) = std::env::var("HOMEWARD_TEST_PG_URL") {
        let name = format!("hw_{}", uuid::Uuid::now_v7().simple());
        let db = homeward_store::Db::connect(&admin).await.expect("connect to the test PostgreSQL");
        if let homeward_store::Db::Pg(pool) = &db {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pool).await.unwrap();
        }
        db.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        urls.push(format!("{base}/{name}"));
    }
    urls
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// A minimal SMTP server (RFC 5321 commands a client needs: EHLO/HELO, MAIL,
/// RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT).
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts listening on a free loopback port; returns the sink and its `smtp://` URL.
    pub async fn start() -> (SmtpSink, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink::default();
        let received = sink.received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { break };
                let received = received.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                    let (mut from, mut to) = (String::new(), Vec::new());
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink.test\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                            b"250 ok\r\n"
                        } else if upper.starts_with("RSET") {
                            from.clear();
                            to.clear();
                            b"250 ok\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_string();
                            b"250 ok\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string());
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 end with .\r\n").await;
                            let mut data = Vec::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if l == ".\r\n" || l == ".\n" {
                                    break;
                                }
                                let l = l.strip_prefix('.').unwrap_or(&l);
                                data.extend_from_slice(l.as_bytes());
                            }
                            received.lock().unwrap().push(Received { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data });
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (sink, format!("smtp://127.0.0.1:{port}"))
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// One webhook POST as received, with whether its signature checked out.
#[derive(Debug, Clone)]
pub struct Hook {
    pub idempotency_key: String,
    pub timestamp: i64,
    pub signature_ok: bool,
    pub body: serde_json::Value,
}

/// An HTTP server that records every POST, checks the HMAC-SHA256 signature
/// with `secret`, and answers 500 to the first `fail_first` requests.
#[derive(Clone)]
pub struct WebhookReceiver {
    pub hooks: Arc<Mutex<Vec<Hook>>>,
}

impl WebhookReceiver {
    pub async fn start(secret: &'static str, fail_first: usize) -> (WebhookReceiver, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let hooks: Arc<Mutex<Vec<Hook>>> = Arc::default();
        let seen = hooks.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    let timestamp: i64 = h("x-homeward-timestamp").parse().unwrap_or(0);
                    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
                    mac.update(format!("{timestamp}.").as_bytes());
                    mac.update(&body);
                    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
                    let hook = Hook {
                        idempotency_key: h("idempotency-key"),
                        timestamp,
                        signature_ok: h("x-homeward-signature") == format!("v1={expected}"),
                        body: serde_json::from_slice(&body).unwrap_or_default(),
                    };
                    let mut all = seen.lock().unwrap();
                    all.push(hook);
                    if all.len() <= fail_first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (WebhookReceiver { hooks }, url)
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.hooks.lock().unwrap().clone()
    }
}

/// Creates an agency (if new) and a user in it, and returns a read-write API
/// token for the user: how tests and tools call the API as someone.
pub async fn account(store: &homeward_store::Store, agency: &str, kind: &str, authorities: &[&str], username: &str, role: &str) -> String {
    let now = 1_767_225_600; // 2026-01-01
    if store.agency(agency).await.unwrap().is_none() {
        let new = homeward_store::NewAgency {
            id: agency.to_string(),
            name: format!("{agency} (test)"),
            kind: kind.to_string(),
            authorities: authorities.iter().map(|a| a.to_string()).collect(),
        };
        store.create_agency(&new, now).await.unwrap();
    }
    let user = homeward_store::NewUser {
        username: username.to_string(),
        display_name: username.to_string(),
        email: None,
        agency_id: agency.to_string(),
        role: role.to_string(),
        team: None,
        password_hash: None,
    };
    let user = match store.identity_by_username(username).await.unwrap() {
        Some(existing) => existing.user,
        None => store.create_user(&user, now).await.unwrap(),
    };
    let token = format!("{}{}", homeward_server::auth::TOKEN_PREFIX, homeward_server::auth::random_token());
    store.create_token(&homeward_server::auth::token_hash(&token), &user.id, "tests", &["read".into(), "write".into()], now, None).await.unwrap();
    token
}

/// Every authority the tests use.
pub const ALL_AUTHORITIES: &[&str] =
    &["bath-and-north-east-somerset", "blackburn-with-darwen", "blackpool", "lancashire", "newham", "derby", "derbyshire", "bolton", "testshire", "york"];

/// Fresh databases for one test: a SQLite file under a new temporary folder
/// named after `name`, and PostgreSQL when the test command provides it.
pub async fn fresh_databases(name: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("homeward-{name}-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    databases(&dir.join("test.sqlite3")).await
}

/// The service on `url` (migrated), with the built-in protocols and policy.
pub async fn app_state(url: &str, clock: Arc<homeward_server::ManualClock>, instance: &str) -> homeward_server::AppState {
    let db = homeward_store::Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let registry = Arc::new(homeward_core::Registry::builtin().expect("built-in protocols"));
    homeward_server::AppState::new(homeward_store::Store::new(db, registry), clock, instance).unwrap()
}

/// Sends one request through the whole application (routes, access,
/// audit); returns the status and the body as JSON, or as a JSON string
/// when it is not JSON.
pub async fn request(
    state: &homeward_server::AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(axum::body::Body::from(b.to_string())).unwrap(),
        None => req.body(axum::body::Body::empty()).unwrap(),
    };
    let res = homeward_server::app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024).await.unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).to_string()));
    (status, value)
}
