//! Editing through the router: bearer auth, validation that lists every problem and writes
//! nothing, the change feed and its stream, reverts, and concurrent writers.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{editable, get, post, send};
use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::store::SqliteStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn write(uri: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    req.body(Body::from(body.to_string())).unwrap()
}

/// A revert request (`uri` with its query) from the `editor` token.
fn revert_request(uri: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, "Bearer t0ken")
        .body(Body::empty())
        .unwrap()
}

fn entry(from: &str, status: &str, factions: &[&str]) -> Value {
    json!({"from": from, "status": status, "factions": factions, "note": "Test entry.",
           "sources": [{"title": "A report", "url": "https://example.org/report", "published": from}]})
}

async fn ghab_status(router: Router, at: &str) -> Value {
    let body = send(
        router,
        get(&format!(
            "/api/collections/regions/items/ghab-plain?at={at}"
        )),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    body["properties"]["control"].clone()
}

#[tokio::test]
async fn a_read_only_server_refuses_writes_with_403_explaining_how_to_enable_editing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let state = AppState::new(
        Live::new(frontline::geodata::load(&dir).unwrap()),
        Tokens::new(Some("t0ken"), None).unwrap(),
    );
    send(
        app(state.clone()),
        write(
            "/api/regions/ghab-plain/control",
            Some("t0ken"),
            &entry("2015-08-15", "held", &["government"]),
        ),
    )
    .await
    .expect_problem(StatusCode::FORBIDDEN, "FRONTLINE_TOKEN");
    // The same with tokens configured but none known: a store without editors.
    let loaded = frontline::geodata::load(&dir).unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let no_editors = AppState::new(
        Live::open(loaded, store).await.unwrap(),
        Tokens::new(None, None).unwrap(),
    );
    send(
        app(no_editors),
        Request::get("/api/whoami").body(Body::empty()).unwrap(),
    )
    .await
    .expect_problem(StatusCode::FORBIDDEN, "read-only");
}

#[tokio::test]
async fn missing_or_wrong_tokens_are_401_with_www_authenticate() {
    let state = editable().await;
    let body = entry("2015-08-15", "held", &["government"]);
    for token in [None, Some("wrong"), Some("")] {
        let reply = send(
            app(state.clone()),
            write("/api/regions/ghab-plain/control", token, &body),
        )
        .await;
        assert_eq!(reply.header(header::WWW_AUTHENTICATE), "Bearer");
        reply.expect_problem(StatusCode::UNAUTHORIZED, "");
    }
    let feed = send(app(state), get("/api/changes")).await.json();
    assert_eq!(feed["changes"], json!([]), "nothing was written");
}

#[tokio::test]
async fn a_valid_entry_is_stored_with_its_author_and_served_at_once() {
    let state = editable().await;
    let who = Request::get("/api/whoami")
        .header(header::AUTHORIZATION, "Bearer a-token")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(app(state.clone()), who)
            .await
            .expect(StatusCode::OK)
            .json()["author"],
        "alice"
    );
    let before = send(app(state.clone()), get("/healthz")).await.json()["data_version"].clone();
    assert_eq!(
        ghab_status(app(state.clone()), "2015-08-16").await["since"],
        // The Ghab's history holds whole-region entries only (format 2): its 2011 base state.
        "2011-01-01"
    );
    let reply = send(
        app(state.clone()),
        write(
            "/api/regions/ghab-plain/control",
            Some("a-token"),
            &entry("2015-08-15", "held", &["government"]),
        ),
    )
    .await
    .expect(StatusCode::CREATED);
    assert_eq!(reply.header(header::LOCATION), "/api/changes/1");
    let change = reply.json();
    // The Location names the stored change.
    let stored = send(app(state.clone()), get("/api/changes/1"))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(stored, change);
    assert_eq!(
        (
            change["kind"].as_str(),
            change["target"].as_str(),
            change["key"].as_str()
        ),
        (Some("control"), Some("ghab-plain"), Some("2015-08-15"))
    );
    assert_eq!(change["author"], "alice");
    assert_eq!(change["before"], Value::Null);
    let control = ghab_status(app(state.clone()), "2015-08-16").await;
    assert_eq!(
        (control["status"].as_str(), control["since"].as_str()),
        (Some("held"), Some("2015-08-15"))
    );
    let after = send(app(state.clone()), get("/healthz")).await.json()["data_version"].clone();
    assert_ne!(before, after, "the data version follows the change log");
    // Sending the same entry again changes nothing.
    let again = send(
        app(state.clone()),
        write(
            "/api/regions/ghab-plain/control",
            Some("t0ken"),
            &entry("2015-08-15", "held", &["government"]),
        ),
    )
    .await;
    assert_eq!(again.expect(StatusCode::OK).json()["unchanged"], true);
    // Replacing it records a revision with the old value.
    let revised = send(
        app(state.clone()),
        write(
            "/api/regions/ghab-plain/control",
            Some("t0ken"),
            &entry("2015-08-15", "contested", &["government", "jaish-al-fatah"]),
        ),
    )
    .await
    .expect(StatusCode::CREATED)
    .json();
    assert_eq!(revised["before"]["status"], "held");
    assert_eq!(revised["author"], "editor");
}

#[tokio::test]
async fn an_invalid_entry_is_422_listing_every_problem_and_nothing_is_written() {
    let state = editable().await;
    let bad = json!({"from": "2015-13-01", "status": "taken", "factions": ["government", "martians"], "sources": []});
    let problem = send(
        app(state.clone()),
        write("/api/regions/ghab-plain/control", Some("t0ken"), &bad),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "from 2015-13-01 is not a date",
    );
    assert_eq!(
        problem["errors"],
        json!([
            {"pointer": "/from", "detail": "from 2015-13-01 is not a date (expected YYYY-MM-DD)"},
            {"pointer": "/status", "detail": "status \"taken\" is not one of held, contested"},
            {"pointer": "/factions/1", "detail": "factions[1] \"martians\" is not a faction defined in factions.json"},
            {"pointer": "/sources", "detail": "the entry has no sources (every entry needs at least one)"},
        ])
    );
    send(
        app(state.clone()),
        write(
            "/api/regions/atlantis/control",
            Some("t0ken"),
            &entry("2015-08-15", "held", &["government"]),
        ),
    )
    .await
    .expect_problem(StatusCode::NOT_FOUND, "atlantis");
    send(
        app(state.clone()),
        write("/api/collections/regions/items", Some("t0ken"), &json!({})),
    )
    .await
    .expect_problem(StatusCode::METHOD_NOT_ALLOWED, "only events");
    assert_eq!(
        send(app(state), get("/api/changes")).await.json()["changes"],
        json!([])
    );
}

#[tokio::test]
async fn events_can_be_added() {
    let state = editable().await;
    let event = json!({"type": "Feature", "id": "test-event", "geometry": {"type": "Point", "coordinates": [36.33867, 35.68482]},
        "properties": {"date": "2015-08-15", "title": "A test event", "description": "", "region": "ghab-plain",
        "sources": [{"title": "A report", "url": "https://example.org/r", "published": "2015-08-15"}]}});
    send(
        app(state.clone()),
        write("/api/collections/events/items", Some("t0ken"), &event),
    )
    .await
    .expect(StatusCode::CREATED);
    let one = send(app(state), get("/api/collections/events/items/test-event"))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(one["properties"]["title"], "A test event");
}

#[tokio::test]
async fn the_feed_pages_and_reverts_undo_with_409_when_superseded() {
    let state = editable().await;
    for day in ["2015-08-12", "2015-08-13", "2015-08-14"] {
        send(
            app(state.clone()),
            write(
                "/api/regions/ghab-plain/control",
                Some("t0ken"),
                &entry(day, "held", &["government"]),
            ),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    let first = send(app(state.clone()), get("/api/changes?limit=2"))
        .await
        .json();
    assert_eq!(first["changes"].as_array().unwrap().len(), 2);
    assert_eq!(first["last_id"], 2);
    let rest = send(app(state.clone()), get("/api/changes?since=2"))
        .await
        .json();
    assert_eq!(rest["changes"][0]["id"], 3);
    assert_eq!(rest["last_id"], 3);
    send(app(state.clone()), get("/api/changes?since=-1"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter since");

    // Revert change 2: the 2015-08-13 entry disappears.
    let revert = revert_request("/api/changes/2/revert");
    let undone = send(app(state.clone()), revert)
        .await
        .expect(StatusCode::CREATED)
        .json();
    assert_eq!(
        (undone["kind"].as_str(), undone["reverts"].as_i64()),
        (Some("revert"), Some(2))
    );
    assert_eq!(
        ghab_status(app(state.clone()), "2015-08-13").await["since"],
        "2015-08-12"
    );
    // Change 2 is now superseded by the revert: reverting it again needs force.
    let again = revert_request("/api/changes/2/revert");
    send(app(state.clone()), again)
        .await
        .expect_problem(StatusCode::CONFLICT, "superseded by change 4");
    let forced = revert_request("/api/changes/2/revert?force=true");
    let forced = send(app(state.clone()), forced)
        .await
        .expect(StatusCode::CREATED)
        .json();
    // A revert always restores what the reverted change found: change 2 added the entry,
    // so reverting it (again) leaves no entry on 2015-08-13.
    assert_eq!(
        (forced["id"].as_i64(), forced["after"].is_null()),
        (Some(5), true)
    );
    assert_eq!(
        ghab_status(app(state.clone()), "2015-08-13").await["since"],
        "2015-08-12"
    );
    let missing = revert_request("/api/changes/99/revert");
    send(app(state), missing)
        .await
        .expect_problem(StatusCode::NOT_FOUND, "no change 99");
}

#[tokio::test]
async fn the_stream_delivers_a_change_made_after_subscribing() {
    let state = editable().await;
    let res = app(state.clone())
        .oneshot(get("/api/changes/stream"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    assert!(
        res.headers().get(header::ETAG).is_none(),
        "streams are not cached"
    );
    let mut body = res.into_body();
    send(
        app(state.clone()),
        write(
            "/api/regions/ghab-plain/control",
            Some("t0ken"),
            &entry("2015-08-15", "held", &["government"]),
        ),
    )
    .await
    .expect(StatusCode::CREATED);
    let mut text = String::new();
    while !text.contains("\n\n") {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
    assert!(text.starts_with("event: change\ndata: "), "{text}");
    let json: Value =
        serde_json::from_str(text.trim_start_matches("event: change\ndata: ").trim()).unwrap();
    assert_eq!(
        (json["id"].as_i64(), json["key"].as_str()),
        (Some(1), Some("2015-08-15"))
    );
    // Streams end when the server shuts down: serve the same state on a socket, open a stream
    // there too, and stop the server the way `frontline serve` does on SIGTERM.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(frontline::http::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET /api/changes/stream HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut head = vec![0; 1024];
    let n = socket.read(&mut head).await.unwrap();
    assert!(
        head[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head[..n])
    );
    stop.send(()).unwrap();
    let ten_seconds = std::time::Duration::from_secs(10);
    let mut rest = Vec::new();
    tokio::time::timeout(ten_seconds, socket.read_to_end(&mut rest))
        .await
        .expect("the socket's stream must end on shutdown")
        .unwrap();
    tokio::time::timeout(ten_seconds, server)
        .await
        .expect("the server must stop with a stream open")
        .unwrap()
        .unwrap();
    let end = tokio::time::timeout(ten_seconds, async {
        while let Some(frame) = body.frame().await {
            frame.unwrap();
        }
    })
    .await;
    assert!(end.is_ok(), "every stream of the state ends on shutdown");
}

#[tokio::test]
async fn a_read_only_server_answers_the_feed_with_no_changes() {
    // Read-only has one definition (no editors): the feed is still there, and empty.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let state = AppState::new(
        Live::new(frontline::geodata::load(&dir).unwrap()),
        Tokens::default(),
    );
    let res = app(state.clone())
        .oneshot(get("/api/changes/stream"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    let feed = send(app(state), get("/api/changes")).await.json();
    assert_eq!(
        (feed["changes"].clone(), feed["last_id"].clone()),
        (json!([]), json!(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_each_land_exactly_once() {
    let state = editable().await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let state = state.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..50 {
                    // Distinct dates per writer and write, before the shipped history starts:
                    // 1990-01-01 plus w * 50 + i days.
                    let day = jiff::civil::date(1990, 1, 1)
                        .checked_add(jiff::Span::new().days(w * 50 + i))
                        .unwrap();
                    let reply = send(
                        app(state.clone()),
                        write(
                            "/api/regions/ghab-plain/control",
                            Some("t0ken"),
                            &entry(&day.to_string(), "held", &["government"]),
                        ),
                    )
                    .await;
                    ids.push(
                        reply.expect(StatusCode::CREATED).json()["id"]
                            .as_i64()
                            .unwrap(),
                    );
                }
                ids
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    acknowledged.sort_unstable();
    let feed = send(app(state.clone()), get("/api/changes?limit=10000"))
        .await
        .json();
    let stored = common::change_ids(&feed);
    assert_eq!(acknowledged.len(), 400);
    assert_eq!(
        stored, acknowledged,
        "every acknowledged write is stored exactly once, in order"
    );
    let ghab = send(app(state), get("/api/collections/regions/items/ghab-plain"))
        .await
        .json();
    let history = ghab["properties"]["history"].as_array().unwrap().len();
    // The shipped Ghab history holds two whole-region entries (2011 and December 2024).
    assert_eq!(history, 2 + 400, "and every one is applied");
}

fn area(note: &str) -> Value {
    json!({"type": "Feature", "id": "test-area",
        "geometry": {"type": "Polygon", "coordinates": [[[36.30, 35.66], [36.36, 35.66], [36.36, 35.70], [36.30, 35.70], [36.30, 35.66]]]},
        "properties": {"region": "ghab-plain", "from": "2030-01-01", "status": "held", "factions": ["hts"], "note": note,
            "sources": [{"title": "A report", "url": "https://example.org/area"}]}})
}

#[tokio::test]
async fn control_areas_are_added_replaced_with_their_base_and_reverted() {
    let state = editable().await;
    let uri = "/api/collections/control-statements/items";
    let added = send(
        app(state.clone()),
        write(uri, Some("t0ken"), &area("First.")),
    )
    .await
    .expect(StatusCode::CREATED)
    .json();
    assert_eq!(
        (added["kind"].as_str(), added["key"].as_str()),
        (Some("area"), Some("test-area"))
    );
    let holder = |state: AppState| async move {
        let answer = send(
            app(state),
            get("/api/query?lon=36.33&lat=35.68&at=2030-06-01"),
        )
        .await
        .expect(StatusCode::OK)
        .json();
        answer["control"]["statement"]["id"].clone()
    };
    assert_eq!(holder(state.clone()).await, "test-area", "served at once");
    // Replacing it needs the change it was read at.
    send(
        app(state.clone()),
        write(uri, Some("t0ken"), &area("Second.")),
    )
    .await
    .expect_problem(StatusCode::CONFLICT, "base=1");
    let replaced = send(
        app(state.clone()),
        write(&format!("{uri}?base=1"), Some("t0ken"), &area("Second.")),
    )
    .await
    .expect(StatusCode::CREATED)
    .json();
    assert_eq!(replaced["before"]["properties"]["note"], "First.");
    let outdated = write(&format!("{uri}?base=1"), Some("t0ken"), &area("Third."));
    send(app(state.clone()), outdated)
        .await
        .expect_problem(StatusCode::CONFLICT, "change 2");
    send(
        app(state.clone()),
        write(
            &format!("{uri}?base=1&force=true"),
            Some("t0ken"),
            &area("Third."),
        ),
    )
    .await
    .expect(StatusCode::CREATED);
    // Invalid areas name every problem by pointer.
    let mut bad = area("Bad.");
    bad["properties"]["factions"] = json!(["martians"]);
    let problem = send(app(state.clone()), write(uri, Some("t0ken"), &bad))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "martians");
    assert_eq!(problem["errors"][0]["pointer"], "/properties/factions/0");
    // Reverting the addition (by force: two changes came after it) withdraws the area.
    send(
        app(state.clone()),
        revert_request("/api/changes/1/revert?force=true"),
    )
    .await
    .expect(StatusCode::CREATED);
    assert_ne!(holder(state.clone()).await, "test-area");
    send(
        app(state),
        get("/api/collections/control-statements/items/test-area"),
    )
    .await
    .expect_problem(StatusCode::NOT_FOUND, "test-area");
}

/// Batches keep the JSON of the statements they wrote for the next batch on the same data: an
/// edit must not leave a replaced statement's old text in later answers, whether the batch is
/// answered inline (a few points) or by the workers (more).
#[tokio::test]
async fn batch_answers_follow_a_replaced_statement() {
    let state = editable().await;
    let uri = "/api/collections/control-statements/items";
    let notes = |state: AppState, points: usize| async move {
        let features: Vec<Value> = (0..points)
            .map(|i| {
                json!({"type": "Feature", "id": i, "properties": {},
                    "geometry": {"type": "Point", "coordinates": [36.33, 35.68]}})
            })
            .collect();
        let body = json!({"type": "FeatureCollection", "features": features}).to_string();
        let answer = send(
            app(state),
            post("/api/query?at=2030-06-01", "application/geo+json", body),
        )
        .await
        .expect(StatusCode::OK)
        .json();
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), points);
        let mut notes: Vec<String> = results
            .iter()
            .map(|r| r["control"]["note"].as_str().unwrap().to_owned())
            .collect();
        notes.dedup();
        notes
    };
    send(
        app(state.clone()),
        write(uri, Some("t0ken"), &area("First.")),
    )
    .await
    .expect(StatusCode::CREATED);
    for points in [1, 200] {
        assert_eq!(notes(state.clone(), points).await, ["First."], "{points}");
    }
    send(
        app(state.clone()),
        write(&format!("{uri}?base=1"), Some("t0ken"), &area("Second.")),
    )
    .await
    .expect(StatusCode::CREATED);
    for points in [1, 200] {
        assert_eq!(notes(state.clone(), points).await, ["Second."], "{points}");
    }
}
