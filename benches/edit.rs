//! Edit latency at 100,000 regions: from `POST /api/regions/{id}/control` to the change being
//! visible in `GET /api/query`, through the whole router, with the change log in a SQLite file
//! on disk (WAL, `synchronous=FULL`: every write is fsynced before it is acknowledged).
//!
//! Run with `cargo bench --bench edit`; numbers go in BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "small grid indices"
)]

mod synthetic;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use frontline::geodata::{self, Texts};
use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::store::SqliteStore;
use http_body_util::BodyExt;
use synthetic::{SIDE, VERTICES, centre, texts};
use tower::ServiceExt;

/// Edits timed; the median is reported with the spread.
const EDITS: usize = 41;

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

fn main() {
    let (factions, regions) = texts();
    let texts = Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: None,
        control: None,
    };
    let loaded = geodata::parse(texts).unwrap();
    let dir = std::env::temp_dir().join(format!("frontline-bench-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(SqliteStore::open(&dir.join("edits.db")).unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let live = runtime.block_on(Live::open(loaded, store)).unwrap();
    let state = AppState::new(live, Tokens::new(Some("bench"), None).unwrap());
    println!(
        "synthetic data: {} regions of {VERTICES} vertices; {EDITS} edits",
        SIDE * SIDE
    );
    let spatial = Arc::clone(state.snapshot().engine.spatial());

    let mut times: Vec<Duration> = (0..EDITS)
        .map(|i| {
            // Spread over the grid: region r{row}-{col}, a new date each time.
            let (col, row) = ((i * 97) % SIDE, (i * 53) % SIDE);
            let from = jiff::civil::date(2016, 1, 1)
                .checked_add(jiff::Span::new().days(i64::try_from(i).unwrap()))
                .unwrap();
            let entry = serde_json::json!({"from": from.to_string(), "status": "held", "factions": ["b"],
                "note": "Benchmark edit.", "sources": [{"title": "S", "url": "https://example.org", "published": "2016-01-01"}]});
            let (lon, lat) = centre(col, row);
            let start = Instant::now();
            runtime.block_on(async {
                let post = Request::post(format!("/api/regions/r{row}-{col}/control"))
                    .header(header::AUTHORIZATION, "Bearer bench")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(entry.to_string()))
                    .unwrap();
                let (status, change) = send(&state, post).await;
                assert_eq!(status, StatusCode::CREATED, "{change}");
                let query = Request::get(format!("/api/query?lon={lon}&lat={lat}&at={from}"))
                    .body(Body::empty())
                    .unwrap();
                let (status, answer) = send(&state, query).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(
                    answer["regions"][0]["control"]["since"],
                    from.to_string(),
                    "the edit is visible"
                );
            });
            start.elapsed()
        })
        .collect();
    assert!(
        Arc::ptr_eq(&spatial, state.snapshot().engine.spatial()),
        "every snapshot shares the spatial index"
    );
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "edit → visible in /api/query: median {:.1} ms (min {:.1}, p90 {:.1}, max {:.1})",
        ms(times[EDITS / 2]),
        ms(times[0]),
        ms(times[EDITS * 9 / 10]),
        ms(times[EDITS - 1])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
