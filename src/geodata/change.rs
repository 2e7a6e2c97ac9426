//! The one canonical form of an edit: the shape of the file the edited item lives in, and the
//! version of that form.
//!
//! An editor sends, and the change log stores, a history entry exactly as `regions.geojson`
//! writes one, and an event exactly as a feature of `events.geojson`. Both are read here, once
//! per write and once per replayed change, with the loader's own checks; every problem names
//! where it is in the sent JSON with an RFC 6901 pointer.
//!
//! [`FORM`] is recorded with each stored change. Form 1 is what frontline stored before the form
//! was recorded (a history entry with `"precision": "day"` written out, an event as the OGC
//! API served it, `"region": null` included): both read as file shapes, so the same readers
//! take every form up to [`FORM`].

use std::collections::HashSet;

use serde_json::Value;

use super::history::{self, WireEntry};
use super::parse::RegionCheck;
use super::report::{Item, Report, Sink, pointer};
use super::{REGIONS, parse, write};
use crate::model::{AreaStatement, ControlEntry, Event, Format};
use geo::MultiPolygon;

/// The version of the form this build writes.
pub const FORM: u32 = 2;

/// What is wrong with a sent or stored item, and where in its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProblem {
    /// RFC 6901 JSON Pointer to the offending value (`/sources/0/url`); empty for the whole.
    pub pointer: String,
    /// What is wrong, in plain words naming the field (`sources[0].url "x" is not an http or
    /// https URL`).
    pub detail: String,
}

/// The members of a feature that are not properties.
const FEATURE_MEMBERS: [&str; 4] = ["type", "id", "geometry", "properties"];

/// Reads a history entry in the form of `regions.geojson` written in `format` (the data set's).
/// Faction ids must be in `factions`.
///
/// # Errors
/// Every problem found.
pub fn control_entry(
    json: &str,
    factions: &HashSet<String>,
    format: Format,
) -> Result<ControlEntry, Vec<BodyProblem>> {
    let mut report = Report::default();
    let mut sink = Sink::new(REGIONS, Item::File, &mut report);
    let entry = parse::read_json::<WireEntry>(json, "", &mut sink)
        .and_then(|wire| history::entry(&wire, "", Some(factions), format, &mut sink));
    match entry {
        Some(entry) if report.is_valid() => Ok(entry),
        _ => Err(problems(&report, |path| pointer("", path))),
    }
}

/// Reads an event in the form of a feature of `events.geojson` written in `format`;
/// `is_region` tells which region ids exist.
///
/// # Errors
/// Every problem found.
pub fn event(
    json: &str,
    is_region: &dyn Fn(&str) -> bool,
    format: Format,
) -> Result<Event, Vec<BodyProblem>> {
    let mut report = Report::default();
    match parse::event_feature(json, is_region, format, &mut report) {
        Some(event) if report.is_valid() => Ok(event),
        _ => Err(problems(&report, feature_pointer)),
    }
}

/// Reads a control area in the form of a feature of `control.geojson` written in `format`.
/// Faction ids must be in `factions`; `region` gives the geometry of a region id (`None`: no
/// such region).
///
/// # Errors
/// Every problem found.
pub fn area<'r>(
    json: &str,
    factions: &HashSet<String>,
    region: &dyn Fn(&str) -> Option<&'r MultiPolygon<f64>>,
    format: Format,
) -> Result<AreaStatement, Vec<BodyProblem>> {
    let mut report = Report::default();
    let check = |id: &str| region(id).map_or(RegionCheck::Unknown, RegionCheck::Geometry);
    match parse::area_feature(json, factions, &check, format, &mut report) {
        Some(area) if report.is_valid() => Ok(area),
        _ => Err(problems(&report, feature_pointer)),
    }
}

/// A control area in canonical form.
///
/// # Panics
/// Never: the form holds only strings, numbers and lists.
#[must_use]
pub fn area_form(area: &AreaStatement) -> Value {
    serde_json::to_value(write::area(area)).expect("a control area serialises")
}

/// A feature's problem path as a pointer: `type`, `id`, `geometry` and `properties` are members
/// of the feature, everything else is a property.
fn feature_pointer(path: &str) -> String {
    let member = path.split(['.', '[']).next().unwrap_or("");
    if path.is_empty() || FEATURE_MEMBERS.contains(&member) {
        pointer("", path)
    } else {
        pointer("/properties", path)
    }
}

fn problems(report: &Report, to_pointer: impl Fn(&str) -> String) -> Vec<BodyProblem> {
    let mut found: Vec<BodyProblem> = report
        .problems
        .iter()
        .map(|p| BodyProblem {
            pointer: to_pointer(&p.kind.path()),
            detail: p.kind.to_string(),
        })
        .collect();
    if found.is_empty() {
        // The readers report every refusal; this keeps an answer honest if one ever did not.
        found.push(BodyProblem {
            pointer: String::new(),
            detail: "the item is invalid".into(),
        });
    }
    found
}

/// A history entry in canonical form.
///
/// # Panics
/// Never: the form holds only strings, numbers and lists.
#[must_use]
pub fn control_entry_form(entry: &ControlEntry) -> Value {
    serde_json::to_value(write::entry(entry)).expect("a history entry serialises")
}

/// An event in canonical form.
///
/// # Panics
/// Never: the form holds only strings, numbers and lists.
#[must_use]
pub fn event_form(event: &Event) -> Value {
    serde_json::to_value(write::event(event)).expect("an event serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn factions() -> HashSet<String> {
        ["red", "blue"].into_iter().map(String::from).collect()
    }

    fn source() -> Value {
        json!([{"title": "T", "url": "https://example.org", "published": "2015-08-11"}])
    }

    #[test]
    fn an_entry_reads_back_from_its_form() {
        let sent = json!({"from": "2015-08-01", "precision": "month", "status": "contested",
                          "factions": ["red", "blue"], "note": "n", "sources": source()});
        let entry = control_entry(&sent.to_string(), &factions(), Format::V1).unwrap();
        let form = control_entry_form(&entry);
        assert_eq!(form, sent, "the form is the file's shape");
        assert_eq!(
            control_entry(&form.to_string(), &factions(), Format::V1).unwrap(),
            entry
        );
    }

    #[test]
    fn form_1_entries_with_day_precision_written_out_still_read() {
        let stored = json!({"from": "2015-08-11", "precision": "day", "status": "held",
                            "factions": ["red"], "note": "", "sources": source()});
        let entry = control_entry(&stored.to_string(), &factions(), Format::V1).unwrap();
        assert!(
            control_entry_form(&entry).get("precision").is_none(),
            "day is the default"
        );
    }

    #[test]
    fn every_problem_of_an_entry_has_a_pointer() {
        let sent = json!({"from": "2015-13-01", "status": "held", "factions": ["red", "green"],
                          "sources": [{"title": "T", "url": "javascript:x", "published": "2015-01-01"}]});
        let found = control_entry(&sent.to_string(), &factions(), Format::V1).unwrap_err();
        let pointers: Vec<&str> = found.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/from", "/factions", "/factions/1", "/sources/0/url"],
            "{found:?}"
        );
        assert_eq!(
            found[2].detail,
            "factions[1] \"green\" is not a faction defined in factions.json"
        );
        let shape = control_entry(r#"{"factions": 5}"#, &factions(), Format::V1).unwrap_err();
        assert_eq!(shape[0].pointer, "/factions", "{shape:?}");
        let not_object = control_entry("[1]", &factions(), Format::V1).unwrap_err();
        assert_eq!(not_object[0].pointer, "");
    }

    #[test]
    fn an_event_reads_back_from_its_form_and_names_its_problems() {
        let sent = json!({"type": "Feature", "id": "e", "geometry": {"type": "Point", "coordinates": [36.1, 35.2]},
                          "properties": {"date": "2015-08-11", "title": "T", "region": "r", "sources": source()}});
        let is_region = |id: &str| id == "r";
        let e = event(&sent.to_string(), &is_region, Format::V1).unwrap();
        assert_eq!(event_form(&e), sent);
        let bad = json!({"type": "Feature", "id": "e", "geometry": {"type": "Point", "coordinates": [36.1, 95.0]},
                         "properties": {"date": "2015-02-30", "title": "", "region": "x"}});
        let found = event(&bad.to_string(), &is_region, Format::V1).unwrap_err();
        let pointers: Vec<&str> = found.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/geometry",
                "/properties/date",
                "/properties/title",
                "/properties/sources",
                "/properties/region"
            ],
            "{found:?}"
        );
    }
}
