//! One broken fixture per problem kind, each with the exact message `check` prints.
//!
//! The fixtures live in `tests/fixtures/problems/`; each breaks one thing in an otherwise
//! valid file, and the files not under test come from `tests/fixtures/valid/`. Every test
//! compares the whole list of messages, so a check that stops firing, fires twice or starts
//! firing on valid data fails here.

use std::path::{Path, PathBuf};

use geo::Winding;

use super::*;
use crate::model::Format;

/// The path of a fixture, relative to `tests/fixtures/`.
fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The text of a fixture, relative to `tests/fixtures/`.
fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FACTIONS_OK: &str = "valid/factions.json";
const REGIONS_OK: &str = "valid/regions.geojson";
const EVENTS_OK: &str = "valid/events.geojson";

/// Parses the three fixtures (paths relative to `tests/fixtures/`).
fn parse_fixtures(factions: &str, regions: &str, events: Option<&str>) -> Result<Loaded, Report> {
    let (factions, regions) = (fixture(factions), fixture(regions));
    let events = events.map(fixture);
    parse(Texts {
        factions: &factions,
        regions: &regions,
        events: events.as_deref(),
        places: None,
        control: None,
    })
}

/// The problem messages for a data set that must be refused.
fn problems(factions: &str, regions: &str, events: Option<&str>) -> Vec<String> {
    match parse_fixtures(factions, regions, events) {
        Ok(_) => panic!("{factions} + {regions} + {events:?} loaded, but must be refused"),
        Err(report) => report.problems.iter().map(ToString::to_string).collect(),
    }
}

/// The problems of a broken `regions.geojson` fixture in `problems/` (no events: the valid
/// ones refer to regions these fixtures do not have).
fn region_problems(name: &str) -> Vec<String> {
    problems(FACTIONS_OK, &format!("problems/{name}"), None)
}

/// The problems of a broken `factions.json` fixture in `problems/`.
fn faction_problems(name: &str) -> Vec<String> {
    problems(&format!("problems/{name}"), REGIONS_OK, Some(EVENTS_OK))
}

/// The problems of a broken `events.geojson` fixture in `problems/`.
fn event_problems(name: &str) -> Vec<String> {
    problems(FACTIONS_OK, REGIONS_OK, Some(&format!("problems/{name}")))
}

/// A `regions.geojson` fixture in `problems/` that must load; with its warning messages.
fn load_regions(name: &str) -> (Loaded, Vec<String>) {
    match parse_fixtures(FACTIONS_OK, &format!("problems/{name}"), None) {
        Ok(loaded) => {
            let warnings = loaded.warnings.iter().map(ToString::to_string).collect();
            (loaded, warnings)
        }
        Err(report) => panic!("{name} was refused:\n{report}"),
    }
}

/// The messages of one feature of `regions.geojson`: `feature("square", "...")`.
fn feature(id: &str, message: &str) -> String {
    format!("regions.geojson: feature {id:?}: {message}")
}

// --- the valid fixtures -------------------------------------------------------------------

#[test]
fn the_valid_fixtures_load_without_warnings() {
    let loaded = parse_fixtures(FACTIONS_OK, REGIONS_OK, Some(EVENTS_OK)).expect("valid");
    assert_eq!(loaded.warnings, []);
    assert_eq!(loaded.dataset.factions.len(), 2);
    assert_eq!(loaded.dataset.regions.len(), 2);
    assert_eq!(loaded.dataset.events.len(), 1);
}

#[test]
fn the_valid_directory_loads_from_disk() {
    let loaded = load(&fixture_path("valid")).expect("valid");
    assert_eq!(loaded.warnings, []);
    assert_eq!(loaded.dataset.regions.len(), 2);
}

// --- files and their top level ------------------------------------------------------------

#[test]
fn a_missing_factions_file_is_reported() {
    let report = load(&fixture_path("problems/missing_factions")).expect_err("refused");
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["factions.json: is missing"]);
}

#[test]
fn a_missing_directory_reports_both_required_files() {
    let report = load(&fixture_path("problems/no-such-directory")).expect_err("refused");
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["factions.json: is missing", "regions.geojson: is missing"]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_is_reported_with_the_os_error() {
    // A directory named factions.json exists but cannot be read as a file.
    let dir = std::env::temp_dir().join(format!("frontline-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(FACTIONS)).expect("temp dir");
    std::fs::write(dir.join(REGIONS), fixture(REGIONS_OK)).expect("temp file");
    let report = load(&dir).expect_err("refused");
    std::fs::remove_dir_all(&dir).expect("clean up");
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["factions.json: cannot be read: Is a directory (os error 21)"]
    );
}

#[test]
fn invalid_json_names_line_and_column() {
    assert_eq!(
        region_problems("invalid_json.geojson"),
        ["regions.geojson: is not valid JSON at line 8, column 9: expected `,` or `}`"]
    );
}

#[test]
fn wrong_top_level_type() {
    assert_eq!(
        region_problems("wrong_type.geojson"),
        [r#"regions.geojson: type is "Feature", expected "FeatureCollection""#]
    );
}

#[test]
fn missing_features() {
    assert_eq!(
        region_problems("missing_features.geojson"),
        ["regions.geojson: features: missing field `features`"]
    );
}

#[test]
fn unsupported_regions_version() {
    assert_eq!(
        region_problems("regions_version.geojson"),
        [
            "regions.geojson: format version 3 is not supported (this frontline reads versions 1 and 2)"
        ]
    );
}

#[test]
fn wrong_json_shape_names_the_path() {
    assert_eq!(
        region_problems("shape.geojson"),
        [feature(
            "square",
            "history[0].factions: invalid type: integer `5`, expected a sequence"
        )]
    );
}

// --- ids and features ---------------------------------------------------------------------

#[test]
fn feature_of_the_wrong_type() {
    assert_eq!(
        region_problems("feature_wrong_type.geojson"),
        [feature("square", r#"type is "Place", expected "Feature""#)]
    );
}

#[test]
fn missing_id() {
    assert_eq!(
        region_problems("missing_id.geojson"),
        ["regions.geojson: feature #0: has no id (every item needs a unique string id)"]
    );
}

#[test]
fn bad_id() {
    assert_eq!(
        region_problems("bad_id.geojson"),
        [
            r#"regions.geojson: feature #0: id "big square" must be a string of letters, digits, '-', '_' or '.'"#
        ]
    );
}

#[test]
fn repeated_id_key() {
    // The JSON itself names two ids: said so, not "has no id".
    assert_eq!(
        region_problems("repeated_id_key.geojson"),
        ["regions.geojson: feature #0: duplicate field `id`"]
    );
}

#[test]
fn duplicate_id() {
    assert_eq!(
        region_problems("duplicate_id.geojson"),
        [feature(
            "square",
            "id is used more than once (first used by feature #0)"
        )]
    );
}

#[test]
fn empty_name() {
    assert_eq!(
        region_problems("empty_name.geojson"),
        [feature("square", "name is missing or empty")]
    );
}

#[test]
fn unknown_parent() {
    assert_eq!(
        region_problems("unknown_parent.geojson"),
        [feature(
            "square",
            r#"parent "nowhere" is not a region in regions.geojson"#
        )]
    );
}

#[test]
fn parent_cycle_is_reported_on_every_region_in_it() {
    assert_eq!(
        region_problems("parent_cycle.geojson"),
        [
            feature("north", "parent chain loops back to this region"),
            feature("south", "parent chain loops back to this region"),
        ]
    );
}

// --- geometry -----------------------------------------------------------------------------

#[test]
fn missing_geometry() {
    assert_eq!(
        region_problems("missing_geometry.geojson"),
        [feature("square", "has no geometry")]
    );
}

#[test]
fn not_a_polygon() {
    assert_eq!(
        region_problems("not_polygon.geojson"),
        [feature(
            "square",
            "geometry is a LineString, expected Polygon or MultiPolygon"
        )]
    );
}

#[test]
fn short_ring() {
    assert_eq!(
        region_problems("short_ring.geojson"),
        [feature(
            "square",
            "exterior ring has 3 positions, needs at least 4 (a closed triangle)"
        )]
    );
}

#[test]
fn unclosed_ring() {
    assert_eq!(
        region_problems("unclosed_ring.geojson"),
        [feature(
            "square",
            "exterior ring is not closed: its last position differs from its first"
        )]
    );
}

#[test]
fn position_out_of_range() {
    assert_eq!(
        region_problems("out_of_range.geojson"),
        [feature(
            "square",
            "exterior ring position 2: latitude 95 is outside [-90, 90]"
        )]
    );
}

#[test]
fn position_with_one_number() {
    assert_eq!(
        region_problems("one_number_position.geojson"),
        [feature(
            "square",
            "exterior ring position 2: has 1 number(s), needs longitude and latitude"
        )]
    );
}

#[test]
fn self_intersection() {
    assert_eq!(
        region_problems("self_intersection.geojson"),
        [feature(
            "square",
            "invalid geometry: exterior ring has a self-intersection"
        )]
    );
}

#[test]
fn hole_outside_its_exterior() {
    assert_eq!(
        region_problems("hole_outside.geojson"),
        [feature(
            "square",
            "invalid geometry: interior ring at index 0 is not contained within the polygon's exterior"
        )]
    );
}

#[test]
fn overlapping_multipolygon_parts() {
    assert_eq!(
        region_problems("overlapping_parts.geojson"),
        [feature(
            "square",
            "invalid geometry: polygons at indices 0 and 1 overlap"
        )]
    );
}

// --- history ------------------------------------------------------------------------------

#[test]
fn bad_date() {
    assert_eq!(
        region_problems("bad_date.geojson"),
        [feature(
            "ghab-plain",
            "history[3].from 2015-13-01 is not a date (expected YYYY-MM-DD)"
        )]
    );
}

#[test]
fn unsorted_history() {
    assert_eq!(
        region_problems("unsorted.geojson"),
        [feature(
            "square",
            "history[1].from 2012-01-01 is before history[0].from 2015-08-11: history must be sorted by from"
        )]
    );
}

#[test]
fn duplicate_from() {
    assert_eq!(
        region_problems("duplicate_from.geojson"),
        [feature(
            "square",
            "history[1].from 2012-01-01 repeats the date of history[0]"
        )]
    );
}

#[test]
fn unknown_status() {
    assert_eq!(
        region_problems("unknown_status.geojson"),
        [feature(
            "square",
            r#"history[0].status "occupied" is not one of held, contested"#
        )]
    );
}

#[test]
fn faction_count() {
    assert_eq!(
        region_problems("faction_count.geojson"),
        [feature(
            "square",
            "history[0] is held with 2 faction(s): held needs exactly 1, contested 2 or more"
        )]
    );
}

#[test]
fn unknown_faction() {
    assert_eq!(
        region_problems("unknown_faction.geojson"),
        [feature(
            "square",
            r#"history[0].factions[0] "green" is not a faction defined in factions.json"#
        )]
    );
}

#[test]
fn repeated_faction() {
    assert_eq!(
        region_problems("repeated_faction.geojson"),
        [feature(
            "square",
            r#"history[0].factions names faction "red" twice"#
        )]
    );
}

#[test]
fn no_sources() {
    assert_eq!(
        region_problems("no_sources.geojson"),
        [feature(
            "square",
            "history[0] has no sources (every entry needs at least one)"
        )]
    );
}

#[test]
fn bad_url() {
    assert_eq!(
        region_problems("bad_url.geojson"),
        [feature(
            "square",
            r#"history[0].sources[0].url "ftp://example.org/a" is not an http or https URL"#
        )]
    );
}

#[test]
fn empty_source_title() {
    assert_eq!(
        region_problems("empty_source_title.geojson"),
        [feature(
            "square",
            "history[0].sources[0].title is missing or empty"
        )]
    );
}

#[test]
fn bad_precision() {
    assert_eq!(
        region_problems("bad_precision.geojson"),
        [feature(
            "square",
            r#"history[0].precision "week" is not one of day, month, year"#
        )]
    );
}

#[test]
fn precision_mismatch() {
    assert_eq!(
        region_problems("precision_mismatch.geojson"),
        [feature(
            "square",
            "history[0].from 2012-03-05 has precision month but is not the first day of its month"
        )]
    );
}

// --- several problems ---------------------------------------------------------------------

#[test]
fn every_problem_is_reported_in_order() {
    assert_eq!(
        region_problems("several.geojson"),
        [
            feature(
                "square",
                "exterior ring has 3 positions, needs at least 4 (a closed triangle)"
            ),
            feature("square", "name is missing or empty"),
            feature(
                "square",
                "history[0].from 2015-13-01 is not a date (expected YYYY-MM-DD)"
            ),
            feature(
                "square",
                r#"history[1].factions[0] "green" is not a faction defined in factions.json"#
            ),
            feature(
                "square",
                "history[1] has no sources (every entry needs at least one)"
            ),
            "regions.geojson: feature #1: has no id (every item needs a unique string id)"
                .to_owned(),
            feature(
                "last",
                "history[0] is held with 0 faction(s): held needs exactly 1, contested 2 or more"
            ),
            feature(
                "last",
                r#"history[0].sources[0].url "www.example.org" is not an http or https URL"#
            ),
            feature(
                "last",
                "history[0].sources[0].published yesterday is not a date (expected YYYY-MM-DD)"
            ),
        ]
    );
}

#[test]
fn problems_in_every_file_are_reported() {
    assert_eq!(
        problems(
            "problems/factions_version.json",
            "problems/empty_name.geojson",
            Some("problems/events_bad_date.geojson")
        ),
        [
            "factions.json: format version 3 is not supported (this frontline reads versions 1 and 2)",
            r#"regions.geojson: feature "square": name is missing or empty"#,
            r#"events.geojson: feature "front-opens": date 2015-13-01 is not a date (expected YYYY-MM-DD)"#,
            // The event's region is checked against the regions file even though that file has
            // problems: its only region is "square".
            r#"events.geojson: feature "front-opens": region "big" is not a region in regions.geojson"#,
        ]
    );
}

// --- factions.json ------------------------------------------------------------------------

#[test]
fn factions_bad_color() {
    assert_eq!(
        faction_problems("factions_bad_color.json"),
        [r##"factions.json: faction "red": color "#d55e0" is not #rrggbb"##]
    );
}

#[test]
fn factions_unsupported_version() {
    assert_eq!(
        faction_problems("factions_version.json"),
        [
            "factions.json: format version 3 is not supported (this frontline reads versions 1 and 2)"
        ]
    );
}

#[test]
fn factions_missing_version() {
    assert_eq!(
        faction_problems("factions_missing_version.json"),
        ["factions.json: has no version (this frontline reads versions 1 and 2)"]
    );
}

#[test]
fn factions_duplicate_id() {
    assert_eq!(
        faction_problems("factions_duplicate_id.json"),
        [r#"factions.json: faction "red": id is used more than once (first used by faction #0)"#]
    );
}

#[test]
fn factions_missing_id() {
    assert_eq!(
        faction_problems("factions_missing_id.json"),
        ["factions.json: faction #2: has no id (every item needs a unique string id)"]
    );
}

#[test]
fn factions_empty_description() {
    assert_eq!(
        faction_problems("factions_empty_description.json"),
        [r#"factions.json: faction "red": description is missing or empty"#]
    );
}

// --- events.geojson -----------------------------------------------------------------------

#[test]
fn events_not_a_point() {
    assert_eq!(
        event_problems("events_not_point.geojson"),
        [r#"events.geojson: feature "front-opens": geometry is a Polygon, expected Point"#]
    );
}

#[test]
fn events_unknown_region() {
    assert_eq!(
        event_problems("events_unknown_region.geojson"),
        [
            r#"events.geojson: feature "front-opens": region "nowhere" is not a region in regions.geojson"#
        ]
    );
}

#[test]
fn events_bad_date() {
    assert_eq!(
        event_problems("events_bad_date.geojson"),
        [
            r#"events.geojson: feature "front-opens": date 2015-13-01 is not a date (expected YYYY-MM-DD)"#
        ]
    );
}

#[test]
fn events_no_sources() {
    assert_eq!(
        event_problems("events_no_sources.geojson"),
        [
            r#"events.geojson: feature "front-opens": sources is empty (every event needs at least one)"#
        ]
    );
}

#[test]
fn events_missing_sources() {
    assert_eq!(
        event_problems("events_missing_sources.geojson"),
        [
            r#"events.geojson: feature "front-opens": sources is missing (every event needs at least one)"#
        ]
    );
}

#[test]
fn events_position_out_of_range() {
    assert_eq!(
        event_problems("events_out_of_range.geojson"),
        [r#"events.geojson: feature "front-opens": point: longitude 181.5 is outside [-180, 180]"#]
    );
}

// --- what is not an object, or is missing ----------------------------------------------

#[test]
fn missing_top_level_type() {
    assert_eq!(
        region_problems("missing_type.geojson"),
        [r#"regions.geojson: type is missing, expected "FeatureCollection""#]
    );
}

#[test]
fn missing_feature_type() {
    assert_eq!(
        region_problems("feature_missing_type.geojson"),
        [feature("square", r#"type is missing, expected "Feature""#)]
    );
}

#[test]
fn top_level_not_an_object() {
    assert_eq!(
        region_problems("not_object.geojson"),
        ["regions.geojson: is not a JSON object"]
    );
}

#[test]
fn factions_top_level_not_an_object() {
    assert_eq!(
        faction_problems("factions_not_object_top_level.json"),
        ["factions.json: is not a JSON object"]
    );
}

#[test]
fn feature_not_an_object() {
    // Once, and without a second "has no id" problem for the same fault.
    assert_eq!(
        region_problems("feature_not_object.geojson"),
        ["regions.geojson: feature #0: is not a JSON object"]
    );
}

#[test]
fn faction_not_an_object() {
    assert_eq!(
        faction_problems("factions_not_object.json"),
        ["factions.json: faction #2: is not a JSON object"]
    );
}

#[test]
fn nested_value_not_an_object() {
    // Plain words, not serde's "expected struct WireSource".
    assert_eq!(
        region_problems("source_not_object.geojson"),
        [feature(
            "square",
            r#"history[0].sources[0]: invalid type: string "https://example.org/a", expected a JSON object"#
        )]
    );
}

#[test]
fn missing_history() {
    assert_eq!(
        region_problems("missing_history.geojson"),
        [feature(
            "square",
            "history is missing (use [] when control is unknown)"
        )]
    );
}

#[test]
fn factions_without_a_factions_list() {
    // Reported like a missing `features`; faction references are then not checked.
    assert_eq!(
        faction_problems("factions_missing_list.json"),
        ["factions.json: factions: missing field `factions`"]
    );
}

#[test]
fn geometry_of_an_unknown_type() {
    assert_eq!(
        region_problems("geometry_bad_type.geojson"),
        [feature(
            "square",
            "geometry.type: unknown variant `Polygonn`, expected one of `Point`, `LineString`, \
             `Polygon`, `MultiPoint`, `MultiLineString`, `MultiPolygon`, `GeometryCollection`"
        )]
    );
}

#[test]
fn polygon_without_rings() {
    assert_eq!(
        region_problems("empty_polygon.geojson"),
        [feature("square", "polygon has no rings")]
    );
}

#[test]
fn multipolygon_part_without_rings() {
    assert_eq!(
        region_problems("multipolygon_empty_part.geojson"),
        [feature("square", "polygon at index 1 has no rings")]
    );
}

#[test]
fn multipolygon_part_with_an_unclosed_hole() {
    // Ring names as geo's validation words them: "polygon at index P", "interior ring at index K".
    assert_eq!(
        region_problems("multipolygon_unclosed_hole.geojson"),
        [feature(
            "square",
            "polygon at index 1: interior ring at index 0 is not closed: its last position differs from its first"
        )]
    );
}

#[test]
fn parent_chain_running_into_a_cycle() {
    // "east" only leads into the loop north <-> south; the loop's regions are told it loops.
    assert_eq!(
        region_problems("parent_into_cycle.geojson"),
        [
            feature("east", "parent chain runs into a loop (north, south)"),
            feature("north", "parent chain loops back to this region"),
            feature("south", "parent chain loops back to this region"),
        ]
    );
}

#[test]
fn factions_bad_source_url() {
    assert_eq!(
        faction_problems("factions_bad_source_url.json"),
        [
            r#"factions.json: faction "red": sources[0].url "example.org/red" is not an http or https URL"#
        ]
    );
}

// --- accepted with warnings, and valid shapes ---------------------------------------------

#[test]
fn clockwise_ring_and_long_decimals_load_with_warnings() {
    let (loaded, warnings) = load_regions("warnings.geojson");
    assert_eq!(
        warnings,
        [
            r#"warning: regions.geojson: feature "square": coordinates have up to 15 decimals; 5 (about 1 m) is plenty"#,
            r#"warning: regions.geojson: feature "square": exterior ring is wound clockwise; RFC 7946 wants it counter-clockwise (reversed on load)"#,
        ]
    );
    let region = &loaded.dataset.regions[0];
    assert_eq!(region.geometry.0.len(), 1);
    assert!(region.geometry.0[0].exterior().is_ccw());
}

#[test]
fn a_polygon_with_a_hole_loads() {
    let (loaded, warnings) = load_regions("hole.geojson");
    assert_eq!(warnings, Vec::<String>::new());
    let polygon = &loaded.dataset.regions[0].geometry.0[0];
    assert_eq!(polygon.interiors().len(), 1);
    assert!(polygon.exterior().is_ccw());
    assert!(polygon.interiors()[0].is_cw());
}

#[test]
fn a_multipolygon_with_two_parts_loads() {
    let (loaded, warnings) = load_regions("multipolygon.geojson");
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(loaded.dataset.regions[0].geometry.0.len(), 2);
}

#[test]
fn positions_with_altitude_are_accepted() {
    let (loaded, warnings) = load_regions("altitude.geojson");
    assert_eq!(warnings, Vec::<String>::new());
    let exterior = loaded.dataset.regions[0].geometry.0[0].exterior();
    assert_eq!(exterior.0.len(), 5);
    assert_eq!(exterior.0[2], geo::coord! { x: 1.0, y: 1.0 });
}

// --- places.geojson ------------------------------------------------------------------------

fn parse_with_places(places: &str) -> Result<Loaded, Report> {
    let (factions, regions, places) = (fixture(FACTIONS_OK), fixture(REGIONS_OK), fixture(places));
    parse(Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: Some(&places),
        control: None,
    })
}

#[test]
fn places_load_with_optional_arabic_names() {
    let loaded = parse_with_places("valid/places.geojson").unwrap();
    let places = &loaded.dataset.places;
    assert_eq!(places.len(), 2);
    assert_eq!(
        (
            places[0].name.as_str(),
            places[0].name_ar.as_deref(),
            places[0].major
        ),
        ("Centre", Some("المركز"), true)
    );
    assert_eq!(
        (places[1].name_ar.as_deref(), places[1].major),
        (None, false)
    );
}

#[test]
fn places_need_a_name_a_source_and_a_valid_point() {
    let report = parse_with_places("problems/places_problems.geojson").unwrap_err();
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "places.geojson: feature \"nameless\": name is missing or empty",
            "places.geojson: feature \"unsourced\": point: latitude 95 is outside [-90, 90]",
            "places.geojson: feature \"unsourced\": source is missing or empty",
        ]
    );
}

// --- entries and events sent by editors ---------------------------------------------------

fn faction_set(ids: &[&str]) -> std::collections::HashSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn details(problems: &[super::BodyProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.detail.as_str()).collect()
}

#[test]
fn an_editor_entry_is_checked_like_a_file_entry() {
    let ok = r#"{"from":"2015-08-15","status":"held","factions":["red"],"note":"n",
        "sources":[{"title":"T","url":"https://example.org","published":"2015-08-16"}]}"#;
    let entry =
        super::change::control_entry(ok, &faction_set(&["red", "blue"]), Format::V1).unwrap();
    assert_eq!(entry.from.to_string(), "2015-08-15");
    let bad = r#"{"from":"2015-13-01","status":"held","factions":["red","green"],"sources":[]}"#;
    assert_eq!(
        details(
            &super::change::control_entry(bad, &faction_set(&["red", "blue"]), Format::V1)
                .unwrap_err()
        ),
        [
            "from 2015-13-01 is not a date (expected YYYY-MM-DD)",
            "the entry is held with 2 faction(s): held needs exactly 1, contested 2 or more",
            "factions[1] \"green\" is not a faction defined in factions.json",
            "the entry has no sources (every entry needs at least one)",
        ]
    );
    assert_eq!(
        details(&super::change::control_entry("5", &faction_set(&[]), Format::V1).unwrap_err()),
        ["invalid type: integer `5`, expected a JSON object"]
    );
}

#[test]
fn an_editor_event_is_checked_like_a_file_event() {
    let ok = r#"{"type":"Feature","id":"new-event","geometry":{"type":"Point","coordinates":[36.3,35.6]},
        "properties":{"date":"2015-08-15","title":"T","description":"D","region":"big",
        "sources":[{"title":"T","url":"https://example.org","published":"2015-08-16"}]}}"#;
    let is_region = |id: &str| id == "big";
    let event = super::change::event(ok, &is_region, Format::V1).unwrap();
    assert_eq!(event.id, "new-event");
    let bad = r#"{"type":"Feature","id":"e","geometry":{"type":"Point","coordinates":[36.3,95]},
        "properties":{"date":"2015-02-30","title":"T","region":"atlantis","sources":[]}}"#;
    assert_eq!(
        details(&super::change::event(bad, &is_region, Format::V1).unwrap_err()),
        [
            "point: latitude 95 is outside [-90, 90]",
            "date 2015-02-30 is not a date (expected YYYY-MM-DD)",
            "sources is empty (every event needs at least one)",
            "region \"atlantis\" is not a region in regions.geojson",
        ]
    );
}

// --- control.geojson (format 2) -------------------------------------------------------------

/// The `v2/` fixture with `control` as its control file (a path under `tests/fixtures/`).
fn parse_v2(control: &str) -> Result<Loaded, Report> {
    let [factions, regions, events, control] = [
        "v2/factions.json",
        "v2/regions.geojson",
        "v2/events.geojson",
        control,
    ]
    .map(fixture);
    parse(Texts {
        factions: &factions,
        regions: &regions,
        events: Some(&events),
        places: None,
        control: Some(&control),
    })
}

#[test]
fn control_areas_load_in_format_2_and_a_source_may_leave_out_its_date() {
    let loaded = parse_v2("v2/control.geojson").unwrap_or_else(|r| panic!("{r}"));
    let data = &loaded.dataset;
    assert_eq!(data.format, Format::V2);
    let ids: Vec<&str> = data.areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["west-2013", "strip-2015", "east-2016"]);
    let west = &data.areas[0];
    assert_eq!(
        west.region.as_ref().map(crate::model::RegionId::as_str),
        Some("big")
    );
    assert_eq!(
        west.control.sources[0].published, None,
        "no date shown, none invented"
    );
    assert_eq!(west.control.precision, crate::model::Precision::Month);
    assert_eq!(data.areas[1].region, None, "the region is optional");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn every_problem_of_a_control_area_is_named() {
    let report = parse_v2("problems/control_problems.geojson").unwrap_err();
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            r#"control.geojson: feature "open-ring": exterior ring is not closed: its last position differs from its first"#,
            r#"control.geojson: feature "unknown-faction": factions[1] "green" is not a faction defined in factions.json"#,
            r#"control.geojson: feature "script-url": sources[0].url "javascript:alert(1)" is not an http or https URL"#,
            r#"control.geojson: feature "far-from-small": region "small" does not meet the area (an area's region must be one it intersects)"#,
            r#"control.geojson: feature "atlantis": region "atlantis" is not a region in regions.geojson"#,
            r#"control.geojson: feature "same-b": states control from 2014-01-01 over the same geometry as feature "same-a""#,
        ]
    );
}

#[test]
fn a_control_file_needs_format_2_and_format_1_needs_every_date() {
    let [factions, regions, control] = [
        "valid/factions.json",
        "valid/regions.geojson",
        "v2/control.geojson",
    ]
    .map(fixture);
    let report = parse(Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: None,
        control: Some(&control),
    })
    .unwrap_err();
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["control.geojson: needs format version 2; factions.json declares version 1"]
    );
    let undated = regions.replacen(r#", "published": "2011-03-15""#, "", 1);
    assert_ne!(undated, regions, "the fixture has that date");
    let report = parse(Texts {
        factions: &factions,
        regions: &undated,
        events: None,
        places: None,
        control: None,
    })
    .unwrap_err();
    assert_eq!(
        report.problems[0].to_string(),
        r#"regions.geojson: feature "big": history[0].sources[0].published (missing) is not a date (expected YYYY-MM-DD)"#
    );
}

#[test]
fn a_file_version_other_than_the_declared_one_is_named() {
    let [factions, regions] = ["v2/factions.json", "valid/regions.geojson"].map(fixture);
    let regions = regions.replacen(
        r#""type": "FeatureCollection","#,
        r#""type": "FeatureCollection", "version": 1,"#,
        1,
    );
    let report = parse(Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: None,
        control: None,
    })
    .unwrap_err();
    assert_eq!(
        report.problems[0].to_string(),
        "regions.geojson: version 1 differs from the format version factions.json declares (2)"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let dir = fixture_path("valid");
    let bytes = std::fs::metadata(dir.join(REGIONS)).unwrap().len();
    let limits = |file_bytes| DataLimits {
        file_bytes,
        ..DataLimits::DEFAULT
    };
    let report = load_within(&dir, limits(bytes - 1)).unwrap_err();
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [format!(
            "regions.geojson: is {bytes} bytes, more than the {} bytes a data file may have \
             (--max-data-file-bytes); not read",
            bytes - 1
        )]
    );
    load_within(&dir, limits(bytes)).unwrap();
}

#[test]
fn a_file_over_the_vertex_limit_is_refused_saying_how_far_reading_got() {
    // The two squares of the valid fixture have 5 positions each, closing ones included.
    let dir = fixture_path("valid");
    let limits = |file_vertices| DataLimits {
        file_vertices,
        ..DataLimits::DEFAULT
    };
    let report = load_within(&dir, limits(9)).unwrap_err();
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "regions.geojson: has more than the 9 vertices a data file may have \
          (--max-data-file-vertices): reading stopped at 10 vertices, in 2 of its 2 features"
        ]
    );
    load_within(&dir, limits(10)).unwrap();
}

#[test]
fn reading_stops_early_at_the_vertex_limit() {
    let square = |i: usize| {
        format!(
            r#"{{"type":"Feature","id":"r{i}","properties":{{}},"geometry":{{"type":"Polygon",
            "coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}}}"#
        )
    };
    let features: Vec<String> = (0..2_000).map(square).collect();
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    let mut report = Report::default();
    let rules = parse::Rules {
        format: Format::LATEST,
        max_vertices: 50,
    };
    assert!(parse::regions(&text, None, rules, &mut report).is_none());
    let [problem] = &report.problems[..] else {
        panic!("one problem expected: {report}");
    };
    let ProblemKind::TooManyVertices {
        limit,
        counted,
        features,
        total,
    } = problem.kind
    else {
        panic!("{problem}");
    };
    assert_eq!((limit, total), (50, 2_000));
    // Each thread stops at its next feature once the limit is passed.
    assert!(counted > 50 && features < 100, "{problem}");
}
