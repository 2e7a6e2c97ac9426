//! Regions: a named area with a polygon and a dated history of who controls it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

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

impl Borrow<str> for RegionId {
    fn borrow(&self) -> &str {
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

/// The regions of a data set in file order, found by id in O(1).
///
/// Cloning is cheap whatever the size: each region is shared until it is changed
/// ([`Regions::history_mut`] copies that one region), so a snapshot after an edit shares every
/// other region with the one before. Only histories can change: the ids, their order and the
/// geometry are fixed when the list is made, which keeps a spatial index built on it valid.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    list: Vec<Arc<Region>>,
    by_id: Arc<HashMap<RegionId, usize>>,
}

impl Regions {
    /// The list as given. Ids should be unique (the loader checks); a repeated id is found at
    /// its first position.
    #[must_use]
    pub fn new(regions: Vec<Region>) -> Self {
        let mut by_id = HashMap::with_capacity(regions.len());
        for (i, r) in regions.iter().enumerate() {
            by_id.entry(r.id.clone()).or_insert(i);
        }
        let mut list: Vec<Arc<Region>> = regions.into_iter().map(Arc::new).collect();
        // Collected in place, the list keeps the allocation the `Region`s had, 20 times what
        // their `Arc`s need (17 MB at 100,000 regions).
        list.shrink_to_fit();
        Self {
            list,
            by_id: Arc::new(by_id),
        }
    }

    /// How many regions there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The regions in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Region> + Clone {
        self.list.iter().map(AsRef::as_ref)
    }

    /// The position of the region with this id.
    #[must_use]
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The region with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Region> {
        self.index_of(id).map(|i| &*self.list[i])
    }

    /// The history of region `id`, to change; copies that region if a clone shares it.
    pub fn history_mut(&mut self, id: &str) -> Option<&mut Vec<ControlEntry>> {
        let i = self.index_of(id)?;
        Some(&mut Arc::make_mut(&mut self.list[i]).history)
    }

    /// Whether `self` and `other` are the same list of the same shared regions (no region
    /// was copied or changed in between).
    #[must_use]
    pub fn shares_all(&self, other: &Self) -> bool {
        self.list.len() == other.list.len()
            && self
                .list
                .iter()
                .zip(&other.list)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl std::ops::Index<usize> for Regions {
    type Output = Region;

    fn index(&self, index: usize) -> &Region {
        &self.list[index]
    }
}

impl PartialEq for Regions {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl From<Vec<Region>> for Regions {
    fn from(regions: Vec<Region>) -> Self {
        Self::new(regions)
    }
}

impl<'a> IntoIterator for &'a Regions {
    type Item = &'a Region;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Arc<Region>>, fn(&Arc<Region>) -> &Region>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter().map(AsRef::as_ref)
    }
}

impl FromIterator<Region> for Regions {
    fn from_iter<I: IntoIterator<Item = Region>>(iter: I) -> Self {
        Self::new(iter.into_iter().collect())
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

    #[test]
    fn regions_are_found_by_id_and_a_history_change_copies_only_that_region() {
        let mut a = region(vec![entry(date(2011, 3, 1), "a")]);
        a.id = RegionId::new("a");
        let mut b = a.clone();
        b.id = RegionId::new("b");
        let regions = Regions::new(vec![a, b]);
        assert_eq!(regions.index_of("b"), Some(1));
        assert_eq!(regions.get("a").map(|r| r.id.as_str()), Some("a"));
        assert!(regions.get("c").is_none());
        let mut edited = regions.clone();
        assert!(edited.shares_all(&regions));
        edited
            .history_mut("b")
            .unwrap()
            .push(entry(date(2015, 8, 11), "b"));
        assert!(!edited.shares_all(&regions));
        assert_eq!((regions[1].history.len(), edited[1].history.len()), (1, 2));
        assert!(
            Arc::ptr_eq(&regions.list[0], &edited.list[0]),
            "a is still shared"
        );
        assert!(edited.history_mut("c").is_none());
    }
}
