//! The control map through time: every statement's in-force part, split into periods during
//! which that part does not change.
//!
//! The map can only change on a tick (a date some statement starts on), and there only where a
//! statement that starts meets one already in force: a statement that starts on a tick wins
//! over every older one, and a region-wide entry is replaced by the next one over the same
//! polygon. So the periods are found in one pass over the ticks:
//! 1. a region-wide entry that a later entry replaces ends;
//! 2. each statement in force that a starting one meets is clipped again, by the same winners
//!    in the same order as the map of the tick clips it; if its part changed (it can only
//!    shrink), its period ends, and a new one starts if anything is left;
//! 3. each starting statement is clipped; if anything of it is left, its first period starts.
//!
//! Statements that no starting statement meets keep their part (the map of the tick clips
//! them by the same winners as before) and are not clipped again. So for any date, the
//! periods in force are the pieces of [`Engine::control_map`] of that date.

use std::collections::{BTreeMap, BTreeSet};

use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

use super::{Statement, StatementKey, in_force_part};
use crate::engine::Engine;
use crate::model::{Date, Format};

/// Two parts of one statement whose areas differ by less than this fraction of the larger are
/// one part: clipping again after a statement started over land the first had already lost
/// moves only rounding.
const SAME_PART: f64 = 1e-9;

/// One period of one statement: from `start` until the day before `end` the statement is in
/// force on `geometry`, and nowhere else.
#[derive(Debug, Clone)]
pub struct ControlPeriod {
    /// The statement.
    pub key: StatementKey,
    /// First day of the period: a tick.
    pub start: Date,
    /// First day after the period (a tick), `None` while the statement is still in force there.
    pub end: Option<Date>,
    /// The statement's in-force part during the period, as the control map of any of its days
    /// has it.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area of `geometry`, km².
    pub km2: f64,
}

/// A statement with what the pass over the ticks needs of it.
struct Candidate<'a> {
    statement: Statement<'a>,
    geometry: &'a MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
    /// When a later entry of the same region replaces it (region-wide entries only).
    until: Option<Date>,
    /// Its place in the rule's order over all statements (0 wins over every other).
    rank: usize,
}

impl Candidate<'_> {
    fn in_force(&self, tick: Date) -> bool {
        self.statement.control.from <= tick && self.until.is_none_or(|until| tick < until)
    }
}

/// A period that has not ended yet.
struct Open {
    start: Date,
    geometry: MultiPolygon<f64>,
    km2: f64,
}

impl Open {
    fn close(self, key: StatementKey, end: Option<Date>) -> ControlPeriod {
        ControlPeriod {
            key,
            start: self.start,
            end,
            geometry: self.geometry,
            km2: self.km2,
        }
    }
}

impl Engine {
    /// Every period of every statement, by start and then in the rule's order (the winner
    /// first), as the statements resolve under the rule of the data's format. Statements never
    /// in force have none. Computed once per engine, on first use: CPU-bound (about 0.2 s on
    /// the bundled data), so call it first from a blocking thread.
    #[must_use]
    pub fn control_periods(&self) -> &[ControlPeriod] {
        self.maps.periods.get_or_init(|| self.find_periods().0)
    }

    /// Whether [`Engine::control_periods`] has been found already (then it answers at once).
    #[must_use]
    pub fn has_control_periods(&self) -> bool {
        self.maps.periods.get().is_some()
    }

    /// The period of the statement with id `statement` that starts on `start`.
    #[must_use]
    pub fn control_period(&self, statement: &str, start: Date) -> Option<&ControlPeriod> {
        let periods = self.control_periods();
        let first = periods.partition_point(|p| p.start < start);
        periods[first..]
            .iter()
            .take_while(|p| p.start == start)
            .find(|p| self.statement(p.key).id.to_string() == statement)
    }

    /// The periods, and how many times a statement's part was clipped to find them.
    fn find_periods(&self) -> (Vec<ControlPeriod>, usize) {
        let candidates = self.candidates();
        let boxes = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some(GeomWithData::new(rectangle(c.bbox?), i)))
            .collect();
        let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(boxes);
        let mut by_start: Vec<usize> = (0..candidates.len()).collect();
        by_start.sort_by_key(|&i| (candidates[i].statement.control.from, candidates[i].rank));
        let mut open: BTreeMap<usize, Open> = BTreeMap::new();
        let mut periods: Vec<(usize, ControlPeriod)> = Vec::new();
        let mut clipped = 0;
        let mut next = 0;
        for &tick in self.ticks() {
            let first = next;
            while by_start
                .get(next)
                .is_some_and(|&i| candidates[i].statement.control.from == tick)
            {
                next += 1;
            }
            let starting = &by_start[first..next];
            let replaced: Vec<usize> = open
                .keys()
                .copied()
                .filter(|&i| candidates[i].until == Some(tick))
                .collect();
            for i in replaced {
                if let Some(run) = open.remove(&i) {
                    let c = &candidates[i];
                    periods.push((c.rank, run.close(c.statement.key, Some(tick))));
                }
            }
            let met = met_by(&candidates, &tree, starting, tick);
            for i in met {
                clipped += 1;
                let part = self.part(&candidates, &tree, i, tick);
                let run = open.remove(&i);
                if let Some(run) = run {
                    if part.as_ref().is_some_and(|(_, km2)| same(*km2, run.km2)) {
                        open.insert(i, run);
                        continue;
                    }
                    let c = &candidates[i];
                    periods.push((c.rank, run.close(c.statement.key, Some(tick))));
                }
                if let Some((geometry, km2)) = part {
                    open.insert(
                        i,
                        Open {
                            start: tick,
                            geometry,
                            km2,
                        },
                    );
                }
            }
            for &n in starting {
                clipped += 1;
                if let Some((geometry, km2)) = self.part(&candidates, &tree, n, tick) {
                    open.insert(
                        n,
                        Open {
                            start: tick,
                            geometry,
                            km2,
                        },
                    );
                }
            }
        }
        for (i, run) in open {
            let c = &candidates[i];
            periods.push((c.rank, run.close(c.statement.key, None)));
        }
        periods.sort_by_key(|(rank, p)| (p.start, *rank));
        (periods.into_iter().map(|(_, p)| p).collect(), clipped)
    }

    /// Every statement the rule of the data's format resolves (with format 1 data, the history
    /// entries only), ranked in the rule's order.
    fn candidates(&self) -> Vec<Candidate<'_>> {
        let data = &self.dataset;
        let areas = if data.format < Format::V2 {
            0
        } else {
            data.areas.len()
        };
        let area_statements = (0..areas).map(|i| (StatementKey::Area(i), None));
        let region_statements = data.regions.iter().enumerate().flat_map(|(region, r)| {
            (0..r.history.len()).map(move |entry| {
                let until = r.history.get(entry + 1).map(|e| e.from);
                (StatementKey::Region { region, entry }, until)
            })
        });
        let mut all: Vec<Candidate<'_>> = area_statements
            .chain(region_statements)
            .map(|(key, until)| {
                let geometry = match key {
                    StatementKey::Area(i) => &data.areas[i].geometry,
                    StatementKey::Region { region, .. } => &data.regions[region].geometry,
                };
                Candidate {
                    statement: self.statement(key),
                    geometry,
                    bbox: geometry.bounding_rect(),
                    until,
                    rank: 0,
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&a, &b| all[a].statement.precedence(&all[b].statement));
        for (rank, i) in order.into_iter().enumerate() {
            all[i].rank = rank;
        }
        all
    }

    /// The part of candidate `i` in force on `tick`, clipped by the same winners, in the same
    /// order, as [`Engine::control_map`] clips it.
    fn part(
        &self,
        candidates: &[Candidate<'_>],
        tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
        i: usize,
        tick: Date,
    ) -> Option<(MultiPolygon<f64>, f64)> {
        let c = &candidates[i];
        let bbox = c.bbox?;
        let winners: Vec<&MultiPolygon<f64>> = if self.dataset.format < Format::V2 {
            // Format 1: every smaller region hides this one, whether it has an entry yet or not.
            let StatementKey::Region { region, .. } = c.statement.key else {
                return None;
            };
            let smaller = |r: usize| {
                self.area_km2(r)
                    .total_cmp(&self.area_km2(region))
                    .then(r.cmp(&region))
                    .is_lt()
            };
            let mut regions: Vec<usize> = self
                .regions_intersecting(bbox)
                .into_iter()
                .filter(|&r| smaller(r))
                .collect();
            regions.sort_by(|&a, &b| {
                self.area_km2(a)
                    .total_cmp(&self.area_km2(b))
                    .then(a.cmp(&b))
            });
            regions
                .into_iter()
                .map(|r| &self.dataset.regions[r].geometry)
                .collect()
        } else {
            let mut winners: Vec<usize> = tree
                .locate_in_envelope_intersecting(&rectangle(bbox).envelope())
                .map(|e| e.data)
                .filter(|&j| candidates[j].rank < c.rank && candidates[j].in_force(tick))
                .collect();
            winners.sort_unstable_by_key(|&j| candidates[j].rank);
            winners
                .into_iter()
                .map(|j| candidates[j].geometry)
                .collect()
        };
        let winners = winners.into_iter().filter(|g| g.intersects(c.geometry));
        in_force_part(c.geometry, winners)
    }
}

/// The statements in force since before `tick` that one of `starting` meets.
fn met_by(
    candidates: &[Candidate<'_>],
    tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    starting: &[usize],
    tick: Date,
) -> BTreeSet<usize> {
    let mut met = BTreeSet::new();
    for &n in starting {
        let Some(bbox) = candidates[n].bbox else {
            continue;
        };
        for e in tree.locate_in_envelope_intersecting(&rectangle(bbox).envelope()) {
            let c = &candidates[e.data];
            if c.statement.control.from < tick
                && c.in_force(tick)
                && c.geometry.intersects(candidates[n].geometry)
            {
                met.insert(e.data);
            }
        }
    }
    met
}

/// Whether two areas, km², are those of one part (see [`SAME_PART`]).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= SAME_PART * a.max(b)
}

fn rectangle(r: Rect<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

#[cfg(test)]
mod tests;
