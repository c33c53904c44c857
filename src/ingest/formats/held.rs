//! Records of line formats whose lines may be continued by indented ones
//! (klog, syslog): the record is held until the next line shows whether it
//! goes on, then handed over to be built later ([`Later`]).

use super::Later;
use crate::event::{Format, Location, Record};
use serde_json::Value;

/// The parts of a line a record is built from later ([`Held`]).
pub trait Draft: Send + 'static {
    const FORMAT: Format;
    fn time_ns(&self) -> Option<i64>;
    fn record(self, location: Location) -> Record;
}

/// A record held until the next line shows whether indented lines continue
/// it (klog, syslog): its parts as read in order, and those lines. It is
/// built later ([`Later`]).
pub struct Held<P> {
    parts: P,
    location: Location,
    more: Vec<(String, Location)>,
}

impl<P: Draft> Held<P> {
    pub fn new(parts: P, location: Location) -> Self {
        Held {
            parts,
            location,
            more: Vec::new(),
        }
    }

    /// An indented line that continues the record.
    pub fn continue_with(&mut self, unit: &str, location: Location) {
        self.more.push((unit.to_string(), location));
    }

    /// The record of the parts, with the continuing lines.
    pub fn later(self) -> Later {
        let mut whole = self.location;
        if let Some((_, last)) = self.more.last() {
            extend(&mut whole, *last);
        }
        Later::new(P::FORMAT, self.parts.time_ns(), whole, move || {
            let mut record = self.parts.record(self.location);
            for (unit, at) in &self.more {
                append(&mut record, unit, *at);
            }
            record
        })
    }
}

/// Appends a continuation line to a held record.
fn append(p: &mut Record, unit: &str, location: Location) {
    let msg = p.event.message.get_or_insert_with(String::new);
    msg.push('\n');
    msg.push_str(unit);
    let key = if p.fields.get("msg").is_some() {
        "msg"
    } else {
        "message"
    };
    if let Some(Value::String(m)) = p.fields.get_mut(key) {
        m.push('\n');
        m.push_str(unit);
    }
    extend(&mut p.location, location);
}

/// Widens `first` to end where `last` ends.
fn extend(first: &mut Location, last: Location) {
    first.lines = (last.line + last.lines as u64 - first.line) as u32;
    first.len = last.offset + last.len - first.offset;
}
