//! The HTTP API in process (the whole router, no socket): the OGC items endpoint serialising
//! 1,000 regions with their shares on a date, and a 100,000-point batch, JSON in and out, on
//! 10,000 regions.
//!
//! Run with `cargo bench --bench http`; numbers go in BENCHMARKS.md.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

mod support;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use frontline::engine::Engine;
use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::synth::{self, Rng};
use http_body_util::BodyExt;
use support::{Clock, SEED, loaded, slow, synthetic};
use tower::ServiceExt;

/// Points in the batch.
const BATCH: usize = 100_000;

/// Sends `req` through the router; the status and the whole body, as a client receives them.
async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Bytes) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// `GET /api/collections/regions/items?limit=1000&at=…` on 1,000 synthetic regions with 1,000
/// control statements, on a date halfway through their timeline. The control map of that date
/// is computed by a first request (flattening is timed apart, in `benches/control.rs`).
fn items(c: &mut Criterion<Clock>) {
    let data = synthetic(1_000, 50);
    let ticks = data.statement_dates();
    let at = ticks[ticks.len() / 2];
    let state = AppState::new(Live::new(loaded(data)), Tokens::default());
    let runtime = runtime();
    let uri = format!("/api/collections/regions/items?limit=1000&at={at}");
    let request = || Request::get(&uri).body(Body::empty()).unwrap();
    let (status, body) = runtime.block_on(send(&state, request()));
    assert_eq!(status, StatusCode::OK);
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["features"].as_array().unwrap().len(), 1_000);
    let mut group = c.benchmark_group("items");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("regions", "1,000 of 1k x 50"), |b| {
        b.iter(|| runtime.block_on(send(&state, request())));
    });
    group.finish();
}

/// `POST /api/query` with 100,000 seeded random points over the box of 10,000 synthetic regions,
/// each with its own date from the data's ticks: parsing, checking, answering and serialising.
fn batch(c: &mut Criterion<Clock>) {
    let data = synthetic(10_000, 50);
    let box_ = support::extent(&Engine::new(data.clone()));
    let ticks = data.statement_dates();
    let mut rng = Rng::new(SEED);
    let features: Vec<serde_json::Value> = synth::points_in(box_, BATCH, SEED)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({"type": "Feature", "id": i,
                "geometry": {"type": "Point", "coordinates": [p.lon(), p.lat()]},
                "properties": {"date": ticks[rng.below(ticks.len())].to_string()}})
        })
        .collect();
    let body = Bytes::from(
        serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features}))
            .unwrap(),
    );
    let state = AppState::new(Live::new(loaded(data)), Tokens::default());
    let runtime = runtime();
    let request = || {
        Request::post("/api/query")
            .header(header::CONTENT_TYPE, "application/geo+json")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let (status, answer) = runtime.block_on(send(&state, request()));
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let mut group = c.benchmark_group("batch");
    slow(&mut group, Duration::from_secs(20));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(
        BenchmarkId::new("10k x 50", "router, JSON in and out"),
        |b| {
            b.iter(|| runtime.block_on(send(&state, request())));
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = items, batch
}
criterion_main!(benches);
