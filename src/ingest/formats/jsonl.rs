//! Generic JSON: any document nothing more specific claims. Every field is
//! kept; the message comes from `msg`/`message`/`log`/`MESSAGE`, the time
//! from the usual names (RFC 3339 text or epoch seconds/ms/µs/ns numbers).

use super::{text_at, Out};
use crate::event::{Event, Format, Location, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::Value;

const MESSAGE_KEYS: &[&str] = &[
    "msg",
    "message",
    "log",
    "MESSAGE",
    "@message",
    "textPayload",
];
const TIME_KEYS: &[&str] = &[
    "time",
    "timestamp",
    "ts",
    "@timestamp",
    "date",
    "datetime",
    "eventTime",
];

pub fn convert(format: Format, v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    let mut event = Event::default();
    if v.is_object() {
        event.message = MESSAGE_KEYS.iter().find_map(|k| text_at(&v, &[k]));
        for k in TIME_KEYS {
            match v.get(*k) {
                Some(Value::String(s)) => {
                    event.time_text = s.clone();
                    event.time_ns = parse_rfc3339(s).or_else(|| parse_loose(s));
                    break;
                }
                Some(Value::Number(n)) => {
                    event.time_text = n.to_string();
                    event.time_ns = n.as_f64().map(epoch_ns);
                    break;
                }
                _ => {}
            }
        }
        event.host = ["host", "hostname", "_HOSTNAME"]
            .iter()
            .find_map(|k| text_at(&v, &[k]));
        event.user = ["user", "username", "user_name"]
            .iter()
            .find_map(|k| text_at(&v, &[k]));
        event.namespace = text_at(&v, &["namespace"]);
        event.pod = text_at(&v, &["pod"]);
    } else {
        event.message = Some(v.to_string());
    }
    out.push(Record {
        format,
        event,
        fields: v,
        location,
    });
    Ok(())
}

/// `2007-11-03 06:24:38.000` (no zone): read as UTC.
fn parse_loose(s: &str) -> Option<i64> {
    let t = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()?;
    t.and_utc().timestamp_nanos_opt()
}

/// Epoch seconds, ms, µs or ns, told apart by magnitude.
pub fn epoch_ns(x: f64) -> i64 {
    let a = x.abs();
    let ns = if a < 1e11 {
        x * 1e9
    } else if a < 1e14 {
        x * 1e6
    } else if a < 1e17 {
        x * 1e3
    } else {
        x
    };
    ns as i64
}
