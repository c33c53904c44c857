//! logfmt (`time=... level=info msg="quoted value" key=value`), the format
//! of containerd, Go services using logrus/slog text handlers and many
//! controllers. Pairs become fields as strings; time/msg/level are picked
//! like generic JSON (see [`super::jsonl`]).

use super::{jsonl, kv_pairs, Out, Parser};
use crate::event::{Format, Location};
use serde_json::{Map, Value};

pub struct LogfmtParser;

/// True when most of the line's words are `key=value` pairs (at least two).
pub fn looks_like(line: &str) -> bool {
    // The line starts with a pair: `key=` with a plain key (a CSV row that
    // happens to hold `uid=0` somewhere is not logfmt).
    let first_key = line.split_once('=').map(|(k, _)| k).unwrap_or("");
    if first_key.is_empty()
        || !first_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@'))
    {
        return false;
    }
    let pairs = kv_pairs(line);
    if pairs.len() < 2 {
        return false;
    }
    let words = line.split_whitespace().count().max(1);
    // Quoted values hold spaces: count pairs against words minus those.
    let quoted_words: usize = pairs
        .iter()
        .map(|(_, v)| v.split_whitespace().count().saturating_sub(1))
        .sum();
    pairs.len() * 10 >= (words - quoted_words.min(words - 1)) * 8
}

impl Parser for LogfmtParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        let pairs = kv_pairs(unit);
        if pairs.is_empty() {
            return Err("no key=value pairs".into());
        }
        let mut obj = Map::new();
        for (k, v) in pairs {
            obj.entry(k).or_insert(Value::String(v));
        }
        jsonl::convert(Format::Logfmt, Value::Object(obj), location, out)
    }
}
