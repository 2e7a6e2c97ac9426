//! Every (operation, status) pair the OpenAPI document lists is reachable: a table holds one
//! concrete request per pair, sent over TCP to the real binary, and each must be answered with
//! exactly that status (an error with an RFC 9457 problem of the same status, a success in a
//! media type the document gives). The pairs come from the served document, so a status added
//! to it without a row here fails the test, and so does a row whose pair the document dropped.
//!
//! The limits are hit for real: 408 with a body that stops arriving, 413 with a body declared
//! too large, 503 on a server whose one place in flight (and one change stream) is taken. 500
//! is reached for the CSV batch, whose spool cannot be created in a temporary directory that
//! does not exist; elsewhere it takes a panic, which a unit test causes behind the same layers.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::raw::Reply;
use common::server::{Server, scratch_db};
use serde_json::{Value, json};

/// The editor token of the editing server.
const TOKEN: &str = "t0ken";

/// How long a reply may take; the slowest row waits for a 0.5 s body timeout.
const PATIENCE: Duration = Duration::from_secs(20);

/// The servers the rows are sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    /// With a token; a body that pauses for 0.5 s is refused with 408.
    Editing,
    /// Without tokens: every write is 403.
    ReadOnly,
    /// One request in flight and one change stream open, both taken: everything else is 503.
    Busy,
    /// A temporary directory that does not exist: a CSV batch cannot be spooled (500).
    NoTmp,
}

/// How a row's request is sent.
#[derive(Debug, Clone, Copy)]
enum Send {
    /// The whole request.
    Whole,
    /// The head, declaring a body of 200 MB, and nothing more.
    DeclaredTooLarge,
    /// The head, declaring 10,000 bytes, then the body's first bytes and a pause.
    Stalled,
    /// The whole request; only the head of the answer is read (an endless event stream).
    HeadOnly,
}

/// One row: the request that gets `status` from `operation`, or the test that covers the pair.
struct Row {
    operation: &'static str,
    status: u16,
    how: How,
}

enum How {
    Request {
        on: On,
        send: Send,
        method: &'static str,
        path: String,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Reached only by a panic in a handler or a failing database, which no request causes:
    /// the named test covers it.
    CoveredBy(&'static str),
}

fn get(operation: &'static str, status: u16, on: On, path: &str) -> Row {
    request(operation, status, on, "GET", path, &[], "")
}

fn request(
    operation: &'static str,
    status: u16,
    on: On,
    method: &'static str,
    path: &str,
    headers: &[(&'static str, &str)],
    body: &str,
) -> Row {
    Row {
        operation,
        status,
        how: How::Request {
            on,
            send: Send::Whole,
            method,
            path: path.to_owned(),
            headers: headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect(),
            body: body.to_owned(),
        },
    }
}

impl Row {
    fn sent(mut self, how: Send) -> Self {
        if let How::Request { send, .. } = &mut self.how {
            *send = how;
        }
        self
    }
}

/// A write with the editing server's token and a JSON body.
fn write(operation: &'static str, status: u16, path: &str, body: &Value) -> Row {
    let bearer = format!("Bearer {TOKEN}");
    request(
        operation,
        status,
        On::Editing,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &bearer),
        ],
        &body.to_string(),
    )
}

/// A POST without a token, with a JSON body.
fn anonymous(operation: &'static str, status: u16, on: On, path: &str, body: &Value) -> Row {
    request(
        operation,
        status,
        on,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

const PANIC: &str = "src/http/mod.rs: a_panicking_handler_is_a_500_problem_and_the_router_goes_on \
                     (every route is behind the panic layer)";

/// A control entry of the Ghab plain.
fn entry(from: &str, note: &str) -> Value {
    json!({"from": from, "precision": "day", "status": "held", "factions": ["government"],
        "note": note,
        "sources": [{"title": "A report", "url": "https://example.org/r", "published": from}]})
}

/// A control area of the Ghab plain.
fn area(note: &str) -> Value {
    json!({"type": "Feature", "id": "test-area",
        "geometry": {"type": "Polygon", "coordinates": [[[36.30, 35.66], [36.36, 35.66], [36.36, 35.70], [36.30, 35.70], [36.30, 35.66]]]},
        "properties": {"region": "ghab-plain", "from": "2030-01-01", "status": "held", "factions": ["hts"], "note": note,
            "sources": [{"title": "A report", "url": "https://example.org/area"}]}})
}

fn event() -> Value {
    json!({"type": "Feature", "id": "test-event", "geometry": {"type": "Point", "coordinates": [36.33867, 35.68482]},
        "properties": {"date": "2015-08-15", "title": "A test event", "description": "", "region": "ghab-plain",
        "sources": [{"title": "A report", "url": "https://example.org/r", "published": "2015-08-15"}]}})
}

fn batch() -> Value {
    json!({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a",
        "geometry": {"type": "Point", "coordinates": [36.33867, 35.68482]}}]})
}

/// The changes the editing server holds before the rows run, so that the rows' ids exist:
/// 1 and 2 write the same entry (2 supersedes 1), 3 adds another, 4 adds a control area.
fn setup() -> Vec<(&'static str, Value)> {
    let control = "/api/regions/ghab-plain/control";
    vec![
        (control, entry("2015-08-15", "First.")),
        (control, entry("2015-08-15", "Second.")),
        (control, entry("2016-01-01", "Third.")),
        ("/api/collections/control-statements/items", area("First.")),
    ]
}

/// One request per documented (operation, status) pair.
#[allow(clippy::too_many_lines, reason = "the table")]
fn table() -> Vec<Row> {
    use On::{Busy, Editing, NoTmp, ReadOnly};
    let control = "/api/regions/ghab-plain/control";
    let items = "/api/collections/control-statements/items";
    let events = "/api/collections/events/items";
    let any = [("If-None-Match", "*")];
    let mut rows = Vec::new();
    // The cached GETs: 200, 304 with `If-None-Match: *`, 400 for a parameter they do not take
    // (but the map and its places, which take none and ignore the query), and 503.
    let cached = [
        ("getHome", "/"),
        ("getPlaces", "/places.geojson"),
        ("getLandingPage", "/api"),
        ("getConformanceDeclaration", "/api/conformance"),
        ("getCollections", "/api/collections"),
        ("describeCollection", "/api/collections/regions"),
        ("getFeatures", "/api/collections/regions/items"),
        ("getFeature", "/api/collections/regions/items/ghab-plain"),
        ("getApiDefinition", "/api/openapi.json"),
        ("queryPoint", "/api/query?lon=36.33867&lat=35.68482"),
        ("getStats", "/api/stats"),
        ("getTimeline", "/api/timeline"),
    ];
    for (operation, path) in cached {
        rows.push(get(operation, 200, Editing, path));
        rows.push(request(operation, 304, Editing, "GET", path, &any, ""));
        if !matches!(operation, "getHome" | "getPlaces") {
            let join = if path.contains('?') { '&' } else { '?' };
            rows.push(get(operation, 400, Editing, &format!("{path}{join}nope=1")));
        }
        rows.push(get(operation, 503, Busy, path));
        rows.push(Row {
            operation,
            status: 500,
            how: How::CoveredBy(PANIC),
        });
    }
    for (operation, path) in [
        ("describeCollection", "/api/collections/nope"),
        ("getFeatures", "/api/collections/nope/items"),
        ("getFeature", "/api/collections/regions/items/nope"),
    ] {
        rows.push(get(operation, 404, Editing, path));
    }

    // The health check: exempt from the cap on requests in flight, so that monitoring works
    // under load, and answered at once, so no timeout reaches it.
    rows.push(get("getHealth", 200, Editing, "/healthz"));
    rows.push(Row {
        operation: "getHealth",
        status: 500,
        how: How::CoveredBy(PANIC),
    });
    rows.push(Row {
        operation: "getHealth",
        status: 503,
        how: How::CoveredBy(
            "tests/api_limits.rs: a_request_past_the_timeout_gets_503_with_retry_after (the \
             timeout layer every route is behind; /healthz answers before any timeout)",
        ),
    });

    // The readiness check: outside the cap on requests in flight too; 503 until the server has
    // reached `min_change`.
    rows.push(get("getReadiness", 200, Editing, "/readyz"));
    rows.push(get("getReadiness", 400, Editing, "/readyz?min_change=-1"));
    rows.push(get(
        "getReadiness",
        503,
        Editing,
        "/readyz?min_change=1000000",
    ));
    rows.push(Row {
        operation: "getReadiness",
        status: 500,
        how: How::CoveredBy(PANIC),
    });

    // Who am I.
    let bearer = format!("Bearer {TOKEN}");
    let token = [("Authorization", bearer.as_str())];
    rows.push(request(
        "getWhoAmI",
        200,
        Editing,
        "GET",
        "/api/whoami",
        &token,
        "",
    ));
    rows.push(get("getWhoAmI", 401, Editing, "/api/whoami"));
    rows.push(get("getWhoAmI", 403, ReadOnly, "/api/whoami"));
    rows.push(get("getWhoAmI", 503, Busy, "/api/whoami"));
    rows.push(Row {
        operation: "getWhoAmI",
        status: 500,
        how: How::CoveredBy(PANIC),
    });

    // The change log and its stream.
    rows.push(get("getChanges", 200, Editing, "/api/changes"));
    rows.push(get("getChanges", 400, Editing, "/api/changes?limit=-1"));
    rows.push(get("getChanges", 503, Busy, "/api/changes"));
    rows.push(get("streamChanges", 200, Editing, "/api/changes/stream").sent(Send::HeadOnly));
    rows.push(get(
        "streamChanges",
        400,
        Editing,
        "/api/changes/stream?f=xml",
    ));
    rows.push(get("streamChanges", 503, Busy, "/api/changes/stream"));
    for operation in ["getChanges", "streamChanges"] {
        rows.push(Row {
            operation,
            status: 500,
            how: How::CoveredBy(PANIC),
        });
    }

    // Control entries.
    rows.push(write(
        "postControl",
        200,
        control,
        &entry("2015-08-15", "Second."),
    ));
    rows.push(write(
        "postControl",
        201,
        control,
        &entry("2017-02-01", "New."),
    ));
    rows.push(request(
        "postControl",
        400,
        Editing,
        "POST",
        control,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &bearer),
        ],
        "{\"from\":",
    ));
    rows.push(anonymous(
        "postControl",
        401,
        Editing,
        control,
        &entry("2018-01-01", "No token."),
    ));
    rows.push(anonymous(
        "postControl",
        403,
        ReadOnly,
        control,
        &entry("2018-01-01", "Read-only."),
    ));
    rows.push(write(
        "postControl",
        404,
        "/api/regions/nope/control",
        &entry("2018-01-01", "No region."),
    ));
    rows.push(write("postControl", 408, control, &json!({})).sent(Send::Stalled));
    rows.push(write("postControl", 413, control, &json!({})).sent(Send::DeclaredTooLarge));
    rows.push(request(
        "postControl",
        415,
        Editing,
        "POST",
        control,
        &[("Content-Type", "text/plain"), ("Authorization", &bearer)],
        &entry("2018-01-01", "Plain text.").to_string(),
    ));
    rows.push(write("postControl", 422, control, &json!({})));
    rows.push(Row {
        operation: "postControl",
        status: 409,
        how: How::CoveredBy(
            "src/live/tests.rs: \
             a_write_conflicting_with_another_servers_is_refused_then_the_retry_succeeds \
             (another server sharing the database writes the entry between this one's catch-up \
             and its append; http/problem.rs answers LiveError::Conflict with 409)",
        ),
    });
    rows.push(anonymous(
        "postControl",
        503,
        Busy,
        control,
        &entry("2018-01-01", "Busy."),
    ));

    // Events and control areas.
    rows.push(write(
        "postItem",
        200,
        &format!("{items}?force=true"),
        &area("First."),
    ));
    rows.push(write("postItem", 201, events, &event()));
    rows.push(write(
        "postItem",
        400,
        &format!("{events}?force=maybe"),
        &event(),
    ));
    rows.push(anonymous("postItem", 401, Editing, events, &event()));
    rows.push(anonymous("postItem", 403, ReadOnly, events, &event()));
    rows.push(write(
        "postItem",
        405,
        "/api/collections/regions/items",
        &event(),
    ));
    rows.push(write("postItem", 408, events, &event()).sent(Send::Stalled));
    rows.push(write("postItem", 409, items, &area("Changed.")));
    rows.push(write("postItem", 413, events, &event()).sent(Send::DeclaredTooLarge));
    rows.push(request(
        "postItem",
        415,
        Editing,
        "POST",
        events,
        &[("Content-Type", "text/csv"), ("Authorization", &bearer)],
        &event().to_string(),
    ));
    rows.push(write("postItem", 422, events, &json!({})));
    rows.push(anonymous("postItem", 503, Busy, events, &event()));

    // Reverts: 1 was superseded by 2; 3 was not.
    rows.push(write(
        "revertChange",
        201,
        "/api/changes/3/revert",
        &json!(null),
    ));
    rows.push(write(
        "revertChange",
        400,
        "/api/changes/1/revert?force=maybe",
        &json!(null),
    ));
    rows.push(anonymous(
        "revertChange",
        401,
        Editing,
        "/api/changes/3/revert",
        &json!(null),
    ));
    rows.push(anonymous(
        "revertChange",
        403,
        ReadOnly,
        "/api/changes/3/revert",
        &json!(null),
    ));
    rows.push(write(
        "revertChange",
        404,
        "/api/changes/999/revert",
        &json!(null),
    ));
    rows.push(write(
        "revertChange",
        409,
        "/api/changes/1/revert",
        &json!(null),
    ));
    rows.push(anonymous(
        "revertChange",
        503,
        Busy,
        "/api/changes/3/revert",
        &json!(null),
    ));

    // One change, where a write's Location points: 1 to 3 exist by now.
    rows.push(get("getChange", 200, Editing, "/api/changes/1"));
    rows.push(request(
        "getChange",
        304,
        Editing,
        "GET",
        "/api/changes/1",
        &[("If-None-Match", "*")],
        "",
    ));
    rows.push(get("getChange", 400, Editing, "/api/changes/1?f=xml"));
    rows.push(get("getChange", 404, Editing, "/api/changes/999"));
    rows.push(get("getChange", 503, Busy, "/api/changes/1"));
    rows.push(Row {
        operation: "getChange",
        status: 500,
        how: How::CoveredBy(PANIC),
    });
    for operation in ["postControl", "postItem", "revertChange"] {
        rows.push(Row {
            operation,
            status: 500,
            how: How::CoveredBy(PANIC),
        });
    }

    // The batch query.
    let json = [("Content-Type", "application/json")];
    let csv = [("Content-Type", "text/csv")];
    let batch = batch().to_string();
    let post = |status, on, path: &str, headers: &[(&'static str, &str)], body: &str| {
        request("queryBatch", status, on, "POST", path, headers, body)
    };
    rows.push(post(200, Editing, "/api/query", &json, &batch));
    rows.push(post(400, Editing, "/api/query", &json, "{\"type\":"));
    rows.push(post(
        406,
        Editing,
        "/api/query",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "image/png"),
        ],
        &batch,
    ));
    rows.push(post(408, Editing, "/api/query", &json, &batch).sent(Send::Stalled));
    rows.push(post(413, Editing, "/api/query", &json, &batch).sent(Send::DeclaredTooLarge));
    rows.push(post(
        415,
        Editing,
        "/api/query",
        &[("Content-Type", "text/plain")],
        &batch,
    ));
    rows.push(post(
        422,
        Editing,
        "/api/query",
        &json,
        "{\"type\":\"FeatureCollection\"}",
    ));
    rows.push(post(
        500,
        NoTmp,
        "/api/query",
        &csv,
        "id,lon,lat\na,36.33867,35.68482\n",
    ));
    rows.push(post(503, Busy, "/api/query", &json, &batch));
    rows
}

/// The document's (operationId, status) pairs.
fn documented(doc: &Value) -> BTreeSet<(String, u16)> {
    let mut pairs = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            for status in op["responses"].as_object().unwrap().keys() {
                pairs.insert((id.to_owned(), status.parse().unwrap()));
            }
        }
    }
    pairs
}

/// The media types the document gives for `operation`'s `status`.
fn media_types(doc: &Value, operation: &str, status: u16) -> Vec<String> {
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if op.get("operationId").and_then(Value::as_str) != Some(operation) {
                continue;
            }
            let mut response = &op["responses"][status.to_string()];
            if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
                response = doc.pointer(reference.strip_prefix('#').unwrap()).unwrap();
            }
            return response
                .get("content")
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default();
        }
    }
    Vec::new()
}

/// Sends a row's request to `port` and reads the answer.
fn exchange(
    port: u16,
    send: Send,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let length = match send {
        Send::DeclaredTooLarge => 200_000_000,
        Send::Stalled => 10_000,
        Send::Whole | Send::HeadOnly => body.len(),
    };
    if method == "POST" {
        let _ = write!(head, "Content-Length: {length}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    match send {
        Send::Whole | Send::HeadOnly => stream.write_all(body.as_bytes()).unwrap(),
        Send::Stalled => stream
            .write_all(&body.as_bytes()[..body.len() / 2])
            .unwrap(),
        Send::DeclaredTooLarge => {}
    }
    let mut raw = Vec::new();
    if let Send::HeadOnly = send {
        let mut byte = [0u8; 1];
        while !raw.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            raw.push(byte[0]);
        }
    } else if let Err(e) = stream.read_to_end(&mut raw) {
        assert!(
            !raw.is_empty(),
            "{method} {path}: no answer within {PATIENCE:?}: {e}"
        );
    }
    Reply::parse(&raw, &format!("{method} {path}"))
}

/// What is wrong with `reply` as the answer to `row`: a status other than the row's, an error
/// that is not a problem of that status (or a 503 without `Retry-After`), or a success in a
/// media type the document does not give.
fn verdict(doc: &Value, row: &Row, reply: &Reply, what: &str) -> Vec<String> {
    if reply.status != row.status {
        return vec![format!("{what}: got {} {}", reply.status, reply.body)];
    }
    let mut wrong = Vec::new();
    let content_type = reply.header("content-type");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if row.status >= 400 {
        let problem: Value = serde_json::from_str(reply.body.trim()).unwrap_or(Value::Null);
        if media != "application/problem+json" || problem["status"] != row.status {
            wrong.push(format!(
                "{what}: not a problem: {content_type} {}",
                reply.body
            ));
        }
        if row.status == 503 && reply.header("retry-after").is_empty() {
            wrong.push(format!("{what}: no Retry-After"));
        }
    } else {
        let types = media_types(doc, row.operation, row.status);
        let base = |t: &str| t.split(';').next().unwrap_or("").trim().to_owned();
        if !types.is_empty() && !types.iter().any(|t| base(t) == media) {
            wrong.push(format!("{what}: {content_type:?} is not one of {types:?}"));
        }
    }
    wrong
}

/// Holds the busy server's one place in flight (a body that never comes) and its one change
/// stream; both stay taken while the returned connections are open.
fn occupy(busy: &Server) -> (TcpStream, TcpStream) {
    let mut stream = TcpStream::connect(("127.0.0.1", busy.port)).unwrap();
    stream
        .write_all(b"GET /api/changes/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200", "the busy server's stream opens");
    let mut slow = TcpStream::connect(("127.0.0.1", busy.port)).unwrap();
    slow.write_all(
        b"POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 10000\r\n\r\n{\"type\":",
    )
    .unwrap();
    // The slow request is admitted before the rows are sent.
    std::thread::sleep(Duration::from_millis(300));
    (stream, slow)
}

/// Writes [`setup`]'s changes to the editing server.
fn set_up(editing: &Server) {
    for (path, body) in setup() {
        let reply = exchange(
            editing.port,
            Send::Whole,
            "POST",
            path,
            &[
                ("Content-Type", "application/json".to_owned()),
                ("Authorization", format!("Bearer {TOKEN}")),
            ],
            &body.to_string(),
        );
        assert_eq!(reply.status, 201, "setting up {path}: {}", reply.body);
    }
}

#[test]
fn every_documented_status_of_every_operation_is_reachable() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let editing = Server::start_editing_on(
        &data,
        &scratch_db("statuses"),
        &[
            ("FRONTLINE_TOKEN", TOKEN),
            ("FRONTLINE_BODY_TIMEOUT", "0.5"),
        ],
    );
    let read_only = Server::start_editing_on(&data, &scratch_db("statuses-ro"), &[]);
    let busy = Server::start_editing_on(
        &data,
        &scratch_db("statuses-busy"),
        &[
            ("FRONTLINE_TOKEN", TOKEN),
            ("FRONTLINE_MAX_IN_FLIGHT", "1"),
            ("FRONTLINE_MAX_STREAMS", "1"),
            ("FRONTLINE_BODY_TIMEOUT", "60"),
        ],
    );
    let missing = std::env::temp_dir().join(format!("frontline-no-tmp-{}", std::process::id()));
    let no_tmp = Server::start_editing_on(
        &data,
        &scratch_db("statuses-notmp"),
        &[("TMPDIR", missing.to_str().unwrap())],
    );

    let doc: Value = serde_json::from_str(&editing.get("/api/openapi.json").1).unwrap();
    let table = table();
    let rows: BTreeSet<(String, u16)> = table
        .iter()
        .map(|r| (r.operation.to_owned(), r.status))
        .collect();
    assert_eq!(rows.len(), table.len(), "the table has a pair twice");
    let pairs = documented(&doc);
    let unrowed: Vec<_> = pairs.difference(&rows).collect();
    assert!(
        unrowed.is_empty(),
        "documented pairs without a row: {unrowed:?}"
    );
    let undocumented: Vec<_> = rows.difference(&pairs).collect();
    assert!(
        undocumented.is_empty(),
        "rows for pairs the document lacks: {undocumented:?}"
    );

    set_up(&editing);
    let _held = occupy(&busy);

    let mut wrong = Vec::new();
    let mut covered = Vec::new();
    for row in &table {
        let (on, send, method, path, headers, body) = match &row.how {
            How::Request {
                on,
                send,
                method,
                path,
                headers,
                body,
            } => (on, send, method, path, headers, body),
            How::CoveredBy(test) => {
                covered.push(format!("{} {}: {test}", row.operation, row.status));
                continue;
            }
        };
        let port = match on {
            On::Editing => editing.port,
            On::ReadOnly => read_only.port,
            On::Busy => busy.port,
            On::NoTmp => no_tmp.port,
        };
        let reply = exchange(port, *send, method, path, headers, body);
        let what = format!(
            "{} {} ({method} {path} on {on:?})",
            row.operation, row.status
        );
        wrong.extend(verdict(&doc, row, &reply, &what));
    }
    assert!(
        wrong.is_empty(),
        "rows answered otherwise:\n{}",
        wrong.join("\n")
    );
    // The pairs only a panic reaches are few: the table tests all the rest for real.
    assert!(
        covered.len() * 4 < table.len(),
        "{} of {} rows are not sent:\n{}",
        covered.len(),
        table.len(),
        covered.join("\n")
    );
}
