//! Our own types: positions, dates, regions, control entries, factions and events.
//!
//! Everything here is already validated: the only way in from a file is [`crate::geodata`], and
//! from a command line or request the constructors that check their input ([`LonLat::new`]).

mod control;
mod date;
mod event;
mod faction;
mod place;
mod position;
mod region;

pub use control::{ControlEntry, ControlStatus, Source};
pub use date::{Date, DateRange, Precision, parse_date, parse_instant, today_utc};
pub use event::Event;
pub use faction::{Color, Faction, FactionId};
pub use place::Place;
pub use position::{CoordError, LonLat};
pub use region::{Region, RegionId};

/// A whole validated data set: the factions, the regions with their histories, and the events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Every faction a history entry may name, in file order.
    pub factions: Vec<Faction>,
    /// Every region, in file order; ids are unique.
    pub regions: Vec<Region>,
    /// Dated, sourced events; empty when the data set has no events file.
    pub events: Vec<Event>,
    /// Towns for labels and search; empty when the data set has no places file.
    pub places: Vec<Place>,
}

impl Dataset {
    /// The faction with this id, if the data set defines it.
    #[must_use]
    pub fn faction(&self, id: &FactionId) -> Option<&Faction> {
        self.factions.iter().find(|f| &f.id == id)
    }

    /// The region with this id, if the data set has it.
    #[must_use]
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id.as_str() == id)
    }
}
