use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_stream::StreamExt;

use super::*;
use crate::store::SqliteStore;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid")
}

async fn editable() -> Live {
    let loaded = geodata::load(&fixture()).unwrap();
    Live::open(loaded, Arc::new(SqliteStore::open_in_memory().unwrap()))
        .await
        .unwrap()
}

fn entry(from: &str, status: &str, factions: &[&str]) -> String {
    json!({"from": from, "status": status, "factions": factions, "note": "",
           "sources": [{"title": "T", "url": "https://example.org", "published": "2016-01-01"}]})
    .to_string()
}

fn committed(outcome: Outcome) -> Arc<Change> {
    match outcome {
        Outcome::Committed(change) => change,
        Outcome::Unchanged { .. } => panic!("expected a committed change"),
    }
}

#[tokio::test]
async fn an_edit_is_served_at_once_and_shares_the_spatial_index_and_geometry() {
    let live = editable().await;
    let before = live.snapshot();
    let change = committed(
        live.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let after = live.snapshot();
    assert!(Arc::ptr_eq(before.engine.spatial(), after.engine.spatial()));
    assert!(std::ptr::eq(
        before.region(0).geometry,
        after.region(0).geometry
    ));
    assert_eq!((after.last_change, change.id), (1, 1));
    assert_ne!(before.version, after.version);
    let big = after.region_by_id("big").unwrap().region;
    assert_eq!(big.history.len(), 3);
    assert_eq!(
        before.region_by_id("big").unwrap().region.history.len(),
        2,
        "a snapshot never changes"
    );
    assert_eq!(change.change.form, FORM);
    assert_eq!(
        change.change.after.as_ref().unwrap()["factions"],
        json!(["blue"])
    );
}

#[tokio::test]
async fn the_same_entry_again_is_unchanged_and_a_replacement_records_what_it_replaced() {
    let live = editable().await;
    // The file's own entry, sent again.
    let snapshot = live.snapshot();
    let file_entry = &snapshot.region_by_id("big").unwrap().region.history[1];
    let same = change::control_entry_form(file_entry).to_string();
    assert!(matches!(
        live.put_control("big", &same, "ed").await.unwrap(),
        Outcome::Unchanged { ref key, .. } if key == "2015-08-11"
    ));
    let replaced = committed(
        live.put_control("big", &entry("2015-08-11", "held", &["red"]), "ed")
            .await
            .unwrap(),
    );
    assert_eq!(
        replaced.change.before,
        Some(change::control_entry_form(file_entry))
    );
}

#[tokio::test]
async fn writes_name_every_problem_and_store_nothing() {
    let live = editable().await;
    let Err(LiveError::Invalid(problems)) = live
        .put_control("big", &entry("2016-13-01", "held", &["green"]), "ed")
        .await
    else {
        panic!("expected an invalid entry")
    };
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(pointers, ["/from", "/factions/0"]);
    assert!(matches!(
        live.put_control("atlantis", &entry("2016-01-01", "held", &["red"]), "ed")
            .await,
        Err(LiveError::NotFound(_))
    ));
    assert!(live.changes(0, 10).await.unwrap().is_empty());
    let read_only = Live::new(geodata::load(&fixture()).unwrap());
    assert!(matches!(
        read_only
            .put_control("big", &entry("2016-01-01", "held", &["red"]), "ed")
            .await,
        Err(LiveError::NoLog)
    ));
}

#[tokio::test]
async fn a_revert_restores_what_was_there_and_refuses_to_skip_a_later_change() {
    let live = editable().await;
    let event = json!({"type": "Feature", "id": "front-opens",
        "geometry": {"type": "Point", "coordinates": [1.5, 1.25]},
        "properties": {"date": "2015-08-12", "title": "Moved", "region": "big",
            "sources": [{"title": "T", "url": "https://example.org", "published": "2016-01-01"}]}});
    let moved = committed(live.put_event(&event.to_string(), "ed").await.unwrap());
    let original = live
        .snapshot()
        .engine
        .dataset()
        .event("front-opens")
        .cloned();
    assert_eq!(original.map(|e| e.title).as_deref(), Some("Moved"));
    let undone = committed(live.revert(moved.id, false, "ed").await.unwrap());
    assert_eq!(undone.change.reverts, Some(moved.id));
    let title = |live: &Live| {
        live.snapshot()
            .engine
            .dataset()
            .event("front-opens")
            .map(|e| e.title.clone())
    };
    assert_eq!(title(&live).as_deref(), Some("The front opens"));
    assert!(matches!(
        live.revert(moved.id, false, "ed").await,
        Err(LiveError::Conflict(_))
    ));
    // Reverting the revert puts the edit back.
    committed(live.revert(undone.id, false, "ed").await.unwrap());
    assert_eq!(title(&live).as_deref(), Some("Moved"));
    assert!(matches!(
        live.revert(99, false, "ed").await,
        Err(LiveError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_subscription_sees_each_change_and_ends_on_close() {
    let live = editable().await;
    let mut changes = Box::pin(live.subscribe());
    let stored = committed(
        live.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let seen = tokio::time::timeout(Duration::from_secs(5), changes.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.id, stored.id);
    live.close();
    let end = tokio::time::timeout(Duration::from_secs(5), changes.next()).await;
    assert!(matches!(end, Ok(None)), "the stream ends on close");
    let mut late = Box::pin(live.subscribe());
    let end = tokio::time::timeout(Duration::from_secs(5), late.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "a subscription after close ends at once"
    );
}

#[tokio::test]
async fn a_reload_keeps_the_index_when_only_histories_change_and_replays_the_log() {
    let dir = std::env::temp_dir().join(format!("frontline-live-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["factions.json", "regions.geojson", "events.geojson"] {
        std::fs::copy(fixture().join(name), dir.join(name)).unwrap();
    }
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let live = Live::open(geodata::load(&dir).unwrap(), store)
        .await
        .unwrap();
    committed(
        live.put_control("small", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let before = live.snapshot();
    // A new note in the file: same geometry.
    let regions = std::fs::read_to_string(dir.join("regions.geojson")).unwrap();
    let edited = regions.replacen("\"note\": \"", "\"note\": \"Reviewed. ", 1);
    assert_ne!(regions, edited, "the fixture has a note to change");
    std::fs::write(dir.join("regions.geojson"), edited).unwrap();
    live.reload(&dir, geodata::DataLimits::DEFAULT)
        .await
        .unwrap();
    let after = live.snapshot();
    assert!(Arc::ptr_eq(before.engine.spatial(), after.engine.spatial()));
    assert_ne!(before.files_version, after.files_version);
    assert_eq!(after.last_change, 1);
    let small = &after.region_by_id("small").unwrap().region.history;
    assert_eq!(
        small.last().unwrap().from.to_string(),
        "2016-01-01",
        "the log is replayed"
    );
    // Invalid files are refused and the old data stays.
    std::fs::write(dir.join("regions.geojson"), "{").unwrap();
    assert!(matches!(
        live.reload(&dir, geodata::DataLimits::DEFAULT).await,
        Err(LiveError::InvalidData(_))
    ));
    assert!(Arc::ptr_eq(&after, &live.snapshot()));
    std::fs::remove_dir_all(&dir).unwrap();
}
