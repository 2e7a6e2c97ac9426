//! Regions: a named area with a polygon and a dated history of who controls it.

use std::fmt;

use geo::MultiPolygon;

use super::{ControlEntry, Date};

/// A region's identifier, such as `ghab-plain`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(example = "ghab-plain")]
pub struct RegionId(String);

impl RegionId {
    /// Wraps an id that the loader has checked.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A contested region and its sourced control history.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Unique within the data set.
    pub id: RegionId,
    /// English name.
    pub name: String,
    /// Arabic name, when the data set gives one.
    pub name_ar: Option<String>,
    /// What and where the region is.
    pub description: String,
    /// The region this one lies in, for sub-regions with a finer history.
    pub parent: Option<RegionId>,
    /// When the history was last checked against its sources.
    pub last_reviewed: Option<Date>,
    /// WGS84 lon/lat; exterior rings counter-clockwise, holes clockwise (normalised on load).
    pub geometry: MultiPolygon<f64>,
    /// Sorted by `from`, strictly increasing.
    pub history: Vec<ControlEntry>,
}

impl Region {
    /// The history entry in force on `date`: the one with the greatest `from` not after `date`.
    /// `None` before the first entry, when the status is unknown.
    #[must_use]
    pub fn control_at(&self, date: Date) -> Option<&ControlEntry> {
        let after = self.history.partition_point(|entry| entry.from <= date);
        after.checked_sub(1).map(|i| &self.history[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn entry(from: Date, faction: &str) -> ControlEntry {
        ControlEntry::held_by(from, faction)
    }

    fn region(history: Vec<ControlEntry>) -> Region {
        Region {
            id: RegionId::new("r"),
            name: "R".into(),
            name_ar: None,
            description: String::new(),
            parent: None,
            last_reviewed: None,
            geometry: MultiPolygon::new(Vec::new()),
            history,
        }
    }

    #[test]
    fn empty_history_is_unknown_on_every_date() {
        assert_eq!(region(Vec::new()).control_at(date(2015, 8, 20)), None);
    }

    #[test]
    fn control_changes_on_the_day_of_the_entry() {
        let r = region(vec![
            entry(date(2011, 3, 1), "a"),
            entry(date(2015, 8, 11), "b"),
        ]);
        assert_eq!(r.control_at(date(2011, 2, 28)), None);
        assert_eq!(
            r.control_at(date(2011, 3, 1))
                .map(|e| e.factions[0].as_str()),
            Some("a")
        );
        assert_eq!(
            r.control_at(date(2015, 8, 10))
                .map(|e| e.factions[0].as_str()),
            Some("a")
        );
        assert_eq!(
            r.control_at(date(2015, 8, 11))
                .map(|e| e.factions[0].as_str()),
            Some("b")
        );
        assert_eq!(
            r.control_at(date(2030, 1, 1))
                .map(|e| e.factions[0].as_str()),
            Some("b")
        );
    }
}
