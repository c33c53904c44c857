//! The overview (severities, incidents, top entities, span), the ATT&CK
//! matrix for containers and Kubernetes, and the entity view.

use super::app::{self, ask, count_rows};
use super::dom::{
    attr, by_id, child, clear, el, input_value, on, select_value, set_input_value,
    set_select_value, target_closest, thousands,
};
use super::findings::{self, entity, level_rank};
use crate::ingest::time::format_rfc3339;
use crate::protocol::{Answer, ToWorker};
use crate::report::Report;
use crate::store::query::term;

/// Tactics → techniques relevant to containers and Kubernetes (MITRE
/// ATT&CK Containers matrix, plus the cloud/identity techniques a cluster
/// attack uses). (id, name)
pub const MATRIX: &[(&str, &[(&str, &str)])] = &[
    (
        "Initial Access",
        &[
            ("T1190", "Exploit Public-Facing Application"),
            ("T1133", "External Remote Services"),
            ("T1078", "Valid Accounts"),
        ],
    ),
    (
        "Execution",
        &[
            ("T1609", "Container Administration Command"),
            ("T1610", "Deploy Container"),
            ("T1053.007", "Container Orchestration Job"),
            ("T1204", "User Execution"),
            ("T1059", "Command and Scripting Interpreter"),
        ],
    ),
    (
        "Persistence",
        &[
            ("T1098", "Account Manipulation"),
            ("T1136", "Create Account"),
            ("T1525", "Implant Internal Image"),
            ("T1053.007", "Container Orchestration Job"),
            ("T1078", "Valid Accounts"),
        ],
    ),
    (
        "Privilege Escalation",
        &[
            ("T1611", "Escape to Host"),
            ("T1068", "Exploitation for Privilege Escalation"),
            ("T1098", "Account Manipulation"),
            ("T1078", "Valid Accounts"),
        ],
    ),
    (
        "Defense Evasion",
        &[
            ("T1612", "Build Image on Host"),
            ("T1610", "Deploy Container"),
            ("T1562", "Impair Defenses"),
            ("T1070", "Indicator Removal"),
            ("T1036", "Masquerading"),
            ("T1550", "Use Alternate Authentication Material"),
        ],
    ),
    (
        "Credential Access",
        &[
            ("T1552.007", "Container API"),
            ("T1552.001", "Credentials In Files"),
            ("T1528", "Steal Application Access Token"),
            ("T1556", "Modify Authentication Process"),
            ("T1110", "Brute Force"),
        ],
    ),
    (
        "Discovery",
        &[
            ("T1613", "Container and Resource Discovery"),
            ("T1046", "Network Service Discovery"),
            ("T1069", "Permission Groups Discovery"),
            ("T1087", "Account Discovery"),
        ],
    ),
    (
        "Lateral Movement",
        &[
            ("T1021", "Remote Services"),
            ("T1550", "Use Alternate Authentication Material"),
        ],
    ),
    (
        "Impact",
        &[
            ("T1496", "Resource Hijacking"),
            ("T1499", "Endpoint Denial of Service"),
            ("T1485", "Data Destruction"),
            ("T1490", "Inhibit System Recovery"),
        ],
    ),
];

/// The name of a technique (or of its parent) from [`MATRIX`].
pub fn technique_name(id: &str) -> String {
    let find = |id: &str| {
        MATRIX
            .iter()
            .flat_map(|(_, ts)| ts.iter())
            .find(|(t, _)| t.eq_ignore_ascii_case(id))
            .map(|(_, n)| n.to_string())
    };
    find(id)
        .or_else(|| id.split_once('.').and_then(|(p, _)| find(p)))
        .unwrap_or_default()
}

/// Findings whose techniques are `id` or a sub-technique of it.
fn count_technique(report: &Report, id: &str) -> usize {
    report
        .findings
        .iter()
        .filter(|f| {
            f.techniques.iter().any(|t| {
                t.eq_ignore_ascii_case(id)
                    || t.to_ascii_uppercase()
                        .starts_with(&format!("{}.", id.to_ascii_uppercase()))
            })
        })
        .count()
}

pub fn start() {
    on(&by_id("severity-cards"), "click", |e| {
        if let Some(card) = target_closest(&e, "[data-level]") {
            findings::filter_severity(&card.get_attribute("data-level").unwrap_or_default());
        }
    });
    on(&by_id("attack-matrix"), "click", |e| {
        if let Some(cell) = target_closest(&e, "[data-technique]") {
            findings::filter_technique(&cell.get_attribute("data-technique").unwrap_or_default());
        }
    });
    on(&by_id("incidents-list"), "click", |e| {
        if let Some(link) = target_closest(&e, "[data-finding]") {
            let i = link.get_attribute("data-finding").unwrap_or_default();
            let hash = vec![("sel".to_string(), i)];
            app::set_tab("findings");
            findings::apply_url(&hash);
        }
    });
    let panel = by_id("panel-overview");
    on(&panel, "click", |e| {
        if let Some(link) = target_closest(&e, "[data-entity-kind]") {
            let kind = link.get_attribute("data-entity-kind").unwrap_or_default();
            let value = link.text_content().unwrap_or_default();
            show_entity(&kind, &value);
        }
    });
    on(&panel, "keydown", |e| {
        let enter = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(&e)
            .is_some_and(|k| k.key() == "Enter");
        if let (true, Some(link)) = (enter, target_closest(&e, "[data-entity-kind]")) {
            let kind = link.get_attribute("data-entity-kind").unwrap_or_default();
            show_entity(&kind, &link.text_content().unwrap_or_default());
        }
    });
    on(&by_id("entity-go"), "click", |_| {
        show_entity(&select_value("entity-kind"), &input_value("entity-value"))
    });
    on(&by_id("entity-value"), "keydown", |e| {
        let enter = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(&e)
            .is_some_and(|k| k.key() == "Enter");
        if enter {
            show_entity(&select_value("entity-kind"), &input_value("entity-value"));
        }
    });
}

pub fn case_loaded(report: &Report) {
    // Severity cards.
    let cards = by_id("severity-cards");
    clear(&cards);
    for level in ["critical", "high", "medium", "low", "informational"] {
        let n = report.findings.iter().filter(|f| f.level == level).count();
        let b = child(&cards, "button", &format!("card lvl-{level}"), "");
        attr(&b, "type", "button");
        attr(&b, "data-level", level);
        attr(&b, "data-testid", &format!("severity-{level}"));
        child(&b, "b", "", &n.to_string());
        super::dom::text(&b, level);
    }
    // Incidents, as another part of the analysis fills them.
    let list = by_id("incidents-list");
    clear(&list);
    if report.incidents.is_empty() {
        child(
            &list,
            "p",
            "muted",
            "No incidents were assembled from the findings.",
        );
    }
    for (k, inc) in report.incidents.iter().enumerate() {
        let div = child(&list, "div", "incident", "");
        attr(&div, "data-testid", "incident");
        attr(&div, "data-incident", &k.to_string());
        attr(&div, "tabindex", "-1");
        let h = child(&div, "div", "", "");
        child(&h, "span", &format!("lvl lvl-{}", inc.level), &inc.level);
        super::dom::text(&h, &format!(" · {} · score {}", inc.id, inc.score));
        let ol = child(&div, "ol", "", "");
        for line in &inc.narrative {
            child(&ol, "li", "", line);
        }
        let refs = child(&div, "div", "muted", "Findings: ");
        for &i in &inc.findings {
            if let Some(f) = report.findings.get(i) {
                let a = child(&refs, "span", "linkish", &format!("#{i} {}", f.title));
                attr(&a, "data-finding", &i.to_string());
                attr(&a, "tabindex", "0");
                super::dom::text(&refs, "  ");
            }
        }
    }
    gaps(report);
    by_id("span-text").set_text_content(Some("…"));
    ask(
        "overview",
        ToWorker::Stacks {
            q: String::new(),
            fields: ["user", "ip", "ns", "host", "format"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            top: 10,
        },
    );
    matrix(report);
    clear(&by_id("entity-summary"));
    clear(&by_id("entity-body"));
}

/// Stretches with no events from an input that otherwise logs steadily
/// (deleted or lost logs look like this), as the integrity check found them.
fn gaps(report: &Report) {
    let body = by_id("gaps-body");
    clear(&body);
    let mut n = 0;
    for input in &report.inputs {
        for g in &input.integrity.gaps {
            let tr = super::dom::row(
                &body,
                &[
                    &input.path,
                    &g.from,
                    &g.to,
                    &super::dom::duration(g.seconds),
                ],
            );
            attr(&tr, "data-testid", "gap-row");
            n += 1;
        }
    }
    if n == 0 {
        let tr = super::dom::row(
            &body,
            &["No gaps: every input logged without long silences."],
        );
        tr.set_class_name("muted");
        if let Some(cell) = tr.first_element_child() {
            attr(&cell, "colspan", "4");
        }
    }
}

/// Shows incident `i` in the overview, scrolled into view and focused.
pub fn select_incident(i: usize) {
    app::set_tab("overview");
    let list = by_id("incidents-list");
    if let Ok(items) = list.query_selector_all("[data-incident]") {
        for k in 0..items.length() {
            if let Some(e) = items
                .item(k)
                .and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(n).ok())
            {
                let this = e.get_attribute("data-incident") == Some(i.to_string());
                let _ = e.class_list().toggle_with_force("selected", this);
                if this {
                    e.scroll_into_view_with_bool(false);
                    let _ = e.focus();
                }
            }
        }
    }
}

fn matrix(report: &Report) {
    let m = by_id("attack-matrix");
    clear(&m);
    let mut known: Vec<String> = Vec::new();
    for (tactic, techniques) in MATRIX {
        let col = child(&m, "div", "tactic", "");
        child(&col, "h3", "", tactic);
        for (id, name) in *techniques {
            known.push(id.to_string());
            let n = count_technique(report, id);
            let b = child(&col, "button", if n > 0 { "tech lit" } else { "tech" }, "");
            attr(&b, "type", "button");
            attr(&b, "data-technique", id);
            attr(&b, "data-testid", &format!("technique-{id}"));
            if n > 0 {
                child(&b, "span", "n", &n.to_string());
            }
            child(&b, "strong", "", id);
            child(&b, "small", "", name);
            attr(
                &b,
                "aria-label",
                &format!("{id} {name}: {n} finding{}", if n == 1 { "" } else { "s" }),
            );
        }
    }
    // Techniques of findings outside the table still show.
    let mut other: Vec<&String> = report
        .findings
        .iter()
        .flat_map(|f| f.techniques.iter())
        .filter(|t| {
            !known
                .iter()
                .any(|k| t.eq_ignore_ascii_case(k) || t.starts_with(&format!("{k}.")))
        })
        .collect();
    crate::sort::ascending(&mut other);
    other.dedup();
    if !other.is_empty() {
        let col = child(&m, "div", "tactic", "");
        child(&col, "h3", "", "Other");
        for id in other {
            let b = child(&col, "button", "tech lit", "");
            attr(&b, "type", "button");
            attr(&b, "data-technique", id);
            child(&b, "span", "n", &count_technique(report, id).to_string());
            child(&b, "strong", "", id);
        }
    }
}

const ENTITY_FIELDS: [(&str, &str); 5] = [
    ("user", "identity"),
    ("ip", "source IP"),
    ("pod", "pod"),
    ("host", "node"),
    ("ns", "namespace"),
];

/// Everything about one identity, IP, pod, node or namespace.
pub fn show_entity(kind: &str, value: &str) {
    let kind = if ENTITY_FIELDS.iter().any(|(k, _)| *k == kind) {
        kind
    } else {
        "user"
    };
    let value = value.trim();
    set_select_value("entity-kind", kind);
    set_input_value("entity-value", value);
    app::set_tab("entity");
    if value.is_empty() {
        return;
    }
    let q = term(kind, value);
    let summary = by_id("entity-summary");
    clear(&summary);
    child(&summary, "p", "muted", "loading…");
    clear(&by_id("entity-body"));
    ask(
        "entity-stacks",
        ToWorker::Stacks {
            q: q.clone(),
            fields: ["verb", "resource", "format", "user", "ip", "host"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            top: 6,
        },
    );
    ask(
        "entity-rows",
        ToWorker::Query {
            q,
            offset: 0,
            limit: 1000,
        },
    );
}

pub fn on_answer(tag: &str, answer: Answer) {
    match (tag, answer) {
        ("overview", Answer::Stacks { fields, span, .. }) => {
            let text = match span {
                Some((a, b)) => {
                    let hours = (b - a) as f64 / 3.6e12;
                    format!(
                        "{} → {} ({})",
                        format_rfc3339(a),
                        format_rfc3339(b),
                        if hours >= 48.0 {
                            format!("{:.1} days", hours / 24.0)
                        } else if hours >= 1.0 {
                            format!("{hours:.1} h")
                        } else {
                            format!("{:.0} min", hours * 60.0)
                        }
                    )
                }
                None => "no timed events".into(),
            };
            by_id("span-text").set_text_content(Some(&text));
            for (field, rows) in fields {
                let id = format!("top-{field}");
                if let Some(body) = super::dom::document().get_element_by_id(&id) {
                    let kind = if field == "format" {
                        ""
                    } else {
                        field.as_str()
                    };
                    if kind.is_empty() {
                        clear(&body);
                        for (v, n) in &rows {
                            super::dom::row(&body, &[v, &thousands(*n)]);
                        }
                    } else {
                        count_rows(&body, &rows, kind);
                    }
                }
            }
        }
        ("entity-stacks", Answer::Stacks { fields, total, .. }) => {
            let summary = by_id("entity-summary");
            clear(&summary);
            let kind = select_value("entity-kind");
            let value = input_value("entity-value");
            let label = ENTITY_FIELDS
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or("", |(_, l)| l);
            let h = child(&summary, "h2", "", &format!("{label} "));
            child(&h, "code", "", &value);
            super::dom::text(&h, &format!(" — {} events", thousands(total as u64)));
            let grid = child(&summary, "div", "columns four", "");
            for (field, rows) in fields {
                if rows.is_empty() {
                    continue;
                }
                let div = child(&grid, "div", "", "");
                child(&div, "h2", "", &field);
                let t = child(&div, "table", "grid compact", "");
                let tb = child(&t, "tbody", "", "");
                for (v, n) in rows {
                    super::dom::row(&tb, &[&v, &thousands(n)]);
                }
            }
            // Findings that name this entity.
            if let Some(report) = app::report() {
                let related: Vec<usize> = (0..report.findings.len())
                    .filter(|&i| {
                        let f = &report.findings[i];
                        entity(f) == value || f.matched.iter().any(|(_, v)| *v == value)
                    })
                    .collect();
                let h = child(&summary, "h2", "", &format!("Findings ({})", related.len()));
                let _ = h;
                let mut sorted = related.clone();
                crate::sort::by_key(&mut sorted, |&i| {
                    std::cmp::Reverse(level_rank(&report.findings[i].level))
                });
                let ul = child(&summary, "ul", "", "");
                for i in sorted.into_iter().take(50) {
                    let f = &report.findings[i];
                    let li = child(&ul, "li", "", "");
                    child(&li, "span", &format!("lvl lvl-{}", f.level), &f.level);
                    super::dom::text(
                        &li,
                        &format!(" {} · {}", f.time.as_deref().unwrap_or("–"), f.title),
                    );
                }
            }
            child(&summary, "h2", "", "Timeline");
        }
        ("entity-rows", Answer::Rows { rows, total, .. }) => {
            let body = by_id("entity-body");
            clear(&body);
            for r in &rows {
                let object = [r.resource.as_str(), r.namespace.as_str(), r.name.as_str()]
                    .iter()
                    .filter(|x| !x.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" / ");
                let detail = [
                    r.user.as_str(),
                    r.source_ip.as_str(),
                    r.pod.as_str(),
                    r.host.as_str(),
                    r.message.as_str(),
                ]
                .iter()
                .filter(|x| !x.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" · ");
                let tr = super::dom::row(
                    &body,
                    &[&r.time, &r.format, &r.action, &object, &r.status, &detail],
                );
                attr(&tr, "data-testid", "entity-row");
            }
            if total > rows.len() {
                let tr = el("tr", "", "");
                let td = child(
                    &tr,
                    "td",
                    "muted",
                    &format!(
                        "{} more events — narrow with the query in Events.",
                        total - rows.len()
                    ),
                );
                attr(&td, "colspan", "6");
                let _ = body.append_child(&tr);
            }
        }
        // A case opened from a file: its notice already says so.
        ("overview", Answer::Error { message, .. }) if message == crate::session::NO_LOGS => {
            by_id("span-text").set_text_content(Some("– (logs not loaded)"));
        }
        (_, Answer::Error { message, .. }) if message == crate::session::NO_LOGS => {}
        (_, Answer::Error { message, .. }) => app::set_status(&message),
        _ => {}
    }
}
