//! Control histories and sources: wire shape → model, one check at a time, every problem kept.

use std::collections::HashSet;

use serde::Deserialize;

use super::report::{ProblemKind, Sink};
use super::wire::object_only;
use crate::model::{
    ControlEntry, ControlStatus, Date, FactionId, Format, Precision, Source, parse_date,
};

/// A history entry as written in `regions.geojson`. Text stays text until checked.
#[derive(Debug, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct WireEntry {
    #[serde(default)]
    from: String,
    precision: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    factions: Vec<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    sources: Vec<WireSource>,
}

/// A source as written in any of the files.
#[derive(Debug, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct WireSource {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    published: String,
}

object_only!(WireEntry);
object_only!(WireSource);

/// Converts a whole history, reporting every problem. `factions` is `None` when `factions.json`
/// could not be read, so faction ids cannot be checked.
pub(crate) fn history(
    wire: &[WireEntry],
    factions: Option<&HashSet<String>>,
    format: Format,
    sink: &mut Sink<'_>,
) -> Option<Vec<ControlEntry>> {
    let entries: Vec<Option<ControlEntry>> = wire
        .iter()
        .enumerate()
        .map(|(i, w)| entry(w, &format!("history[{i}]."), factions, format, sink))
        .collect();
    let dates: Vec<Option<Date>> = wire.iter().map(|w| parse_date(&w.from)).collect();
    for (index, pair) in dates.windows(2).enumerate() {
        if let [Some(previous), Some(from)] = *pair {
            let index = index + 1;
            if from < previous {
                sink.problem(ProblemKind::Unsorted {
                    index,
                    from: from.to_string(),
                    previous: previous.to_string(),
                });
            } else if from == previous {
                sink.problem(ProblemKind::DuplicateFrom {
                    index,
                    from: from.to_string(),
                });
            }
        }
    }
    let entries: Option<Vec<ControlEntry>> = entries.into_iter().collect();
    entries.filter(|e| e.windows(2).all(|p| p[0].from < p[1].from))
}

/// Converts one entry; `at` is its path with a trailing dot (`history[3].`), or empty for an
/// entry sent alone, and prefixes every field named in a problem.
pub(crate) fn entry(
    w: &WireEntry,
    at: &str,
    factions: Option<&HashSet<String>>,
    format: Format,
    sink: &mut Sink<'_>,
) -> Option<ControlEntry> {
    let precision = precision(w.precision.as_deref(), &format!("{at}precision"), sink);
    let from = date(&w.from, &format!("{at}from"), precision, sink);
    let status = ControlStatus::parse(&w.status);
    if status.is_none() {
        sink.problem(ProblemKind::UnknownStatus {
            field: format!("{at}status"),
            value: w.status.clone(),
        });
    }
    if let Some(s) = status
        && !s.accepts_faction_count(w.factions.len())
    {
        sink.problem(ProblemKind::FactionCount {
            entry: at.to_owned(),
            status: s.to_string(),
            count: w.factions.len(),
        });
    }
    let factions_ok = faction_refs(&w.factions, &format!("{at}factions"), factions, sink);
    if w.sources.is_empty() {
        sink.problem(ProblemKind::NoSources {
            entry: at.to_owned(),
        });
    }
    let sources = sources(&w.sources, at, format, sink).filter(|s| !s.is_empty());
    Some(ControlEntry {
        from: from?,
        precision: precision?,
        status: status.filter(|s| s.accepts_faction_count(w.factions.len()))?,
        factions: factions_ok.then(|| w.factions.iter().map(FactionId::new).collect())?,
        note: w.note.clone(),
        sources: sources?,
    })
}

/// Checks a list of faction ids: known (when `known` is available), not repeated.
fn faction_refs(
    ids: &[String],
    field: &str,
    known: Option<&HashSet<String>>,
    sink: &mut Sink<'_>,
) -> bool {
    let mut ok = true;
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if known.is_some_and(|k| !k.contains(id.as_str())) {
            ok = false;
            sink.problem(ProblemKind::UnknownFaction {
                field: format!("{field}[{i}]"),
                id: id.clone(),
            });
        }
        if !seen.insert(id) {
            ok = false;
            sink.problem(ProblemKind::RepeatedFaction {
                field: field.to_owned(),
                id: id.clone(),
            });
        }
    }
    ok
}

/// A precision field; absent means `day`.
pub(crate) fn precision(
    value: Option<&str>,
    field: &str,
    sink: &mut Sink<'_>,
) -> Option<Precision> {
    let Some(value) = value else {
        return Some(Precision::Day);
    };
    let parsed = Precision::parse(value);
    if parsed.is_none() {
        sink.problem(ProblemKind::BadPrecision {
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }
    parsed
}

/// A date field, checked against its precision when that is known.
pub(crate) fn date(
    value: &str,
    field: &str,
    precision: Option<Precision>,
    sink: &mut Sink<'_>,
) -> Option<Date> {
    let Some(date) = parse_date(value) else {
        sink.problem(ProblemKind::BadDate {
            field: field.to_owned(),
            value: if value.is_empty() {
                "(missing)".into()
            } else {
                value.to_owned()
            },
        });
        return None;
    };
    if let Some(p) = precision
        && !p.fits(date)
    {
        sink.problem(ProblemKind::PrecisionMismatch {
            field: field.to_owned(),
            date: date.to_string(),
            precision: p.to_string(),
        });
        return None;
    }
    Some(date)
}

/// A list of sources, each checked; `prefix` is the path of the object holding `sources`
/// (`history[3].`, or empty for a faction or event). Whether the list may be empty is the
/// caller's to check. From format 2 on, `published` may be left out (where the source shows no
/// date: it is never guessed).
pub(crate) fn sources(
    wire: &[WireSource],
    prefix: &str,
    format: Format,
    sink: &mut Sink<'_>,
) -> Option<Vec<Source>> {
    let converted: Vec<Option<Source>> = wire
        .iter()
        .enumerate()
        .map(|(i, s)| source(s, &format!("{prefix}sources[{i}]"), format, sink))
        .collect();
    converted.into_iter().collect()
}

fn source(w: &WireSource, field: &str, format: Format, sink: &mut Sink<'_>) -> Option<Source> {
    let title_ok = !w.title.trim().is_empty();
    if !title_ok {
        sink.problem(ProblemKind::EmptyText(format!("{field}.title")));
    }
    let url_ok = is_http_url(&w.url);
    if !url_ok {
        sink.problem(ProblemKind::BadUrl {
            field: format!("{field}.url"),
            value: w.url.clone(),
        });
    }
    let published = if w.published.is_empty() && format >= Format::V2 {
        None
    } else {
        Some(date(
            &w.published,
            &format!("{field}.published"),
            None,
            sink,
        )?)
    };
    (title_ok && url_ok).then(|| Source {
        title: w.title.clone(),
        url: w.url.clone(),
        published,
    })
}

/// `http://` or `https://` followed by a host and no white space.
fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.chars().any(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert!(is_http_url("https://www.reuters.com/article/x"));
        assert!(is_http_url("http://example.org"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " https://example.org",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//example.org/protocol-relative",
            "https:example.org",
            "ftp://x",
            "https://",
            "https:// x",
            "www.reuters.com",
            "",
        ] {
            assert!(!is_http_url(bad), "{bad:?}");
        }
    }
}
