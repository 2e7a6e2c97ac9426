//! What a change does to the data: read once into an [`Effect`], then applied to an
//! [`Edit`]. Stored changes are read in their form with the loader's checks
//! ([`geodata::change`]); a write applies the effect it already read, with no second parse.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::engine::Edit;
use crate::geodata::change::{self, FORM};
use crate::model::{AreaStatement, ControlEntry, Dataset, Event, parse_date};
use crate::store::{Change, ChangeKind};

use super::applied::Applied;

/// A change, read: what it puts or removes.
#[derive(Debug, Clone)]
pub(super) enum Effect {
    /// Puts a history entry into a region, replacing the one with its `from`.
    PutControl {
        /// The region's id.
        region: String,
        /// The entry.
        entry: ControlEntry,
    },
    /// Removes a region's entry that starts on a date (the date is the change's key).
    RemoveControl {
        /// The region's id.
        region: String,
        /// The entry's `from`, as stored in the key.
        key: String,
    },
    /// Adds an event or replaces the one with its id.
    PutEvent(Event),
    /// Removes an event.
    RemoveEvent(String),
    /// Adds a control area or replaces the one with its id.
    PutArea(AreaStatement),
    /// Removes a control area.
    RemoveArea(String),
}

impl Effect {
    /// What the item becomes, in canonical form (`None`: removed).
    pub(super) fn form(&self) -> Option<Value> {
        match self {
            Self::PutControl { entry, .. } => Some(change::control_entry_form(entry)),
            Self::PutEvent(event) => Some(change::event_form(event)),
            Self::PutArea(area) => Some(change::area_form(area)),
            Self::RemoveControl { .. } | Self::RemoveEvent(_) | Self::RemoveArea(_) => None,
        }
    }

    /// Applies the effect. A change to a region the data no longer has is refused (its edits
    /// stay in the log).
    pub(super) fn apply(self, edit: &mut Edit) -> Result<(), String> {
        let missing = |region: &str| {
            format!("region {region:?} is not in the data set; its edits are kept but not shown")
        };
        match self {
            Self::PutControl { region, entry } => {
                if edit.region(&region).is_none() {
                    return Err(missing(&region));
                }
                edit.upsert_control(&region, entry);
            }
            Self::RemoveControl { region, key } => {
                if edit.region(&region).is_none() {
                    return Err(missing(&region));
                }
                let from = parse_date(&key).ok_or_else(|| format!("key {key:?} is not a date"))?;
                edit.remove_control(&region, from);
            }
            Self::PutEvent(event) => {
                edit.upsert_event(event);
            }
            Self::RemoveEvent(id) => {
                edit.remove_event(&id);
            }
            Self::PutArea(area) => {
                edit.upsert_area(area);
            }
            Self::RemoveArea(id) => {
                edit.remove_area(&id);
            }
        }
        Ok(())
    }
}

/// The replay state: what each applied change was about, so that a revert (which may revert
/// a revert) knows whether it undoes a history entry or an event.
#[derive(Debug, Default)]
pub(super) struct Replay {
    subjects: HashMap<i64, ChangeKind>,
    /// The last change to each item, by its kind and target.
    latest: HashMap<(ChangeKind, String), i64>,
    /// The last change to each entry, by target and key (what a revert must not undo
    /// silently).
    last_touch: HashMap<(String, String), i64>,
    /// Exactly which changes are applied.
    pub(super) applied: Applied,
}

impl Replay {
    /// The kind of item (`Control` or `Event`) that change `id` touched.
    pub(super) fn subject(&self, id: i64) -> Option<ChangeKind> {
        self.subjects.get(&id).copied()
    }

    /// Records that change `id` touched the entry `key` of the item `target` of kind
    /// `subject`. Changes may be recorded out of id order (a server applies its own change
    /// before a lower one from another server sharing the log), so the latest is the highest.
    pub(super) fn record(&mut self, id: i64, subject: ChangeKind, target: &str, key: &str) {
        self.subjects.insert(id, subject);
        raise(&mut self.latest, (subject, target.to_owned()), id);
        self.touched(target, key, id);
    }

    /// Records that change `id` touched the entry `key` of `target`.
    fn touched(&mut self, target: &str, key: &str, id: i64) {
        raise(
            &mut self.last_touch,
            (target.to_owned(), key.to_owned()),
            id,
        );
    }

    /// The last change to the entry `key` of `target` (0: none).
    pub(super) fn last_touch(&self, target: &str, key: &str) -> i64 {
        self.last_touch
            .get(&(target.to_owned(), key.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The last change to the item `target` of kind `subject` (0: none).
    pub(super) fn latest(&self, subject: ChangeKind, target: &str) -> i64 {
        self.latest
            .get(&(subject, target.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The kind of item `change` touches: its own kind, or for a revert the kind of the change
    /// it reverts.
    pub(super) fn subject_of(&self, change: &Change) -> Result<ChangeKind, String> {
        let c = &change.change;
        match c.kind {
            ChangeKind::Revert => {
                let target = c.reverts.ok_or("a revert without the change it reverts")?;
                self.subject(target)
                    .ok_or_else(|| format!("reverts unknown change {target}"))
            }
            kind => Ok(kind),
        }
    }

    /// Reads a stored change and applies it to `edit`. The change counts as applied (and is
    /// recorded) even when it is refused, so the log's order and ids stay the reference.
    pub(super) fn apply_stored(&mut self, edit: &mut Edit, change: &Change) -> Result<(), String> {
        let subject = self.subject_of(change);
        if let Ok(subject) = subject {
            self.record(
                change.id,
                subject,
                &change.change.target,
                &change.change.key,
            );
        } else {
            // Still the latest change to its entry, as the log sees it.
            self.touched(&change.change.target, &change.change.key, change.id);
        }
        let c = &change.change;
        read(subject?, &c.target, &c.key, c.after.as_ref(), c.form, edit)?.apply(edit)
    }
}

/// Sets `map[key]` to `id` unless it holds a higher id.
fn raise<K: std::hash::Hash + Eq>(map: &mut HashMap<K, i64>, key: K, id: i64) {
    let latest = map.entry(key).or_insert(id);
    *latest = (*latest).max(id);
}

/// The ids of the factions, for checking references.
pub(super) fn faction_ids(data: &Dataset) -> HashSet<String> {
    data.factions.iter().map(|f| f.id.to_string()).collect()
}

/// Reads what putting `after` (or removing, for `None`) does to the item `key` of `target`,
/// with `after` in form `form`: a stored change's payload, or the `before` a revert restores.
pub(super) fn read(
    subject: ChangeKind,
    target: &str,
    key: &str,
    after: Option<&Value>,
    form: u32,
    data: &Dataset,
) -> Result<Effect, String> {
    if form > FORM {
        return Err(format!(
            "stored in form {form}; this frontline reads forms up to {FORM}"
        ));
    }
    let problems = |found: Vec<change::BodyProblem>| {
        found
            .iter()
            .map(|p| p.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Ok(match (subject, after) {
        (ChangeKind::Control, Some(after)) => {
            let factions = faction_ids(data);
            Effect::PutControl {
                region: target.to_owned(),
                entry: change::control_entry(&after.to_string(), &factions, data.format)
                    .map_err(problems)?,
            }
        }
        (ChangeKind::Control, None) => Effect::RemoveControl {
            region: target.to_owned(),
            key: key.to_owned(),
        },
        (ChangeKind::Area, Some(after)) => {
            let factions = faction_ids(data);
            let region = |id: &str| data.region(id).map(|r| &r.geometry);
            Effect::PutArea(
                change::area(&after.to_string(), &factions, &region, data.format)
                    .map_err(problems)?,
            )
        }
        (ChangeKind::Area, None) => Effect::RemoveArea(key.to_owned()),
        (_, Some(after)) => {
            let is_region = |id: &str| data.regions.index_of(id).is_some();
            Effect::PutEvent(
                change::event(&after.to_string(), &is_region, data.format).map_err(problems)?,
            )
        }
        (_, None) => Effect::RemoveEvent(key.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::geodata;
    use crate::store::NewChange;
    use serde_json::json;

    fn engine() -> Engine {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
        Engine::new(geodata::load(&dir).unwrap().dataset)
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
                form: FORM,
            },
        }
    }

    fn entry(from: &str, faction: &str) -> serde_json::Value {
        json!({"from": from, "status": "held", "factions": [faction], "note": "",
               "sources": [{"title": "T", "url": "https://example.org", "published": from}]})
    }

    #[test]
    fn control_changes_and_their_revert_replay_in_order() {
        let mut edit = engine().edit();
        let mut replay = Replay::default();
        let add = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "blue")),
            None,
        );
        replay.apply_stored(&mut edit, &add).unwrap();
        assert_eq!(edit.region("big").unwrap().history.len(), 3);
        // Reverting the addition removes the entry again (its `after` is the old `before`).
        let revert = change(2, ChangeKind::Revert, "2013-01-01", None, Some(1));
        replay.apply_stored(&mut edit, &revert).unwrap();
        assert_eq!(edit.region("big").unwrap().history.len(), 2);
        assert_eq!(replay.subject(2), Some(ChangeKind::Control));
        assert_eq!(replay.last_touch("big", "2013-01-01"), 2);
    }

    #[test]
    fn a_change_to_a_missing_region_is_reported_not_applied() {
        let mut edit = engine().edit();
        let mut c = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "blue")),
            None,
        );
        c.change.target = "gone".into();
        let err = Replay::default().apply_stored(&mut edit, &c).unwrap_err();
        assert!(err.contains("\"gone\""), "{err}");
    }

    #[test]
    fn an_invalid_stored_entry_is_refused_by_the_loader_rules() {
        let mut edit = engine().edit();
        let c = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "green")),
            None,
        );
        let err = Replay::default().apply_stored(&mut edit, &c).unwrap_err();
        assert!(err.contains("\"green\" is not a faction"), "{err}");
    }

    #[test]
    fn a_change_in_a_newer_form_is_refused_by_name() {
        let mut edit = engine().edit();
        let mut c = change(
            1,
            ChangeKind::Control,
            "2013-01-01",
            Some(entry("2013-01-01", "blue")),
            None,
        );
        c.change.form = FORM + 1;
        let err = Replay::default().apply_stored(&mut edit, &c).unwrap_err();
        assert_eq!(
            err,
            format!(
                "stored in form {}; this frontline reads forms up to {FORM}",
                FORM + 1
            )
        );
    }
}
