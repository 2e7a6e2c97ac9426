//! Applying stored changes on top of the geodata baseline: the bridge between the change log
//! ([`crate::store`]) and the data set ([`crate::model`]), checked with the loader's rules
//! ([`crate::geodata`]). No I/O of its own beyond reading the store it is given.

use std::collections::{HashMap, HashSet};

use crate::geodata;
use crate::model::{Dataset, parse_date};
use crate::store::{Change, ChangeKind, Store, StoreError};

/// What a change's payload is about, for replaying reverts (a revert undoes a control or an
/// event change, or another revert).
#[derive(Debug, Default)]
pub struct Replay {
    subjects: HashMap<i64, ChangeKind>,
    /// The id of the last change applied.
    pub last_id: i64,
}

impl Replay {
    /// The kind of entry (`Control` or `Event`) that change `id` touched.
    #[must_use]
    pub fn subject(&self, id: i64) -> Option<ChangeKind> {
        self.subjects.get(&id).copied()
    }

    /// Applies `change` to `dataset`. A change to a region the data set no longer has is skipped
    /// and reported (its edits stay in the log).
    ///
    /// # Errors
    /// Why the change could not be applied, in plain words.
    pub fn apply(&mut self, dataset: &mut Dataset, change: &Change) -> Result<(), String> {
        let c = &change.change;
        let subject = match c.kind {
            ChangeKind::Revert => {
                let target = c.reverts.ok_or("a revert without the change it reverts")?;
                self.subject(target)
                    .ok_or_else(|| format!("reverts unknown change {target}"))?
            }
            kind => kind,
        };
        self.subjects.insert(change.id, subject);
        self.last_id = change.id;
        match subject {
            ChangeKind::Control => apply_control(dataset, &c.target, &c.key, c.after.as_ref()),
            _ => apply_event(dataset, &c.key, c.after.as_ref()),
        }
    }
}

/// Applies every change in `store` to `dataset`, in log order. Changes that no longer apply
/// (a region dropped from the files) are logged as warnings and skipped; they stay in the log.
///
/// # Errors
/// When the store cannot be read.
pub async fn replay_all(store: &dyn Store, dataset: &mut Dataset) -> Result<Replay, StoreError> {
    let mut replay = Replay::default();
    let mut after = 0;
    loop {
        let page = store.since(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for change in &page {
            if let Err(why) = replay.apply(dataset, change) {
                tracing::warn!(change = change.id, "stored change not applied: {why}");
            }
        }
    }
    Ok(replay)
}

fn apply_control(
    dataset: &mut Dataset,
    region: &str,
    key: &str,
    after: Option<&serde_json::Value>,
) -> Result<(), String> {
    if dataset.region(region).is_none() {
        return Err(format!(
            "region {region:?} is not in the data set; its edits are kept but not shown"
        ));
    }
    if let Some(entry) = after {
        let factions: HashSet<String> = dataset.factions.iter().map(|f| f.id.to_string()).collect();
        let entry =
            geodata::check_control(&entry.to_string(), &factions).map_err(|p| p.join("; "))?;
        dataset.upsert_control(region, entry);
    } else {
        let from = parse_date(key).ok_or_else(|| format!("key {key:?} is not a date"))?;
        dataset.remove_control(region, from);
    }
    Ok(())
}

fn apply_event(
    dataset: &mut Dataset,
    key: &str,
    after: Option<&serde_json::Value>,
) -> Result<(), String> {
    match after {
        Some(feature) => {
            let regions: HashSet<String> =
                dataset.regions.iter().map(|r| r.id.to_string()).collect();
            let event =
                geodata::check_event(&feature.to_string(), &regions).map_err(|p| p.join("; "))?;
            dataset.upsert_event(event);
        }
        None => {
            dataset.remove_event(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewChange;
    use serde_json::json;

    fn dataset() -> Dataset {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
        geodata::load(&dir).unwrap().dataset
    }

    fn change(
        id: i64,
        kind: ChangeKind,
        key: &str,
        after: Option<serde_json::Value>,
        reverts: Option<i64>,
    ) -> Change {
        Change {
            id,
            time: jiff::Timestamp::UNIX_EPOCH,
            change: NewChange {
                kind,
                target: "big".into(),
                key: key.into(),
                before: None,
                after,
                author: "ed".into(),
                reverts,
            },
        }
    }

    fn entry(from: &str, faction: &str) -> serde_json::Value {
        json!({"from": from, "status": "held", "factions": [faction], "note": "",
               "sources": [{"title": "T", "url": "https://example.org", "published": from}]})
    }

    #[test]
    fn control_changes_and_their_revert_replay_in_order() {
        let mut d = dataset();
        let mut replay = Replay::default();
        replay
            .apply(
                &mut d,
                &change(
                    1,
                    ChangeKind::Control,
                    "2013-01-01",
                    Some(entry("2013-01-01", "blue")),
                    None,
                ),
            )
            .unwrap();
        assert_eq!(d.region("big").unwrap().history.len(), 3);
        // Reverting the addition removes the entry again (its `after` is the old `before`).
        replay
            .apply(
                &mut d,
                &change(2, ChangeKind::Revert, "2013-01-01", None, Some(1)),
            )
            .unwrap();
        assert_eq!(d.region("big").unwrap().history.len(), 2);
        assert_eq!(replay.subject(2), Some(ChangeKind::Control));
        assert_eq!(replay.last_id, 2);
    }

    #[test]
    fn a_change_to_a_missing_region_is_reported_not_applied() {
        let mut d = dataset();
        let mut c = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "blue")),
            None,
        );
        c.change.target = "gone".into();
        let err = Replay::default().apply(&mut d, &c).unwrap_err();
        assert!(err.contains("\"gone\""), "{err}");
    }

    #[test]
    fn an_invalid_stored_entry_is_refused_by_the_loader_rules() {
        let mut d = dataset();
        let c = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "green")),
            None,
        );
        let err = Replay::default().apply(&mut d, &c).unwrap_err();
        assert!(err.contains("\"green\" is not a faction"), "{err}");
    }
}
