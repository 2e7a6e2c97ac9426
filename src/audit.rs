//! The warnings `frontline check` adds once the data has loaded: what the resolution rule makes
//! of the statements ([`Engine::audit`]), placed and worded like the loader's own warnings,
//! each naming the file, the feature and, for a history entry, its path.

use crate::engine::{Engine, Statement, StatementKey};
use crate::geodata::{CONTROL, Item, Location, Masked, REGIONS, Warning, WarningKind};
use crate::model::Date;

/// The statements the rule never puts in force, and the region-wide entries that end earlier
/// finer statements, sorted by file, feature and date. None for format 1 data.
#[must_use]
pub fn warnings(engine: &Engine) -> Vec<Warning> {
    let audit = engine.audit();
    let never = audit.never_in_force.iter().map(|n| {
        let (location, entry) = place(engine, &n.statement);
        let from = n.statement.control.from;
        let winners = n.winners.iter().map(|w| w.id.to_string()).collect();
        let kind = WarningKind::NeverInForce {
            entry,
            from,
            winners,
        };
        (from, Warning { location, kind })
    });
    let masking = audit.masking.iter().map(|m| {
        let (location, entry) = place(engine, &m.entry);
        let from = m.entry.control.from;
        let masked = m
            .masked
            .iter()
            .map(|(s, km2)| Masked {
                id: s.id.to_string(),
                from: s.control.from,
                km2: *km2,
            })
            .collect();
        let kind = WarningKind::MasksEarlier {
            entry,
            from,
            masked,
        };
        (from, Warning { location, kind })
    });
    let mut all: Vec<(Date, Warning)> = never.chain(masking).collect();
    all.sort_by(|(a_from, a), (b_from, b)| {
        let key = |w: &Warning| (w.location.file.clone(), w.location.item.to_string());
        key(a)
            .cmp(&key(b))
            .then(a_from.cmp(b_from))
            .then_with(|| a.kind.to_string().cmp(&b.kind.to_string()))
    });
    all.into_iter().map(|(_, w)| w).collect()
}

/// Where a statement is written: its file and feature, and for a history entry its path with a
/// trailing dot (`history[3].`).
fn place(engine: &Engine, statement: &Statement<'_>) -> (Location, String) {
    let data = engine.dataset();
    match statement.key {
        StatementKey::Area(i) => (
            Location {
                file: CONTROL.into(),
                item: Item::Feature(data.areas[i].id.clone()),
            },
            String::new(),
        ),
        StatementKey::Region { region, entry } => (
            Location {
                file: REGIONS.into(),
                item: Item::Feature(data.regions[region].id.as_str().to_owned()),
            },
            format!("history[{entry}]."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, Rect};
    use jiff::civil::date;

    use super::*;
    use crate::model::{AreaStatement, ControlEntry, Dataset, Format, Region, RegionId, Regions};

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + side, y + side)).to_polygon()])
    }

    fn area(id: &str, geometry: MultiPolygon<f64>, from: Date) -> AreaStatement {
        AreaStatement {
            id: id.into(),
            region: None,
            geometry,
            control: ControlEntry::held_by(from, "blue"),
        }
    }

    fn plain(history: Vec<ControlEntry>) -> Region {
        Region {
            id: RegionId::new("plain"),
            name: "Plain".into(),
            name_ar: None,
            description: String::new(),
            parent: None,
            last_reviewed: None,
            geometry: square(0.0, 0.0, 1.0),
            history,
        }
    }

    fn warned(format: Format, regions: Vec<Region>, areas: Vec<AreaStatement>) -> Vec<String> {
        let engine = Engine::new(Dataset {
            format,
            regions: Regions::new(regions),
            areas: areas.into(),
            ..Dataset::default()
        });
        warnings(&engine).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_warning_names_file_feature_entry_date_and_statements() {
        let (d, end) = (date(2015, 8, 11), date(2024, 12, 8));
        let found = warned(
            Format::V2,
            vec![plain(vec![
                ControlEntry::held_by(date(2011, 3, 1), "red"),
                ControlEntry::held_by(end, "green"),
            ])],
            vec![
                area("village", square(0.2, 0.2, 0.1), d),
                area("a-twin", square(0.6, 0.6, 0.1), d),
                area("b-twin", square(0.6, 0.6, 0.1), d),
            ],
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0],
            "warning: control.geojson: feature \"b-twin\": the statement from 2015-08-11 is never \
             in force: on that day statements of the same date that win over it (smaller, or as \
             large and first by the rule) cover all of it: a-twin; give it the date its sources \
             give, or remove it"
        );
        assert!(
            found[1].starts_with(
                "warning: regions.geojson: feature \"plain\": history[1] from 2024-12-08 is about \
                 the whole region, so it ends 2 statements still in force there the day before: \
                 a-twin (from 2015-08-11, "
            ),
            "{}",
            found[1]
        );
        assert!(
            found[1].contains(" km²), village (from 2015-08-11, ")
                && found[1].ends_with(
                    " km²); that is right only when a source speaks of the whole region on \
                     2024-12-08; otherwise state the change with control areas over the ground \
                     the sources name"
                ),
            "{}",
            found[1]
        );
    }

    #[test]
    fn format_1_data_draws_no_warning() {
        let found = warned(
            Format::V1,
            vec![plain(vec![
                ControlEntry::held_by(date(2011, 3, 1), "red"),
                ControlEntry::held_by(date(2024, 12, 8), "green"),
            ])],
            vec![],
        );
        assert_eq!(found, Vec::<String>::new());
    }
}
