//! Two real `frontline serve` processes sharing one SQLite database file stay in sync by
//! polling it: a write on one shows on the other within about the polling interval (the lag is
//! reported), writes on both at once are each stored and applied exactly once on both, and a
//! write to the same entry on both is either stored or refused with 409, never lost or doubled.
//! `/readyz?min_change=N` answers 503 until a server has reached change N.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(clippy::print_stderr, reason = "the test reports the replication lag")]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::server::{Server, post_to, remove_db, scratch_db};
use serde_json::{Value, json};

const TOKEN: &str = "t0ken";
/// How often each server polls the database, in seconds.
const POLL: &str = "0.5";
/// Longest a write may take to show on the other server before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn entry(from: &str, note: &str) -> String {
    json!({"from": from, "precision": "day", "status": "held", "factions": ["government"],
        "note": note,
        "sources": [{"title": "A report", "url": "https://example.org/r", "published": from}]})
    .to_string()
}

/// Writes a control entry of the Ghab plain on the server on `port`: the change id when it was
/// stored (201), `None` when it was refused as a conflict (409); anything else fails.
fn write(port: u16, from: &str, note: &str) -> Option<i64> {
    let (status, body) = post_to(
        port,
        "/api/regions/ghab-plain/control",
        TOKEN,
        &entry(from, note),
    )
    .unwrap();
    if status.contains(" 409 ") {
        return None;
    }
    assert!(
        status.contains(" 201 "),
        "{from} on {port}: {status}\n{body}"
    );
    let change: Value = serde_json::from_str(&body).unwrap();
    Some(change["id"].as_i64().unwrap())
}

/// Entries each server writes while the other writes too.
const EACH: usize = 12;

/// Writes on the servers on `ports` at once: each [`EACH`] entries only it writes, each
/// followed by a write of one entry both write (stored, or refused with 409 because the other
/// server wrote it since this one read it). Every acknowledged write as (id, from, note).
fn write_on_both_at_once(ports: [u16; 2]) -> Vec<(i64, String, String)> {
    std::thread::scope(|scope| {
        let writers: Vec<_> = ports
            .iter()
            .enumerate()
            .map(|(s, &port)| {
                scope.spawn(move || {
                    let mut acked = Vec::new();
                    for day in 1..=EACH {
                        let own = format!("{}-02-{day:02}", 2031 + s);
                        let note = format!("server {s}, write {day}.");
                        let Some(id) = write(port, &own, &note) else {
                            panic!("{own} is written by server {s} only, yet refused");
                        };
                        acked.push((id, own, note.clone()));
                        let shared = format!("shared: {note}");
                        if let Some(id) = write(port, "2033-03-03", &shared) {
                            acked.push((id, "2033-03-03".into(), shared));
                        }
                    }
                    acked
                })
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// Waits until `server` has reached change `id`, by its `/readyz?min_change=`; how long it took.
fn reached(server: &Server, id: i64) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = server.get(&format!("/readyz?min_change={id}"));
        if status.contains(" 200 ") {
            return start.elapsed();
        }
        assert!(status.contains(" 503 "), "{status}\n{body}");
        assert!(
            start.elapsed() < PATIENCE,
            "change {id} not reached on port {} within {PATIENCE:?}: {body}\nstderr:\n{}",
            server.port,
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Opens `/api/changes/stream` on `server` and reads its head: every change the server applies
/// from now on comes on it.
fn open_stream(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET /api/changes/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let head = read_until(&mut stream, "\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    stream
}

/// Reads `stream` until `needle` arrives (failing after [`PATIENCE`]); the text read.
fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.contains(needle) {
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("waiting for {needle:?} after {text:?}: {e}"));
        assert!(n > 0, "the stream ended before {needle:?}: {text:?}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text
}

/// The Ghab plain's history entries a server serves, as statement id → note, failing on a
/// statement listed twice.
fn ghab_entries(server: &Server) -> BTreeMap<String, String> {
    let timeline = server.get_json("/api/timeline");
    let mut entries = BTreeMap::new();
    for change in timeline["changes"].as_array().unwrap() {
        let id = change["statement"]["id"].as_str().unwrap().to_owned();
        if id.starts_with("ghab-plain@") {
            let note = change["control"]["note"].as_str().unwrap_or("").to_owned();
            assert!(
                entries.insert(id.clone(), note).is_none(),
                "{id} listed twice on port {}",
                server.port
            );
        }
    }
    entries
}

#[test]
fn two_servers_on_one_database_apply_every_write_exactly_once_and_say_how_far_they_are() {
    let db = scratch_db("replicas");
    let env = [
        ("FRONTLINE_TOKEN", TOKEN),
        ("FRONTLINE_POLL_INTERVAL", POLL),
    ];
    let a = Server::start_editing(&db, &env);
    let b = Server::start_editing(&db, &env);
    let mut stream = open_stream(&b);

    // One write on A shows on B within about the polling interval, and on B's change stream.
    let first = write(a.port, "2030-01-01", "First.").unwrap();
    let lag = reached(&b, first);
    let event = read_until(&mut stream, &format!("\"id\":{first},"));
    assert!(event.contains("event: change"), "{event}");
    eprintln!(
        "a write on one server was applied on the other after {lag:?} (polling every {POLL} s)"
    );
    assert_eq!(b.get_json("/healthz")["change_id"], first);
    assert_eq!(ghab_entries(&b)["ghab-plain@2030-01-01"], "First.");

    // Readiness: plain, reached, and not yet reached (with the change reached named).
    assert_eq!(b.get_json("/readyz")["status"], "ready");
    assert_eq!(
        b.get_json(&format!("/readyz?min_change={first}"))["change_id"],
        first
    );
    let (status, body) = b.get(&format!("/readyz?min_change={}", first + 1000));
    assert!(status.contains(" 503 "), "{status}\n{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("has reached change {first}")),
        "{detail}"
    );
    let (status, _) = b.get("/readyz?min_change=soon");
    assert!(status.contains(" 400 "), "{status}");

    // Writes on both at once: each its own entries, and all of them the same one.
    let started = Instant::now();
    let acknowledged = write_on_both_at_once([a.port, b.port]);
    let writing = started.elapsed();
    let last = acknowledged.iter().map(|(id, ..)| *id).max().unwrap();
    let lags = [reached(&a, last), reached(&b, last)];
    eprintln!(
        "{} writes acknowledged in {writing:?} on both servers at once; the last, change {last}, \
         reached on each after {lags:?}",
        acknowledged.len()
    );

    // The log holds exactly the acknowledged writes, once each.
    let mut expected: Vec<i64> = acknowledged.iter().map(|(id, ..)| *id).collect();
    expected.push(first);
    expected.sort_unstable();
    for server in [&a, &b] {
        let log = server.get_json("/api/changes?since=0&limit=10000");
        let ids: Vec<i64> = log["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, expected, "the log on port {}", server.port);
        assert_eq!(server.get_json("/healthz")["change_id"], last);
    }

    // Both serve every acknowledged entry, once; the shared entry as its last write left it.
    let latest: BTreeMap<&str, &str> = {
        let mut sorted: Vec<_> = acknowledged.iter().collect();
        sorted.sort_by_key(|(id, ..)| *id);
        sorted
            .into_iter()
            .map(|(_, from, note)| (from.as_str(), note.as_str()))
            .collect()
    };
    let served = [ghab_entries(&a), ghab_entries(&b)];
    assert_eq!(served[0], served[1], "both servers serve the same entries");
    for (from, note) in latest {
        assert_eq!(
            served[0]
                .get(&format!("ghab-plain@{from}"))
                .map(String::as_str),
            Some(note),
            "entry {from}"
        );
    }
    assert_eq!(
        a.get_json("/healthz")["data_version"],
        b.get_json("/healthz")["data_version"]
    );
    drop((a, b));
    remove_db(&db);
}
