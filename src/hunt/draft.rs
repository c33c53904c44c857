//! Sigma rule drafts from hunt results: a stack row, an anomaly or a log
//! pattern becomes a rule the hunter edits and runs (the page drops it into
//! the pack like any rule file; `spoor scan --rules` reads it).
//!
//! The logsource follows the format the result came from (so Spoor's
//! router sends the rule to the same logs), and selection fields use the
//! native audit names for plain audit logs — the names SigmaHQ rules use —
//! and Spoor's normalized `spoor.*` aliases everywhere else, which every
//! format carries.

use crate::event::Format;
use crate::store::query::{canonical_field, FieldName};
use crate::store::Field;
use sha2::{Digest, Sha256};

/// What a draft is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftSource {
    /// Exact values of fields (query names: `user`, `verb`, `ip`, ...).
    Fields(Vec<(String, String)>),
    /// A mined message template (`<*>` for the variable parts).
    Pattern(String),
}

/// A Sigma rule draft as YAML text, for events of `format` (its name).
pub fn sigma_draft(title: &str, format: &str, source: &DraftSource) -> Result<String, String> {
    let format: Option<Format> = format.parse().ok();
    let native_audit = format == Some(Format::K8sAudit);
    let mut selection: Vec<(String, Vec<String>)> = Vec::new();
    match source {
        DraftSource::Fields(pairs) => {
            for (name, value) in pairs {
                let Some(FieldName::Sym(field)) = canonical_field(name) else {
                    continue;
                };
                let key = if native_audit {
                    audit_path(field).map(str::to_string)
                } else {
                    None
                }
                .unwrap_or_else(|| alias(field));
                selection.push((key, vec![escape(value)]));
            }
        }
        DraftSource::Pattern(template) => {
            let pieces: Vec<String> = template
                .split(crate::patterns::mask::WILDCARD)
                .map(str::trim)
                .filter(|p| p.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
                .map(escape)
                .collect();
            selection.push((format!("{}|contains|all", alias(Field::Message)), pieces));
        }
    }
    selection.retain(|(_, v)| !v.is_empty());
    if selection.is_empty() {
        return Err("nothing to select on: the result has no field value or literal text".into());
    }
    let mut out = String::new();
    out += &format!("title: {}\n", quote(&format!("Hunt draft: {title}")));
    out += &format!("id: {}\n", draft_id(title, &selection));
    out += "status: experimental\n";
    out += &format!(
        "description: {}\n",
        quote("Drafted by Spoor from a hunt result. It matches the events it came from; widen or narrow it before use.")
    );
    out += "author: spoor hunt\n";
    out += &logsource(format);
    out += "detection:\n  selection:\n";
    for (key, values) in &selection {
        match values.as_slice() {
            [one] => out += &format!("    {key}: {}\n", quote(one)),
            many => {
                out += &format!("    {key}:\n");
                for v in many {
                    out += &format!("      - {}\n", quote(v));
                }
            }
        }
    }
    out += "  condition: selection\n";
    out += "falsepositives:\n  - Unknown: check what else matches before relying on it\n";
    out += "level: medium\n";
    Ok(out)
}

fn logsource(format: Option<Format>) -> String {
    let (product, service) = match format {
        Some(f) if f.is_audit() => ("kubernetes", Some("audit")),
        Some(Format::Syslog | Format::Journald) => ("linux", None),
        Some(Format::Falco) => ("falco", None),
        Some(Format::Klog) => ("kubernetes", Some("kubelet")),
        Some(Format::K8sEvents) => ("kubernetes", Some("events")),
        _ => ("kubernetes", Some("container")),
    };
    let mut out = format!("logsource:\n  product: {product}\n");
    if let Some(s) = service {
        out += &format!("  service: {s}\n");
    }
    out
}

/// The field's path in a native `audit.k8s.io` event.
fn audit_path(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::User => "user.username",
        Field::Action => "verb",
        Field::Namespace => "objectRef.namespace",
        Field::Resource => "objectRef.resource",
        Field::Subresource => "objectRef.subresource",
        Field::Name => "objectRef.name",
        Field::SourceIp => "sourceIPs",
        Field::UserAgent => "userAgent",
        Field::Pod | Field::Host | Field::Message => return None,
    })
}

/// The normalized alias every format carries (see `detect::adapter`).
fn alias(field: Field) -> String {
    let name = match field {
        Field::Name => "object_name",
        f => f.name(),
    };
    format!("{}.{name}", crate::detect::ALIAS_ROOT)
}

/// Sigma wildcards and backslashes in a literal value, escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// A stable UUID-shaped id from the draft's content.
fn draft_id(title: &str, selection: &[(String, Vec<String>)]) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    for (k, vs) in selection {
        h.update(k.as_bytes());
        for v in vs {
            h.update(b"\0");
            h.update(v.as_bytes());
        }
    }
    let x = crate::ingest::hex(&h.finalize()[..16]);
    format!(
        "{}-{}-4{}-8{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}
