//! Recognises a log format from the content of an input's first lines,
//! never from its name: files get renamed, archives lose paths.

use crate::event::Format;
use serde_json::Value;

/// Picks the format that explains the sample lines best.
pub fn detect(sample: &[&str]) -> Format {
    let lines: Vec<&str> = sample
        .iter()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .filter(|l| !l.is_empty())
        .collect();
    let Some(first) = lines.first() else {
        return Format::Text;
    };
    if first.starts_with('{') || first.starts_with('[') {
        if let Some(f) = detect_json(&lines) {
            return f;
        }
    }
    Format::Text
}

/// JSON input: looks at the first complete document (or its first element).
fn detect_json(lines: &[&str]) -> Option<Format> {
    let joined = lines.join("\n");
    let mut stream = serde_json::Deserializer::from_str(&joined).into_iter::<Value>();
    let first = match stream.next() {
        Some(Ok(v)) => v,
        // A document longer than the sample: fall back to the first line.
        _ => serde_json::from_str::<Value>(lines[0]).ok()?,
    };
    let doc = match &first {
        Value::Array(items) => items.first()?.clone(),
        _ => first,
    };
    classify_json(&doc)
}

fn classify_json(doc: &Value) -> Option<Format> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if api.starts_with("audit.k8s.io/") && (kind == "Event" || kind == "EventList") {
        return Some(Format::K8sAudit);
    }
    if doc.get("auditID").is_some() && doc.get("verb").is_some() {
        return Some(Format::K8sAudit);
    }
    Some(Format::Jsonl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_json_lines() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","verb":"get"}"#;
        assert_eq!(detect(&[line]), Format::K8sAudit);
    }

    #[test]
    fn anything_else_is_text() {
        assert_eq!(detect(&["hello world"]), Format::Text);
        assert_eq!(detect(&[]), Format::Text);
    }
}
