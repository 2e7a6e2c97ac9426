//! Service behaviour through the router: health, timeline, statistics, caching, compression,
//! CORS, wrong methods and the home page.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{get, send, shipped, tiny};

#[tokio::test]
async fn healthz_reports_the_data_version_without_caching() {
    let reply = send(shipped(), get("/healthz"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(reply.header(header::CACHE_CONTROL), "");
    assert_eq!(reply.header(header::ETAG), "");
    let body = reply.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["data_version"].as_str().unwrap().len(), 16);
    // Served without an edits database (tests/db_unavailable.rs covers one).
    assert_eq!(
        (&body["database"], &body["change_id"]),
        (&"none".into(), &0.into())
    );
    assert!(body.get("database_error").is_none(), "{body}");
}

#[tokio::test]
async fn timeline_lists_every_change_and_event_in_order() {
    let body = send(tiny(), get("/api/timeline"))
        .await
        .expect(StatusCode::OK)
        .json();
    insta::assert_json_snapshot!(body);
    let shipped_body = send(shipped(), get("/api/timeline")).await.json();
    let dates: Vec<&str> = shipped_body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    assert!(dates.contains(&"2012-01-01"));
    assert!(dates.contains(&"2024-12-08"));
    assert!(shipped_body["events"].as_array().unwrap().len() >= 15);
}

#[tokio::test]
async fn stats_give_geodesic_area_per_faction() {
    let body = send(tiny(), get("/api/stats?at=2015-08-20"))
        .await
        .expect(StatusCode::OK)
        .json();
    insta::assert_json_snapshot!(body);
    let early = send(tiny(), get("/api/stats?at=2011-01-01")).await.json();
    assert_eq!(early["unknown_km2"], early["total_km2"]);
    send(tiny(), get("/api/stats?at=2015-8-20"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter at");
}

#[tokio::test]
async fn etag_and_if_none_match_give_304() {
    let first = send(
        shipped(),
        get("/api/collections/regions/items?at=2015-08-20"),
    )
    .await
    .expect(StatusCode::OK);
    let tag = first.header(header::ETAG).to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(first.header(header::CACHE_CONTROL), "public, max-age=60");
    assert!(
        first
            .header(header::VARY)
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let again = Request::get("/api/collections/regions/items?at=2015-08-20")
        .header(header::HOST, "example.test")
        .header(header::IF_NONE_MATCH, &tag)
        .body(Body::empty())
        .unwrap();
    let reply = send(shipped(), again)
        .await
        .expect(StatusCode::NOT_MODIFIED);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header(header::ETAG), tag);
    let other = send(
        shipped(),
        get("/api/collections/regions/items?at=2015-08-21"),
    )
    .await;
    assert_ne!(
        other.header(header::ETAG),
        tag,
        "the ETag depends on the request"
    );
    let stale = Request::get("/api/collections/regions/items?at=2015-08-20")
        .header(header::HOST, "example.test")
        .header(header::IF_NONE_MATCH, "W/\"0000\"")
        .body(Body::empty())
        .unwrap();
    send(shipped(), stale).await.expect(StatusCode::OK);
    // Links in the body name the host, so another host gets another tag.
    let elsewhere = Request::get("/api/collections/regions/items?at=2015-08-20")
        .header(header::HOST, "mirror.example")
        .header(header::IF_NONE_MATCH, &tag)
        .body(Body::empty())
        .unwrap();
    send(shipped(), elsewhere).await.expect(StatusCode::OK);
    // A matching tag never hides an error.
    let invalid = Request::get("/api/query?lon=x&lat=1")
        .header(header::IF_NONE_MATCH, "*")
        .body(Body::empty())
        .unwrap();
    send(shipped(), invalid)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter lon");
}

#[tokio::test]
async fn responses_are_compressed_with_gzip_or_brotli() {
    for encoding in ["gzip", "br"] {
        let req = Request::get("/api/collections/regions/items")
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .unwrap();
        let reply = send(shipped(), req).await.expect(StatusCode::OK);
        assert_eq!(reply.header(header::CONTENT_ENCODING), encoding);
        assert!(
            serde_json::from_slice::<serde_json::Value>(&reply.body).is_err(),
            "body must be compressed"
        );
    }
}

#[tokio::test]
async fn cors_allows_any_origin_to_read() {
    let req = Request::get("/api/collections")
        .header(header::ORIGIN, "https://newsroom.example")
        .body(Body::empty())
        .unwrap();
    let reply = send(shipped(), req).await.expect(StatusCode::OK);
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let preflight = Request::options("/api/query")
        .header(header::ORIGIN, "https://newsroom.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let reply = send(shipped(), preflight).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert!(
        reply
            .header(header::ACCESS_CONTROL_ALLOW_METHODS)
            .contains("POST")
    );
}

#[tokio::test]
async fn wrong_method_is_a_405_problem() {
    let req = Request::delete("/api/collections")
        .body(Body::empty())
        .unwrap();
    send(shipped(), req)
        .await
        .expect_problem(StatusCode::METHOD_NOT_ALLOWED, "DELETE /api/collections");
    let req = Request::put("/api/query").body(Body::empty()).unwrap();
    send(shipped(), req)
        .await
        .expect_problem(StatusCode::METHOD_NOT_ALLOWED, "PUT /api/query");
    // The map's files answer GET and HEAD only.
    let req = Request::builder()
        .method("TRACE")
        .uri("/")
        .body(Body::empty())
        .unwrap();
    let reply = send(shipped(), req).await;
    assert_eq!(reply.header(header::ALLOW), "GET,HEAD");
    reply.expect_problem(StatusCode::METHOD_NOT_ALLOWED, "TRACE /");
}

#[tokio::test]
async fn the_map_is_served_at_the_root_with_its_files() {
    let reply = send(shipped(), get("/")).await.expect(StatusCode::OK);
    assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert!(
        reply
            .text()
            .contains(r#"<script type="module" src="main.js">"#),
        "{}",
        reply.text()
    );
    let js = send(shipped(), get("/main.js"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(js.header(header::CONTENT_TYPE), "text/javascript");
    let leaflet = send(shipped(), get("/vendor/leaflet/leaflet-src.esm.js"))
        .await
        .expect(StatusCode::OK);
    assert!(
        leaflet.text().contains("1.9.4"),
        "Leaflet 1.9.4 is vendored"
    );
    let icon = send(shipped(), get("/favicon.ico"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(icon.header(header::CONTENT_TYPE), "image/svg+xml");
}

#[tokio::test]
async fn map_files_revalidate_with_their_content_hash() {
    let first = send(shipped(), get("/style.css"))
        .await
        .expect(StatusCode::OK);
    let tag = first.header(header::ETAG).to_owned();
    assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");
    let again = Request::get("/style.css")
        .header(header::IF_NONE_MATCH, &tag)
        .body(Body::empty())
        .unwrap();
    let reply = send(shipped(), again)
        .await
        .expect(StatusCode::NOT_MODIFIED);
    assert_eq!(reply.header(header::ETAG), tag);
}

#[tokio::test]
async fn npm_files_and_tests_are_not_served() {
    for path in [
        "/package.json",
        "/package-lock.json",
        "/node_modules/leaflet/package.json",
        "/test/map.test.mjs",
        "/scripts/vendor.mjs",
        "/../Cargo.toml",
    ] {
        send(shipped(), get(path))
            .await
            .expect_problem(StatusCode::NOT_FOUND, "no such path");
    }
}

#[tokio::test]
async fn places_for_the_search_box_have_english_and_arabic_names() {
    let reply = send(tiny(), get("/places.geojson"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), "application/geo+json");
    insta::assert_json_snapshot!(reply.json());
}
