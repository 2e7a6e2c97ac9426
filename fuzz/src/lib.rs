//! The bodies of the fuzz targets: each takes one input, runs it through the code the server
//! and `frontline check` run, and panics when an invariant fails. A clean answer or a clean
//! error passes.
//!
//! The libFuzzer targets in `fuzz/fuzz_targets/` call these, and `tests/fuzz_regressions.rs`
//! (in the root crate's `cargo test`) includes this file to replay the committed corpus and the
//! regressions through the same functions, without libFuzzer.
//!
//! * [`geodata`]: one data file of any kind, loaded with a small valid data set as the others.
//! * [`params`]: a query string (and a feature id) sent to every route that reads parameters,
//!   and the date parsers on their own.
//! * [`batch`]: a batch body, JSON or CSV, posted to `POST /api/query`, and its readers on
//!   their own.

use std::num::NonZeroUsize;
use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use frontline::engine::Engine;
use frontline::geodata::{self, Texts};
use frontline::http::fuzz::{Probe, csv_batch, json_batch_checked, json_batch_fast};
use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::model::{Date, DateRange, parse_date, parse_instant};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The small valid data set (format 2, every file) the fuzzed file is loaded with, and served.
const BASE: Texts<'static> = Texts {
    factions: include_str!("../../tests/fixtures/v2/factions.json"),
    regions: include_str!("../../tests/fixtures/v2/regions.geojson"),
    events: Some(include_str!("../../tests/fixtures/v2/events.geojson")),
    places: Some(include_str!("../../tests/fixtures/v2/places.geojson")),
    control: Some(include_str!("../../tests/fixtures/v2/control.geojson")),
};

/// The file kinds [`geodata`] picks from with its first byte, in this order.
pub const FILES: [&str; 5] = [
    geodata::FACTIONS,
    geodata::REGIONS,
    geodata::EVENTS,
    geodata::PLACES,
    geodata::CONTROL,
];

/// Dates a loaded data set's control maps and front lines are drawn on, at most.
const MAX_DATES: usize = 12;

/// The first byte picks the file (`FILES[byte % 5]`); the rest is its text, which replaces that
/// file of [`BASE`]. The set is validated as `check` and `serve` do; when valid, it is indexed
/// and audited as `check` does, its control maps and front lines are drawn, and it is written
/// out as `export` does and read back, which must give the same data set.
pub fn geodata(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // `load` reads files with `read_to_string`: text that is not UTF-8 never reaches a parser.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut texts = BASE;
    match FILES[usize::from(which) % FILES.len()] {
        geodata::FACTIONS => texts.factions = text,
        geodata::REGIONS => texts.regions = text,
        geodata::EVENTS => texts.events = Some(text),
        geodata::PLACES => texts.places = Some(text),
        _ => texts.control = Some(text),
    }
    match geodata::parse(texts) {
        Err(report) => {
            assert!(
                !report.problems.is_empty(),
                "the data set was refused with no problem to say why"
            );
            for problem in &report.problems {
                assert!(!problem.to_string().is_empty(), "a problem without words");
            }
        }
        Ok(loaded) => {
            for warning in &loaded.warnings {
                assert!(!warning.to_string().is_empty(), "a warning without words");
            }
            round_trip(&loaded.dataset);
            let engine = Engine::new(loaded.dataset);
            for warning in frontline::audit::warnings(&engine) {
                assert!(!warning.to_string().is_empty(), "a warning without words");
            }
            let _ = engine.control_periods();
            let dates = engine.dataset().statement_dates();
            for &date in dates.iter().take(MAX_DATES) {
                let _ = engine.control_map(date);
                let _ = engine.front_lines(date);
                for event in &engine.dataset().events {
                    let _ = engine.query(event.location, date);
                }
            }
        }
    }
}

/// Writes `dataset` out as `export` does and loads it back: the same data set must come back.
fn round_trip(dataset: &frontline::model::Dataset) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    geodata::write_dir(dataset, dir.path()).expect("the data set is written");
    match geodata::load(dir.path()) {
        Ok(again) => assert!(
            &again.dataset == dataset,
            "the written data set loads back different"
        ),
        Err(report) => panic!("the written data set does not load back:\n{report}"),
    }
}

/// The routes [`params`] sends its query string to; `{c}` is a collection, `{f}` a feature id.
const ROUTES: [(Method, &str); 16] = [
    (Method::GET, "/api/collections/regions/items"),
    (Method::GET, "/api/collections/events/items"),
    (Method::GET, "/api/collections/control-periods/items"),
    (Method::GET, "/api/collections/control/items"),
    (Method::GET, "/api/collections/control-statements/items"),
    (Method::GET, "/api/collections/front-lines/items"),
    (Method::GET, "/api/collections/regions/items/{f}"),
    (Method::GET, "/api/collections/events/items/{f}"),
    (Method::GET, "/api/collections/control-periods/items/{f}"),
    (Method::GET, "/api/collections/control/items/{f}"),
    (Method::GET, "/api/collections/control-statements/items/{f}"),
    (Method::GET, "/api/collections/front-lines/items/{f}"),
    (Method::GET, "/api/query"),
    (Method::GET, "/api/stats"),
    (Method::GET, "/api/timeline"),
    (Method::POST, "/api/query"),
];

/// One point, the body of the batch [`params`] posts.
const ONE_POINT: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[1.2,1.0]}}]}"#;

/// The first byte picks a route (`ROUTES[byte % 16]`). The rest is `id?query`: for a single
/// feature, the part before the first `?` is the feature id; the query string is the rest (the
/// whole input for other routes). Bytes a URI may not hold are percent-encoded, so the parsers
/// see every input. The answer must not be a 5xx, and its body must be JSON. The text is also
/// given to the date parsers on their own: a date they take prints back as it was written, and
/// a range is never empty or open at both ends.
pub fn params(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(rest) {
        dates(text);
    }
    let (method, route) = &ROUTES[usize::from(which) % ROUTES.len()];
    let (feature, query) = if route.contains("{f}") {
        match rest.iter().position(|&b| b == b'?') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &b""[..]),
        }
    } else {
        (&b""[..], rest)
    };
    let path = route.replace("{f}", &encode(feature, false));
    let uri = format!("{path}?{}", encode(query, true));
    let body = if *method == Method::POST {
        Body::from(ONE_POINT)
    } else {
        Body::empty()
    };
    // A URI that `http` refuses never reaches the server (hyper refuses it the same way).
    let Ok(request) = Request::builder()
        .method(method)
        .uri(&uri)
        .header(header::HOST, "fuzz.test")
        .header(header::CONTENT_TYPE, "application/geo+json")
        .body(body)
    else {
        return;
    };
    let (status, content_type, body) = send(request);
    assert!(
        !status.is_server_error(),
        "{method} {uri} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    // Every answer is JSON but a batch's in CSV or a GeoJSON sequence, which `f` may ask for.
    let json = content_type.ends_with("json") || !status.is_success();
    if let (true, Err(e)) = (json, serde_json::from_slice::<serde_json::Value>(&body)) {
        panic!(
            "{method} {uri} answered {status} ({content_type}) with a body that is not JSON ({e})"
        );
    }
}

/// The date parsers on `text`.
fn dates(text: &str) {
    let date = parse_date(text);
    if let Some(d) = date {
        assert_eq!(
            d.to_string(),
            text,
            "a date does not print as it was written"
        );
        assert_eq!(parse_instant(text), date, "a date is another instant");
    }
    if let Some(range) = DateRange::parse(text) {
        match (range.start, range.end) {
            (None, None) => panic!("{text:?} parsed as a range open at both ends"),
            (Some(a), Some(b)) => assert!(a <= b, "{text:?} parsed as an empty range"),
            _ => {}
        }
        if let Some(d) = range.instant() {
            assert!(
                range.contains(d),
                "{text:?}: the instant is outside its range"
            );
        }
    }
}

/// `bytes` as URI text: unreserved characters and (in a query) `&`, `=`, `+`, `,`, `:`, `/`
/// and `%` as they are, every other byte percent-encoded.
fn encode(bytes: &[u8], query: bool) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        let plain =
            b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (query && b"&=+,:/%".contains(&b));
        if plain {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The server fuzzed requests go to: the [`BASE`] data set, read-only, default limits.
static APP: LazyLock<Router> = LazyLock::new(|| {
    let loaded = geodata::parse(BASE).expect("the base data set is valid");
    app(AppState::new(Live::new(loaded), Tokens::default()))
});

/// One runtime for every request, as a test's `#[tokio::test]` has.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

/// Sends `request` to [`APP`]: the status, the content type and the whole body.
fn send(request: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    RUNTIME.block_on(async {
        let response = APP
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body is read")
            .to_bytes();
        (status, content_type, body.to_vec())
    })
}

/// The date of points without one in [`batch`], when it sends `at`.
const AT: &str = "2015-08-20";

/// The first byte picks how the body is sent, the rest is the body:
/// - bits 0–1: the content type (`application/json`, `application/geo+json`, `text/csv`, or
///   `text/plain`, which is refused);
/// - bits 2–3: the answer's format `f` (none: JSON; `json`, `csv`, `geojsonseq`);
/// - bit 4: `shares=true`; bit 5: `at=2015-08-20` (else today);
/// - bits 6–7: the body arrives whole, or in frames of 1, 3 or 7 bytes.
///
/// The answer must not be a 5xx, and a 200 answers every point. A JSON body read by the
/// one-pass reader gives the checked reader's points, and the handler takes a body exactly when
/// the checked reader does. A CSV body the handler takes gives points that, written as CSV
/// again, are read back the same.
pub fn batch(data: &[u8]) {
    let Some((&how, body)) = data.split_first() else {
        return;
    };
    let content_type = [
        "application/json",
        "application/geo+json",
        "text/csv",
        "text/plain",
    ][usize::from(how & 3)];
    let f = [None, Some("json"), Some("csv"), Some("geojsonseq")][usize::from((how >> 2) & 3)];
    let shares = how & 0x10 != 0;
    let at = (how & 0x20 != 0).then_some(AT);
    let frame = [0, 1, 3, 7][usize::from(how >> 6)];
    let mut query = Vec::new();
    if let Some(f) = f {
        query.push(format!("f={f}"));
    }
    if shares {
        query.push("shares=true".to_owned());
    }
    if let Some(at) = at {
        query.push(format!("at={at}"));
    }
    let uri = format!("/api/query?{}", query.join("&"));
    let request = Request::builder()
        .method(Method::POST)
        .uri(&uri)
        .header(header::HOST, "fuzz.test")
        .header(header::CONTENT_TYPE, content_type)
        .body(framed(body, frame))
        .expect("a valid request");
    let (status, _, answer) = send(request);
    assert!(
        !status.is_server_error(),
        "POST {uri} ({content_type}) answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    let refused_before_reading = shares && f == Some("csv");
    let default_at = at.map_or_else(frontline::model::today_utc, |a| {
        parse_date(a).expect("AT is a date")
    });
    let points = match content_type {
        "text/csv" => csv_points(body, frame, default_at),
        "text/plain" => return,
        _ => json_points(body, default_at, f == Some("geojsonseq")),
    };
    if refused_before_reading {
        return;
    }
    match points {
        Some(points) => {
            assert_eq!(
                status,
                StatusCode::OK,
                "the readers take the body, the handler answers {status}"
            );
            assert_eq!(
                answered(&answer, f),
                points.len(),
                "the answer has another number of points than the body"
            );
        }
        None => assert_ne!(
            status,
            StatusCode::OK,
            "the handler takes a body the readers refuse"
        ),
    }
}

/// `bytes` as a request body: whole when `frame` is 0, else in frames of `frame` bytes.
fn framed(bytes: &[u8], frame: usize) -> Body {
    if frame == 0 || bytes.is_empty() {
        return Body::from(bytes.to_vec());
    }
    let frames: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(frame).map(|c| Ok(c.to_vec())).collect();
    Body::from_stream(futures_util::stream::iter(frames))
}

/// The points of a JSON batch, checked both ways; `None` when the checked reader refuses it.
fn json_points(body: &[u8], default_at: Date, geojson_ids: bool) -> Option<Vec<Probe>> {
    let checked = json_batch_checked(body, default_at, geojson_ids);
    if let Err(e) = &checked {
        assert!(
            !e.status().is_server_error(),
            "the checked reader failed with {e}"
        );
    }
    if let Some(fast) = json_batch_fast(body, default_at, geojson_ids) {
        match &checked {
            Ok(points) => assert!(
                *points == fast,
                "the one-pass reader and the checked reader read different points"
            ),
            Err(e) => panic!("the one-pass reader takes a body the checked reader refuses: {e}"),
        }
    }
    checked.ok()
}

/// The points of a CSV batch as the handler reads them; `None` when it refuses the body. The
/// points, written again as CSV, must read back the same.
fn csv_points(body: &[u8], frame: usize, default_at: Date) -> Option<Vec<Probe>> {
    let points = read_csv(framed(body, frame), default_at)?;
    let again = read_csv(Body::from(write_csv(&points)), default_at)
        .expect("the points of a CSV batch, written as CSV, are taken");
    assert!(
        again == points,
        "the points of a CSV batch, written as CSV, read back different"
    );
    Some(points)
}

/// Reads a CSV batch through the handler's reader; `None` for a 4xx.
fn read_csv(body: Body, default_at: Date) -> Option<Vec<Probe>> {
    let rows = NonZeroUsize::new(frontline::http::DEFAULT_CSV_BATCH_ROWS).expect("not zero");
    match RUNTIME.block_on(csv_batch(body, rows, default_at)) {
        Ok(points) => Some(points),
        Err(e) => {
            assert!(
                !e.status().is_server_error(),
                "the CSV reader failed with {e}"
            );
            None
        }
    }
}

/// `points` as a CSV batch: a header, then `id,lon,lat,date` per point.
fn write_csv(points: &[Probe]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["id", "lon", "lat", "date"])
        .expect("writes to memory");
    for p in points {
        let id =
            p.id.as_ref()
                .map(|id| id.as_text().into_owned())
                .unwrap_or_default();
        let record = [
            id,
            p.pos.lon().to_string(),
            p.pos.lat().to_string(),
            p.at.to_string(),
        ];
        out.write_record(&record).expect("writes to memory");
    }
    out.into_inner().expect("writes to memory")
}

/// How many points a 200 answer in format `f` holds.
fn answered(answer: &[u8], f: Option<&str>) -> usize {
    match f {
        Some("csv") => {
            let mut rows = csv::Reader::from_reader(answer);
            let mut count = 0;
            for row in rows.byte_records() {
                row.expect("the CSV answer is CSV");
                count += 1;
            }
            count
        }
        // Each record starts with the record separator, which JSON text never holds raw.
        Some("geojsonseq") => answer.split(|&b| b == 0x1e).count() - 1,
        _ => {
            let value: serde_json::Value =
                serde_json::from_slice(answer).expect("the JSON answer is JSON");
            value["results"]
                .as_array()
                .expect("the JSON answer has results")
                .len()
        }
    }
}
