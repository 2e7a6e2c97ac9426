//! The batch query through the real `frontline serve` binary, over HTTP/1.1: every input
//! format with every output format gives the same answers in input order, streamed in chunks;
//! and the server's CSV row limit is the one it was started with.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(clippy::cast_possible_truncation, reason = "day counts")]

mod common;

use std::fmt::Write as _;

use common::server::{HttpReply, Server, post_batch, remove_db, scratch_db};
use serde_json::{Value, json};

/// More points than three chunks of the pipeline hold, so the answer streams in several.
const POINTS: usize = 10_000;
/// The date of points that give none.
const DEFAULT_AT: &str = "2015-08-20";
/// RFC 8142's record separator.
const RS: char = '\u{1e}';

/// A seeded pseudo-random sequence (`SplitMix64`).
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One input point: its id, position and date (`None`: the batch's `at`).
struct Point {
    id: String,
    lon: f64,
    lat: f64,
    date: Option<String>,
}

/// Seeded points over the served data's bounding box and half a degree around it (so some
/// fall outside every region), each with a date from 2010 (before the data) to 2025 or none.
fn points(server: &Server, seed: u64) -> Vec<Point> {
    let regions = server.get_json("/api/collections/regions");
    let bbox: Vec<f64> = regions["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut rng = Seeded(seed);
    let start = jiff::civil::date(2010, 1, 1);
    (0..POINTS)
        .map(|i| {
            let lon = bbox[0] - 0.5 + rng.unit() * (bbox[2] - bbox[0] + 1.0);
            let lat = bbox[1] - 0.5 + rng.unit() * (bbox[3] - bbox[1] + 1.0);
            let date = (!rng.next().is_multiple_of(4)).then(|| {
                let days = (rng.unit() * 16.0 * 365.0) as i64;
                start
                    .checked_add(jiff::Span::new().days(days))
                    .unwrap()
                    .to_string()
            });
            Point {
                id: format!("p{i}"),
                lon: (lon * 1e5).round() / 1e5,
                lat: (lat * 1e5).round() / 1e5,
                date,
            }
        })
        .collect()
}

fn json_body(points: &[Point]) -> Vec<u8> {
    let features: Vec<Value> = points
        .iter()
        .map(|p| {
            let mut f = json!({"type": "Feature", "id": p.id,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]}});
            if let Some(date) = &p.date {
                f["properties"] = json!({"date": date});
            }
            f
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
        .to_string()
        .into_bytes()
}

/// CSV with the columns in another order than the answer's, and an extra one.
fn csv_body(points: &[Point]) -> Vec<u8> {
    let mut body = String::from("lat,note,date,id,lon\r\n");
    for p in points {
        let date = p.date.as_deref().unwrap_or("");
        write!(body, "{},\"x, y\",{date},{},{}\r\n", p.lat, p.id, p.lon).unwrap();
    }
    body.into_bytes()
}

/// `POST /api/query?at=DEFAULT_AT` with `content_type`, asking for `accept`; asserts a 200
/// streamed in several chunks with the asked content type.
fn batch(server: &Server, content_type: &str, body: &[u8], accept: &str) -> HttpReply {
    let path = format!("/api/query?at={DEFAULT_AT}");
    let reply = post_batch(server.port, &path, content_type, Some(accept), body).unwrap();
    assert_eq!(
        reply.status,
        200,
        "{content_type} → {accept}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        reply.header("content-type").starts_with(accept),
        "{content_type} → {accept}: content type {}",
        reply.header("content-type")
    );
    assert_eq!(
        reply.header("content-length"),
        "",
        "a streamed answer has no length"
    );
    // The pipeline answers a few thousand points at a time: 10,000 points come in three
    // chunks at least (plus JSON's opening and closing, and CSV's header).
    let chunks = reply.chunks.unwrap_or(0);
    assert!(chunks >= 3, "{content_type} → {accept}: {chunks} chunks");
    reply
}

/// The JSON answer's results, checked to be one per point, in input order.
fn results(reply: &HttpReply, points: &[Point]) -> Vec<Value> {
    let results = reply.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), points.len());
    for (result, point) in results.iter().zip(points) {
        assert_eq!(result["id"], point.id.as_str());
        assert_eq!(result["point"], json!({"lon": point.lon, "lat": point.lat}));
        assert_eq!(
            result["at"],
            point.date.as_deref().unwrap_or(DEFAULT_AT),
            "{}",
            point.id
        );
    }
    results
}

/// The CSV answer's rows, as the JSON answer's fields would give them.
fn csv_rows(reply: &HttpReply) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(reply.body.as_slice());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "id",
            "lon",
            "lat",
            "date",
            "region",
            "status",
            "factions",
            "since",
            "statement"
        ]
    );
    assert!(
        reply.text().ends_with("\r\n"),
        "RFC 4180 lines end with CRLF"
    );
    rows[1..].to_vec()
}

/// A CSV row from a JSON result.
fn expected_row(result: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(String::new, str::to_owned);
    let control = &result["control"];
    let factions: Vec<&str> = control["factions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    vec![
        text(&result["id"]),
        result["point"]["lon"].to_string(),
        result["point"]["lat"].to_string(),
        text(&result["at"]),
        text(&result["regions"][0]["id"]),
        text(&control["status"]),
        factions.join(";"),
        text(&control["since"]),
        text(&control["statement"]["id"]),
    ]
}

/// The GeoJSON sequence's features turned back into JSON results.
fn seq_results(reply: &HttpReply) -> Vec<Value> {
    let text = reply.text();
    assert!(
        text.starts_with(RS) && text.ends_with('\n'),
        "RFC 8142 framing"
    );
    text.split(RS)
        .skip(1)
        .map(|record| {
            assert!(record.ends_with('\n') && !record.trim_end().contains('\n'));
            let feature: Value = serde_json::from_str(record).unwrap();
            assert_eq!(feature["type"], "Feature");
            assert_eq!(feature["geometry"]["type"], "Point");
            let [lon, lat] = [0, 1].map(|i| feature["geometry"]["coordinates"][i].clone());
            let mut result = json!({"id": feature["id"], "point": {"lon": lon, "lat": lat}});
            for (key, value) in feature["properties"].as_object().unwrap() {
                result[key] = value.clone();
            }
            result
        })
        .collect()
}

#[test]
fn every_input_with_every_output_gives_the_same_answers_in_order() {
    let server = Server::start();
    let points = points(&server, 11);
    let (json_in, csv_in) = (json_body(&points), csv_body(&points));
    let reference = results(
        &batch(
            &server,
            "application/geo+json",
            &json_in,
            "application/json",
        ),
        &points,
    );
    // The points cover what a batch meets: inside regions and outside all, many dates.
    let outside = reference
        .iter()
        .filter(|r| r["nearest"].is_object())
        .count();
    let held = reference
        .iter()
        .filter(|r| r["control"]["status"] == "held")
        .count();
    assert!(outside > 100 && outside < POINTS - 100, "{outside} outside");
    assert!(held > 100, "{held} held");

    let from_csv = results(
        &batch(&server, "text/csv", &csv_in, "application/json"),
        &points,
    );
    assert!(
        from_csv == reference,
        "CSV in, JSON out differs from JSON in, JSON out"
    );

    let expected: Vec<Vec<String>> = reference.iter().map(expected_row).collect();
    for (content_type, body) in [("application/json", &json_in), ("text/csv", &csv_in)] {
        let rows = csv_rows(&batch(&server, content_type, body, "text/csv"));
        assert_eq!(rows.len(), POINTS);
        for (row, want) in rows.iter().zip(&expected) {
            assert_eq!(row, want, "{content_type} in, CSV out");
        }
        let reply = batch(&server, content_type, body, "application/geo+json-seq");
        let features = seq_results(&reply);
        assert_eq!(features.len(), POINTS);
        for (feature, want) in features.iter().zip(&reference) {
            assert_eq!(feature, want, "{content_type} in, GeoJSON sequence out");
        }
    }
}

#[test]
fn f_chooses_the_format_over_accept() {
    let server = Server::start();
    let points = points(&server, 12);
    let reply = post_batch(
        server.port,
        "/api/query?f=csv",
        "application/json",
        Some("application/json"),
        &json_body(&points[..3]),
    )
    .unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("text/csv"));
    assert!(reply.header("vary").to_ascii_lowercase().contains("accept"));
    assert_eq!(reply.text().lines().count(), 4);
}

#[test]
fn the_csv_row_limit_is_the_servers() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let db = scratch_db("batch-rows");
    let server = Server::start_editing_on(&data, &db, &[("FRONTLINE_BATCH_CSV_ROWS", "10")]);
    let rows = |n: usize| {
        let mut body = String::from("id,lon,lat\n");
        for i in 0..n {
            writeln!(body, "{i},36.3,35.6").unwrap();
        }
        body.into_bytes()
    };
    let ok = post_batch(server.port, "/api/query", "text/csv", None, &rows(10)).unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["results"].as_array().unwrap().len(), 10);
    let refused = post_batch(server.port, "/api/query", "text/csv", None, &rows(11)).unwrap();
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert_eq!(refused.header("content-type"), "application/problem+json");
    let detail = refused.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("more than 10 rows") && detail.contains("row 12 is one too many"),
        "{detail}"
    );
    drop(server);
    remove_db(&db);
}
