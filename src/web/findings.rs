//! Findings: a sortable, filterable list and a detail pane — what the rule
//! means, why it fired (the matched field values, highlighted), the evidence
//! events with their raw records, and the events around it.

use super::app::{self, ask, param, with, write_hash};
use super::dom::{
    attr, by_id, child, clear, highlighted, input_value, on, select_value, set_input_value,
    set_select_value, target_closest, thousands,
};
use super::views::technique_name;
use crate::protocol::{Answer, ToWorker};
use crate::report::{Finding, Report};
use crate::store::Row;
use web_sys::Element;

#[derive(Default)]
pub struct Findings {
    /// Index (into report.findings) of the selected finding.
    pub selected: Option<usize>,
    /// Indices in list order after filtering and sorting.
    shown: Vec<usize>,
    /// Evidence rows of the selected finding.
    evidence: Vec<Row>,
}

/// Most rows drawn in the list (the filter narrows the rest).
const MAX_LIST: usize = 2000;

pub fn level_rank(level: &str) -> u8 {
    match level {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// The identity, IP or object a finding is about, from its matched values.
pub fn entity(f: &Finding) -> String {
    let pick = |keys: &[&str]| {
        f.matched.iter().find_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            keys.iter()
                .any(|x| k.contains(x))
                .then(|| v.clone())
                .filter(|v| !v.is_empty())
        })
    };
    pick(&["user", "username"])
        .or_else(|| pick(&["ip"]))
        .or_else(|| pick(&["pod", "name", "host"]))
        .unwrap_or_default()
}

pub fn start() {
    for id in ["f-sev", "f-rule", "f-tech", "f-sort"] {
        on(&by_id(id), "change", |_| {
            render_list();
            write_hash();
        });
    }
    on(&by_id("f-text"), "input", |_| {
        render_list();
        write_hash();
    });
    on(&by_id("findings-body"), "click", |e| {
        if let Some(tr) = target_closest(&e, "tr[data-finding]") {
            if let Some(i) = tr
                .get_attribute("data-finding")
                .and_then(|v| v.parse().ok())
            {
                select(i);
            }
        }
    });
    on(&by_id("finding-detail"), "click", |e| {
        if let Some(b) = target_closest(&e, "[data-action=surround]") {
            let i: usize = b
                .get_attribute("data-finding")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let out = by_id("surround");
            clear(&out);
            child(&out, "p", "muted", "loading…");
            ask(
                &format!("surround:{i}"),
                ToWorker::Surrounding {
                    finding: i,
                    minutes: 5,
                },
            );
        }
    });
}

/// A new case: fill the filter choices.
pub fn case_loaded(report: &Report) {
    with(|s| s.findings = Findings::default());
    let fill = |id: &str, mut values: Vec<(String, String)>| {
        crate::sort::ascending(&mut values);
        values.dedup();
        let select = by_id(id);
        while select.child_element_count() > 1 {
            if let Some(last) = select.last_element_child() {
                last.remove();
            }
        }
        for (v, label) in values {
            let o = child(&select, "option", "", &label);
            attr(&o, "value", &v);
        }
    };
    fill(
        "f-rule",
        report
            .findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.title.clone()))
            .collect(),
    );
    fill(
        "f-tech",
        report
            .findings
            .iter()
            .flat_map(|f| f.techniques.iter())
            .map(|t| {
                let name = technique_name(t);
                (
                    t.clone(),
                    if name.is_empty() {
                        t.clone()
                    } else {
                        format!("{t} {name}")
                    },
                )
            })
            .collect(),
    );
    render_list();
    let detail = by_id("finding-detail");
    clear(&detail);
    child(&detail, "p", "muted", "Select a finding (click, or j / k).");
}

/// Filters and selection from the URL.
pub fn apply_url(hash: &[(String, String)]) {
    set_select_value("f-sev", &param(hash, "sev").unwrap_or_default());
    set_select_value("f-rule", &param(hash, "rule").unwrap_or_default());
    set_select_value("f-tech", &param(hash, "tech").unwrap_or_default());
    set_select_value(
        "f-sort",
        &param(hash, "sort").unwrap_or_else(|| "time".into()),
    );
    set_input_value("f-text", &param(hash, "ftext").unwrap_or_default());
    render_list();
    if let Some(i) = param(hash, "sel").and_then(|v| v.parse::<usize>().ok()) {
        if app::report().is_some_and(|r| i < r.findings.len()) {
            select(i);
        }
    }
}

/// Filters and selection for the URL (ids and typed text only).
pub fn url_state() -> Vec<(String, String)> {
    let sel = with(|s| s.findings.selected);
    vec![
        ("sev".into(), select_value("f-sev")),
        ("rule".into(), select_value("f-rule")),
        ("tech".into(), select_value("f-tech")),
        ("ftext".into(), input_value("f-text")),
        (
            "sort".into(),
            Some(select_value("f-sort"))
                .filter(|s| s != "time")
                .unwrap_or_default(),
        ),
        ("sel".into(), sel.map(|i| i.to_string()).unwrap_or_default()),
    ]
}

/// Sets the technique filter (from the ATT&CK matrix) and shows the list.
pub fn filter_technique(id: &str) {
    set_select_value("f-tech", id);
    if select_value("f-tech") != id {
        let o = child(&by_id("f-tech"), "option", "", id);
        attr(&o, "value", id);
        set_select_value("f-tech", id);
    }
    render_list();
    app::set_tab("findings");
}

/// Lists the findings of one rule and selects the first (from the walkthrough).
pub fn filter_rule(id: &str) {
    set_select_value("f-rule", id);
    render_list();
    app::set_tab("findings");
    let first = with(|s| s.findings.shown.first().copied());
    if let Some(i) = first {
        select(i);
    }
}

/// Sets the severity filter (from the overview) and shows the list.
pub fn filter_severity(level: &str) {
    set_select_value("f-sev", level);
    render_list();
    app::set_tab("findings");
}

fn technique_matches(f: &Finding, want: &str) -> bool {
    f.techniques
        .iter()
        .any(|t| t == want || t.starts_with(&format!("{want}.")))
}

pub fn render_list() {
    let Some(report) = app::report() else { return };
    let sev = level_rank(&select_value("f-sev"));
    let rule = select_value("f-rule");
    let tech = select_value("f-tech");
    let text = input_value("f-text").to_lowercase();
    let sort = select_value("f-sort");
    let mut shown: Vec<usize> = (0..report.findings.len())
        .filter(|&i| {
            let f = &report.findings[i];
            (sev == 0 || level_rank(&f.level) >= sev)
                && (rule.is_empty() || f.rule_id == rule)
                && (tech.is_empty() || technique_matches(f, &tech))
                && (text.is_empty()
                    || f.title.to_lowercase().contains(&text)
                    || f.rule_id.to_lowercase().contains(&text)
                    || f.matched
                        .iter()
                        .any(|(_, v)| v.to_lowercase().contains(&text))
                    || f.evidence
                        .iter()
                        .any(|e| e.path.to_lowercase().contains(&text)))
        })
        .collect();
    match sort.as_str() {
        "severity" => crate::sort::by_key(&mut shown, |&i| {
            (std::cmp::Reverse(level_rank(&report.findings[i].level)), i)
        }),
        "rule" => crate::sort::by(&mut shown, |&a, &b| {
            report.findings[a]
                .title
                .cmp(&report.findings[b].title)
                .then(a.cmp(&b))
        }),
        _ => {}
    }
    let selected = with(|s| {
        s.findings.shown = shown.clone();
        s.findings.selected
    });
    let body = by_id("findings-body");
    clear(&body);
    for &i in shown.iter().take(MAX_LIST) {
        let f = &report.findings[i];
        let tr = child(&body, "tr", "", "");
        attr(&tr, "data-finding", &i.to_string());
        attr(&tr, "data-testid", "finding-row");
        if selected == Some(i) {
            tr.set_class_name("selected");
        }
        child(&tr, "td", &format!("lvl lvl-{}", f.level), &f.level);
        child(&tr, "td", "", f.time.as_deref().unwrap_or("–"));
        child(&tr, "td", "", &f.title);
        child(&tr, "td", "", &f.techniques.join(" "));
        child(&tr, "td", "", &entity(f));
        let at = f
            .evidence
            .first()
            .map(|e| format!("{}:{}", e.path, e.line))
            .unwrap_or_default();
        let more = if f.evidence.len() > 1 {
            format!(" (+{})", f.evidence.len() - 1)
        } else {
            String::new()
        };
        child(&tr, "td", "", &format!("{at}{more}"));
    }
    let total = report.findings.len();
    by_id("findings-shown").set_text_content(Some(&if shown.len() == total {
        format!("{} findings", thousands(total as u64))
    } else {
        format!(
            "{} of {} findings{}",
            thousands(shown.len() as u64),
            thousands(total as u64),
            if shown.len() > MAX_LIST {
                format!(" (first {MAX_LIST} listed)")
            } else {
                String::new()
            }
        )
    }));
    attr(
        &by_id("findings-shown"),
        "data-shown",
        &shown.len().to_string(),
    );
}

/// `j` / `k`: the next / previous finding in the list.
pub fn step(delta: i64) {
    let (shown, sel) = with(|s| (s.findings.shown.clone(), s.findings.selected));
    if shown.is_empty() {
        return;
    }
    let pos = sel
        .and_then(|i| shown.iter().position(|&x| x == i))
        .map_or(0, |p| {
            (p as i64 + delta).clamp(0, shown.len() as i64 - 1) as usize
        });
    select(shown[pos]);
    if let Some(tr) = by_id("findings-body")
        .query_selector(&format!("tr[data-finding=\"{}\"]", shown[pos]))
        .ok()
        .flatten()
    {
        tr.scroll_into_view_with_bool(false);
    }
}

pub fn select(i: usize) {
    let Some(report) = app::report() else { return };
    let Some(f) = report.findings.get(i) else {
        return;
    };
    with(|s| {
        s.findings.selected = Some(i);
        s.findings.evidence.clear();
    });
    let rows = by_id("findings-body")
        .query_selector_all("tr")
        .expect("selector");
    for k in 0..rows.length() {
        if let Some(tr) = rows
            .get(k)
            .and_then(|n| wasm_bindgen::JsCast::dyn_into::<Element>(n).ok())
        {
            let this = tr.get_attribute("data-finding") == Some(i.to_string());
            tr.set_class_name(if this { "selected" } else { "" });
        }
    }
    let d = by_id("finding-detail");
    clear(&d);
    let h = child(&d, "h3", "", &f.title);
    attr(&h, "data-testid", "finding-title");
    let kv = child(&d, "dl", "kv", "");
    let pair = |k: &str, v: &str, class: &str| {
        child(&kv, "dt", "", k);
        child(&kv, "dd", class, v);
    };
    pair("Severity", &f.level, &format!("lvl lvl-{}", f.level));
    pair("Time", f.time.as_deref().unwrap_or("–"), "");
    pair("Rule", &f.rule_id, "");
    let rule_source = report
        .rules
        .failed
        .iter()
        .find(|r| r.id == f.rule_id)
        .map(|r| r.source.clone());
    if let Some(src) = rule_source {
        pair("Rule source", &src, "");
    }
    child(&kv, "dt", "", "ATT&CK");
    let dd = child(&kv, "dd", "", "");
    if f.techniques.is_empty() {
        super::dom::text(&dd, "–");
    }
    for t in &f.techniques {
        let name = technique_name(t);
        child(
            &dd,
            "div",
            "",
            &if name.is_empty() {
                t.clone()
            } else {
                format!("{t} — {name}")
            },
        );
    }
    let incidents: Vec<String> = report
        .incidents
        .iter()
        .filter(|x| x.findings.contains(&i))
        .map(|x| x.id.clone())
        .collect();
    if !incidents.is_empty() {
        pair("Incident", &incidents.join(", "), "");
    }
    let doc = child(&d, "div", "rule-doc", "");
    doc.set_id("rule-doc");
    attr(&doc, "data-testid", "rule-doc");
    ask(
        &format!("rule:{i}"),
        ToWorker::Rule {
            rule_id: f.rule_id.clone(),
        },
    );
    child(&d, "h4", "", "Why this fired");
    if f.matched.is_empty() {
        child(
            &d,
            "p",
            "muted",
            "The rule recorded no field values (a correlation or keyword rule).",
        );
    } else {
        let t = child(&d, "table", "grid compact", "");
        attr(&t, "data-testid", "matched");
        let tb = child(&t, "tbody", "", "");
        for (k, v) in &f.matched {
            let tr = child(&tb, "tr", "", "");
            child(&tr, "td", "", k);
            let td = child(&tr, "td", "", "");
            child(&td, "mark", "", v);
        }
    }
    let h = child(
        &d,
        "h4",
        "",
        &format!(
            "Evidence ({} event{})",
            f.evidence.len(),
            if f.evidence.len() == 1 { "" } else { "s" }
        ),
    );
    let _ = h;
    let ev = child(&d, "div", "", "");
    ev.set_id("evidence");
    attr(&ev, "data-testid", "evidence");
    child(&ev, "p", "muted", "loading…");
    child(&d, "h4", "", "Around it");
    let b = child(
        &d,
        "button",
        "",
        "Show surrounding events (same identity or pod, ± 5 min)",
    );
    attr(&b, "type", "button");
    attr(&b, "data-action", "surround");
    attr(&b, "data-finding", &i.to_string());
    attr(&b, "data-testid", "surround-button");
    let out = child(&d, "div", "", "");
    out.set_id("surround");
    attr(&out, "data-testid", "surround");
    ask(&format!("evidence:{i}"), ToWorker::Evidence { finding: i });
    write_hash();
}

pub fn on_answer(tag: &str, answer: Answer) {
    let mut parts = tag.split(':');
    let kind = parts.next().unwrap_or("");
    let i: usize = parts
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    if with(|s| s.findings.selected) != Some(i) {
        return;
    }
    let Some(report) = app::report() else { return };
    let Some(f) = report.findings.get(i) else {
        return;
    };
    let needles: Vec<&str> = f.matched.iter().map(|(_, v)| v.as_str()).collect();
    match (kind, answer) {
        ("rule", Answer::Rule { info }) => {
            let doc = by_id("rule-doc");
            clear(&doc);
            let fallback = report.rules.fired.iter().find(|r| r.id == f.rule_id);
            rule_doc(&doc, info.as_deref(), fallback);
        }
        ("evidence", Answer::Rows { rows, total, .. }) => {
            let ev = by_id("evidence");
            clear(&ev);
            if rows.is_empty() {
                child(
                    &ev,
                    "p",
                    "muted",
                    "The evidence events are not in the event store.",
                );
            }
            for (k, r) in rows.iter().enumerate() {
                let path = report
                    .inputs
                    .get(r.input as usize)
                    .map_or("", |x| x.path.as_str());
                child(
                    &ev,
                    "div",
                    "evidence-head",
                    &format!("{path}:{} · {} · {}", r.line, r.time, r.format),
                );
                let pre = child(&ev, "pre", "raw", "loading…");
                attr(&pre, "data-testid", "raw-record");
                pre.set_id(&format!("raw-{k}"));
                ask(
                    &format!("raw:{i}:{k}"),
                    ToWorker::Raw {
                        input: r.input,
                        offset: r.offset,
                        len: r.len as u64,
                    },
                );
            }
            if total > rows.len() {
                child(
                    &ev,
                    "p",
                    "muted",
                    &format!("{} more not shown.", total - rows.len()),
                );
            }
            with(|s| s.findings.evidence = rows);
        }
        ("raw", Answer::Raw { text, note, .. }) => {
            let k: usize = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            if let Some(pre) = super::dom::document().get_element_by_id(&format!("raw-{k}")) {
                clear(&pre);
                highlighted(&pre, &text, &needles);
                super::learn::explain_after(&pre, &text);
                if let Some(n) = note {
                    let p = super::dom::el("p", "muted", &n);
                    let _ = pre.after_with_node_1(&p);
                }
            }
        }
        ("raw", Answer::Error { message, .. }) => {
            let k: usize = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            if let Some(pre) = super::dom::document().get_element_by_id(&format!("raw-{k}")) {
                pre.set_text_content(Some(&message));
            }
        }
        ("surround", Answer::Rows { rows, total, .. }) => {
            let out = by_id("surround");
            clear(&out);
            child(
                &out,
                "p",
                "muted",
                &format!(
                    "{} event{} of the same identity or pod within ± 5 minutes{}",
                    total,
                    if total == 1 { "" } else { "s" },
                    if total > rows.len() {
                        format!(" (first {})", rows.len())
                    } else {
                        String::new()
                    }
                ),
            );
            let t = child(&out, "table", "grid compact", "");
            let tb = child(&t, "tbody", "", "");
            let evidence: Vec<u32> = with(|s| s.findings.evidence.iter().map(|r| r.id).collect());
            for r in rows.iter().take(300) {
                let detail = [
                    r.action.as_str(),
                    r.resource.as_str(),
                    r.name.as_str(),
                    r.message.as_str(),
                ]
                .iter()
                .filter(|x| !x.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
                let tr = child(
                    &tb,
                    "tr",
                    if evidence.contains(&r.id) {
                        "selected"
                    } else {
                        ""
                    },
                    "",
                );
                child(&tr, "td", "", &r.time);
                child(&tr, "td", "", &r.user);
                child(&tr, "td", "", &detail);
                child(&tr, "td", "", &r.status);
            }
        }
        (_, Answer::Error { message, .. }) => {
            let id = match kind {
                "surround" => "surround",
                "rule" => "rule-doc",
                _ => "evidence",
            };
            let out = by_id(id);
            clear(&out);
            child(&out, "p", "muted", &message);
        }
        _ => {}
    }
}

/// What the rule says about itself: description, why it matters, what to
/// check next, ATT&CK and the Kubernetes threat matrix, false positives and
/// references (as text). From the loaded rule, else from the report.
fn rule_doc(
    doc: &Element,
    info: Option<&crate::detect::RuleInfo>,
    fallback: Option<&crate::report::RuleDoc>,
) {
    let description = info
        .map(|i| i.description.as_str())
        .filter(|d| !d.is_empty())
        .or(fallback.map(|f| f.description.as_str()))
        .unwrap_or("");
    let list = |label: &str, items: &[String], ordered: bool| {
        if items.is_empty() {
            return;
        }
        child(doc, "h4", "", label);
        let l = child(doc, if ordered { "ol" } else { "ul" }, "", "");
        for item in items {
            child(&l, "li", "", item);
        }
    };
    let empty = Vec::new();
    child(doc, "h4", "", "About this rule");
    let p = child(
        doc,
        "p",
        "",
        if description.is_empty() {
            "The rule has no description."
        } else {
            description
        },
    );
    attr(&p, "data-testid", "rule-description");
    if let Some(i) = info {
        if !i.why.is_empty() {
            child(doc, "h4", "", "Why it matters");
            child(doc, "p", "", &i.why);
        }
        list("What to check next", &i.next, true);
        if !i.matrix.is_empty() {
            child(doc, "h4", "", "Threat Matrix for Kubernetes");
            child(doc, "p", "", &i.matrix);
        }
    }
    let techniques = info
        .map(|i| &i.techniques)
        .or(fallback.map(|f| &f.techniques))
        .unwrap_or(&empty);
    if !techniques.is_empty() {
        let named: Vec<String> = techniques
            .iter()
            .map(|t| {
                let name = technique_name(t);
                if name.is_empty() {
                    t.clone()
                } else {
                    format!("{t} — {name}")
                }
            })
            .collect();
        list("MITRE ATT&CK", &named, false);
    }
    list(
        "False positives",
        info.map(|i| &i.falsepositives)
            .filter(|v| !v.is_empty())
            .or(fallback.map(|f| &f.falsepositives))
            .unwrap_or(&empty),
        false,
    );
    list(
        "References",
        info.map(|i| &i.references)
            .filter(|v| !v.is_empty())
            .or(fallback.map(|f| &f.references))
            .unwrap_or(&empty),
        false,
    );
}
