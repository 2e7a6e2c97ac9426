//! OGC API – Features through the router: landing page, conformance, collections, items and
//! single features, with paging, filters and every error class.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{StatusCode, header};
use common::{get, send, shipped, tiny};

#[tokio::test]
async fn landing_page_links_to_the_service_description_conformance_and_data() {
    let reply = send(tiny(), get("/api")).await.expect(StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), "application/json");
    insta::assert_json_snapshot!(reply.json());
}

#[tokio::test]
async fn conformance_declares_core_and_geojson() {
    let body = send(tiny(), get("/api/conformance"))
        .await
        .expect(StatusCode::OK)
        .json();
    insta::assert_json_snapshot!(body);
}

#[tokio::test]
async fn collections_have_spatial_and_temporal_extents() {
    let body = send(tiny(), get("/api/collections"))
        .await
        .expect(StatusCode::OK)
        .json();
    insta::assert_json_snapshot!(body);
    let one = send(tiny(), get("/api/collections/events"))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(one, body["collections"][1]);
}

#[tokio::test]
async fn region_items_carry_control_on_the_date_nested_and_flat() {
    let reply = send(tiny(), get("/api/collections/regions/items?at=2015-08-20"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), "application/geo+json");
    insta::assert_json_snapshot!(reply.json(), { ".timeStamp" => "[timestamp]" });
}

#[tokio::test]
async fn the_ghab_is_contested_on_2015_08_20_and_government_held_in_2011() {
    let item = |at: &'static str| async move {
        send(
            shipped(),
            get(&format!(
                "/api/collections/regions/items/ghab-plain?at={at}"
            )),
        )
        .await
        .expect(StatusCode::OK)
        .json()
    };
    let after = item("2015-08-20").await;
    assert_eq!(after["properties"]["status"], "contested");
    // Format 2: the Ghab's history keeps whole-region entries only: the 2011 base state until
    // December 2024. The front on 2015-08-20 comes from control areas, through the shares.
    assert_eq!(after["properties"]["since"], "2011-01-01");
    assert_eq!(after["properties"]["faction"], serde_json::Value::Null);
    assert_eq!(after["properties"]["control"]["since"], "2011-01-01");
    assert!(
        after["properties"]["shares"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["holder"] == "contested"),
        "{}",
        after["properties"]["shares"]
    );
    let before = item("2011-06-01").await;
    assert_eq!(before["properties"]["status"], "held");
    assert_eq!(before["properties"]["faction"], "government");
    assert_eq!(before["properties"]["color"], "#d55e00");
    assert_eq!(
        before["properties"]["history"],
        after["properties"]["history"]
    );
    assert_eq!(before["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn a_datetime_instant_means_the_same_as_at() {
    let at = send(
        shipped(),
        get("/api/collections/regions/items?at=2015-08-20"),
    )
    .await
    .json();
    let dt = send(
        shipped(),
        get("/api/collections/regions/items?datetime=2015-08-20T12:00:00Z"),
    )
    .await
    .json();
    assert_eq!(at["features"], dt["features"]);
    send(
        shipped(),
        get("/api/collections/regions/items?datetime=2015-01-01/2016-01-01"),
    )
    .await
    .expect_problem(StatusCode::BAD_REQUEST, "control-periods");
}

#[tokio::test]
async fn paging_links_walk_the_whole_collection() {
    let mut url = "/api/collections/control-periods/items?limit=7".to_owned();
    let mut seen = Vec::new();
    let mut matched = None;
    for _ in 0..100 {
        let body = send(shipped(), get(&url))
            .await
            .expect(StatusCode::OK)
            .json();
        matched.get_or_insert(body["numberMatched"].as_u64().unwrap());
        assert_eq!(
            body["numberReturned"],
            body["features"].as_array().unwrap().len()
        );
        seen.extend(
            body["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        let links = body["links"].as_array().unwrap();
        assert!(links.iter().any(|l| l["rel"] == "self"));
        assert!(links.iter().any(|l| l["rel"] == "collection"));
        match links.iter().find(|l| l["rel"] == "next") {
            Some(next) => {
                url = next["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("http://example.test")
                    .to_owned();
            }
            None => break,
        }
    }
    let matched = usize::try_from(matched.unwrap()).unwrap();
    assert_eq!(seen.len(), matched);
    // The five 2011 base entries and the five of 8 December 2024.
    let total_entries = 10;
    assert!(
        matched >= total_entries,
        "one period per history entry: {matched}"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no feature twice");
}

#[tokio::test]
async fn next_and_prev_links_keep_the_other_parameters() {
    let body = send(
        shipped(),
        // Parameter names may come percent-encoded: `off%73et` is `offset`, `li%6Dit` is
        // `limit`, and the links must not repeat them.
        get("/api/collections/regions/items?at=2015-08-20&li%6Dit=2&off%73et=2"),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    let href = |rel: &str| {
        body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == rel)
            .map(|l| l["href"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        href("next").unwrap(),
        "http://example.test/api/collections/regions/items?at=2015-08-20&limit=2&offset=4"
    );
    assert_eq!(
        href("prev").unwrap(),
        "http://example.test/api/collections/regions/items?at=2015-08-20&limit=2&offset=0"
    );
    assert_eq!(
        href("collection").unwrap(),
        "http://example.test/api/collections/regions"
    );
    let next = href("next").unwrap();
    let path = next.strip_prefix("http://example.test").unwrap();
    send(shipped(), get(path)).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn limit_is_capped_and_bad_limits_are_refused() {
    let body = send(shipped(), get("/api/collections/events/items?limit=20000"))
        .await
        .expect(StatusCode::OK)
        .json();
    let next = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next");
    assert!(!next, "every event fits in a capped page");
    assert!(
        body["links"][0]["href"]
            .as_str()
            .unwrap()
            .contains("limit=10000")
    );
    for bad in ["0", "-3", "1.5", "many"] {
        send(
            shipped(),
            get(&format!("/api/collections/events/items?limit={bad}")),
        )
        .await
        .expect_problem(
            StatusCode::BAD_REQUEST,
            &format!("parameter limit: \"{bad}\""),
        );
    }
    send(shipped(), get("/api/collections/events/items?offset=-1"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter offset");
}

#[tokio::test]
async fn bbox_filters_regions_and_events() {
    // A box around Salma (Jabal al-Akrad) meets only the mountains and that sub-region.
    let body = send(
        shipped(),
        get("/api/collections/regions/items?bbox=36.12,35.68,36.15,35.70"),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    let ids: Vec<&str> = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["nusayriyah-mountains", "jabal-al-akrad"]);
    let far = send(shipped(), get("/api/collections/events/items?bbox=0,0,1,1"))
        .await
        .json();
    assert_eq!(far["numberMatched"], 0);
    for bad in ["1,2,3", "a,b,c,d", "37,35,36,36", "0,-91,1,1"] {
        send(
            shipped(),
            get(&format!("/api/collections/regions/items?bbox={bad}")),
        )
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter bbox");
    }
}

#[tokio::test]
async fn datetime_filters_events_and_control_periods() {
    let events = send(
        shipped(),
        get("/api/collections/events/items?datetime=2015-08-01/2015-08-31&limit=1000"),
    )
    .await
    .json();
    let dates: Vec<&str> = events["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["date"].as_str().unwrap())
        .collect();
    assert!(!dates.is_empty());
    assert!(dates.iter().all(|d| d.starts_with("2015-08")), "{dates:?}");
    let open = send(
        shipped(),
        get("/api/collections/events/items?datetime=../2011-12-31"),
    )
    .await
    .json();
    assert!(
        open["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["date"].as_str().unwrap() < "2012")
    );
    // On one day, the mountains' region-wide entry is in force on what the areas leave of it.
    let periods = send(
        shipped(),
        get("/api/collections/control-periods/items?at=2015-08-20&limit=1000"),
    )
    .await
    .json();
    let mountains = periods["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["statement"] == "nusayriyah-mountains@2011-01-01")
        .unwrap();
    let p = &mountains["properties"];
    assert_eq!(p["region"], "nusayriyah-mountains");
    assert!(p["valid_from"].as_str().unwrap() <= "2015-08-20", "{p}");
    assert!(p["valid_to"].as_str().unwrap() > "2015-08-20", "{p}");
    assert!(p["valid_to"].as_str().unwrap() <= "2024-12-08", "{p}");
    assert!(
        p["sources"]
            .as_str()
            .unwrap()
            .contains("http://www.yourmiddleeast.com/")
    );
    for bad in ["2015-13-01", "../..", "2016-01-01/2015-01-01", "soon"] {
        send(
            shipped(),
            get(&format!("/api/collections/events/items?datetime={bad}")),
        )
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter datetime");
    }
}

#[tokio::test]
async fn single_features_and_their_links() {
    let body = send(
        shipped(),
        get("/api/collections/control-periods/items/ghab-plain@2024-12-08@2024-12-08"),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    assert_eq!(body["properties"]["status"], "held");
    assert_eq!(body["properties"]["faction"], "transitional-government");
    assert_eq!(body["links"][0]["rel"], "self");
    let event = send(shipped(), get("/api/collections/events/items?limit=1"))
        .await
        .json();
    let id = event["features"][0]["id"].as_str().unwrap().to_owned();
    let one = send(
        shipped(),
        get(&format!("/api/collections/events/items/{id}")),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    assert_eq!(one["properties"], event["features"][0]["properties"]);
    assert_eq!(one["geometry"]["type"], "Point");
}

#[tokio::test]
async fn unknown_collections_features_and_paths_are_404_problems() {
    send(shipped(), get("/api/collections/rivers"))
        .await
        .expect_problem(StatusCode::NOT_FOUND, "no collection \"rivers\"");
    send(shipped(), get("/api/collections/rivers/items"))
        .await
        .expect_problem(StatusCode::NOT_FOUND, "rivers");
    send(shipped(), get("/api/collections/regions/items/atlantis"))
        .await
        .expect_problem(
            StatusCode::NOT_FOUND,
            "no feature \"atlantis\" in collection \"regions\"",
        );
    send(shipped(), get("/api/nothing-here"))
        .await
        .expect_problem(StatusCode::NOT_FOUND, "/api/nothing-here");
}

#[tokio::test]
async fn format_parameter_is_accepted_for_json_only_and_unknown_parameters_are_refused() {
    send(shipped(), get("/api/collections?f=json"))
        .await
        .expect(StatusCode::OK);
    send(shipped(), get("/api/collections/regions/items?f=geojson"))
        .await
        .expect(StatusCode::OK);
    send(shipped(), get("/api/collections?f=html"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter f: \"html\"");
    send(shipped(), get("/api/collections/regions/items?colour=red"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "unknown query parameter `colour`");
    send(
        shipped(),
        get("/api/collections/regions/items?at=2015-02-30"),
    )
    .await
    .expect_problem(
        StatusCode::BAD_REQUEST,
        "parameter at: \"2015-02-30\" is not a date",
    );
}

#[tokio::test]
async fn format_1_control_periods_are_one_feature_per_region_entry() {
    let all = send(tiny(), get("/api/collections/control-periods/items"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(all.header(header::CONTENT_TYPE), "application/geo+json");
    insta::assert_json_snapshot!(all.json(), { ".timeStamp" => "[timestamp]" });
    // On one day, each region with an entry has exactly one period in force.
    let on = send(
        tiny(),
        get("/api/collections/control-periods/items?at=2015-08-20"),
    )
    .await
    .json();
    assert_eq!(on["numberMatched"], 2);
    let one = send(
        tiny(),
        get("/api/collections/control-periods/items/big@2011-03-01"),
    )
    .await
    .expect(StatusCode::OK)
    .json();
    insta::assert_json_snapshot!(one);
}

/// Every feature of a collection's items request, in one page.
async fn features_of(uri: &str) -> Vec<serde_json::Value> {
    let body = send(shipped(), get(uri))
        .await
        .expect(StatusCode::OK)
        .json();
    assert_eq!(body["numberReturned"], body["numberMatched"], "{uri}");
    body["features"].as_array().unwrap().clone()
}

/// Each feature's statement and its km², by statement.
fn km2_by_statement(features: &[serde_json::Value]) -> BTreeMap<String, f64> {
    features
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let statement = p["statement"].as_str().unwrap().to_owned();
            (statement, p["km2"].as_f64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_control_periods_in_force_on_a_date_are_that_dates_control_map() {
    // Before any statement, a date with one region-wide entry, the seed's date, the 2020
    // ceasefire, and a date after the last statement.
    for at in [
        "2010-01-01",
        "2011-06-01",
        "2015-08-20",
        "2020-03-06",
        "2030-01-01",
    ] {
        let limit = "limit=10000";
        let periods = features_of(&format!(
            "/api/collections/control-periods/items?at={at}&{limit}"
        ))
        .await;
        let map = features_of(&format!("/api/collections/control/items?at={at}&{limit}")).await;
        let (got, want) = (km2_by_statement(&periods), km2_by_statement(&map));
        assert_eq!(periods.len(), got.len(), "one period per statement on {at}");
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "statements on {at}"
        );
        for (statement, km2) in &got {
            assert!(
                (km2 - want[statement]).abs() <= 0.1,
                "{statement} on {at}: {km2} km² in its period, {} in the map",
                want[statement]
            );
        }
        for f in &periods {
            let p = &f["properties"];
            let from = p["valid_from"].as_str().unwrap();
            assert!(from <= at, "{p}");
            assert!(p["valid_to"].as_str().is_none_or(|to| at < to), "{p}");
            assert_eq!(
                f["id"],
                format!("{}@{from}", p["statement"].as_str().unwrap())
            );
        }
    }
}

#[tokio::test]
async fn each_control_period_has_its_own_id_and_the_filters_count_what_they_keep() {
    let all = features_of("/api/collections/control-periods/items?limit=10000").await;
    let ids: BTreeSet<&str> = all.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "ids are distinct");
    // The mountains' region-wide entry loses ground to the areas drawn inside it, period by
    // period.
    let base: Vec<&serde_json::Value> = all
        .iter()
        .filter(|f| f["properties"]["statement"] == "nusayriyah-mountains@2011-01-01")
        .collect();
    assert!(
        base.len() > 2,
        "{} periods of the mountains' entry",
        base.len()
    );
    for pair in base.windows(2) {
        let (a, b) = (&pair[0]["properties"], &pair[1]["properties"]);
        assert_eq!(a["valid_to"], b["valid_from"]);
        assert!(a["km2"].as_f64().unwrap() >= b["km2"].as_f64().unwrap());
        assert_eq!(
            (b["scope"].as_str(), b["region_name"].as_str()),
            (
                Some("region"),
                Some("Coastal Mountains (Jabal an-Nusayriyah)")
            )
        );
    }
    // Every feature is found by its id, as it is in the list.
    for f in all.iter().step_by(7).chain(base.iter().copied()) {
        let id = f["id"].as_str().unwrap();
        let one = send(
            shipped(),
            get(&format!("/api/collections/control-periods/items/{id}")),
        )
        .await
        .expect(StatusCode::OK)
        .json();
        assert_eq!(one["properties"], f["properties"], "{id}");
        assert_eq!(one["geometry"], f["geometry"], "{id}");
    }
    for missing in [
        "northern-ghab-army-retakes-2015@2015-08-19",
        "ghab-plain@2012-01-01",
        "ghab-plain@2012-01-01@1999-01-01",
        "no-such-statement@2015-08-18",
        "northern-ghab-army-retakes-2015",
    ] {
        send(
            shipped(),
            get(&format!("/api/collections/control-periods/items/{missing}")),
        )
        .await
        .expect_problem(StatusCode::NOT_FOUND, missing);
    }
    // An interval keeps the periods that overlap it; numberMatched counts them.
    let (start, end) = ("2015-08-01", "2015-08-31");
    let august = send(
        shipped(),
        get(&format!(
            "/api/collections/control-periods/items?datetime={start}/{end}&limit=5"
        )),
    )
    .await
    .json();
    let overlapping = all
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            p["valid_from"].as_str().unwrap() <= end
                && p["valid_to"].as_str().is_none_or(|to| start < to)
        })
        .count();
    assert!(overlapping > 5 && overlapping < all.len());
    assert_eq!(august["numberMatched"], overlapping);
    assert_eq!(august["numberReturned"], 5);
    // A box around Salma keeps the periods there, and one far away none.
    let salma = features_of(
        "/api/collections/control-periods/items?bbox=36.12,35.68,36.15,35.70&limit=10000",
    )
    .await;
    assert!(!salma.is_empty() && salma.len() < all.len());
    assert!(
        salma
            .iter()
            .all(|f| ids.contains(f["id"].as_str().unwrap()))
    );
    let far = send(
        shipped(),
        get("/api/collections/control-periods/items?bbox=0,0,1,1"),
    )
    .await
    .json();
    assert_eq!(far["numberMatched"], 0);
}
