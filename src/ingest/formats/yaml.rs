//! YAML documents (`gcloud logging read` prints YAML by default, documents
//! separated by `---`; Kubernetes objects and audit events are often saved
//! as YAML too). Lines are collected until `---` or the end, each document
//! is read with `yaml_serde` into JSON and handed to the JSON dispatcher,
//! so a GKE entry in YAML is the same record as in JSON. A document that is
//! not valid YAML is reported unparsed over all its lines. Comment-only
//! documents (licence headers) make no event.

use super::{json::JsonParser, Context, Note, Out, Parser};
use crate::event::Location;
use serde_json::Value;

/// Largest YAML document kept (the JSON framer's limit).
const MAX_DOC: usize = crate::ingest::json_frame::MAX_DOCUMENT_BYTES;

pub struct YamlParser {
    doc: String,
    start: Option<Location>,
    end: Location,
    meaningful: bool,
    oversized: bool,
    inner: JsonParser,
}

impl YamlParser {
    pub fn new(ctx: &Context) -> Self {
        YamlParser {
            doc: String::new(),
            start: None,
            end: Location::default(),
            meaningful: false,
            oversized: false,
            inner: JsonParser::new(None, ctx),
        }
    }

    fn flush(&mut self, out: &mut Out) {
        let doc = std::mem::take(&mut self.doc);
        let meaningful = std::mem::take(&mut self.meaningful);
        let oversized = std::mem::take(&mut self.oversized);
        let Some(mut location) = self.start.take() else {
            return;
        };
        location.lines = (self.end.line + self.end.lines as u64 - location.line) as u32;
        location.len = self.end.offset + self.end.len - location.offset;
        if oversized {
            out.notes.push(Note::Unparsed {
                location,
                reason: format!(
                    "YAML document over the {} MiB limit: skipped",
                    MAX_DOC >> 20
                ),
            });
            return;
        }
        if !meaningful {
            return;
        }
        let value: Value = match yaml_serde::from_str(&doc) {
            Ok(v) => v,
            Err(e) => {
                out.notes.push(Note::Unparsed {
                    location,
                    reason: format!("not a YAML document: {e}"),
                });
                return;
            }
        };
        if let Err(reason) = self.inner.document(value, location, out) {
            out.notes.push(Note::Unparsed { location, reason });
        }
    }
}

impl Parser for YamlParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        let t = unit.trim_end();
        if t == "---" || t.starts_with("--- ") || t == "..." {
            self.flush(out);
            if let Some(rest) = t.strip_prefix("--- ") {
                // `--- value` starts the next document on the same line.
                self.doc.push_str(rest);
                self.doc.push('\n');
                self.start = Some(location);
                self.end = location;
                self.meaningful = true;
            }
            return Ok(());
        }
        let comment = t.trim_start().starts_with('#');
        if comment && !self.meaningful {
            // Leading comments: not part of any record's span.
            return Ok(());
        }
        if self.start.is_none() {
            self.start = Some(location);
        }
        self.end = location;
        self.meaningful |= !comment;
        if self.doc.len() + unit.len() > MAX_DOC {
            self.oversized = true;
            self.doc.clear();
        } else if !self.oversized {
            self.doc.push_str(unit);
            self.doc.push('\n');
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Out) {
        self.flush(out);
        self.inner.finish(out);
    }
}

/// True when the sample reads as YAML: top-level lines are `key:` entries
/// (or `---`, comments, list items, indented lines) and the first
/// meaningful one is a key or `---`.
pub fn looks_like(lines: &[&str]) -> bool {
    let mut keys = 0;
    let mut first = true;
    for l in lines {
        let t = l.trim_end();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let top = !t.starts_with([' ', '\t', '-']);
        let is_key = is_key_line(t);
        if first {
            first = false;
            if !(is_key || t == "---" || t.starts_with("--- ")) {
                return false;
            }
        }
        if top && !is_key && t != "---" && t != "..." && !t.starts_with("--- ") {
            return false;
        }
        if is_key {
            keys += 1;
        }
    }
    keys >= 2
}

fn is_key_line(t: &str) -> bool {
    let key_end = if t.starts_with(['\'', '"']) {
        let q = t.as_bytes()[0] as char;
        match t[1..].find(q) {
            Some(i) => i + 2,
            None => return false,
        }
    } else {
        match t.find(':') {
            Some(i) if i > 0 && !t[..i].contains(char::is_whitespace) => i,
            _ => return false,
        }
    };
    let rest = &t[key_end..];
    rest == ":" || rest.starts_with(": ")
}
