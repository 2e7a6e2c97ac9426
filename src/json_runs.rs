//! Large JSON arrays read on every core: the text between an array's brackets cut into runs
//! of whole elements, one run per core.
//!
//! Where an element ends cannot be known without reading everything before it, so the cuts
//! are guesses: the first `}`, `,`, `{` (whitespace aside) after each share of the text,
//! which is where two objects meet in every array of objects. A guess may fall inside a
//! string or a nested value; then the run before it ends inside an element, and whoever reads
//! the runs must find that (by reading each run whole, as [`raw_values`] does) and read the
//! array on one core instead. When every run reads whole, the array is exactly the runs
//! joined by the commas cut out.

use std::num::NonZeroUsize;

use serde_json::value::RawValue;

/// JSON's whitespace (RFC 8259): what may stand between tokens.
pub(crate) const SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// Texts shorter than this are read on one core: cutting them saves less than it costs.
pub(crate) const MIN_BYTES: usize = 1 << 20;

/// How many runs to cut a text of `bytes` into: one per core, or 1 when the text is short or
/// there is one core.
pub(crate) fn parts(bytes: usize) -> usize {
    if bytes < MIN_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `body`, the text between an array's brackets, cut into at most `parts` runs at guessed
/// element boundaries (see the module's documentation); each cut removes one comma. One run,
/// the whole body, when no guess is found.
pub(crate) fn cut(body: &str, parts: usize) -> Vec<&str> {
    let bytes = body.as_bytes();
    let mut runs = Vec::with_capacity(parts);
    let mut start = 0;
    for part in 1..parts {
        let from = (bytes.len() * part / parts).max(start);
        let Some(comma) = cut_after(bytes, from) else {
            break;
        };
        runs.push(&body[start..comma]);
        start = comma + 1;
    }
    runs.push(&body[start..]);
    runs
}

/// The position of the first comma at or after `from` with a `}` before it and a `{` after
/// it, whitespace aside.
fn cut_after(bytes: &[u8], from: usize) -> Option<usize> {
    let space = |b: &&u8| SPACE.contains(&char::from(**b));
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == b',')?;
        let before = bytes[..at].iter().rev().find(|b| !space(b));
        let after = bytes[at + 1..].iter().find(|b| !space(b));
        if before == Some(&b'}') && after == Some(&b'{') {
            return Some(at);
        }
        at += 1;
    }
}

/// The elements of `run` (one of [`cut`]'s runs, or a whole array's body) as raw values, as
/// serde reads them from the array; `None` unless the run is exactly one or more JSON values
/// separated by commas, whitespace aside.
pub(crate) fn raw_values(run: &str) -> Option<Vec<&RawValue>> {
    let mut values = Vec::new();
    let mut rest = run;
    loop {
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
        values.push(stream.next()?.ok()?);
        rest = rest[stream.byte_offset()..].trim_start_matches(SPACE);
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => return rest.is_empty().then_some(values),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_is_a_comma_between_a_close_and_an_open_brace() {
        let text = br#"{"a":[1,2]},"x},{", } ,  {"b":1}"#;
        // The first candidate after 0 sits in a string: it is a guess, checked later.
        assert_eq!(cut_after(text, 0), Some(15));
        assert_eq!(cut_after(text, 16), Some(22));
        assert_eq!(cut_after(text, 23), None);
        assert_eq!(cut_after(b"{}", 5), None);
    }

    #[test]
    fn runs_and_cut_commas_make_the_body() {
        let body = (0..50)
            .map(|i| format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "y".repeat(i)))
            .collect::<Vec<_>>()
            .join(" ,\n ");
        for parts in 1..8 {
            let runs = cut(&body, parts);
            assert!(runs.len() <= parts && !runs.is_empty());
            assert_eq!(runs.join(","), body, "{parts} parts");
            let read: Vec<&str> = runs
                .iter()
                .flat_map(|run| raw_values(run).expect("whole elements"))
                .map(RawValue::get)
                .collect();
            let array = format!("[{body}]");
            let whole: Vec<&RawValue> = serde_json::from_str(&array).unwrap();
            assert_eq!(read, whole.iter().map(|v| v.get()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn raw_values_reads_only_whole_comma_separated_values() {
        let texts = |run| raw_values(run).map(|v| v.iter().map(|v| v.get()).collect::<Vec<_>>());
        assert_eq!(
            texts(" 1 ,{\"a\" : [2]}\t,\"s\" "),
            Some(vec!["1", "{\"a\" : [2]}", "\"s\""])
        );
        for wrong in [
            "",
            " ",
            "1,",
            ",1",
            "1,,2",
            "1 2",
            "{\"a\":1",
            "{\"a\":1}}",
            "\"x",
            "[1",
            "1]",
            "{\"a\":1},",
            "nul",
            "1,\"a\":2",
        ] {
            assert_eq!(texts(wrong), None, "{wrong:?}");
        }
    }
}
