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
mod statement;

pub use control::{ControlEntry, ControlStatus, Source};
pub use date::{Date, DateRange, Precision, parse_date, parse_instant, today_utc};
pub use event::Event;
pub use faction::{Color, Faction, FactionId};
pub use place::Place;
pub use position::{CoordError, LonLat};
pub use region::{Region, RegionId, Regions};
pub use statement::{AreaStatement, Format};

/// A whole validated data set: the factions, the regions with their histories, the control
/// areas, and the events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// The format version its files declare.
    pub format: Format,
    /// Every faction a history entry may name, in file order.
    pub factions: Vec<Faction>,
    /// Every region, in file order; ids are unique.
    pub regions: Regions,
    /// Dated, sourced statements about drawn areas, in file order (`control.geojson`, format 2);
    /// ids are unique. Shared between copies until one changes an area.
    pub areas: std::sync::Arc<Vec<AreaStatement>>,
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

    /// Every date a statement (a control area or a history entry) starts on, ascending,
    /// without repeats: the ticks of the map's time slider.
    #[must_use]
    pub fn statement_dates(&self) -> Vec<Date> {
        let mut dates: Vec<Date> = self
            .areas
            .iter()
            .map(|a| a.control.from)
            .chain(
                self.regions
                    .iter()
                    .flat_map(|r| r.history.iter().map(|e| e.from)),
            )
            .collect();
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// The region with this id, if the data set has it.
    #[must_use]
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.get(id)
    }

    /// The history entry of region `id` that starts on `from`, if any.
    #[must_use]
    pub fn control_entry(&self, id: &str, from: Date) -> Option<&ControlEntry> {
        let history = &self.region(id)?.history;
        let i = history.binary_search_by_key(&from, |e| e.from).ok()?;
        Some(&history[i])
    }

    /// The event with this id, if any.
    #[must_use]
    pub fn event(&self, id: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.id == id)
    }

    /// Puts `entry` into region `id`'s history, replacing the entry with the same `from`, and
    /// keeps the history sorted. Returns the replaced entry; `None` also when the region is
    /// unknown (then nothing changes).
    pub fn upsert_control(&mut self, id: &str, entry: ControlEntry) -> Option<ControlEntry> {
        let history = self.regions.history_mut(id)?;
        match history.binary_search_by_key(&entry.from, |e| e.from) {
            Ok(i) => Some(std::mem::replace(&mut history[i], entry)),
            Err(i) => {
                history.insert(i, entry);
                None
            }
        }
    }

    /// Removes region `id`'s entry that starts on `from`, returning it.
    pub fn remove_control(&mut self, id: &str, from: Date) -> Option<ControlEntry> {
        let history = self.regions.history_mut(id)?;
        let i = history.binary_search_by_key(&from, |e| e.from).ok()?;
        Some(history.remove(i))
    }

    /// Adds `event`, replacing one with the same id; returns the replaced event.
    pub fn upsert_event(&mut self, event: Event) -> Option<Event> {
        if let Some(slot) = self.events.iter_mut().find(|e| e.id == event.id) {
            Some(std::mem::replace(slot, event))
        } else {
            self.events.push(event);
            None
        }
    }

    /// The control area with this id, if any.
    #[must_use]
    pub fn area(&self, id: &str) -> Option<&AreaStatement> {
        self.areas.iter().find(|a| a.id == id)
    }

    /// Adds `area`, replacing the one with the same id; returns the replaced area.
    pub fn upsert_area(&mut self, area: AreaStatement) -> Option<AreaStatement> {
        let areas = std::sync::Arc::make_mut(&mut self.areas);
        if let Some(slot) = areas.iter_mut().find(|a| a.id == area.id) {
            Some(std::mem::replace(slot, area))
        } else {
            areas.push(area);
            None
        }
    }

    /// Removes the control area with this id, returning it.
    pub fn remove_area(&mut self, id: &str) -> Option<AreaStatement> {
        let i = self.areas.iter().position(|a| a.id == id)?;
        Some(std::sync::Arc::make_mut(&mut self.areas).remove(i))
    }

    /// Removes the event with this id, returning it.
    pub fn remove_event(&mut self, id: &str) -> Option<Event> {
        let i = self.events.iter().position(|e| e.id == id)?;
        Some(self.events.remove(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn dataset() -> Dataset {
        Dataset {
            regions: Regions::new(vec![Region {
                id: RegionId::new("r"),
                name: "R".into(),
                name_ar: None,
                description: String::new(),
                parent: None,
                last_reviewed: None,
                geometry: geo::MultiPolygon::new(Vec::new()),
                history: vec![
                    ControlEntry::held_by(date(2011, 3, 1), "a"),
                    ControlEntry::held_by(date(2015, 8, 11), "b"),
                ],
            }]),
            ..Dataset::default()
        }
    }

    #[test]
    fn upsert_inserts_in_order_or_replaces_the_same_date() {
        let mut d = dataset();
        assert_eq!(
            d.upsert_control("r", ControlEntry::held_by(date(2013, 1, 1), "c")),
            None
        );
        let froms: Vec<String> = d.regions[0]
            .history
            .iter()
            .map(|e| e.from.to_string())
            .collect();
        assert_eq!(froms, ["2011-03-01", "2013-01-01", "2015-08-11"]);
        let old = d
            .upsert_control("r", ControlEntry::held_by(date(2015, 8, 11), "d"))
            .unwrap();
        assert_eq!(old.factions[0].as_str(), "b");
        assert_eq!(
            d.control_entry("r", date(2015, 8, 11)).unwrap().factions[0].as_str(),
            "d"
        );
        assert_eq!(
            d.upsert_control("nowhere", ControlEntry::held_by(date(2015, 8, 11), "d")),
            None
        );
        assert_eq!(
            d.remove_control("r", date(2013, 1, 1)).unwrap().factions[0].as_str(),
            "c"
        );
        assert_eq!(d.remove_control("r", date(2013, 1, 1)), None);
    }
}
