//! Real `frontline serve` processes sharing one change log stay in sync, on one SQLite file (by
//! polling) and on PostgreSQL (by LISTEN/NOTIFY and polling): a write on one shows on the other
//! (the lag is reported), writes on both at once are each stored and applied exactly once on
//! both, and a write to the same entry on both is either stored or refused with 409, never lost
//! or doubled. `/readyz?min_change=N` answers 503 until a server has reached change N.
//!
//! On PostgreSQL also: with polling off a write still arrives through NOTIFY within 5 s; with
//! the database stopped reads go on and writes answer 503, then resume when it is back; and a
//! replica killed with SIGKILL catches up when started again.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(clippy::print_stderr, reason = "the test reports the replication lag")]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::postgres::PgCluster;
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

/// Posts a control entry of the Ghab plain to the server on `port`: the status line and body.
fn try_write(port: u16, from: &str, note: &str) -> (String, String) {
    post_to(
        port,
        "/api/regions/ghab-plain/control",
        TOKEN,
        &entry(from, note),
    )
    .unwrap()
}

/// Writes a control entry of the Ghab plain on the server on `port`: the change id when it was
/// stored (201), `None` when it was refused as a conflict (409); anything else fails.
fn write(port: u16, from: &str, note: &str) -> Option<i64> {
    let (status, body) = try_write(port, from, note);
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

/// A server editing the change log `db` (a SQLite file or a PostgreSQL URL), polling it every
/// `poll` seconds (`0`: never).
fn replica(db: &Path, poll: &str) -> Server {
    Server::start_editing(
        db,
        &[
            ("FRONTLINE_TOKEN", TOKEN),
            ("FRONTLINE_POLL_INTERVAL", poll),
        ],
    )
}

/// Every acknowledged write `(id, from, note)` is in the log exactly once (and nothing else),
/// every one of `servers` has applied it, and all serve the same entries, each entry as the
/// last write to it left it.
fn all_present(servers: &[&Server], acknowledged: &[(i64, String, String)]) {
    let mut expected: Vec<i64> = acknowledged.iter().map(|(id, ..)| *id).collect();
    expected.sort_unstable();
    let last = *expected.last().unwrap();
    let mut latest = BTreeMap::new();
    let mut sorted: Vec<_> = acknowledged.iter().collect();
    sorted.sort_by_key(|(id, ..)| *id);
    for (_, from, note) in sorted {
        latest.insert(format!("ghab-plain@{from}"), note.clone());
    }
    let mut served = Vec::new();
    for server in servers {
        reached(server, last);
        let log = server.get_json("/api/changes?since=0&limit=10000");
        let ids = common::change_ids(&log);
        assert_eq!(ids, expected, "the log on port {}", server.port);
        assert_eq!(server.get_json("/healthz")["change_id"], last);
        let entries = ghab_entries(server);
        for (statement, note) in &latest {
            assert_eq!(
                entries.get(statement),
                Some(note),
                "{statement} on port {}",
                server.port
            );
        }
        served.push((entries, server.get_json("/healthz")["data_version"].clone()));
    }
    assert!(
        served.windows(2).all(|w| w[0] == w[1]),
        "every server serves the same entries at the same data version"
    );
}

/// What two servers on one change log must do, whatever the store: a write on one reaches the
/// other (and its change stream), `/readyz` says how far each is, and writes on both at once
/// are each applied exactly once on both. The acknowledged writes.
fn stay_in_sync(a: &Server, b: &Server) -> Vec<(i64, String, String)> {
    let mut stream = open_stream(b);

    // One write on A shows on B, and on B's change stream.
    let first = write(a.port, "2030-01-01", "First.").unwrap();
    let lag = reached(b, first);
    let event = read_until(&mut stream, &format!("\"id\":{first},"));
    assert!(event.contains("event: change"), "{event}");
    let back = write(b.port, "2030-01-02", "Back.").unwrap();
    let lags = [lag, reached(a, back)];
    eprintln!("a write on one server was applied on the other after {lags:?}");
    assert_eq!(ghab_entries(b)["ghab-plain@2030-01-01"], "First.");

    // Readiness: plain, reached, and not yet reached (with the change reached named).
    assert_eq!(b.get_json("/readyz")["status"], "ready");
    assert_eq!(
        b.get_json(&format!("/readyz?min_change={back}"))["change_id"],
        back
    );
    let (status, body) = b.get(&format!("/readyz?min_change={}", back + 1000));
    assert!(status.contains(" 503 "), "{status}\n{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("has reached change {back}")),
        "{detail}"
    );
    let (status, _) = b.get("/readyz?min_change=soon");
    assert!(status.contains(" 400 "), "{status}");

    // Writes on both at once: each its own entries, and all of them the same one.
    let started = Instant::now();
    let mut acknowledged = write_on_both_at_once([a.port, b.port]);
    eprintln!(
        "{} writes acknowledged in {:?} on both servers at once",
        acknowledged.len(),
        started.elapsed()
    );
    acknowledged.push((first, "2030-01-01".into(), "First.".into()));
    acknowledged.push((back, "2030-01-02".into(), "Back.".into()));
    all_present(&[a, b], &acknowledged);
    acknowledged
}

#[test]
fn two_servers_on_one_sqlite_file_apply_every_write_exactly_once_and_say_how_far_they_are() {
    let db = scratch_db("replicas");
    let a = replica(&db, POLL);
    let b = replica(&db, POLL);
    stay_in_sync(&a, &b);
    drop((a, b));
    remove_db(&db);
}

/// Longest a write may take to arrive through LISTEN/NOTIFY alone.
const NOTIFY_PATIENCE: Duration = Duration::from_secs(5);

#[test]
fn replicas_on_postgresql_stay_in_sync_through_a_database_restart_and_a_replica_crash() {
    let Some(mut cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.create_database("frontline");
    let url = Path::new(&url);
    // The first replica seeds the empty database from the geodata files; the second loads the
    // data set from the database.
    let a = replica(url, POLL);
    let mut b = replica(url, POLL);
    let mut acknowledged = stay_in_sync(&a, &b);

    // Polling off: LISTEN/NOTIFY alone carries the write.
    let c = replica(url, "0");
    let id = write(a.port, "2034-04-04", "Through NOTIFY.").unwrap();
    acknowledged.push((id, "2034-04-04".into(), "Through NOTIFY.".into()));
    let start = Instant::now();
    while c.get_json("/healthz")["change_id"].as_i64().unwrap() < id {
        assert!(
            start.elapsed() < NOTIFY_PATIENCE,
            "change {id} did not arrive through NOTIFY within {NOTIFY_PATIENCE:?}:\n{}",
            c.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "with polling off, a write arrived through NOTIFY after {:?}",
        start.elapsed()
    );
    drop(c);

    // The database goes down: reads go on, writes fail cleanly with 503.
    cluster.stop();
    for server in [&a, &b] {
        let (status, body) = server.get("/api/collections/regions/items/ghab-plain");
        assert!(
            status.contains(" 200 "),
            "a read with the database down: {status}\n{body}"
        );
    }
    let (status, body) = try_write(a.port, "2035-05-05", "While down.");
    assert!(
        status.contains(" 503 "),
        "a write with the database down: {status}\n{body}"
    );
    // It comes back: writes resume on both, and both catch up.
    cluster.start_again();
    for (i, server) in [&a, &b].into_iter().enumerate() {
        let from = format!("2035-05-{:02}", 10 + i);
        let note = format!("After the restart, on replica {i}.");
        let start = Instant::now();
        let id = loop {
            let (status, body) = try_write(server.port, &from, &note);
            if status.contains(" 201 ") {
                let change: Value = serde_json::from_str(&body).unwrap();
                break change["id"].as_i64().unwrap();
            }
            assert!(status.contains(" 503 "), "{status}\n{body}");
            assert!(
                start.elapsed() < PATIENCE,
                "writes did not resume within {PATIENCE:?}: {body}\n{}",
                server.stderr()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        eprintln!(
            "writes resumed on replica {i} {:?} after the restart",
            start.elapsed()
        );
        acknowledged.push((id, from, note));
    }
    all_present(&[&a, &b], &acknowledged);

    // A replica crashes; writes go on elsewhere; started again, it catches up.
    b.kill_hard();
    for day in 1..=5 {
        let from = format!("2036-06-{day:02}");
        let note = format!("While replica 1 is down, {day}.");
        acknowledged.push((write(a.port, &from, &note).unwrap(), from, note));
    }
    let b = replica(url, POLL);
    all_present(&[&a, &b], &acknowledged);
}
