//! Edit latency at 100,000 regions: from `POST /api/regions/{id}/control` to the change being
//! visible in a point query, through the whole router, with the change log in a SQLite file on
//! disk (WAL, `synchronous=FULL`: every write is fsynced before it is acknowledged).
//!
//! The query is `POST /api/query` with the one point, which answers without shares. `GET
//! /api/query` always adds the shares of the regions, and on a date whose control map is not
//! cached (every edit makes a new engine and a new date) that flattens the whole map: about two
//! minutes at this size (BENCHMARKS.md), which would measure the flattening, not the edit.
//!
//! Run with `cargo bench --bench edit`; numbers go in BENCHMARKS.md.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::model::LonLat;
use frontline::synth::Rng;
use geo::InteriorPoint;
use http_body_util::BodyExt;
use support::{Clock, SEED, TempDir, loaded, synthetic};
use tower::ServiceExt;

/// Regions edited in turn.
const TARGETS: usize = 1_000;

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

fn edit(c: &mut Criterion<Clock>) {
    let data = synthetic(100_000, 50);
    // Seeded random regions, each with a point inside it to query.
    let mut rng = Rng::new(SEED);
    let targets: Vec<(String, LonLat)> = (0..TARGETS)
        .map(|_| {
            let region = &data.regions[rng.below(data.regions.len())];
            let p = region.geometry.interior_point().unwrap();
            (region.id.to_string(), LonLat::new(p.x(), p.y()).unwrap())
        })
        .collect();
    let dir = TempDir::new("edit");
    std::fs::create_dir_all(&dir.0).unwrap();
    let store = Arc::new(frontline::store::SqliteStore::open(&dir.0.join("edits.db")).unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let live = runtime.block_on(Live::open(loaded(data), store)).unwrap();
    let state = AppState::new(live, Tokens::new(Some("bench"), None).unwrap());
    let spatial = Arc::clone(state.snapshot().engine.spatial());

    let mut group = c.benchmark_group("edit");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    let mut edits = 0_i64;
    group.bench_function(
        BenchmarkId::new("100k x 50", "POST control, then POST query sees it"),
        |b| {
            b.iter(|| {
                let (region, at) = &targets[usize::try_from(edits).unwrap() % TARGETS];
                // A new date each time, after every synthetic statement (they end in 2025), so
                // the region-wide entry is the one in force at the point.
                let from = jiff::civil::date(2026, 1, 1)
                    .checked_add(jiff::Span::new().days(edits))
                    .unwrap();
                edits += 1;
                let entry = serde_json::json!({"from": from.to_string(), "status": "held",
                    "factions": ["synthetic-b"], "note": "Benchmark edit.",
                    "sources": [{"title": "synthetic", "url": "https://example.org/synthetic/bench"}]});
                runtime.block_on(async {
                    let post = Request::post(format!("/api/regions/{region}/control"))
                        .header(header::AUTHORIZATION, "Bearer bench")
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(entry.to_string()))
                        .unwrap();
                    let (status, change) = send(&state, post).await;
                    assert_eq!(status, StatusCode::CREATED, "{change}");
                    let point = serde_json::json!({"type": "FeatureCollection", "features": [
                        {"type": "Feature", "geometry": {"type": "Point",
                            "coordinates": [at.lon(), at.lat()]}, "properties": {}}]});
                    let query = Request::post(format!("/api/query?at={from}"))
                        .header(header::CONTENT_TYPE, "application/geo+json")
                        .body(Body::from(point.to_string()))
                        .unwrap();
                    let (status, answer) = send(&state, query).await;
                    assert_eq!(status, StatusCode::OK, "{answer}");
                    assert_eq!(
                        answer["results"][0]["control"]["statement"]["id"],
                        format!("{region}@{from}"),
                        "the edit is in force at the point"
                    );
                });
            });
        },
    );
    group.finish();
    assert!(
        Arc::ptr_eq(&spatial, state.snapshot().engine.spatial()),
        "every snapshot shares the spatial index"
    );
}

criterion_group! {
    name = benches;
    // Wall time always: the latency is mostly the fsync, which takes no CPU.
    config = Criterion::default().with_measurement(Clock::wall());
    targets = edit
}
criterion_main!(benches);
