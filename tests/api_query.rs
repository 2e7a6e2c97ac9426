//! `/api/query` through the router: the point query answers exactly as the CLI, and the batch
//! query answers every point in order, with every error class.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use axum::http::StatusCode;
use common::{get, post, send, shipped};
use serde_json::json;

fn point(
    lon: f64,
    lat: f64,
    date: Option<&str>,
    id: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut f = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {}});
    if let Some(d) = date {
        f["properties"]["date"] = json!(d);
    }
    if let Some(id) = id {
        f["id"] = id;
    }
    f
}

fn collection(features: &[serde_json::Value]) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

#[tokio::test]
async fn point_query_is_exactly_the_cli_answer() {
    let reply = send(
        shipped(),
        get("/api/query?lon=36.33867&lat=35.68482&at=2015-08-20"),
    )
    .await
    .expect(StatusCode::OK);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args([
            "query",
            "--lon",
            "36.33867",
            "--lat",
            "35.68482",
            "--at",
            "2015-08-20",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .env("FRONTLINE_DB", "/nonexistent/frontline-test.db")
        .output()
        .unwrap();
    assert!(cli.status.success());
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(reply.json(), cli);
    assert_eq!(reply.json()["regions"][0]["id"], "ghab-plain");
}

#[tokio::test]
async fn point_outside_every_region_gets_the_nearest() {
    // Latakia, on the coast west of the mountains.
    let body = send(
        shipped(),
        get("/api/query?lon=35.79088&lat=35.53125&at=2015-08-20"),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    assert_eq!(body["regions"], json!([]));
    assert_eq!(body["nearest"]["id"], "nusayriyah-mountains");
    assert!(body["nearest"]["distance_km"].as_f64().unwrap() > 2.0);
}

#[tokio::test]
async fn bad_coordinates_and_dates_are_400_naming_the_parameter() {
    for (query, needle) in [
        ("lat=35", "parameter lon: is required"),
        ("lon=36", "parameter lat: is required"),
        ("lon=abc&lat=35", "parameter lon: \"abc\" is not a number"),
        (
            "lon=NaN&lat=35",
            "parameter lon: longitude NaN is outside [-180, 180]",
        ),
        (
            "lon=36&lat=95",
            "parameter lat: latitude 95 is outside [-90, 90]",
        ),
        (
            "lon=-181&lat=0",
            "parameter lon: longitude -181 is outside [-180, 180]",
        ),
        (
            "lon=36&lat=35&at=2015-13-01",
            "parameter at: \"2015-13-01\" is not a date",
        ),
        ("lon=36&lat=35&when=now", "unknown query parameter `when`"),
    ] {
        send(shipped(), get(&format!("/api/query?{query}")))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, needle);
    }
}

#[tokio::test]
async fn batch_answers_every_point_in_order_with_its_id_and_date() {
    let body = collection(&[
        point(
            36.33867,
            35.68482,
            Some("2011-06-01"),
            Some(json!("ziyarah-2011")),
        ),
        point(36.33867, 35.68482, None, Some(json!(7))),
        point(35.79088, 35.53125, Some("2015-08-20"), None),
    ]);
    let reply = send(
        shipped(),
        post("/api/query?at=2015-08-20", "application/geo+json", body),
    )
    .await
    .expect(StatusCode::OK);
    let results = reply.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["id"], "ziyarah-2011");
    assert_eq!(results[0]["at"], "2011-06-01");
    assert_eq!(results[0]["control"]["status"], "held");
    assert!(
        results[0]["regions"][0].get("shares").is_none(),
        "batch results leave shares out unless asked"
    );
    assert_eq!(results[1]["id"], 7);
    assert_eq!(
        results[1]["at"], "2015-08-20",
        "the query's at is the default date"
    );
    assert!(results[2].get("id").is_none());
    assert_eq!(results[2]["nearest"]["id"], "nusayriyah-mountains");
    // Each result is the point query's answer (plus the id); with shares=true, to the byte.
    let single = send(
        shipped(),
        get("/api/query?lon=36.33867&lat=35.68482&at=2015-08-20"),
    )
    .await
    .json();
    assert_eq!(results[1]["control"], single["control"]);
    let with_shares = send(
        shipped(),
        post(
            "/api/query?at=2015-08-20&shares=true",
            "application/geo+json",
            collection(&[point(36.33867, 35.68482, None, Some(json!(7)))]),
        ),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    let mut second = with_shares["results"][0].clone();
    second.as_object_mut().unwrap().remove("id");
    assert_eq!(second, single);
}

#[tokio::test]
async fn batch_of_100000_points_is_answered() {
    let features: Vec<serde_json::Value> = (0..100_000)
        .map(|i| {
            point(
                36.0 + f64::from(i % 1000) * 0.001,
                35.0 + f64::from(i / 1000) * 0.01,
                None,
                None,
            )
        })
        .collect();
    let reply = send(
        shipped(),
        post(
            "/api/query?at=2015-08-20",
            "application/json",
            collection(&features),
        ),
    )
    .await
    .expect(StatusCode::OK);
    let body = reply.json();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 100_000);
    assert_eq!(
        results[99_999]["point"],
        json!({"lon": 36.999, "lat": 35.99})
    );
}

#[tokio::test]
async fn more_than_100000_points_is_413() {
    let features: Vec<serde_json::Value> = (0..100_001)
        .map(|_| point(36.0, 35.0, None, None))
        .collect();
    send(
        shipped(),
        post("/api/query", "application/json", collection(&features)),
    )
    .await
    .expect_problem(StatusCode::PAYLOAD_TOO_LARGE, "at most 100000");
}

#[tokio::test]
async fn a_body_over_32_mb_is_413() {
    let huge = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[],\"pad\":\"{}\"}}",
        "x".repeat(33 * 1024 * 1024)
    );
    send(shipped(), post("/api/query", "application/json", huge))
        .await
        .expect_problem(StatusCode::PAYLOAD_TOO_LARGE, "too large");
}

#[tokio::test]
async fn invalid_points_are_422_naming_every_feature_index() {
    let body = collection(&[
        point(36.0, 35.0, None, None),
        point(36.0, 95.0, None, None),
        point(36.0, 35.0, Some("2015-02-30"), None),
        json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}),
        json!({"type": "Feature", "geometry": null}),
    ]);
    let problem = send(shipped(), post("/api/query", "application/geo+json", body))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "features[1]");
    assert_eq!(
        problem["errors"],
        json!([
            {"pointer": "/features/1/geometry/coordinates", "detail": "features[1]: latitude 95 is outside [-90, 90]"},
            {"pointer": "/features/2/properties/date", "detail": "features[2]: properties.date \"2015-02-30\" is not a date (expected YYYY-MM-DD)"},
            {"pointer": "/features/3/geometry", "detail": "features[3]: geometry is a LineString, expected Point"},
            {"pointer": "/features/4/geometry", "detail": "features[4]: has no geometry"},
        ])
    );
    send(
        shipped(),
        post(
            "/api/query",
            "application/json",
            json!({"type": "Feature"}).to_string(),
        ),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "FeatureCollection");
    send(
        shipped(),
        post(
            "/api/query",
            "application/json",
            r#"{"type":"FeatureCollection","features":5}"#,
        ),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "features");
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_content_type_is_415() {
    send(
        shipped(),
        post(
            "/api/query",
            "application/json",
            r#"{"type": "FeatureCollection", "features": [}"#,
        ),
    )
    .await
    .expect_problem(StatusCode::BAD_REQUEST, "not valid JSON");
    send(
        shipped(),
        post("/api/query", "text/plain", "lon,lat\n36,35\n"),
    )
    .await
    .expect_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "\"text/plain\"");
    send(
        shipped(),
        post(
            "/api/query?at=yesterday",
            "application/json",
            collection(&[]),
        ),
    )
    .await
    .expect_problem(StatusCode::BAD_REQUEST, "parameter at");
}

/// A batch POST asking for `accept`.
fn batch_asking(
    uri: &str,
    content_type: &str,
    accept: &str,
    body: &str,
) -> axum::http::Request<axum::body::Body> {
    let mut req = post(uri, content_type, body.to_owned());
    req.headers_mut()
        .insert(axum::http::header::ACCEPT, accept.parse().unwrap());
    req
}

#[tokio::test]
async fn bad_csv_rows_are_422_naming_row_column_and_value() {
    let body = "id,lon,lat,date\n\
                ok,36.33867,35.68482,2015-08-20\n\
                bad-lat,36.3,95,\n\
                bad-date,36.3,35.6,20/08/2015\n\
                short,36.3\n";
    let problem = send(shipped(), post("/api/query", "text/csv", body))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "row 3, column lat");
    assert_eq!(
        problem["errors"],
        json!([
            {"row": 3, "column": "lat", "value": "95", "detail": "row 3, column lat: latitude 95 is outside [-90, 90]"},
            {"row": 4, "column": "date", "value": "20/08/2015", "detail": "row 4, column date: \"20/08/2015\" is not a date (expected YYYY-MM-DD)"},
            {"row": 5, "detail": "row 5: has 2 fields; the header row has 4"},
        ])
    );
    let problem = send(
        shipped(),
        post("/api/query", "text/csv", "id,longitude,lat\n1,36,35\n"),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "row 1, column lon: missing",
    );
    assert_eq!(problem["errors"][0]["row"], 1);
    assert_eq!(problem["errors"][0]["column"], "lon");
    send(
        shipped(),
        post("/api/query", "text/csv; charset=latin1", "id,lon,lat\n"),
    )
    .await
    .expect_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "CSV must be UTF-8");
}

#[tokio::test]
async fn an_accept_header_allowing_no_format_is_406() {
    let body = collection(&[point(36.33867, 35.68482, None, None)]);
    let problem = send(
        shipped(),
        batch_asking(
            "/api/query",
            "application/json",
            "text/html, application/xml;q=0.9",
            &body,
        ),
    )
    .await
    .expect_problem(StatusCode::NOT_ACCEPTABLE, "text/csv");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("f=json, csv or geojsonseq")
    );
    send(
        shipped(),
        post("/api/query?f=xml", "application/json", body.clone()),
    )
    .await
    .expect_problem(StatusCode::BAD_REQUEST, "parameter f: \"xml\"");
    send(
        shipped(),
        batch_asking(
            "/api/query?shares=true",
            "application/json",
            "text/csv",
            &body,
        ),
    )
    .await
    .expect_problem(StatusCode::BAD_REQUEST, "parameter shares");
    // Browsers and GDAL send these: they get JSON, as before.
    for accept in ["*/*", "application/geo+json", "text/html,*/*;q=0.8"] {
        let reply = send(
            shipped(),
            batch_asking("/api/query", "application/json", accept, &body),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            reply.header(axum::http::header::CONTENT_TYPE),
            "application/json"
        );
    }
}

#[tokio::test]
async fn a_geojson_sequence_answer_needs_feature_ids() {
    let body = collection(&[point(36.33867, 35.68482, None, Some(json!({"a": 1})))]);
    send(
        shipped(),
        batch_asking(
            "/api/query",
            "application/json",
            "application/geo+json-seq",
            &body,
        ),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "features[0]: id {\"a\":1}",
    );
}

#[tokio::test]
async fn the_documented_csv_example_is_the_answer() {
    let doc = send(shipped(), get("/api/openapi.json")).await.json();
    let op = &doc["paths"]["/api/query"]["post"];
    let request = op["requestBody"]["content"]["text/csv"]["example"]
        .as_str()
        .unwrap();
    let answer = op["responses"]["200"]["content"]["text/csv"]["example"]
        .as_str()
        .unwrap();
    let reply = send(
        shipped(),
        batch_asking("/api/query", "text/csv", "text/csv", request),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(reply.text(), answer);
    assert_eq!(
        reply.header(axum::http::header::CONTENT_TYPE),
        "text/csv; charset=utf-8; header=present"
    );
}

#[tokio::test]
async fn an_empty_batch_is_an_empty_answer_in_every_format() {
    for (accept, answer) in [
        ("application/json", "{\"results\":[]}"),
        (
            "text/csv",
            "id,lon,lat,date,region,status,factions,since,statement\r\n",
        ),
        ("application/geo+json-seq", ""),
    ] {
        let reply = send(
            shipped(),
            batch_asking("/api/query", "application/json", accept, &collection(&[])),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(reply.text(), answer, "{accept}");
        let reply = send(
            shipped(),
            batch_asking("/api/query", "text/csv", accept, "id,lon,lat\r\n"),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(reply.text(), answer, "CSV in, {accept} out");
    }
}
