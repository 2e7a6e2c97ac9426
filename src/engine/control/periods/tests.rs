use geo::{Area, BooleanOps};
use jiff::civil::date;
use proptest::prelude::*;

use super::super::tests::{
    DATES, FACTIONS, area, engine, entry, ghab_like, rect, region, statement,
};
use super::*;
use crate::model::ControlEntry;

/// About 1 m² (at 35° N), in square degrees: what the map drops as rounding.
const SPECK: f64 = 1e-10;

/// The periods in force on `d`: those whose `[start, end)` holds it.
fn in_force_on(e: &Engine, d: Date) -> Vec<&ControlPeriod> {
    e.control_periods()
        .iter()
        .filter(|p| p.start <= d && p.end.is_none_or(|end| d < end))
        .collect()
}

/// Asserts that the periods in force on `d` are the control map of `d`: the same statements,
/// each on the same part, none overlapping another (within a millionth of the area plus a
/// speck: clipping along a shared boundary leaves slivers).
fn assert_periods_are_the_map(e: &Engine, d: Date) {
    let map = e.control_map(d);
    let periods = in_force_on(e, d);
    let id = |key: StatementKey| e.statement(key).id.to_string();
    let mut got: Vec<String> = periods.iter().map(|p| id(p.key)).collect();
    let mut want: Vec<String> = map.pieces.iter().map(|p| id(p.key)).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "statements in force on {d}");
    for piece in &map.pieces {
        let period = periods.iter().find(|p| p.key == piece.key).unwrap();
        let whole = piece.geometry.unsigned_area();
        let apart = period.geometry.xor(&piece.geometry).unsigned_area();
        assert!(
            apart <= 1e-6 * whole + SPECK,
            "{} on {d}: the period's part and the map's differ by {apart} of {whole}",
            id(piece.key)
        );
        assert!(
            (period.km2 - piece.km2).abs() <= 1e-6 * piece.km2,
            "{} on {d}: {} km² vs {} km²",
            id(piece.key),
            period.km2,
            piece.km2
        );
    }
    for (i, a) in periods.iter().enumerate() {
        for b in &periods[i + 1..] {
            let overlap = a.geometry.intersection(&b.geometry).unsigned_area();
            let smaller = a.geometry.unsigned_area().min(b.geometry.unsigned_area());
            assert!(
                overlap <= 1e-6 * smaller + SPECK,
                "{} and {} overlap by {overlap} of {smaller} on {d}",
                id(a.key),
                id(b.key)
            );
        }
    }
}

/// Every tick, the day before each (where periods end), and the day before them all.
fn dates_to_check(e: &Engine) -> Vec<Date> {
    e.ticks()
        .iter()
        .flat_map(|&t| [t.yesterday().unwrap(), t])
        .collect()
}

/// Asserts the periods' ids (statement and start) are distinct and each finds its period.
fn assert_ids_find_their_periods(e: &Engine) {
    let mut ids = std::collections::HashSet::new();
    for p in e.control_periods() {
        let statement = e.statement(p.key).id.to_string();
        assert!(
            ids.insert((statement.clone(), p.start)),
            "{statement} has two periods from {}",
            p.start
        );
        let found = e.control_period(&statement, p.start).unwrap();
        assert_eq!((found.key, found.end), (p.key, p.end));
        assert!(p.end.is_none_or(|end| p.start < end), "{statement}: empty");
    }
}

/// Each period as `(statement, start, end)`.
fn summary(e: &Engine) -> Vec<(String, Date, Option<Date>)> {
    e.control_periods()
        .iter()
        .map(|p| (e.statement(p.key).id.to_string(), p.start, p.end))
        .collect()
}

#[test]
fn an_empty_data_set_has_no_periods() {
    let e = engine(Format::V2, Vec::new(), Vec::new());
    assert!(e.control_periods().is_empty());
    assert_eq!(e.find_periods().1, 0);
}

#[test]
fn a_statement_has_a_new_period_each_time_a_later_one_takes_part_of_it() {
    let e = ghab_like();
    let (strip, west) = (date(2015, 8, 1), date(2015, 8, 11));
    let plain = date(2011, 3, 1);
    assert_eq!(
        summary(&e),
        [
            ("plain@2011-03-01".to_owned(), plain, Some(strip)),
            ("strip".to_owned(), strip, Some(west)),
            ("plain@2011-03-01".to_owned(), strip, Some(west)),
            ("west".to_owned(), west, None),
            ("strip".to_owned(), west, None),
            ("plain@2011-03-01".to_owned(), west, None),
        ]
    );
    // The plain: whole, less the strip (10 %), then its east half less half the strip.
    let km2: Vec<f64> = e.control_periods().iter().map(|p| p.km2).collect();
    let whole = km2[0];
    for (i, share) in [(0, 1.0), (2, 0.9), (5, 0.45), (1, 0.1), (4, 0.05), (3, 0.5)] {
        let got = km2[i] / whole;
        assert!((got - share).abs() < 1e-3, "period {i}: {got} of the plain");
    }
    for d in dates_to_check(&e) {
        assert_periods_are_the_map(&e, d);
    }
    assert_ids_find_their_periods(&e);
    assert!(
        e.control_period("plain@2011-03-01", date(2015, 8, 2))
            .is_none()
    );
    assert!(e.control_period("west", strip).is_none());
}

#[test]
fn only_statements_a_starting_one_meets_are_clipped_again() {
    let far = area(
        "far",
        rect(10.0, 10.0, 11.0, 11.0),
        entry(date(2013, 1, 1), &["green"]),
    );
    // Inside `west`, over land the plain had already lost: the plain is clipped again, but its
    // part does not change, so its period goes on.
    let inner = area(
        "inner",
        rect(0.2, 0.2, 0.4, 0.4),
        entry(date(2016, 1, 1), &["green"]),
    );
    let base = ghab_like();
    let mut areas = base.dataset().areas.to_vec();
    areas.extend([far, inner]);
    let regions = base.dataset().regions.iter().cloned().collect();
    let e = engine(Format::V2, regions, areas);
    let periods = summary(&e);
    let of = |id: &str| periods.iter().filter(|p| p.0 == id).count();
    assert_eq!(
        (of("plain@2011-03-01"), of("west"), of("far"), of("inner")),
        (3, 2, 1, 1)
    );
    // Five statements clipped when they start; then the plain when the strip starts, the
    // plain and the strip when west starts, west and the plain when inner starts. Nothing
    // when `far` starts: it meets no one.
    assert_eq!(e.find_periods().1, 5 + 1 + 2 + 2);
    for d in dates_to_check(&e) {
        assert_periods_are_the_map(&e, d);
    }
}

#[test]
fn a_region_wide_entry_ends_when_the_next_one_starts_and_unseen_statements_have_none() {
    let (first, second) = (date(2011, 3, 1), date(2014, 1, 1));
    let e = engine(
        Format::V2,
        vec![region(
            "r",
            rect(0.0, 0.0, 1.0, 1.0),
            vec![entry(first, &["red"]), entry(second, &["blue"])],
        )],
        // Older than the region's second entry, which covers it whole: never in force after
        // it, and before it only from 2012.
        vec![
            area(
                "hidden",
                rect(0.2, 0.2, 0.4, 0.4),
                entry(date(2012, 1, 1), &["green"]),
            ),
            // On the same day as a smaller statement covering it whole: never in force.
            area(
                "covered",
                rect(0.5, 0.5, 0.6, 0.6),
                entry(date(2013, 1, 1), &["green"]),
            ),
            area(
                "cover",
                rect(0.5, 0.5, 0.6, 0.6),
                entry(date(2013, 1, 1), &["blue"]),
            ),
        ],
    );
    let periods = summary(&e);
    assert!(periods.iter().all(|p| p.0 != "covered"), "{periods:?}");
    assert!(periods.contains(&("r@2011-03-01".to_owned(), date(2013, 1, 1), Some(second))));
    assert!(periods.contains(&("hidden".to_owned(), date(2012, 1, 1), Some(second))));
    assert!(periods.contains(&("r@2014-01-01".to_owned(), second, None)));
    for d in dates_to_check(&e) {
        assert_periods_are_the_map(&e, d);
    }
    assert_ids_find_their_periods(&e);
}

#[test]
fn format_1_periods_follow_its_own_map() {
    let e = engine(
        Format::V1,
        vec![
            region(
                "parent",
                rect(0.0, 0.0, 2.0, 2.0),
                vec![
                    entry(date(2011, 1, 1), &["red"]),
                    entry(date(2016, 1, 1), &["blue"]),
                ],
            ),
            region(
                "child",
                rect(0.0, 0.0, 1.0, 1.0),
                vec![entry(date(2012, 1, 1), &["green"])],
            ),
        ],
        Vec::new(),
    );
    // The child hides its corner of the parent even before its first entry.
    assert_eq!(
        summary(&e),
        [
            (
                "parent@2011-01-01".to_owned(),
                date(2011, 1, 1),
                Some(date(2016, 1, 1))
            ),
            ("child@2012-01-01".to_owned(), date(2012, 1, 1), None),
            ("parent@2016-01-01".to_owned(), date(2016, 1, 1), None),
        ]
    );
    for d in dates_to_check(&e) {
        assert_periods_are_the_map(&e, d);
    }
}

#[test]
fn the_bundled_data_periods_are_its_control_map_on_every_tick() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let loaded = crate::geodata::load(&dir).unwrap();
    assert_eq!(loaded.dataset.format, Format::V2);
    let e = Engine::new(loaded.dataset);
    let (periods, clipped) = e.find_periods();
    let candidates = e.candidates();
    assert!(
        periods.len() > candidates.len() / 2,
        "{} periods of {} statements",
        periods.len(),
        candidates.len()
    );
    // Flattening the map of every tick clips every statement in force on it.
    let every_map: usize = e
        .ticks()
        .iter()
        .map(|&t| candidates.iter().filter(|c| c.in_force(t)).count())
        .sum();
    assert!(
        clipped * 4 < every_map,
        "{clipped} clips, where flattening every tick would take {every_map}"
    );
    for d in dates_to_check(&e) {
        assert_periods_are_the_map(&e, d);
    }
    assert_ids_find_their_periods(&e);
}

prop_compose! {
    /// A region on the grid with one to three history entries on distinct dates.
    fn region_with_history()(
        shape in statement(),
        entries in prop::collection::btree_map(0usize..4, 0usize..4, 1..4),
    ) -> (MultiPolygon<f64>, Vec<ControlEntry>) {
        let history = entries
            .into_iter()
            .map(|(d, f)| {
                let (year, month, day) = DATES[d];
                entry(date(year, month, day), FACTIONS[f])
            })
            .collect();
        (shape.0, history)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn on_every_date_the_periods_in_force_are_the_control_map(
        areas in prop::collection::vec(statement(), 0..10),
        regions in prop::collection::vec(region_with_history(), 0..4),
    ) {
        let e = engine(
            Format::V2,
            regions
                .into_iter()
                .enumerate()
                .map(|(i, (g, history))| region(&format!("r{i}"), g, history))
                .collect(),
            areas
                .iter()
                .enumerate()
                .map(|(i, (g, d, f))| area(&format!("a{i}"), g.clone(), entry(*d, f)))
                .collect(),
        );
        for d in dates_to_check(&e) {
            assert_periods_are_the_map(&e, d);
        }
        assert_ids_find_their_periods(&e);
    }
}
