//! Shutdown through the real binary, as a service manager does it: SIGTERM while map tabs hold
//! change streams open and a large batch is being answered. Nothing in the test helps the
//! server stop: it must end the streams itself, finish the batch, keep every acknowledged edit
//! and exit 0 within the deadline.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::server::{Server, remove_db, scratch_db};

const TOKEN: &str = "shutdown-t0ken";
/// How long the server may take to exit after SIGTERM before the test calls it a hang.
const DEADLINE: Duration = Duration::from_secs(10);
/// Points in the batch in flight when the signal arrives.
const BATCH_POINTS: usize = 100_000;

/// Opens `GET /api/changes/stream` and reads its response head; the socket stays open.
fn open_stream(port: u16) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(
        socket,
        "GET /api/changes/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(socket.read(&mut byte).unwrap(), 1, "the stream's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    socket
}

/// `BATCH_POINTS` points on a grid over the Ghab and its surroundings, as a batch body.
fn batch_body() -> String {
    let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..BATCH_POINTS {
        let (x, y) = (i % 400, i / 400);
        let lon = 36.0 + x as f64 * 0.002;
        let lat = 35.3 + y as f64 * 0.002;
        if i > 0 {
            body.push(',');
        }
        write!(
            body,
            r#"{{"type":"Feature","id":{i},"geometry":{{"type":"Point","coordinates":[{lon:.4},{lat:.4}]}}}}"#
        )
        .unwrap();
    }
    body.push_str("]}");
    body
}

#[test]
fn sigterm_with_streams_open_and_a_batch_in_flight_exits_cleanly_and_keeps_every_edit() {
    let db = scratch_db("shutdown");
    let mut server = Server::start_editing(&db, &[("FRONTLINE_TOKEN", TOKEN)]);
    let port = server.port;
    let entry = r#"{"from": "1999-01-01", "status": "held", "factions": ["government"],
        "note": "Shutdown test.", "sources": [{"title": "T", "url": "https://example.org", "published": "1999-01-02"}]}"#;
    let (status, body) = server
        .post("/api/regions/ghab-plain/control", TOKEN, entry)
        .unwrap();
    assert!(status.contains(" 201 "), "{status} {body}");
    let acknowledged: serde_json::Value = serde_json::from_str(&body).unwrap();
    let acknowledged = acknowledged["id"].as_i64().unwrap();

    let streams = [open_stream(port), open_stream(port)];

    // The batch: once its body is written, the server has read it and is answering.
    let (sent, body_sent) = mpsc::channel();
    let batch = std::thread::spawn(move || {
        let body = batch_body();
        let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            socket,
            "POST /api/query HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        socket.write_all(body.as_bytes()).unwrap();
        sent.send(()).unwrap();
        let mut response = Vec::new();
        socket.read_to_end(&mut response).unwrap();
        response
    });
    body_sent.recv_timeout(Duration::from_secs(60)).unwrap();

    let signalled = Instant::now();
    server.signal_term();
    let exit = server.wait_up_to(DEADLINE).unwrap_or_else(|| {
        panic!(
            "frontline was still running {DEADLINE:?} after SIGTERM; stderr:\n{}",
            server.stderr()
        )
    });
    let took = signalled.elapsed();
    assert!(
        exit.success(),
        "exit {exit:?}; stderr:\n{}",
        server.stderr()
    );
    eprintln!("exited {took:?} after SIGTERM");

    let response = batch.join().unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..text.len().min(300)]
    );
    let (_, json) = text.split_once("\r\n\r\n").unwrap();
    let answer: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        answer["results"].as_array().map(Vec::len),
        Some(BATCH_POINTS),
        "the batch in flight is answered whole"
    );

    for mut stream in streams {
        let mut rest = Vec::new();
        stream
            .read_to_end(&mut rest)
            .expect("each stream ends (EOF) instead of timing out");
    }

    // The edit acknowledged before the signal is in the log after a restart.
    let restarted = Server::start_editing(&db, &[("FRONTLINE_TOKEN", TOKEN)]);
    let log = restarted.get_json("/api/changes");
    let ids = common::change_ids(&log);
    assert_eq!(ids, [acknowledged]);
    drop(restarted);
    remove_db(&db);
}

/// Sends the head and the first half of an edit's body; the rest is up to the caller.
fn start_edit(port: u16, body: &str) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        socket,
        "POST /api/regions/ghab-plain/control HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    )
    .unwrap();
    socket
}

const ENTRY: &str = r#"{"from": "1998-01-01", "status": "held", "factions": ["government"],
    "note": "Arrived during shutdown.", "sources": [{"title": "T", "url": "https://example.org", "published": "1998-01-02"}]}"#;

#[test]
fn sigterm_while_an_edit_is_arriving_finishes_and_keeps_it() {
    let db = scratch_db("shutdown-write");
    let mut server = Server::start_editing(&db, &[("FRONTLINE_TOKEN", TOKEN)]);
    let mut socket = start_edit(server.port, ENTRY);
    std::thread::sleep(Duration::from_millis(300));
    server.signal_term();
    // The server is draining: it takes no new connection, but reads the rest of this body.
    std::thread::sleep(Duration::from_millis(500));
    socket
        .write_all(&ENTRY.as_bytes()[ENTRY.len() / 2..])
        .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.0 201"), "{response}");
    let (_, json) = response.split_once("\r\n\r\n").unwrap();
    let acknowledged = serde_json::from_str::<serde_json::Value>(json).unwrap()["id"]
        .as_i64()
        .unwrap();
    let exit = server.wait_up_to(DEADLINE).expect("exits after the edit");
    assert!(
        exit.success(),
        "exit {exit:?}; stderr:\n{}",
        server.stderr()
    );

    let restarted = Server::start_editing(&db, &[("FRONTLINE_TOKEN", TOKEN)]);
    let log = restarted.get_json("/api/changes");
    assert_eq!(log["changes"][0]["id"], acknowledged, "{log}");
    assert_eq!(log["changes"].as_array().map(Vec::len), Some(1), "{log}");
    drop(restarted);
    remove_db(&db);
}

#[test]
fn a_request_that_never_finishes_holds_shutdown_only_for_the_shutdown_timeout() {
    let db = scratch_db("shutdown-timeout");
    let mut server = Server::start_editing(
        &db,
        &[
            ("FRONTLINE_TOKEN", TOKEN),
            ("FRONTLINE_BODY_TIMEOUT", "60"),
            ("FRONTLINE_SHUTDOWN_TIMEOUT", "1"),
        ],
    );
    let _stalled = start_edit(server.port, ENTRY);
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    server.signal_term();
    let exit = server.wait_up_to(DEADLINE).unwrap_or_else(|| {
        panic!(
            "still running {DEADLINE:?} after SIGTERM:\n{}",
            server.stderr()
        )
    });
    let took = signalled.elapsed();
    assert!(
        exit.success(),
        "exit {exit:?}; stderr:\n{}",
        server.stderr()
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
    assert!(
        server.stderr().contains("(--shutdown-timeout)"),
        "{}",
        server.stderr()
    );
    remove_db(&db);
}
