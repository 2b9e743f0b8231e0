//! `homeward serve` on an embedded database: its files are the service
//! account's only (security finding 11), and every request writes a log line
//! at the default level (finding 12).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[test]
fn serve_keeps_its_files_private_and_logs_every_request() {
    let root = std::env::temp_dir().join(format!("homeward-serve-hardening-{}", uuid::Uuid::now_v7()));
    let data = root.join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::create_dir_all(&root).unwrap();
    let log = root.join("serve.log");
    let mut process = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(["serve", "--data-dir"])
        .arg(&data)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--metrics-listen", &format!("127.0.0.1:{metrics_port}"), "--no-worker"])
        .env_remove("HOMEWARD_LOG")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .expect("start homeward serve");
    let get = |port: u16, path: &str| -> Option<u16> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
        let mut reply = String::new();
        s.read_to_string(&mut reply).ok()?;
        reply.split_whitespace().nth(1)?.parse().ok()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(port, "/readyz") != Some(200) {
        assert!(Instant::now() < deadline, "serve did not become ready: {}", std::fs::read_to_string(&log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(port, "/api/v1/missing"), Some(401));
    assert_eq!(get(port, "/metrics"), Some(401), "metrics need a login on the service's address");
    assert_eq!(get(metrics_port, "/metrics"), Some(200), "and none on the separate metrics address");
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700, "the data folder");
        assert_eq!(mode(&data.join("homeward.sqlite3")), 0o600, "the database");
        for journal in ["homeward.sqlite3-wal", "homeward.sqlite3-shm"] {
            let path = data.join(journal);
            if path.exists() {
                assert_eq!(mode(&path), 0o600, "{journal}");
            }
        }
        assert_eq!(mode(&data.join("outbox")), 0o700, "the email outbox");
    }
    let _ = Command::new("kill").args(["-TERM", &process.id().to_string()]).status();
    let _ = process.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let request_lines: Vec<&str> = text.lines().filter(|l| l.contains("\"homeward::request\"")).collect();
    assert!(
        request_lines.iter().any(|l| l.contains("\"/api/v1/missing\"") && l.contains("\"status\":401")),
        "one line per request at the default level:\n{text}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
