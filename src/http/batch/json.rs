//! A batch's JSON point answers, written fast: what many answers repeat (a statement's status,
//! note and sources, a region's id, name and area, a nearest region's id and name) is
//! serialised once per batch worker into [`Fragments`] and then copied, so a batch of 100,000
//! points escapes each statement's note once rather than once per point. A [`FragmentPool`]
//! keeps them from one batch to the next while the served data stays the same. The bytes are
//! exactly those `serde_json` writes for [`PointAnswer`] (the tests compare the two).

use std::io;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::{PointId, Probe};
#[cfg(test)]
use crate::answer::PointAnswer;
use crate::answer::{ControlAnswer, Detail, NearestAnswer, RegionAnswer};
use crate::engine::{Answer, Engine, StatementKey};
use crate::live::Snapshot;
use crate::model::Date;

/// Most bytes of JSON text one [`Fragments`] keeps (about 45,000 statements and regions): past
/// it, new fragments are written straight into the answer, each time they are met.
const MAX_TEXT: usize = 16 << 20;

/// What a fragment is the JSON of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// `unknown` control: no statement covers the point.
    Unknown,
    /// A statement's [`ControlAnswer`].
    Statement(StatementKey),
    /// A region's [`RegionAnswer`] without shares, by position in the data set.
    Region(usize),
    /// A nearest region's [`NearestAnswer`] up to its distance, by position in the data set.
    Nearest(usize),
}

/// The JSON text of statements and regions already written by one batch worker, kept for the
/// next answers that repeat them. Made for one engine: keys are positions in its data set.
#[derive(Debug)]
pub struct Fragments {
    /// Every fragment, one after another.
    text: Vec<u8>,
    /// How long `text` may grow: [`MAX_TEXT`] but in tests.
    limit: usize,
    /// Where each fragment lies in `text`; laid out on first use, for the engine answered.
    slots: Option<Slots>,
}

impl Default for Fragments {
    fn default() -> Self {
        Self {
            text: Vec::new(),
            limit: MAX_TEXT,
            slots: None,
        }
    }
}

/// Where a fragment lies in [`Fragments::text`], as `start << 32 | end`; 0 until it is
/// written (a written fragment ends after its first byte). Zero for none lets a large table of
/// slots come from the allocator as untouched zeroed pages, so a small batch on a large data
/// set does not pay for filling it.
type Span = u64;

/// A slot for every fragment an engine's answers can repeat, one after another: `unknown`,
/// each control area's statement, each region's history entries, each region, each nearest
/// region. A slot is found by arithmetic on positions, no hashing: at 10,000 regions a hash
/// map's lookups were the largest part of writing a batch once its fragments were kept.
#[derive(Debug)]
struct Slots {
    spans: Vec<Span>,
    /// Where each region's history entries start among the slots.
    entries: Vec<usize>,
    /// Where the regions' and the nearest regions' slots start.
    regions: usize,
    nearest: usize,
}

impl Slots {
    fn new(engine: &Engine) -> Self {
        let data = engine.dataset();
        let mut next = 1 + data.areas.len();
        let entries = data
            .regions
            .iter()
            .map(|r| {
                let start = next;
                next += r.history.len();
                start
            })
            .collect();
        let regions = next;
        let nearest = regions + data.regions.len();
        Self {
            spans: vec![0; nearest + data.regions.len()],
            entries,
            regions,
            nearest,
        }
    }

    fn index(&self, key: Key) -> usize {
        match key {
            Key::Unknown => 0,
            Key::Statement(StatementKey::Area(i)) => 1 + i,
            Key::Statement(StatementKey::Region { region, entry }) => self.entries[region] + entry,
            Key::Region(i) => self.regions + i,
            Key::Nearest(i) => self.nearest + i,
        }
    }
}

impl Fragments {
    /// Appends the fragment of `key` to `out`, writing it with `write` the first time.
    fn copy(
        &mut self,
        engine: &Engine,
        key: Key,
        out: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let slots = self.slots.get_or_insert_with(|| Slots::new(engine));
        let slot = slots.index(key);
        let span = slots.spans[slot];
        if span != 0 {
            let (start, end) = (span >> 32, span & u64::from(u32::MAX));
            #[expect(clippy::cast_possible_truncation, reason = "they came from usizes")]
            out.extend_from_slice(&self.text[start as usize..end as usize]);
            return Ok(());
        }
        if self.text.len() >= self.limit {
            return write(out);
        }
        let start = self.text.len();
        write(&mut self.text)?;
        let end = self.text.len();
        if let (Ok(from), Ok(to)) = (u32::try_from(start), u32::try_from(end))
            && to > from
        {
            slots.spans[slot] = u64::from(from) << 32 | u64::from(to);
        }
        out.extend_from_slice(&self.text[start..end]);
        Ok(())
    }

    /// How many fragments are kept.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.slots
            .as_ref()
            .map_or(0, |s| s.spans.iter().filter(|&&s| s != 0).count())
    }

    /// Writes one point's answer as a JSON object: `{"id":…,"point":…,"at":…,"control":…,
    /// "regions":[…],"nearest":…}` (the `id` only when the point has one), exactly as
    /// `serde_json` writes the input `id` followed by the flattened [`PointAnswer`].
    pub fn result(
        &mut self,
        out: &mut Vec<u8>,
        engine: &Engine,
        probe: &Probe,
        answer: &Answer<'_>,
        detail: Detail,
    ) -> io::Result<()> {
        out.push(b'{');
        write_id_member(out, probe.id.as_ref())?;
        out.extend_from_slice(b"\"point\":{\"lon\":");
        serde_json::to_writer(&mut *out, &probe.pos.lon())?;
        out.extend_from_slice(b",\"lat\":");
        serde_json::to_writer(&mut *out, &probe.pos.lat())?;
        out.push(b'}');
        self.answer_fields(out, engine, probe, answer, detail)?;
        out.push(b'}');
        Ok(())
    }

    /// Writes one point's answer as a GeoJSON `Feature` (without the record separator): the
    /// point as geometry, the answer without `point` as properties.
    pub fn feature(
        &mut self,
        out: &mut Vec<u8>,
        engine: &Engine,
        probe: &Probe,
        answer: &Answer<'_>,
        detail: Detail,
    ) -> io::Result<()> {
        out.extend_from_slice(b"{\"type\":\"Feature\",");
        write_id_member(out, probe.id.as_ref())?;
        out.extend_from_slice(b"\"geometry\":{\"type\":\"Point\",\"coordinates\":");
        serde_json::to_writer(&mut *out, &[probe.pos.lon(), probe.pos.lat()])?;
        out.extend_from_slice(b"},\"properties\":{");
        // The properties start with `at`: drop the comma that separates it from `point`.
        let start = out.len();
        self.answer_fields(out, engine, probe, answer, detail)?;
        out.remove(start);
        out.extend_from_slice(b"}}");
        Ok(())
    }

    /// `,"at":…,"control":…,"regions":[…],"nearest":…` and, with `detail.history`,
    /// `,"history":[…]`.
    fn answer_fields(
        &mut self,
        out: &mut Vec<u8>,
        engine: &Engine,
        probe: &Probe,
        answer: &Answer<'_>,
        detail: Detail,
    ) -> io::Result<()> {
        out.extend_from_slice(b",\"at\":");
        write_date(out, probe.at)?;
        out.extend_from_slice(b",\"control\":");
        let statement = answer.control.as_ref();
        let key = statement.map_or(Key::Unknown, |s| Key::Statement(s.key));
        self.copy(engine, key, out, |text| {
            serde_json::to_writer(text, &ControlAnswer::of(statement)).map_err(io::Error::from)
        })?;
        out.extend_from_slice(b",\"regions\":[");
        for (k, hit) in answer.regions.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            if detail.shares {
                // Shares depend on the date: written each time.
                let region = RegionAnswer::new(engine, hit, probe.at, true);
                serde_json::to_writer(&mut *out, &region)?;
            } else {
                self.copy(engine, Key::Region(hit.index), out, |text| {
                    let region = RegionAnswer::new(engine, hit, probe.at, false);
                    serde_json::to_writer(text, &region).map_err(io::Error::from)
                })?;
            }
        }
        out.extend_from_slice(b"],\"nearest\":");
        match &answer.nearest {
            None => out.extend_from_slice(b"null"),
            Some(nearest) => {
                let answer = NearestAnswer::new(nearest);
                self.copy(engine, Key::Nearest(nearest.index), out, |text| {
                    text.extend_from_slice(b"{\"id\":");
                    serde_json::to_writer(&mut *text, answer.id)?;
                    text.extend_from_slice(b",\"name\":");
                    serde_json::to_writer(&mut *text, answer.name)?;
                    text.extend_from_slice(b",\"distance_km\":");
                    Ok(())
                })?;
                serde_json::to_writer(&mut *out, &answer.distance_km)?;
                out.push(b'}');
            }
        }
        if detail.history {
            let history: Vec<ControlAnswer<'_>> = engine
                .history_at(probe.pos)
                .iter()
                .map(|s| ControlAnswer::of(Some(s)))
                .collect();
            out.extend_from_slice(b",\"history\":");
            serde_json::to_writer(&mut *out, &history)?;
        }
        Ok(())
    }
}

/// The [`Fragments`] of finished batches, kept for the next ones on the same snapshot: one per
/// worker, so a worker takes one for a batch and gives it back after, without sharing it.
#[derive(Debug, Default)]
pub struct FragmentPool(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    /// The snapshot the fragments were written from. Held weakly, so the pool never keeps an
    /// old snapshot's data alive; while it is held, no other snapshot can have its address.
    snapshot: Weak<Snapshot>,
    /// Fragments no batch is using.
    free: Vec<Fragments>,
}

impl Kept {
    /// Whether the kept fragments were written from `snapshot`.
    fn are_of(&self, snapshot: &Arc<Snapshot>) -> bool {
        std::ptr::eq(self.snapshot.as_ptr(), Arc::as_ptr(snapshot))
    }
}

impl FragmentPool {
    /// Fragments written from `snapshot` by an earlier batch, or none yet.
    #[must_use]
    pub fn take(&self, snapshot: &Arc<Snapshot>) -> Fragments {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.are_of(snapshot) {
            kept.free.pop().unwrap_or_default()
        } else {
            Fragments::default()
        }
    }

    /// Keeps `fragments`, written from `snapshot`, for the next batch; those of an older
    /// snapshot are dropped. At most one per core is kept.
    pub fn give(&self, snapshot: &Arc<Snapshot>, fragments: Fragments) {
        let stale = {
            let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let stale = if kept.are_of(snapshot) {
                Vec::new()
            } else {
                kept.snapshot = Arc::downgrade(snapshot);
                std::mem::take(&mut kept.free)
            };
            if kept.free.len() < super::workers() {
                kept.free.push(fragments);
            }
            stale
        };
        // Freed outside the lock: they can be megabytes.
        drop(stale);
    }
}

/// Writes `date` as a JSON string, as `serde_json` does (`"2015-08-15"`), without going
/// through `Display` for the four-digit years every real date has.
fn write_date(out: &mut Vec<u8>, date: Date) -> io::Result<()> {
    let (Some(year), Ok(month), Ok(day)) = (
        u16::try_from(date.year()).ok().filter(|&y| y <= 9999),
        u8::try_from(date.month()),
        u8::try_from(date.day()),
    ) else {
        return serde_json::to_writer(out, &date).map_err(io::Error::from);
    };
    let digit = |n: u16| b'0' + u8::try_from(n % 10).unwrap_or(0);
    out.extend_from_slice(&[
        b'"',
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(u16::from(month) / 10),
        digit(u16::from(month)),
        b'-',
        digit(u16::from(day) / 10),
        digit(u16::from(day)),
        b'"',
    ]);
    Ok(())
}

/// Writes `"id":<id>,` when the point has an id, and nothing otherwise: a JSON id exactly as
/// sent, a CSV id as a string.
fn write_id_member(out: &mut Vec<u8>, id: Option<&PointId>) -> io::Result<()> {
    let Some(id) = id else { return Ok(()) };
    out.extend_from_slice(b"\"id\":");
    match id {
        PointId::Json(raw) => out.extend_from_slice(raw.get().as_bytes()),
        PointId::Text(text) => serde_json::to_writer(&mut *out, text)?,
    }
    out.push(b',');
    Ok(())
}

/// The answer as `serde_json` writes it, to compare [`Fragments`] with.
#[cfg(test)]
pub(super) fn reference(engine: &Engine, probe: &Probe, detail: Detail) -> serde_json::Value {
    let answer = PointAnswer::new(engine, probe.pos, probe.at, detail);
    let mut value = serde_json::to_value(&answer).expect("an answer serialises");
    if let (Some(id), Some(object)) = (&probe.id, value.as_object_mut()) {
        let id: serde_json::Value = match id {
            PointId::Json(raw) => serde_json::from_str(raw.get()).expect("a JSON id"),
            PointId::Text(text) => text.as_str().into(),
        };
        object.insert("id".into(), id);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;

    fn engine() -> Engine {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
        Engine::new(crate::geodata::load(&dir).unwrap().dataset)
    }

    /// Seeded points over the bundled data's box and a margin (so some are outside every
    /// region), on dates across the timeline, with ids of every kind.
    fn probes(engine: &Engine, n: usize) -> Vec<Probe> {
        let extent = engine.extent().unwrap();
        let ticks: Vec<_> = (2011..=2025).map(|y| jiff::civil::date(y, 6, 15)).collect();
        let mut rng = crate::synth::Rng::new(7);
        (0..n)
            .map(|i| {
                let lon = extent.min().x - 0.2 + rng.unit() * (extent.width() + 0.4);
                let lat = extent.min().y - 0.2 + rng.unit() * (extent.height() + 0.4);
                let id = match i % 4 {
                    0 => None,
                    1 => Some(PointId::Text(format!("row \"{i}\"\n"))),
                    2 => Some(PointId::json(
                        &serde_json::value::RawValue::from_string(i.to_string()).unwrap(),
                    )),
                    _ => Some(PointId::json(
                        &serde_json::value::RawValue::from_string(format!("{{\"k\":[{i}]}}"))
                            .unwrap(),
                    )),
                };
                Probe {
                    id,
                    pos: LonLat::new(lon, lat).unwrap(),
                    at: ticks[rng.below(ticks.len())],
                }
            })
            .collect()
    }

    #[test]
    fn results_are_what_serde_writes_for_every_detail() {
        let engine = engine();
        let probes = probes(&engine, 300);
        for detail in [
            Detail::BATCH,
            Detail::POINT,
            Detail {
                shares: false,
                history: true,
            },
        ] {
            let mut fragments = Fragments::default();
            let mut outside = 0;
            for probe in &probes {
                let answer = engine.query(probe.pos, probe.at);
                outside += usize::from(answer.nearest.is_some());
                let mut out = Vec::new();
                fragments
                    .result(&mut out, &engine, probe, &answer, detail)
                    .unwrap();
                let written: serde_json::Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(written, reference(&engine, probe, detail), "{detail:?}");
                // Byte for byte too: the id comes first, then the answer in field order.
                let mut expected = Vec::new();
                serde_json::to_writer(
                    &mut expected,
                    &super::super::encode::json_result(probe.id.as_ref(), {
                        PointAnswer::of(&engine, probe.pos, probe.at, &answer, detail)
                    }),
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&expected)
                );
            }
            assert!(outside > 0 && outside < probes.len(), "{outside}");
        }
    }

    /// Writes `probes`' answers with `fragments`, one JSON result after another.
    fn written(engine: &Engine, probes: &[Probe], fragments: &mut Fragments) -> Vec<u8> {
        let mut out = Vec::new();
        for probe in probes {
            let answer = engine.query(probe.pos, probe.at);
            fragments
                .result(&mut out, engine, probe, &answer, Detail::BATCH)
                .unwrap();
        }
        out
    }

    #[test]
    fn dates_are_written_as_serde_writes_them() {
        let days = [(1, 1), (2, 28), (12, 31), (9, 5), (10, 10)];
        for year in [-9999, -1, 0, 7, 99, 999, 1000, 2015, 9999] {
            for (month, day) in days {
                let date = jiff::civil::date(year, month, day);
                let mut out = Vec::new();
                write_date(&mut out, date).unwrap();
                assert_eq!(out, serde_json::to_vec(&date).unwrap(), "{date}");
            }
        }
    }

    #[test]
    fn past_its_limit_fragments_are_written_each_time_and_not_kept() {
        let engine = engine();
        let probes = probes(&engine, 200);
        let kept = written(&engine, &probes, &mut Fragments::default());
        let mut full = Fragments {
            limit: 0,
            ..Fragments::default()
        };
        assert_eq!(written(&engine, &probes, &mut full), kept);
        assert!(full.text.is_empty() && full.kept() == 0);
    }

    #[test]
    fn the_pool_gives_fragments_back_only_for_their_snapshot() {
        let snapshot = |engine| {
            Arc::new(Snapshot {
                engine,
                version: "v".into(),
                files_version: "f".into(),
                last_change: 0,
            })
        };
        let (a, b) = (snapshot(engine()), snapshot(engine()));
        let pool = FragmentPool::default();
        let mut fragments = pool.take(&a);
        assert_eq!(fragments.kept(), 0, "nothing kept yet");
        let first = written(&a.engine, &probes(&a.engine, 50), &mut fragments);
        let kept = fragments.kept();
        assert!(kept > 0);
        pool.give(&a, fragments);
        assert_eq!(pool.take(&b).kept(), 0, "kept for another snapshot");
        let mut again = pool.take(&a);
        assert_eq!(again.kept(), kept, "kept for this one");
        // The kept fragments write the same answers.
        assert_eq!(
            written(&a.engine, &probes(&a.engine, 50), &mut again),
            first
        );
        pool.give(&a, again);
        // Fragments given for a newer snapshot drop the older one's.
        pool.give(&b, Fragments::default());
        assert_eq!(pool.take(&a).kept(), 0);
    }

    #[test]
    fn features_are_what_serde_writes() {
        let engine = engine();
        let mut fragments = Fragments::default();
        for probe in probes(&engine, 200) {
            let answer = engine.query(probe.pos, probe.at);
            let mut out = Vec::new();
            fragments
                .feature(&mut out, &engine, &probe, &answer, Detail::BATCH)
                .unwrap();
            let mut expected = Vec::new();
            let point = PointAnswer::of(&engine, probe.pos, probe.at, &answer, Detail::BATCH);
            serde_json::to_writer(
                &mut expected,
                &super::super::encode::seq_feature(probe.id.as_ref(), &point),
            )
            .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
        }
    }
}
