//! The bundled data at village resolution, through the real code paths: the seed article's own
//! fact (the front moved inside the Ghab in August 2015), and sourced (place, date, holder)
//! facts that no issue names, each answered by `frontline query`.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::process::Command;

use axum::http::StatusCode;
use common::{get, send, shipped};
use serde_json::Value;

const GHAB: &str = "ghab-plain";
const BEFORE: &str = "2015-07-27";
const AFTER: &str = "2015-08-20";

async fn json(uri: &str) -> Value {
    send(shipped(), get(uri))
        .await
        .expect(StatusCode::OK)
        .json()
}

/// The percent of the Ghab `holder` has on `date`.
async fn ghab_share(date: &str, holder: &str) -> f64 {
    let ghab = json(&format!("/api/collections/regions/items/{GHAB}?at={date}")).await;
    ghab["properties"]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["holder"] == holder)
        .map_or(0.0, |s| s["percent"].as_f64().unwrap())
}

/// Who holds `(lon, lat)` on `date`: a faction, `contested` or `unknown`.
async fn holder_at(lon: f64, lat: f64, date: &str) -> String {
    let answer = json(&format!("/api/query?lon={lon}&lat={lat}&at={date}")).await;
    let control = &answer["control"];
    match control["status"].as_str().unwrap() {
        "held" => control["factions"][0].as_str().unwrap().to_owned(),
        other => other.to_owned(),
    }
}

#[tokio::test]
async fn the_government_held_less_of_the_ghab_after_its_august_2015_withdrawal() {
    let before = ghab_share(BEFORE, "government").await;
    let after = ghab_share(AFTER, "government").await;
    assert!(
        before > after,
        "government's share of the Ghab: {before} % on {BEFORE}, {after} % on {AFTER}"
    );
    let stats = json(&format!("/api/stats?at={AFTER}&from={BEFORE}")).await;
    let government = stats["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["holder"] == "government")
        .unwrap()
        .clone();
    assert!(
        government["lost_km2"].as_f64().unwrap() > government["gained_km2"].as_f64().unwrap(),
        "the government lost ground between the dates: {government}"
    );
}

#[tokio::test]
async fn points_on_either_side_of_the_20_august_2015_front_answer_different_holders() {
    // The front lines inside the Ghab's bounding box on that day.
    let lines = json(&format!(
        "/api/collections/front-lines/items?at={AFTER}&bbox=36.2,35.35,36.5,35.85"
    ))
    .await;
    let features = lines["features"].as_array().unwrap();
    assert!(!features.is_empty(), "the Ghab has a front line on {AFTER}");
    let mut checked = 0;
    for line in features {
        let sides: Vec<&str> = line["properties"]["sides"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for part in line["geometry"]["coordinates"].as_array().unwrap() {
            let points = part.as_array().unwrap();
            for pair in points.windows(2) {
                let (x0, y0) = (pair[0][0].as_f64().unwrap(), pair[0][1].as_f64().unwrap());
                let (x1, y1) = (pair[1][0].as_f64().unwrap(), pair[1][1].as_f64().unwrap());
                let length = (x1 - x0).hypot(y1 - y0);
                // Long enough segments, so that 10 m either side of the middle stays beside this
                // one and no other edge.
                if length < 0.005 {
                    continue;
                }
                let (mx, my) = (f64::midpoint(x0, x1), f64::midpoint(y0, y1));
                let (nx, ny) = (-(y1 - y0) / length * 1e-4, (x1 - x0) / length * 1e-4);
                let left = holder_at(mx + nx, my + ny, AFTER).await;
                let right = holder_at(mx - nx, my - ny, AFTER).await;
                assert_ne!(left, right, "either side of the front at ({mx}, {my})");
                let mut found = [left.as_str(), right.as_str()];
                found.sort_unstable();
                let mut expected = [sides[0], sides[1]];
                expected.sort_unstable();
                assert_eq!(found, expected, "the front's sides at ({mx}, {my})");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "at least one segment was long enough to check");
}

#[test]
fn sourced_facts_no_issue_names_are_answered_by_the_cli() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facts.json"),
    )
    .unwrap();
    let facts: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(facts.len() >= 30, "{} facts", facts.len());
    for fact in &facts {
        assert!(
            fact["source"]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "every fact is sourced: {fact}"
        );
        let (lon, lat, date) = (
            fact["lon"].as_f64().unwrap().to_string(),
            fact["lat"].as_f64().unwrap().to_string(),
            fact["date"].as_str().unwrap(),
        );
        let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["query", "--lon", &lon, "--lat", &lat, "--at", date])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("FRONTLINE_DATA")
            .env("FRONTLINE_DB", "/nonexistent/frontline.db")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        let control = &answer["control"];
        let holder = match control["status"].as_str().unwrap() {
            "held" => control["factions"][0].as_str().unwrap(),
            other => other,
        };
        assert_eq!(
            holder,
            fact["holder"].as_str().unwrap(),
            "{} on {date}: {}",
            fact["place"],
            control["statement"]
        );
    }
}
