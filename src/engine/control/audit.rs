//! What the rule makes of the statements as written, for `frontline check`: statements it never
//! puts in force, and region-wide entries that end finer statements.
//!
//! - **Never in force.** Later statements only take over later, and earlier ones lose, so a
//!   statement `S` is in force somewhere on its own `from` unless the statements of the *same*
//!   date that win over it (smaller, or as large and ordered first) cover all of it.
//! - **Masking.** A region-wide entry `R@d` ends every earlier, finer statement (a control
//!   area, or the entry of one of the region's sub-regions) whose in-force part on `d − 1` meets
//!   the part of the region where `R@d` is in force on `d`. A sub-region's entry ending its
//!   parent's is what sub-regions are for, so that is no masking.
//!
//! Both compare a statement only with the statements whose bounding boxes meet its own, found
//! through the engine's two R-trees (regions' and control areas'), never with every other one,
//! and check the statements in parallel. Masking does not clip a statement that the region
//! itself (or a region holding it) beats on the day before: nothing of it is left inside.
//!
//! **Tolerance.** Edges traced by hand along the same line (a plain's edge, a river) never
//! coincide exactly: clipping one statement by another leaves strips along them. Such a piece
//! is dropped when it is a sliver by shape ([`is_sliver`]) or thinner on average than
//! [`TRACE_TOLERANCE_M`]; what is left below [`SLIVER`] of a statement's area counts as nothing.

use rayon::prelude::*;

use geo::{
    BooleanOps, BoundingRect, Geodesic, Intersects, Length, MultiPolygon, Polygon, Rect,
    unary_union,
};

use super::{SLIVER, Scope, Statement, StatementKey, is_sliver};
use crate::engine::Engine;
use crate::engine::area::area_km2;
use crate::engine::index::envelope;
use crate::model::{Date, Format};

/// Pieces thinner than this on average (twice their area over their perimeter), in metres, lie
/// where two edges traced along the same line part, and hold no land of their own. Every area
/// in the bundled data is drawn to ±1 km or worse; a village with its fields is several hundred
/// metres across at the least.
const TRACE_TOLERANCE_M: f64 = 100.0;

/// A statement the rule never puts in force.
#[derive(Debug, Clone)]
pub struct NeverInForce<'a> {
    /// The statement.
    pub statement: Statement<'a>,
    /// The statements of the same date that win over it and overlap it (together they cover
    /// it), in the rule's order.
    pub winners: Vec<Statement<'a>>,
}

/// A region-wide entry that ends earlier statements still in force inside the region.
#[derive(Debug, Clone)]
pub struct Masking<'a> {
    /// The region-wide entry.
    pub entry: Statement<'a>,
    /// The statements it ends, by date then id, each with the km² of its in-force part on the
    /// day before that the entry takes over.
    pub masked: Vec<(Statement<'a>, f64)>,
}

/// Whether [`Engine::masking`] passes over the statements the region itself beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shortcut {
    /// Pass over them (what [`Engine::audit`] does).
    Taken,
    /// Clip every one (the straightforward way, for the tests).
    #[cfg_attr(not(test), expect(dead_code, reason = "the tests compare both ways"))]
    NotTaken,
}

/// One statement's finding.
enum Finding<'a> {
    Never(NeverInForce<'a>),
    Masking(Masking<'a>),
}

/// Everything [`Engine::audit`] found.
#[derive(Debug, Clone, Default)]
pub struct Audit<'a> {
    /// Statements never in force, in data-set order (control areas, then history entries).
    pub never_in_force: Vec<NeverInForce<'a>>,
    /// Region-wide entries that end earlier statements, in data-set order.
    pub masking: Vec<Masking<'a>>,
}

impl Engine {
    /// The statements the rule never puts in force and the region-wide entries that end
    /// earlier statements inside their region (see the module docs). Empty for format 1 data,
    /// whose rule has neither. CPU-bound: clips each statement against its neighbours only.
    #[must_use]
    pub fn audit(&self) -> Audit<'_> {
        self.audit_with(Shortcut::Taken)
    }

    /// [`Engine::audit`], checking every statement on its own thread-pool task, and with or
    /// without the masking shortcut (the tests compare the two).
    fn audit_with(&self, shortcut: Shortcut) -> Audit<'_> {
        if self.dataset.format < Format::V2 {
            return Audit::default();
        }
        let statements: Vec<Statement<'_>> = self.all_statements().collect();
        let findings: Vec<Finding<'_>> = statements
            .into_par_iter()
            .filter_map(|statement| self.finding(statement, shortcut))
            .collect();
        let mut audit = Audit::default();
        for finding in findings {
            match finding {
                Finding::Never(n) => audit.never_in_force.push(n),
                Finding::Masking(m) => audit.masking.push(m),
            }
        }
        audit
    }

    /// What the audit says of `statement`: never in force, masking, or nothing.
    fn finding<'a>(&'a self, statement: Statement<'a>, shortcut: Shortcut) -> Option<Finding<'a>> {
        let from = statement.control.from;
        let beaters = self.beaters(&statement, from);
        if beaters.is_empty() && statement.scope() == Scope::Area {
            return None; // in force on all of it, and masks nothing
        }
        let part = self.clipped(&statement, &beaters);
        if !negligible(&part, statement.area_km2) {
            // Only a region-wide entry masks; `masking` says `None` for a control area.
            return self
                .masking(statement, &part, shortcut)
                .map(Finding::Masking);
        }
        let own = self.geometry(statement.key);
        let winners = beaters
            .into_iter()
            .filter(|w| {
                let shared = without_slivers(self.geometry(w.key).intersection(own));
                !negligible(&shared, statement.area_km2)
            })
            .collect();
        Some(Finding::Never(NeverInForce { statement, winners }))
    }

    /// Every statement: the control areas, then each region's history entries (format 2).
    fn all_statements(&self) -> impl Iterator<Item = Statement<'_>> {
        let areas = (0..self.dataset.areas.len()).map(StatementKey::Area);
        let entries = self
            .dataset
            .regions
            .iter()
            .enumerate()
            .flat_map(|(region, r)| {
                (0..r.history.len()).map(move |entry| StatementKey::Region { region, entry })
            });
        areas.chain(entries).map(|key| self.statement(key))
    }

    /// The geometry of the statement `key` names: the area's, or the region's whole polygon.
    fn geometry(&self, key: StatementKey) -> &MultiPolygon<f64> {
        match key {
            StatementKey::Area(i) => &self.dataset.areas[i].geometry,
            StatementKey::Region { region, .. } => &self.dataset.regions[region].geometry,
        }
    }

    /// The statements that can be in force on `date` (control areas from `date` or before,
    /// each region's entry in force on `date`) whose bounding boxes meet `rect`, in data-set
    /// order.
    fn contenders_near(&self, date: Date, rect: Rect<f64>) -> Vec<Statement<'_>> {
        let mut areas: Vec<usize> = self
            .areas
            .tree
            .locate_in_envelope_intersecting(&envelope(rect))
            .map(|e| e.data.region)
            .filter(|&i| self.dataset.areas[i].control.from <= date)
            .collect();
        areas.sort_unstable();
        areas.dedup();
        let mut regions: Vec<usize> = self
            .spatial
            .tree
            .locate_in_envelope_intersecting(&envelope(rect))
            .map(|e| e.data.region)
            .collect();
        regions.sort_unstable();
        regions.dedup();
        areas
            .into_iter()
            .map(|i| self.statement(StatementKey::Area(i)))
            .chain(
                regions
                    .into_iter()
                    .filter_map(|r| self.region_statement(r, date)),
            )
            .collect()
    }

    /// The statements that can be in force on `date` and win over `statement` where both cover
    /// a point, among those whose bounding boxes meet its own, in the rule's order.
    fn beaters(&self, statement: &Statement<'_>, date: Date) -> Vec<Statement<'_>> {
        let Some(bbox) = self.geometry(statement.key).bounding_rect() else {
            return Vec::new();
        };
        let mut found: Vec<Statement<'_>> = self
            .contenders_near(date, bbox)
            .into_iter()
            .filter(|other| other.key != statement.key && other.precedence(statement).is_lt())
            .collect();
        found.sort_by(Statement::precedence);
        found
    }

    /// The geometry of `statement` less those of `beaters`, without slivers.
    fn clipped(&self, statement: &Statement<'_>, beaters: &[Statement<'_>]) -> MultiPolygon<f64> {
        let own = self.geometry(statement.key);
        let beaters: Vec<&MultiPolygon<f64>> = beaters
            .iter()
            .map(|b| self.geometry(b.key))
            .filter(|g| g.intersects(own))
            .collect();
        if beaters.is_empty() {
            return own.clone();
        }
        without_slivers(own.difference(&unary_union(beaters.iter().flat_map(|g| g.iter()))))
    }

    /// What the region-wide `entry`, in force on its date over `part`, ends: the earlier
    /// control areas and sub-regions' entries in force on the day before that meet `part`.
    ///
    /// With [`Shortcut::Taken`], a statement that the region itself (or a region holding it)
    /// beats on the day before is passed over unclipped: its in-force part then lies outside
    /// the region, so nothing of it is ended (the clipping would leave slivers at most).
    fn masking<'a>(
        &'a self,
        entry: Statement<'a>,
        part: &MultiPolygon<f64>,
        shortcut: Shortcut,
    ) -> Option<Masking<'a>> {
        let StatementKey::Region { region, .. } = entry.key else {
            return None;
        };
        let before = entry.control.from.yesterday().ok()?;
        let bbox = part.bounding_rect()?;
        let mut masked: Vec<(Statement<'a>, f64)> = self
            .contenders_near(before, bbox)
            .into_iter()
            .filter(|s| match s.key {
                StatementKey::Area(_) => true,
                StatementKey::Region { region: r, .. } => self.within_region(r, region),
            })
            .filter(|s| self.geometry(s.key).intersects(part))
            .filter_map(|s| {
                let beaters = self.beaters(&s, before);
                if shortcut == Shortcut::Taken
                    && beaters.iter().any(|b| match b.key {
                        StatementKey::Region { region: r, .. } => {
                            r == region || self.within_region(region, r)
                        }
                        StatementKey::Area(_) => false,
                    })
                {
                    return None;
                }
                let in_force = self.clipped(&s, &beaters);
                let ended = without_slivers(in_force.intersection(part));
                let km2 = area_km2(&ended);
                (km2 > s.area_km2 * SLIVER).then_some((s, km2))
            })
            .collect();
        if masked.is_empty() {
            return None;
        }
        masked.sort_by(|(a, _), (b, _)| {
            a.control
                .from
                .cmp(&b.control.from)
                .then_with(|| a.id.to_string().cmp(&b.id.to_string()))
        });
        Some(Masking { entry, masked })
    }

    /// Whether the region at `inner` is a sub-region of the one at `outer`, at any depth (by
    /// the data's `parent` links, which the loader checked for loops).
    fn within_region(&self, inner: usize, outer: usize) -> bool {
        let regions = &self.dataset.regions;
        let mut parent = regions[inner].parent.as_ref();
        for _ in 0..regions.len() {
            match parent.and_then(|p| regions.index_of(p.as_str())) {
                Some(p) if p == outer => return true,
                Some(p) => parent = regions[p].parent.as_ref(),
                None => return false,
            }
        }
        false
    }
}

/// `shape` without the slivers clipping left (see the module docs).
fn without_slivers(shape: MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon::new(
        shape
            .into_iter()
            .filter(|p| !is_sliver(p) && !is_thin(p))
            .collect(),
    )
}

/// Whether `polygon` is thinner on average than [`TRACE_TOLERANCE_M`].
fn is_thin(polygon: &Polygon<f64>) -> bool {
    let perimeter_m: f64 = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| Geodesic.length(ring))
        .sum();
    let area_m2 = area_km2(&MultiPolygon::new(vec![polygon.clone()])) * 1e6;
    perimeter_m > 0.0 && 2.0 * area_m2 / perimeter_m < TRACE_TOLERANCE_M
}

/// Whether `part` is nothing next to a statement of `whole_km2`: below [`SLIVER`] of it.
fn negligible(part: &MultiPolygon<f64>, whole_km2: f64) -> bool {
    part.0.is_empty() || area_km2(part) <= whole_km2 * SLIVER
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::super::tests::{area, engine, entry, rect, region};
    use super::*;
    use crate::model::{ControlEntry, Region};

    fn ids(statements: &[Statement<'_>]) -> Vec<String> {
        statements.iter().map(|s| s.id.to_string()).collect()
    }

    fn never(e: &Engine) -> Vec<(String, Vec<String>)> {
        e.audit()
            .never_in_force
            .iter()
            .map(|n| (n.statement.id.to_string(), ids(&n.winners)))
            .collect()
    }

    fn masking(e: &Engine) -> Vec<(String, Vec<String>)> {
        e.audit()
            .masking
            .iter()
            .map(|m| {
                let masked = m.masked.iter().map(|(s, _)| s.id.to_string()).collect();
                (m.entry.id.to_string(), masked)
            })
            .collect()
    }

    fn held(from: Date, faction: &str) -> ControlEntry {
        entry(from, &[faction])
    }

    fn sub_region(
        id: &str,
        parent: &str,
        geometry: MultiPolygon<f64>,
        history: Vec<ControlEntry>,
    ) -> Region {
        Region {
            parent: Some(crate::model::RegionId::new(parent)),
            ..region(id, geometry, history)
        }
    }

    #[test]
    fn nothing_to_say_about_an_empty_data_set() {
        let e = engine(Format::V2, vec![], vec![]);
        assert!(never(&e).is_empty());
        assert!(masking(&e).is_empty());
    }

    #[test]
    fn covered_by_smaller_statements_of_the_same_date_is_never_in_force() {
        let d = date(2015, 8, 11);
        // `big` is covered by two halves of the same date, each smaller than it.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("big", rect(0.0, 0.0, 2.0, 1.0), held(d, "red")),
                area("west", rect(0.0, 0.0, 0.8, 1.0), held(d, "blue")),
                area("east", rect(0.8, 0.0, 2.0, 1.0), held(d, "green")),
                // Another date, overlapping: not a winner on 2015-08-11, never listed.
                area(
                    "later",
                    rect(0.0, 0.0, 2.0, 1.0),
                    held(date(2016, 1, 1), "red"),
                ),
            ],
        );
        assert_eq!(
            never(&e),
            [("big".into(), vec!["west".into(), "east".into()])],
            "the winners in the rule's order, smallest first"
        );
    }

    #[test]
    fn covered_only_by_a_later_statement_is_in_force_until_then() {
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area(
                    "first",
                    rect(0.0, 0.0, 1.0, 1.0),
                    held(date(2015, 1, 1), "red"),
                ),
                area(
                    "cover",
                    rect(-1.0, -1.0, 2.0, 2.0),
                    held(date(2015, 1, 2), "blue"),
                ),
            ],
        );
        assert!(never(&e).is_empty());
    }

    #[test]
    fn an_earlier_statement_never_hides_a_later_one() {
        // A smaller, earlier statement loses to a later one wherever both cover a point.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area(
                    "small",
                    rect(0.0, 0.0, 1.0, 1.0),
                    held(date(2015, 1, 1), "red"),
                ),
                area(
                    "inside",
                    rect(0.2, 0.2, 0.8, 0.8),
                    held(date(2016, 1, 1), "blue"),
                ),
            ],
        );
        assert!(never(&e).is_empty());
    }

    #[test]
    fn partly_uncovered_is_in_force_there() {
        let d = date(2015, 8, 11);
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("big", rect(0.0, 0.0, 2.0, 1.0), held(d, "red")),
                area("west", rect(0.0, 0.0, 1.0, 1.0), held(d, "blue")),
                area("most-of-east", rect(1.0, 0.0, 1.9, 1.0), held(d, "green")),
            ],
        );
        assert!(never(&e).is_empty());
    }

    #[test]
    fn the_same_area_and_date_ties_by_id() {
        let d = date(2015, 8, 11);
        // The same ground on the same date (the loader refuses this; the rule still orders
        // the two): the smaller id wins, the other is never in force.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("b-second", rect(0.0, 0.0, 1.0, 1.0), held(d, "red")),
                area("a-first", rect(0.0, 0.0, 1.0, 1.0), held(d, "blue")),
            ],
        );
        assert_eq!(never(&e), [("b-second".into(), vec!["a-first".into()])]);
    }

    #[test]
    fn an_area_statement_beats_a_region_wide_entry_of_the_same_size_and_date() {
        let d = date(2024, 12, 8);
        let e = engine(
            Format::V2,
            vec![region(
                "plain",
                rect(0.0, 0.0, 1.0, 1.0),
                vec![held(d, "red")],
            )],
            vec![area("same", rect(0.0, 0.0, 1.0, 1.0), held(d, "blue"))],
        );
        assert_eq!(
            never(&e),
            [("plain@2024-12-08".into(), vec!["same".into()])]
        );
        assert!(masking(&e).is_empty(), "never in force, so it ends nothing");
    }

    #[test]
    fn traced_edges_that_nearly_meet_count_as_covering() {
        let d = date(2015, 8, 11);
        // The halves leave a gap of 1e-6° (about 10 cm) along their shared edge.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("big", rect(0.0, 0.0, 0.2, 0.1), held(d, "red")),
                area("west", rect(0.0, 0.0, 0.1, 0.1), held(d, "blue")),
                area("east", rect(0.100_001, 0.0, 0.2, 0.1), held(d, "green")),
            ],
        );
        assert_eq!(
            never(&e),
            [("big".into(), vec!["east".into(), "west".into()])]
        );
        // A gap of 0.0005° (about 45 m) along the 11 km edge: no sliver by shape, but thinner
        // than the tracing tolerance.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("big", rect(0.0, 0.0, 0.2, 0.1), held(d, "red")),
                area("west", rect(0.0, 0.0, 0.1, 0.1), held(d, "blue")),
                area("east", rect(0.1005, 0.0, 0.2, 0.1), held(d, "green")),
            ],
        );
        assert_eq!(
            never(&e),
            [("big".into(), vec!["east".into(), "west".into()])]
        );
        // A real gap (0.01°, about 1 km) is land where `big` is in force.
        let e = engine(
            Format::V2,
            vec![],
            vec![
                area("big", rect(0.0, 0.0, 0.2, 0.1), held(d, "red")),
                area("west", rect(0.0, 0.0, 0.1, 0.1), held(d, "blue")),
                area("east", rect(0.11, 0.0, 0.2, 0.1), held(d, "green")),
            ],
        );
        assert!(never(&e).is_empty());
    }

    #[test]
    fn a_region_wide_entry_ends_area_statements_still_in_force_inside_it() {
        let e = engine(
            Format::V2,
            vec![region(
                "plain",
                rect(0.0, 0.0, 2.0, 2.0),
                vec![
                    held(date(2011, 3, 1), "red"),
                    held(date(2024, 12, 8), "green"),
                ],
            )],
            vec![
                // In force until 2024-12-07, inside the region: masked.
                area(
                    "village",
                    rect(0.2, 0.2, 0.4, 0.4),
                    held(date(2015, 8, 11), "blue"),
                ),
                // Half outside the region: masked inside it all the same.
                area(
                    "edge",
                    rect(1.8, 1.8, 2.2, 2.2),
                    held(date(2016, 1, 1), "blue"),
                ),
                // Wholly outside, touching the boundary: not masked.
                area(
                    "outside",
                    rect(2.0, 0.0, 3.0, 1.0),
                    held(date(2016, 1, 1), "blue"),
                ),
                // Itself ended earlier by a later area statement over it: nothing left to end.
                area(
                    "gone",
                    rect(1.0, 1.0, 1.2, 1.2),
                    held(date(2013, 1, 1), "blue"),
                ),
                area(
                    "over-gone",
                    rect(0.9, 0.9, 1.3, 1.3),
                    held(date(2014, 1, 1), "red"),
                ),
                // Starts on the same day as the entry and is smaller: wins, not masked.
                area(
                    "same-day",
                    rect(0.5, 1.5, 0.7, 1.7),
                    held(date(2024, 12, 8), "blue"),
                ),
            ],
        );
        assert_eq!(
            masking(&e),
            [(
                "plain@2024-12-08".into(),
                vec!["over-gone".into(), "village".into(), "edge".into()]
            )]
        );
        let audit = e.audit();
        let edge = audit.masking[0]
            .masked
            .iter()
            .find(|(s, _)| s.id.to_string() == "edge");
        let km2 = edge.map(|(_, km2)| *km2).unwrap_or_default();
        let quarter = area_km2(&rect(1.8, 1.8, 2.0, 2.0));
        assert!((km2 - quarter).abs() < 1e-6 * quarter, "{km2} vs {quarter}");
        // The region's first entry ends nothing: nothing was in force before it.
        assert!(
            audit
                .masking
                .iter()
                .all(|m| m.entry.id.to_string() != "plain@2011-03-01")
        );
    }

    #[test]
    fn statements_over_before_the_entry_or_starting_after_it_are_not_masked() {
        let e = engine(
            Format::V2,
            vec![region(
                "plain",
                rect(0.0, 0.0, 2.0, 2.0),
                vec![
                    held(date(2011, 3, 1), "red"),
                    held(date(2024, 12, 8), "green"),
                ],
            )],
            vec![
                // Already over before the entry: a later area statement ended it.
                area(
                    "short",
                    rect(0.2, 0.2, 0.4, 0.4),
                    held(date(2015, 8, 11), "blue"),
                ),
                area(
                    "after",
                    rect(0.1, 0.1, 0.5, 0.5),
                    held(date(2016, 1, 1), "red"),
                ),
                // After the entry: it ends nothing that comes later.
                area(
                    "later",
                    rect(0.6, 0.6, 0.8, 0.8),
                    held(date(2025, 3, 6), "blue"),
                ),
            ],
        );
        assert_eq!(
            masking(&e),
            [("plain@2024-12-08".into(), vec!["after".into()])],
            "`after` is still in force on 2024-12-07; `short` and `later` are not masked"
        );
        let e = engine(
            Format::V2,
            vec![region(
                "plain",
                rect(0.0, 0.0, 2.0, 2.0),
                vec![
                    held(date(2011, 3, 1), "red"),
                    held(date(2024, 12, 8), "green"),
                ],
            )],
            vec![area(
                "later",
                rect(0.6, 0.6, 0.8, 0.8),
                held(date(2025, 3, 6), "blue"),
            )],
        );
        assert!(masking(&e).is_empty());
    }

    #[test]
    fn a_parent_s_entry_masks_a_sub_region_s_unless_the_sub_region_changes_that_day() {
        let d = date(2024, 12, 8);
        let parent = || {
            region(
                "coast",
                rect(0.0, 0.0, 2.0, 2.0),
                vec![held(date(2011, 3, 1), "red"), held(d, "green")],
            )
        };
        let e = engine(
            Format::V2,
            vec![
                parent(),
                sub_region(
                    "hills",
                    "coast",
                    rect(0.0, 0.0, 1.0, 1.0),
                    vec![held(date(2015, 1, 1), "blue")],
                ),
            ],
            vec![],
        );
        assert_eq!(
            masking(&e),
            [("coast@2024-12-08".into(), vec!["hills@2015-01-01".into()])],
            "and hills@2015-01-01 refining coast@2011-03-01 is what sub-regions are for"
        );
        // The sub-region's own entry of the same day is smaller, so it ends its predecessor.
        let e = engine(
            Format::V2,
            vec![
                parent(),
                sub_region(
                    "hills",
                    "coast",
                    rect(0.0, 0.0, 1.0, 1.0),
                    vec![held(date(2015, 1, 1), "blue"), held(d, "green")],
                ),
            ],
            vec![],
        );
        assert!(masking(&e).is_empty());
        assert!(never(&e).is_empty());
    }

    #[test]
    fn statements_sharing_an_edge_exactly_mask_nothing_across_it() {
        // A region-wide entry next to an area traced along the region's edge.
        let e = engine(
            Format::V2,
            vec![region(
                "plain",
                rect(0.0, 0.0, 1.0, 1.0),
                vec![held(date(2024, 12, 8), "green")],
            )],
            vec![area(
                "next-door",
                MultiPolygon::new(vec![geo::Polygon::new(
                    geo::LineString::from(vec![
                        (1.0, 0.0),
                        (2.0, 0.0),
                        (2.0, 1.0),
                        (1.0, 1.0),
                        (1.0, 0.5),
                        (1.0, 0.0),
                    ]),
                    vec![],
                )]),
                held(date(2015, 1, 1), "blue"),
            )],
        );
        assert!(masking(&e).is_empty());
    }

    #[test]
    fn an_area_that_overruns_the_region_s_edge_by_a_strip_is_not_masked() {
        let entries = || {
            vec![
                held(date(2011, 3, 1), "red"),
                held(date(2024, 12, 8), "green"),
            ]
        };
        let plain = || region("plain", rect(0.0, 0.0, 1.0, 1.0), entries());
        // Traced along the region's east edge at x = 1, but 0.0005° (about 45 m) over it.
        let next_door = |x0| {
            area(
                "next-door",
                rect(x0, 0.0, 2.0, 1.0),
                held(date(2015, 1, 1), "blue"),
            )
        };
        let e = engine(Format::V2, vec![plain()], vec![next_door(0.9995)]);
        assert!(masking(&e).is_empty());
        // 0.005° (about 450 m) over it: ground the entry takes over.
        let e = engine(Format::V2, vec![plain()], vec![next_door(0.995)]);
        assert_eq!(
            masking(&e),
            [("plain@2024-12-08".into(), vec!["next-door".into()])]
        );
    }

    /// Statements never in force with their winners; masking entries with what they end.
    type Findings = (
        Vec<(String, Vec<String>)>,
        Vec<(String, Vec<(String, u64)>)>,
    );

    /// Every finding, with the km² of each masked statement to the bit.
    fn findings(audit: &Audit<'_>) -> Findings {
        let never = audit
            .never_in_force
            .iter()
            .map(|n| (n.statement.id.to_string(), ids(&n.winners)))
            .collect();
        let masking = audit
            .masking
            .iter()
            .map(|m| {
                let masked = m
                    .masked
                    .iter()
                    .map(|(s, km2)| (s.id.to_string(), km2.to_bits()))
                    .collect();
                (m.entry.id.to_string(), masked)
            })
            .collect();
        (never, masking)
    }

    #[test]
    fn the_masking_shortcut_finds_what_clipping_every_statement_finds() {
        let spec = crate::synth::Spec::new(150, 24, 150, 7).expect("a valid spec");
        let e = Engine::new(crate::synth::generate(&spec));
        let fast = findings(&e.audit_with(Shortcut::Taken));
        let slow = findings(&e.audit_with(Shortcut::NotTaken));
        // Synthetic statements are never all covered: the set has masking findings only.
        assert!(!fast.1.is_empty(), "the synthetic set has masking findings");
        assert_eq!(fast, slow);
    }

    #[test]
    fn format_1_data_is_not_audited() {
        let d = date(2015, 8, 11);
        let e = engine(
            Format::V1,
            vec![
                region(
                    "big",
                    rect(0.0, 0.0, 2.0, 2.0),
                    vec![held(d, "red"), held(date(2024, 12, 8), "green")],
                ),
                region("small", rect(0.0, 0.0, 2.0, 2.0), vec![held(d, "blue")]),
            ],
            vec![],
        );
        let audit = e.audit();
        assert!(audit.never_in_force.is_empty() && audit.masking.is_empty());
    }
}
