//! Statements of control: what a source says about who held an area from a date on. A control
//! area (from `control.geojson`) is one; so is each entry of a region's history, about the
//! region's whole polygon.

use std::fmt;

use geo::MultiPolygon;

use super::{ControlEntry, RegionId};

/// The version of the geodata format a data set is written in, declared once, by
/// `factions.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Regions with histories, events, places; every source has a `published` date.
    #[default]
    V1,
    /// Adds `control.geojson` (control areas); a source's `published` date becomes optional.
    V2,
}

impl Format {
    /// The newest format this build reads and writes.
    pub const LATEST: Self = Self::V2;

    /// The format with this version number.
    #[must_use]
    pub fn from_number(n: u64) -> Option<Self> {
        match n {
            1 => Some(Self::V1),
            2 => Some(Self::V2),
            _ => None,
        }
    }

    /// Its version number, as files write it.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// A dated, sourced statement about an area drawn for it: from `control.from` on, that area is
/// as `control` says, until a later statement about the same ground.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaStatement {
    /// Unique within `control.geojson`.
    pub id: String,
    /// The region it was traced for, if any: informative only, it never clips the area.
    pub region: Option<RegionId>,
    /// WGS84 lon/lat, normalised like a region's.
    pub geometry: MultiPolygon<f64>,
    /// What it says: date, precision, status, factions, note (naming the places it covers) and
    /// sources.
    pub control: ControlEntry,
}
