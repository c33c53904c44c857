//! systemd journal export (`journalctl -o json`): one object per line with
//! `__REALTIME_TIMESTAMP` (µs since the epoch, as a string), `_HOSTNAME`,
//! `SYSLOG_IDENTIFIER`, `_PID` and `MESSAGE`. `MESSAGE` is an array of byte
//! values when the text was not valid UTF-8; it is decoded lossily into the
//! event message (the original array stays in the fields). Messages of
//! sshd, sudo, su and the shadow tools get the same extraction as syslog.

use super::{auth, text_at, Out};
use crate::event::{Event, Format, Location, Record};
use serde_json::Value;

/// True for a journal record.
pub fn is_record(v: &Value) -> bool {
    v.get("__REALTIME_TIMESTAMP").is_some()
        || (v.get("MESSAGE").is_some()
            && [
                "_HOSTNAME",
                "SYSLOG_IDENTIFIER",
                "_SYSTEMD_UNIT",
                "__CURSOR",
                "_PID",
            ]
            .iter()
            .any(|k| v.get(k).is_some()))
}

/// The journal's MESSAGE as text (string, or array of bytes).
pub fn message(v: &Value) -> Option<String> {
    match v.get("MESSAGE")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => {
            let bytes: Vec<u8> = a
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => None,
    }
}

pub fn normalize(v: &Value) -> Event {
    let time_ns = text_at(v, &["__REALTIME_TIMESTAMP"])
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|us| us.checked_mul(1000));
    let program = text_at(v, &["SYSLOG_IDENTIFIER"]).or_else(|| text_at(v, &["_COMM"]));
    let msg = message(v);
    let mut event = Event {
        time_ns,
        time_text: text_at(v, &["__REALTIME_TIMESTAMP"]).unwrap_or_default(),
        host: text_at(v, &["_HOSTNAME"]),
        message: msg.clone(),
        ..Default::default()
    };
    if let (Some(p), Some(m)) = (program.as_deref(), msg.as_deref()) {
        let facts = auth::extract(p, m);
        facts.apply(&mut event);
    }
    event
}

pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    if !v.is_object() {
        return Err("expected a JSON object".into());
    }
    let event = normalize(&v);
    let mut fields = v;
    if let (Some(p), Some(m)) = (
        text_at(&fields, &["SYSLOG_IDENTIFIER"]),
        event.message.clone(),
    ) {
        auth::extract(&p, &m).insert_fields(&mut fields);
    }
    out.push(Record {
        format: Format::Journald,
        event,
        fields,
        location,
    });
    Ok(())
}
