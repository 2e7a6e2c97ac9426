use geo::{Area, Coord, Distance, Euclidean, LineString, Rect};
use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::model::{
    AreaStatement, Color, ControlStatus, Dataset, Faction, Precision, Region, Regions,
};

pub(super) fn faction(id: &str) -> Faction {
    Faction {
        id: FactionId::new(id),
        name: id.into(),
        color: Color::parse("#000000").unwrap(),
        description: String::new(),
        sources: Vec::new(),
    }
}

pub(super) fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Rect::new((x0, y0), (x1, y1)).to_polygon()])
}

pub(super) fn entry(from: Date, factions: &[&str]) -> ControlEntry {
    ControlEntry {
        from,
        precision: Precision::Day,
        status: if factions.len() == 1 {
            ControlStatus::Held
        } else {
            ControlStatus::Contested
        },
        factions: factions.iter().map(|f| FactionId::new(*f)).collect(),
        note: String::new(),
        sources: Vec::new(),
    }
}

pub(super) fn region(id: &str, geometry: MultiPolygon<f64>, history: Vec<ControlEntry>) -> Region {
    Region {
        id: RegionId::new(id),
        name: id.into(),
        name_ar: None,
        description: String::new(),
        parent: None,
        last_reviewed: None,
        geometry,
        history,
    }
}

pub(super) fn area(id: &str, geometry: MultiPolygon<f64>, control: ControlEntry) -> AreaStatement {
    AreaStatement {
        id: id.into(),
        region: None,
        geometry,
        control,
    }
}

pub(super) fn engine(format: Format, regions: Vec<Region>, areas: Vec<AreaStatement>) -> Engine {
    Engine::new(Dataset {
        format,
        factions: vec![faction("red"), faction("blue"), faction("green")],
        regions: Regions::new(regions),
        areas: areas.into(),
        ..Dataset::default()
    })
}

fn at(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn in_force(e: &Engine, lon: f64, lat: f64, d: Date) -> Option<String> {
    e.control_at(at(lon, lat), d).map(|s| s.id.to_string())
}

/// A square region held by red from 2011, with a blue area in its west half from 2015-08-11
/// and a contested strip from 2015-08 (month) across the middle.
pub(super) fn ghab_like() -> Engine {
    engine(
        Format::V2,
        vec![region(
            "plain",
            rect(0.0, 0.0, 2.0, 2.0),
            vec![entry(date(2011, 3, 1), &["red"])],
        )],
        vec![
            area(
                "west",
                rect(0.0, 0.0, 1.0, 2.0),
                entry(date(2015, 8, 11), &["blue"]),
            ),
            area(
                "strip",
                rect(0.0, 0.9, 2.0, 1.1),
                ControlEntry {
                    precision: Precision::Month,
                    ..entry(date(2015, 8, 1), &["red", "blue"])
                },
            ),
        ],
    )
}

#[test]
fn the_latest_statement_covering_the_point_is_in_force() {
    let e = ghab_like();
    assert_eq!(in_force(&e, 0.5, 0.5, date(2011, 2, 1)), None, "before all");
    assert_eq!(
        in_force(&e, 0.5, 0.5, date(2012, 1, 1)).as_deref(),
        Some("plain@2011-03-01")
    );
    assert_eq!(
        in_force(&e, 0.5, 1.0, date(2015, 8, 5)).as_deref(),
        Some("strip")
    );
    // A month-precision 2015-08 statement yields to a later 2015-08-11 one: precision does
    // not change the comparison.
    assert_eq!(
        in_force(&e, 0.5, 1.0, date(2015, 8, 20)).as_deref(),
        Some("west")
    );
    assert_eq!(
        in_force(&e, 1.5, 1.0, date(2015, 8, 20)).as_deref(),
        Some("strip")
    );
    // The boundary belongs to the area.
    assert_eq!(
        in_force(&e, 1.0, 0.5, date(2015, 8, 20)).as_deref(),
        Some("west")
    );
    assert_eq!(
        in_force(&e, 3.0, 3.0, date(2015, 8, 20)),
        None,
        "outside all"
    );
}

#[test]
fn on_the_same_date_the_smaller_area_then_the_area_statement_then_the_smaller_id_wins() {
    let d = date(2015, 8, 11);
    let e = engine(
        Format::V2,
        vec![region(
            "r",
            rect(0.0, 0.0, 1.0, 1.0),
            vec![entry(d, &["red"])],
        )],
        vec![
            area("big", rect(0.0, 0.0, 2.0, 2.0), entry(d, &["blue"])),
            area("same-b", rect(0.0, 0.0, 1.0, 1.0), entry(d, &["green"])),
            area("same-a", rect(0.0, 0.0, 1.0, 1.0), entry(d, &["blue"])),
            area("small", rect(0.0, 0.0, 0.25, 0.25), entry(d, &["green"])),
        ],
    );
    assert_eq!(in_force(&e, 0.1, 0.1, d).as_deref(), Some("small"));
    // Region `r` and areas same-a/same-b have the same area: areas before the region, then ids.
    assert_eq!(in_force(&e, 0.5, 0.5, d).as_deref(), Some("same-a"));
    assert_eq!(in_force(&e, 1.5, 1.5, d).as_deref(), Some("big"));
}

#[test]
fn format_1_keeps_the_smallest_region_and_its_own_history() {
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
    // The child is unknown before its first entry, even though the parent has one.
    assert_eq!(in_force(&e, 0.5, 0.5, date(2011, 6, 1)), None);
    // The parent's later entry does not reach into the child.
    assert_eq!(
        in_force(&e, 0.5, 0.5, date(2017, 1, 1)).as_deref(),
        Some("child@2012-01-01")
    );
    let map = e.control_map(date(2017, 1, 1));
    let km2: f64 = map.pieces.iter().map(|p| p.km2).sum();
    assert!((km2 - e.area_km2(0)).abs() < 1e-6 * km2, "{km2}");
}

#[test]
fn shares_are_tenths_that_sum_to_100_and_the_status_sums_them_up() {
    let e = ghab_like();
    let shares = e.shares(0, date(2015, 8, 20));
    let total: f64 = shares.iter().map(|s| s.percent).sum();
    assert!((total - 100.0).abs() < 1e-9, "{shares:?}");
    let of = |holder: &str| {
        shares
            .iter()
            .find(|s| s.holder.as_str() == holder)
            .map(|s| s.percent)
    };
    // blue: the west half; red: the east half less half the strip; contested: half the strip.
    assert_eq!(of("blue"), Some(50.0));
    assert_eq!(of("contested"), Some(5.0));
    assert_eq!(of("red"), Some(45.0));
    assert_eq!(RegionStatus::of(&shares), RegionStatus::Contested);
    assert_eq!(
        RegionStatus::of(&e.shares(0, date(2012, 1, 1))),
        RegionStatus::Held
    );
    let before = e.shares(0, date(2010, 1, 1));
    assert_eq!(before.len(), 1);
    assert_eq!(
        (before[0].holder, before[0].percent),
        (Holder::Unknown, 100.0)
    );
    assert_eq!(RegionStatus::of(&before), RegionStatus::Unknown);
    assert_eq!(tenths(&[1.0, 1.0, 1.0]), [33.4, 33.3, 33.3]);
    assert_eq!(tenths(&[0.0, 0.0]), [0.0, 0.0]);
}

#[test]
fn the_front_runs_between_blue_and_red_and_around_the_strip() {
    let e = ghab_like();
    let lines = e.front_lines(date(2015, 8, 20));
    let sides: Vec<[&str; 2]> = lines
        .iter()
        .map(|l| [l.sides[0].as_str(), l.sides[1].as_str()])
        .collect();
    assert_eq!(
        sides,
        [["blue", "red"], ["blue", "contested"], ["red", "contested"]]
    );
    let blue_red = &lines[0];
    let length: f64 = blue_red
        .geometry
        .iter()
        .flat_map(LineString::lines)
        .map(|l| Euclidean.distance(l.start, l.end))
        .sum();
    // x = 1 from y = 0 to 0.9 and from 1.1 to 2: 1.8 degrees.
    assert!((length - 1.8).abs() < 1e-6, "{length}");
}

#[test]
fn gains_and_losses_between_two_dates() {
    let e = ghab_like();
    let changes = e.changes_between(date(2015, 7, 27), date(2015, 8, 20));
    let of = |holder: &str| {
        changes
            .iter()
            .find(|c| c.holder.as_str() == holder)
            .copied()
    };
    let red = of("red").unwrap();
    let blue = of("blue").unwrap();
    assert!(red.lost_km2 > 0.0 && red.gained_km2 == 0.0, "{red:?}");
    assert!(blue.gained_km2 > 0.0 && blue.lost_km2 == 0.0, "{blue:?}");
    let gained: f64 = changes.iter().map(|c| c.gained_km2).sum();
    let lost: f64 = changes.iter().map(|c| c.lost_km2).sum();
    assert!((gained - lost).abs() < 1e-6 * gained, "{changes:?}");
}

#[test]
fn specks_under_a_square_metre_are_dropped_and_anything_larger_is_kept() {
    // A blue area over all of a red region but one corner, cut off by a triangle whose legs
    // are `leg` degrees (1e-5 degrees is about 1.1 m here).
    let all_but_a_corner = |leg: f64| {
        let ring = LineString::from(vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0 - leg),
            (1.0 - leg, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ]);
        MultiPolygon::new(vec![geo::Polygon::new(ring, Vec::new())])
    };
    for (leg, kept) in [(1e-5, false), (1e-4, true)] {
        let e = engine(
            Format::V2,
            vec![region(
                "r",
                rect(0.0, 0.0, 1.0, 1.0),
                vec![entry(date(2011, 3, 1), &["red"])],
            )],
            vec![area(
                "blue",
                all_but_a_corner(leg),
                entry(date(2012, 1, 1), &["blue"]),
            )],
        );
        let map = e.control_map(date(2013, 1, 1));
        let corner = map
            .pieces
            .iter()
            .find(|p| e.statement(p.key).id.to_string() == "r@2011-03-01");
        assert_eq!(corner.is_some(), kept, "legs of {leg}°: {corner:?}");
        if let Some(corner) = corner {
            // Half a square of 11 m: about 62 m².
            assert!((corner.km2 - 62e-6).abs() < 2e-6, "{}", corner.km2);
        }
    }
}

// --- Property tests ---------------------------------------------------------------------------

/// The rule, written out plainly: every statement covering the point on the date, sorted.
fn brute_force(e: &Engine, p: Coord<f64>, d: Date) -> Option<String> {
    let data = e.dataset();
    let point = geo::Point(p);
    let mut candidates: Vec<(Date, f64, u8, String)> = Vec::new();
    for a in data.areas.iter() {
        if a.control.from <= d && a.geometry.intersects(&point) {
            candidates.push((a.control.from, area_km2(&a.geometry), 0, a.id.clone()));
        }
    }
    for r in data.regions.iter() {
        if !r.geometry.intersects(&point) {
            continue;
        }
        if let Some(entry) = r.history.iter().rfind(|h| h.from <= d) {
            candidates.push((
                entry.from,
                area_km2(&r.geometry),
                1,
                format!("{}@{}", r.id, entry.from),
            ));
        }
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    candidates.into_iter().next().map(|c| c.3)
}

pub(super) const DATES: [(i16, i8, i8); 4] =
    [(2012, 1, 1), (2013, 6, 1), (2015, 8, 11), (2019, 5, 9)];
pub(super) const FACTIONS: [&[&str]; 4] = [&["red"], &["blue"], &["green"], &["red", "blue"]];

prop_compose! {
    /// A rectangle on a coarse grid (so statements overlap, touch and tie in area), with a
    /// date and holder from short lists (so dates tie too).
    pub(super) fn statement()(x in 0u8..6, y in 0u8..6, w in 1u8..4, h in 1u8..4, d in 0usize..4, f in 0usize..4)
        -> (MultiPolygon<f64>, Date, &'static [&'static str]) {
        let (x, y) = (f64::from(x) * 0.5, f64::from(y) * 0.5);
        let (w, h) = (f64::from(w) * 0.5, f64::from(h) * 0.5);
        let (year, month, day) = DATES[d];
        (rect(x, y, x + w, y + h), date(year, month, day), FACTIONS[f])
    }
}

fn random_engine(
    areas: &[(MultiPolygon<f64>, Date, &'static [&'static str])],
    regions: &[(MultiPolygon<f64>, Date, &'static [&'static str])],
) -> Engine {
    engine(
        Format::V2,
        regions
            .iter()
            .enumerate()
            .map(|(i, (g, d, f))| region(&format!("r{i}"), g.clone(), vec![entry(*d, f)]))
            .collect(),
        areas
            .iter()
            .enumerate()
            .map(|(i, (g, d, f))| area(&format!("a{i}"), g.clone(), entry(*d, f)))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_index_resolves_as_the_rule_says(
        areas in prop::collection::vec(statement(), 0..10),
        regions in prop::collection::vec(statement(), 0..4),
        probes in prop::collection::vec((0u8..16, 0u8..16), 1..30),
        day in 0usize..4,
    ) {
        let e = random_engine(&areas, &regions);
        let (year, month, d) = DATES[day];
        let on = date(year, month, d);
        // Grid points at quarter steps: corners, edges and insides of the rectangles.
        for (x, y) in probes {
            let p = Coord { x: f64::from(x) * 0.25, y: f64::from(y) * 0.25 };
            let found = e.control_at(LonLat::new(p.x, p.y).unwrap(), on).map(|s| s.id.to_string());
            prop_assert_eq!(found, brute_force(&e, p, on), "at {:?} on {}", p, on);
        }
    }

    #[test]
    fn the_map_covers_the_statements_in_force_once_and_fronts_lie_between_holders(
        areas in prop::collection::vec(statement(), 1..8),
        regions in prop::collection::vec(statement(), 0..3),
        day in 0usize..4,
    ) {
        let e = random_engine(&areas, &regions);
        let (year, month, d) = DATES[day];
        let on = date(year, month, d);
        let map = e.control_map(on);
        let in_force: Vec<&MultiPolygon<f64>> = e.dataset().areas.iter()
            .filter(|a| a.control.from <= on).map(|a| &a.geometry)
            .chain(e.dataset().regions.iter().filter(|r| r.control_at(on).is_some()).map(|r| &r.geometry))
            .collect();
        let union = unary_union(in_force.iter().flat_map(|g| g.iter()));
        let pieces: f64 = map.pieces.iter().map(|p| p.geometry.unsigned_area()).sum();
        let whole = union.unsigned_area();
        prop_assert!((pieces - whole).abs() <= 1e-3 * whole.max(1e-12), "pieces {} vs union {}", pieces, whole);
        for (i, a) in map.pieces.iter().enumerate() {
            for b in &map.pieces[i + 1..] {
                let overlap = a.geometry.intersection(&b.geometry).unsigned_area();
                prop_assert!(overlap < 1e-9, "pieces {:?} and {:?} overlap by {}", a.key, b.key, overlap);
            }
        }
        // Each front segment separates two different holders: just off its midpoint, on both
        // sides, the statements in force are those holders (never uncovered land).
        for line in e.front_lines(on) {
            let sides = [line.sides[0].as_str().to_owned(), line.sides[1].as_str().to_owned()];
            for segment in line.geometry.iter().flat_map(LineString::lines) {
                let (dx, dy) = (segment.end.x - segment.start.x, segment.end.y - segment.start.y);
                let length = dx.hypot(dy);
                if length < 1e-6 {
                    continue;
                }
                let mid = Coord { x: f64::midpoint(segment.start.x, segment.end.x), y: f64::midpoint(segment.start.y, segment.end.y) };
                let (nx, ny) = (-dy / length * 1e-4, dx / length * 1e-4);
                let holder = |x: f64, y: f64| {
                    e.control_at(LonLat::new(x, y).unwrap(), on).map(|s| s.holder().as_str().to_owned())
                };
                let mut found = [holder(mid.x + nx, mid.y + ny), holder(mid.x - nx, mid.y - ny)];
                prop_assert!(found.iter().all(Option::is_some), "front at {:?} borders uncovered land", mid);
                found.sort();
                let mut expected = sides.clone().map(Some);
                expected.sort();
                prop_assert_eq!(found, expected, "front at {:?}", mid);
            }
        }
    }

    #[test]
    fn gains_and_losses_balance(
        areas in prop::collection::vec(statement(), 1..8),
        regions in prop::collection::vec(statement(), 0..3),
        from in 0usize..4, to in 0usize..4,
    ) {
        let e = random_engine(&areas, &regions);
        let day = |i: usize| { let (y, m, d) = DATES[i]; date(y, m, d) };
        let (from, to) = (day(from.min(to)), day(from.max(to)));
        let changes = e.changes_between(from, to);
        let gained: f64 = changes.iter().map(|c| c.gained_km2).sum();
        let lost: f64 = changes.iter().map(|c| c.lost_km2).sum();
        prop_assert!((gained - lost).abs() <= 1e-6 * gained.max(1.0), "gained {} lost {}", gained, lost);
        if from == to {
            prop_assert!(changes.is_empty(), "{:?}", changes);
        }
    }
}
