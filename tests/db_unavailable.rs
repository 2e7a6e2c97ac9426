//! The edits database becoming unavailable under the real server: another process (python3's
//! sqlite3 module) takes the database's write lock and holds it. Reads go on, writes are
//! refused with 503 and `Retry-After` instead of hanging or failing with 500, `/healthz` says
//! so, and once the lock is released writes work again and `/healthz` recovers.
//!
//! Needs `python3` with its `sqlite3` module: skipped without it, failing when `CI` is set.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::raw::Reply;
use common::server::{Server, remove_db, scratch_db};
use serde_json::Value;

const TOKEN: &str = "unavailable-t0ken";

/// Holds `BEGIN EXCLUSIVE` on the database until its stdin closes; `None` without python3.
#[allow(
    clippy::print_stderr,
    reason = "tell a developer why the test did nothing"
)]
fn lock_database(db: &std::path::Path) -> Option<Child> {
    let script = "import sqlite3, sys\n\
                  c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n\
                  c.execute('BEGIN EXCLUSIVE')\n\
                  print('locked', flush=True)\n\
                  sys.stdin.read()\n\
                  c.execute('ROLLBACK')\n";
    let spawned = Command::new("python3")
        .args(["-c", script])
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 is needed in CI: {e}"
            );
            eprintln!("skipped: python3 is not available ({e})");
            return None;
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.trim() != "locked" {
        let status = child.wait().unwrap();
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 could not lock the database ({status})"
        );
        eprintln!("skipped: python3 could not lock the database ({status})");
        return None;
    }
    Some(child)
}

fn request(port: u16, method: &str, path: &str, body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    Reply::parse(&raw, &format!("{method} {path}"))
}

fn entry(from: &str) -> String {
    format!(
        r#"{{"from": "{from}", "status": "held", "factions": ["government"], "note": "Lock test.",
        "sources": [{{"title": "T", "url": "https://example.org", "published": "{from}"}}]}}"#
    )
}

const WRITE: &str = "/api/regions/ghab-plain/control";

/// Polls `/healthz` for up to 20 s until its `database` is `want`.
fn wait_for_database(server: &Server, want: &str) -> Value {
    let start = Instant::now();
    loop {
        let health = server.get_json("/healthz");
        if health["database"] == want {
            return health;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "/healthz still says {health} after 20 s; stderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_locked_database_refuses_writes_with_503_serves_reads_and_recovers() {
    let db = scratch_db("unavailable");
    let server = Server::start_editing(&db, &[("FRONTLINE_TOKEN", TOKEN)]);
    let port = server.port;
    let health = server.get_json("/healthz");
    assert_eq!(
        (&health["database"], &health["change_id"]),
        (&Value::from("ok"), &Value::from(0)),
        "{health}"
    );
    assert!(health.get("database_error").is_none(), "{health}");
    let first = request(port, "POST", WRITE, &entry("1999-01-01"));
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(server.get_json("/healthz")["change_id"], 1);

    let Some(mut lock) = lock_database(&db) else {
        return;
    };

    // Writes: 503 with Retry-After, a problem that names no path, after at most the busy
    // timeout; the next one at once.
    let started = Instant::now();
    let refused = request(port, "POST", WRITE, &entry("1999-02-01"));
    let waited = started.elapsed();
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), "2");
    assert_eq!(refused.header("content-type"), "application/problem+json");
    let problem: Value = serde_json::from_str(&refused.body).unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("the edits database is unavailable")
            && detail.contains("locked by another process"),
        "{detail}"
    );
    let db_name = db.file_name().unwrap().to_str().unwrap();
    assert!(!refused.body.contains(db_name), "{}", refused.body);
    assert!(waited < Duration::from_secs(15), "took {waited:?}");
    let started = Instant::now();
    let again = request(port, "POST", WRITE, &entry("1999-03-01"));
    assert_eq!(again.status, 503, "{}", again.body);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // Reads go on.
    for path in [
        "/api/collections/regions/items?limit=5",
        "/api/query?lon=36.35&lat=35.6&at=2015-08-20",
        "/healthz",
        "/api/changes",
    ] {
        let reply = request(port, "GET", path, "");
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    }
    let batch = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[36.35,35.6]}}]}"#;
    let reply = request(port, "POST", "/api/query", batch);
    assert_eq!(reply.status, 200, "{}", reply.body);

    let health = wait_for_database(&server, "unavailable");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["change_id"], 1);
    assert_eq!(
        health["database_error"]["reason"], "the database is locked by another process",
        "{health}"
    );

    // Released: the probe notices, and writes work again.
    drop(lock.stdin.take());
    assert!(lock.wait().unwrap().success());
    let health = wait_for_database(&server, "ok");
    assert!(health["database_error"]["time"].is_string(), "{health}");
    let after = request(port, "POST", WRITE, &entry("1999-04-01"));
    assert_eq!(after.status, 201, "{}", after.body);
    assert_eq!(server.get_json("/healthz")["change_id"], 2);
    drop(server);
    remove_db(&db);
}
