//! The server's limits and hardening, against the real binary over raw TCP: bodies declared
//! too large (413 before they are read), clients too slow sending a body (408) or a request's
//! head (disconnected), requests past the timeout or over the concurrency limits (503 with
//! `Retry-After`), answers given before a body is read (`Connection: close`), unreadable paths
//! (a 400 problem) and the security headers on every answer.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::raw::Reply;
use common::server::{Server, scratch_db};
use serde_json::Value;

/// How long a test waits for an answer the server should give at once or after a short limit.
const PATIENCE: Duration = Duration::from_secs(20);

fn serve(env: &[(&str, &str)]) -> Server {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    Server::start_editing_on(&data, &scratch_db("limits"), env)
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads an answer until the server closes the connection (every request here says
/// `Connection: close`).
fn read_reply(mut stream: TcpStream) -> Reply {
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        assert!(
            !raw.is_empty(),
            "no answer within {PATIENCE:?}: {e} (the server waited for the client)"
        );
    }
    Reply::parse(&raw, "the answer")
}

/// The problem's `detail` of `reply`, checking that its body is a problem with its status.
fn problem(reply: &Reply) -> String {
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let problem: Value = serde_json::from_str(reply.body.trim()).unwrap();
    assert_eq!(problem["status"], reply.status, "{problem}");
    problem["detail"].as_str().unwrap().to_owned()
}

fn head(method: &str, path: &str, headers: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n")
}

/// With `--max-in-flight 1`: starts a batch whose body is still coming, so that it holds the
/// only place, and returns it once a `GET` (with `Connection: close`) is refused with 503,
/// which shows it does. Until the server has taken up the batch's head, the `GET` is served;
/// and a request from before may still hold the place for a moment, so the batch itself is
/// refused: it is started again. Waiting here, rather than probing with the request under test,
/// keeps that request from being admitted by the race and then waiting on a keep-alive
/// connection for the server's idle timeout.
fn hold_the_only_place(server: &Server) -> TcpStream {
    let start = Instant::now();
    loop {
        let mut slow = connect(server);
        let headers = "Content-Type: application/geo+json\r\nContent-Length: 10000\r\n";
        slow.write_all(head("POST", "/api/query", headers).as_bytes())
            .unwrap();
        slow.write_all(b"{\"type\":").unwrap();
        loop {
            assert!(
                start.elapsed() < PATIENCE,
                "a batch whose body is still coming did not hold the only place"
            );
            let mut probe = connect(server);
            probe
                .write_all(head("GET", "/api/timeline", "").as_bytes())
                .unwrap();
            if read_reply(probe).status == 503 {
                return slow;
            }
            // Answered already: the batch was refused, not admitted.
            slow.set_nonblocking(true).unwrap();
            let refused = slow.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0);
            slow.set_nonblocking(false).unwrap();
            if refused {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_body_declared_too_large_is_refused_before_it_is_sent() {
    let server = serve(&[("FRONTLINE_BATCH_CSV_ROWS", "10")]);
    // 200 MB declared, nothing sent: the answer must not wait for the body.
    let cases = [
        ("application/geo+json", 200_000_000_u64, "33554432"),
        ("text/csv", 100_000, "2816"),
    ];
    for (content_type, declared, limit) in cases {
        let mut stream = connect(&server);
        let headers = format!("Content-Type: {content_type}\r\nContent-Length: {declared}\r\n");
        stream
            .write_all(head("POST", "/api/query", &headers).as_bytes())
            .unwrap();
        let reply = read_reply(stream);
        assert_eq!(reply.status, 413, "{content_type}: {}", reply.body);
        let detail = problem(&reply);
        assert!(
            detail.contains(&declared.to_string()) && detail.contains(limit),
            "{content_type}: {detail}"
        );
    }
}

#[test]
fn a_client_that_pauses_sending_its_body_gets_408() {
    let server = serve(&[("FRONTLINE_BODY_TIMEOUT", "0.5")]);
    let cases = [
        (
            "application/geo+json",
            "{\"type\":\"FeatureCollection\",".as_bytes(),
        ),
        ("text/csv", b"id,lon,lat\n1,36.3,35.6\n".as_slice()),
    ];
    for (content_type, start) in cases {
        let mut stream = connect(&server);
        let headers = format!("Content-Type: {content_type}\r\nContent-Length: 10000\r\n");
        stream
            .write_all(head("POST", "/api/query", &headers).as_bytes())
            .unwrap();
        stream.write_all(start).unwrap();
        let reply = read_reply(stream);
        assert_eq!(reply.status, 408, "{content_type}: {}", reply.body);
        assert!(problem(&reply).contains("--body-timeout"));
    }
}

#[test]
fn a_request_past_the_timeout_gets_503_with_retry_after() {
    let server = serve(&[
        ("FRONTLINE_REQUEST_TIMEOUT", "0.5"),
        ("FRONTLINE_BODY_TIMEOUT", "60"),
    ]);
    let mut stream = connect(&server);
    let headers = "Content-Type: application/geo+json\r\nContent-Length: 10000\r\n";
    stream
        .write_all(head("POST", "/api/query", headers).as_bytes())
        .unwrap();
    stream.write_all(b"{\"type\":").unwrap();
    let reply = read_reply(stream);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(problem(&reply).contains("--request-timeout"));
    assert_eq!(reply.header("retry-after"), "2");
}

#[test]
fn requests_over_the_concurrency_limit_get_503_and_the_rest_are_served() {
    let server = serve(&[
        ("FRONTLINE_MAX_IN_FLIGHT", "1"),
        ("FRONTLINE_MAX_STREAMS", "1"),
        ("FRONTLINE_BODY_TIMEOUT", "60"),
    ]);
    // A change stream does not count against the requests in flight, only against streams.
    let mut stream = connect(&server);
    stream
        .write_all(head("GET", "/api/changes/stream", "").as_bytes())
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let mut second = connect(&server);
    second
        .write_all(head("GET", "/api/changes/stream", "").as_bytes())
        .unwrap();
    let reply = read_reply(second);
    assert_eq!(reply.status, 503, "a second stream: {}", reply.body);
    assert!(problem(&reply).contains("--max-streams"));

    // One request in flight: a batch whose body is still coming.
    let mut slow = hold_the_only_place(&server);
    let mut other = connect(&server);
    other
        .write_all(head("GET", "/api/timeline", "").as_bytes())
        .unwrap();
    let reply = read_reply(other);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(problem(&reply).contains("--max-in-flight"));
    assert_eq!(reply.header("retry-after"), "2");

    let mut health = connect(&server);
    health
        .write_all(head("GET", "/healthz", "").as_bytes())
        .unwrap();
    assert_eq!(read_reply(health).status, 200, "/healthz is never refused");

    // The slow request ends (its body is invalid JSON): its place is free again.
    slow.write_all(&[b' '; 9992]).unwrap();
    assert_eq!(read_reply(slow).status, 400);
    let mut after = connect(&server);
    after
        .write_all(head("GET", "/api/timeline", "").as_bytes())
        .unwrap();
    assert_eq!(read_reply(after).status, 200);
    drop(stream);

    // Refusals are logged as warnings, not errors, and a piped log has no terminal colours.
    let logged = Instant::now();
    while !server.stderr().contains("request refused for now") && logged.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.stderr();
    assert!(log.contains("WARN"), "{log}");
    assert!(!log.contains("ERROR"), "a refusal is not an error: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a piped log: {log}"
    );
}

#[test]
fn an_answer_before_the_body_is_read_says_connection_close_and_closes() {
    let server = serve(&[
        ("FRONTLINE_MAX_IN_FLIGHT", "1"),
        ("FRONTLINE_BODY_TIMEOUT", "60"),
    ]);
    // Keep-alive requests (no `Connection: close`) whose bodies the server will not read: one
    // refused at the door (503, the only place is taken), one refused by its handler before
    // reading (415). Each answer must say the connection ends, and end it, rather than leave
    // the client to find it closed when it sends its next request.
    let keep_alive = |content_type: &str, body: &[u8]| {
        let mut stream = connect(&server);
        let head = format!(
            "POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        read_reply(stream)
    };
    // A small body and one larger than what the HTTP layer drains by itself.
    for size in [1_000, 300_000] {
        let body = vec![b' '; size];
        let reply = keep_alive("text/plain", &body);
        assert_eq!(reply.status, 415, "{}", reply.body);
        assert_eq!(reply.header("connection"), "close", "415 for {size} bytes");

        let mut slow = hold_the_only_place(&server);
        let reply = keep_alive("application/geo+json", &body);
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.header("connection"), "close", "503 for {size} bytes");
        assert_eq!(reply.header("retry-after"), "2");
        slow.write_all(&[b' '; 9992]).unwrap();
        assert_eq!(read_reply(slow).status, 400);
    }
    // A request whose body was read keeps its connection.
    let mut stream = connect(&server);
    let body = br#"{"type":"FeatureCollection","features":[]}"#;
    let head = format!(
        "POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = [0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(!text.contains("connection: close"), "{text}");
}

#[test]
fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let server = serve(&[("FRONTLINE_HEADER_TIMEOUT", "0.5")]);
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /api/timeline HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let read = stream.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "the connection should be closed, not left open: {read:?}"
    );
    let mut other = connect(&server);
    other
        .write_all(head("GET", "/healthz", "").as_bytes())
        .unwrap();
    assert_eq!(read_reply(other).status, 200);
}

#[test]
fn a_path_that_is_not_utf8_is_a_problem() {
    let server = serve(&[]);
    for path in [
        "/api/collections/%FF%FE",
        "/api/collections/regions/items/%C3%28",
        "/api/changes/%FF/revert",
    ] {
        let mut stream = connect(&server);
        let method = if path.ends_with("revert") {
            "POST"
        } else {
            "GET"
        };
        stream.write_all(head(method, path, "").as_bytes()).unwrap();
        let reply = read_reply(stream);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        assert!(problem(&reply).contains("path"), "{path}");
    }
}

#[test]
fn every_answer_carries_the_security_headers() {
    let server = serve(&[]);
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/main.js"),
        ("GET", "/api/query?lon=36.35&lat=35.6&at=2015-08-20"),
        ("GET", "/api/collections/nothing"),
        ("GET", "/healthz"),
        ("DELETE", "/api/query"),
    ] {
        let mut stream = connect(&server);
        stream.write_all(head(method, path, "").as_bytes()).unwrap();
        let reply = read_reply(stream);
        let csp = reply.header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self' 'sha256-")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe"),
            "{method} {path}: {csp:?}"
        );
        assert_eq!(reply.header("x-content-type-options"), "nosniff");
        assert_eq!(
            reply.header("referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(reply.header("x-frame-options"), "DENY");
    }
}

#[test]
fn a_json_batch_over_the_point_limit_is_refused_naming_the_flag() {
    let server = serve(&[("FRONTLINE_BATCH_POINTS", "2")]);
    let point = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[36.35,35.6]}}"#;
    let batch = |n: usize| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            vec![point; n].join(",")
        )
    };
    let ok = common::server::post_batch(
        server.port,
        "/api/query",
        "application/geo+json",
        None,
        batch(2).as_bytes(),
    )
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let refused = common::server::post_batch(
        server.port,
        "/api/query",
        "application/geo+json",
        None,
        batch(3).as_bytes(),
    )
    .unwrap();
    assert_eq!(refused.status, 413, "{}", refused.text());
    let problem = refused.json();
    assert_eq!(problem["status"], 413);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("the batch has 3 points; this server takes at most 2")
            && detail.contains("--batch-points"),
        "{detail}"
    );
}
