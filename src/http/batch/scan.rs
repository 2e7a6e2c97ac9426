//! The fast reader of a JSON batch's features: a hand-written scanner for the plain shape
//! nearly every client sends, `{"type": "Feature", "id": …, "geometry": {"type": "Point",
//! "coordinates": [lon, lat]}, "properties": {"date": "YYYY-MM-DD"}}` in any order and with
//! any whitespace, three to four times as fast as going through serde.
//!
//! It reads a strict subset of what [`super::from_json`]'s serde readers accept and gives
//! `None` for anything else: a member it does not know, an escape in a string, an id that is
//! not a string, a number or `null`, and every error. The caller then reads the same text with
//! serde, which accepts or names the problem; so this reader never decides that a batch is
//! wrong, only that it is plainly right, and for that it yields exactly the probes the serde
//! reader yields (the tests compare the two on generated and on corrupted text).

use serde_json::value::RawValue;

use super::{PointId, Probe};
use crate::json_runs::SPACE;
use crate::model::{Date, LonLat, parse_date};

/// Reads `run`, features separated by commas (the text between a `features` array's
/// brackets, or a part of it cut between two features), into at most `max` probes.
///
/// Every id it accepts (a string or a number) is one a GeoJSON `Feature` may have, so a batch
/// answered as a GeoJSON sequence needs no other check.
pub(super) fn features(run: &str, default_at: Date, max: usize) -> Option<Vec<Probe>> {
    let mut scan = Scan {
        text: run,
        at: 0,
        default_at,
    };
    let mut probes = Vec::with_capacity((run.len() / 100).min(max));
    if scan.peek().is_none() {
        return Some(probes);
    }
    loop {
        if probes.len() == max {
            return None;
        }
        probes.push(scan.feature()?);
        match scan.peek() {
            None => return Some(probes),
            Some(b',') => scan.at += 1,
            Some(_) => return None,
        }
    }
}

/// A position in the text being read.
struct Scan<'a> {
    text: &'a str,
    at: usize,
    default_at: Date,
}

/// What a member of an object is, once its key is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    Type,
    Id,
    Geometry,
    Properties,
    Coordinates,
    Date,
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not JSON whitespace, left unread; `None` at the end.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.at) {
            if !SPACE.contains(&char::from(b)) {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Reads `byte`, after any whitespace.
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string without escapes or control characters: its contents.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = self.bytes()[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        self.at = start + len;
        self.eat_here(b'"')?;
        Some(&self.text[start..start + len])
    }

    /// Reads `byte` at exactly the current position.
    fn eat_here(&mut self, byte: u8) -> Option<()> {
        (self.bytes().get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// A JSON number (RFC 8259 §6): its text and its value as `serde_json` reads it into an
    /// `f64` (an integer through `i64`). Integers of more than 18 characters, which serde reads
    /// another way, and numbers beyond an `f64`'s range, which it refuses, are left to it.
    fn number(&mut self) -> Option<(&'a str, f64)> {
        self.peek()?;
        let bytes = self.bytes();
        let start = self.at;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => {
                digits(&mut at);
            }
            _ => return None,
        }
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            integer = false;
            if !digits(&mut at) {
                return None;
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            integer = false;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return None;
            }
        }
        self.at = at;
        let text = &self.text[start..at];
        let value = if integer {
            if text.len() > 18 {
                return None;
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "serde_json converts an integer to f64 the same way"
            )]
            let value = text.parse::<i64>().ok()? as f64;
            // `serde_json` reads `-0` as the float -0.0.
            if value == 0.0 && text.starts_with('-') {
                -0.0
            } else {
                value
            }
        } else {
            text.parse::<f64>().ok()?
        };
        // `serde_json` refuses a number too large for an f64 ("number out of range").
        value.is_finite().then_some((text, value))
    }

    /// `null`, read.
    fn null(&mut self) -> Option<()> {
        self.peek()?;
        self.text[self.at..]
            .starts_with("null")
            .then(|| self.at += 4)
    }

    /// Reads an object, calling `member` for each key (known ones only, each once) with the
    /// scanner positioned at its value.
    fn object(
        &mut self,
        known: &[(&str, Member)],
        mut member: impl FnMut(&mut Self, Member) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        let mut seen = 0_u8;
        loop {
            let key = self.string()?;
            let (bit, &(_, which)) = known.iter().enumerate().find(|(_, (k, _))| *k == key)?;
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            self.eat(b':')?;
            member(self, which)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn feature(&mut self) -> Option<Probe> {
        let (mut kind, mut id, mut pos, mut at) = (false, None, None, None);
        let known = [
            ("type", Member::Type),
            ("id", Member::Id),
            ("geometry", Member::Geometry),
            ("properties", Member::Properties),
        ];
        self.object(&known, |scan, member| {
            match member {
                Member::Type => kind = scan.string()? == "Feature",
                Member::Id => scan.id(&mut id)?,
                Member::Geometry => pos = Some(scan.point()?),
                Member::Properties => at = Some(scan.properties()?),
                Member::Coordinates | Member::Date => return None,
            }
            Some(())
        })?;
        kind.then_some(())?;
        Some(Probe {
            id,
            pos: pos?,
            at: at.unwrap_or(self.default_at),
        })
    }

    /// Reads an id into `id`: `null` (none), a string without escapes or a number, kept as
    /// sent.
    fn id(&mut self, id: &mut Option<PointId>) -> Option<()> {
        *id = match self.peek()? {
            b'n' => {
                self.null()?;
                None
            }
            b'"' => {
                let text = self.string()?;
                // Without escapes or control characters, serde writes the string as it came.
                Some(PointId::Json(serde_json::value::to_raw_value(text).ok()?))
            }
            _ => {
                let (text, _) = self.number()?;
                Some(PointId::Json(RawValue::from_string(text.to_owned()).ok()?))
            }
        };
        Some(())
    }

    /// A `Point` geometry's position: `[lon, lat]`, any further numbers ignored.
    fn point(&mut self) -> Option<LonLat> {
        let (mut kind, mut pos) = (false, None);
        let known = [("type", Member::Type), ("coordinates", Member::Coordinates)];
        self.object(&known, |scan, member| {
            match member {
                Member::Type => kind = scan.string()? == "Point",
                Member::Coordinates => pos = Some(scan.coordinates()?),
                _ => return None,
            }
            Some(())
        })?;
        kind.then_some(())?;
        pos
    }

    fn coordinates(&mut self) -> Option<LonLat> {
        self.eat(b'[')?;
        let (_, lon) = self.number()?;
        self.eat(b',')?;
        let (_, lat) = self.number()?;
        loop {
            match self.peek()? {
                b']' => {
                    self.at += 1;
                    break;
                }
                b',' => {
                    self.at += 1;
                    self.number()?;
                }
                _ => return None,
            }
        }
        LonLat::new(lon, lat).ok()
    }

    /// A feature's `properties`: `null`, or an object with at most a `date` (a date, or
    /// `null`).
    fn properties(&mut self) -> Option<Date> {
        if self.peek()? == b'n' {
            self.null()?;
            return Some(self.default_at);
        }
        let mut at = self.default_at;
        self.object(&[("date", Member::Date)], |scan, _| {
            if scan.peek()? == b'n' {
                scan.null()
            } else {
                at = parse_date(scan.string()?)?;
                Some(())
            }
        })?;
        Some(at)
    }
}
