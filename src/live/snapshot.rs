//! One served state of the data, never mutated after it is built.

use std::fmt::Write as _;

use super::applied::Applied;
use crate::engine::Engine;
use crate::model::Region;

/// The data being served at one moment, with everything derived from it.
#[derive(Debug)]
pub struct Snapshot {
    /// The spatial engine, which owns the data set.
    pub engine: Engine,
    /// Hash of the data files and of which changes are applied; part of every `ETag`. Two
    /// servers sharing a change log serve the same version only with the same changes.
    pub version: String,
    /// Hash of the geodata files alone.
    pub files_version: String,
    /// The change this server has reached: every stored change up to it is applied (0: none).
    /// Some of this server's own later changes may be applied too.
    pub last_change: i64,
}

/// One region of a snapshot with what is derived from it.
#[derive(Debug, Clone, Copy)]
pub struct RegionRef<'a> {
    /// Its position in the data set (file order).
    pub index: usize,
    /// The region, with its history.
    pub region: &'a Region,
    /// Its geodesic area, km².
    pub area_km2: f64,
}

impl Snapshot {
    /// The snapshot of `engine` once `applied` changes are applied to `files_version`'s data.
    pub(super) fn new(engine: Engine, files_version: String, applied: &Applied) -> Self {
        let last_change = applied.reached();
        let mut version = if last_change > 0 {
            format!("{files_version}-{last_change}")
        } else {
            files_version.clone()
        };
        for id in applied.ahead() {
            // Writing to a String cannot fail.
            let _ = write!(version, "+{id}");
        }
        Self {
            engine,
            version,
            files_version,
            last_change,
        }
    }

    /// The region at `index` (data-set order).
    ///
    /// # Panics
    /// When `index` is not below the number of regions.
    #[must_use]
    pub fn region(&self, index: usize) -> RegionRef<'_> {
        RegionRef {
            index,
            region: &self.engine.dataset().regions[index],
            area_km2: self.engine.area_km2(index),
        }
    }

    /// The region with this id, in O(1).
    #[must_use]
    pub fn region_by_id(&self, id: &str) -> Option<RegionRef<'_>> {
        let index = self.engine.dataset().regions.index_of(id)?;
        Some(self.region(index))
    }
}
