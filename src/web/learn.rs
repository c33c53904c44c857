//! Learn mode: a guided walkthrough of a built-in sample (the answer key's
//! questions, each answer revealed on demand, with a link to its evidence),
//! a glossary of audit log fields, and "explain this event" in plain words.

use super::app::{self, with};
use super::dom::{attr, by_id, child, clear, on, show, target_closest};
use crate::explain;
use crate::store::query::term;

pub fn start() {
    let g = by_id("glossary");
    clear(&g);
    for (field, meaning) in explain::GLOSSARY {
        let dt = child(&g, "dt", "", "");
        child(&dt, "code", "", field);
        child(&g, "dd", "", meaning);
    }
    on(&by_id("walkthrough"), "click", |e| {
        if let Some(b) = target_closest(&e, "[data-action=reveal]") {
            let k = b.get_attribute("data-question").unwrap_or_default();
            if let Some(a) = super::dom::document().get_element_by_id(&format!("answer-{k}")) {
                let _ = a.remove_attribute("hidden");
            }
            b.remove();
        } else if let Some(b) = target_closest(&e, "[data-action=learn-query]") {
            let q = b.get_attribute("data-q").unwrap_or_default();
            app::set_query(&q, true);
            app::set_tab("explorer");
        } else if let Some(b) = target_closest(&e, "[data-action=learn-finding]") {
            let id = b.get_attribute("data-rule").unwrap_or_default();
            super::findings::filter_rule(&id);
        } else if target_closest(&e, "[data-action=glossary]").is_some() {
            app::toggle_help(Some(true));
        }
    });
}

/// A case is shown: the walkthrough of its sample, if it is one.
pub fn case_loaded() {
    let w = by_id("walkthrough");
    clear(&w);
    let sample = with(|s| s.sample.clone());
    let key = sample.as_deref().and_then(crate::generate::answer_key);
    let Some(key) = key else {
        show(&w, false);
        return;
    };
    show(&w, true);
    let title = crate::generate::scenarios()
        .iter()
        .find(|s| s.name == key.scenario)
        .map_or(key.scenario, |s| s.title);
    let details = child(&w, "details", "", "");
    let summary = child(
        &details,
        "summary",
        "",
        &format!(
            "Guided walkthrough: {title} ({} questions)",
            key.questions.len()
        ),
    );
    attr(&summary, "data-testid", "walkthrough-open");
    child(
        &details,
        "p",
        "muted",
        &format!(
            "Try to answer each question from the findings, timeline and events before revealing the answer. Times are UTC on {}.",
            key.date
        ),
    );
    let b = child(&details, "button", "linkish", "Audit log fields glossary");
    attr(&b, "type", "button");
    attr(&b, "data-action", "glossary");
    attr(&b, "data-testid", "glossary-open");
    let list = child(&details, "ol", "walkthrough", "");
    let report = app::report();
    for (k, (question, answer)) in key.questions.iter().enumerate() {
        let li = child(&list, "li", "", "");
        attr(&li, "data-testid", "walkthrough-question");
        child(&li, "p", "question", question);
        let b = child(&li, "button", "", "Reveal the answer");
        attr(&b, "type", "button");
        attr(&b, "data-action", "reveal");
        attr(&b, "data-question", &k.to_string());
        attr(&b, "data-testid", "reveal-answer");
        let a = child(&li, "div", "answer", "");
        a.set_id(&format!("answer-{k}"));
        attr(&a, "hidden", "");
        let p = child(&a, "p", "", answer);
        attr(&p, "data-testid", "walkthrough-answer");
        // Evidence: the attacker's addresses and identities named in the answer.
        for ip in key.attacker_ips.iter().filter(|ip| answer.contains(*ip)) {
            let l = child(&a, "button", "linkish", &format!("Show events from {ip}"));
            attr(&l, "type", "button");
            attr(&l, "data-action", "learn-query");
            attr(&l, "data-q", &format!("\"{ip}\""));
            attr(&l, "data-testid", "walkthrough-evidence");
        }
        for who in key
            .attacker_identities
            .iter()
            .filter(|u| answer.contains(*u))
        {
            let l = child(&a, "button", "linkish", &format!("Show events of {who}"));
            attr(&l, "type", "button");
            attr(&l, "data-action", "learn-query");
            attr(&l, "data-q", &term("user", who));
            attr(&l, "data-testid", "walkthrough-evidence");
        }
        // A finding whose rule names a word of the question's answer.
        if let Some(report) = &report {
            let lower = answer.to_lowercase();
            if let Some(f) = report.findings.iter().find(|f| {
                key.expected_rules.iter().any(|r| f.rule_id.contains(r))
                    && f.matched
                        .iter()
                        .any(|(_, v)| v.len() >= 4 && lower.contains(&v.to_lowercase()))
            }) {
                let l = child(
                    &a,
                    "button",
                    "linkish",
                    &format!("Open the finding: {}", f.title),
                );
                attr(&l, "type", "button");
                attr(&l, "data-action", "learn-finding");
                attr(&l, "data-rule", &f.rule_id);
            }
        }
    }
}

/// "Explain this event": plain words under a raw record that is an audit
/// event (anything else gets nothing).
pub fn explain_after(pre: &web_sys::Element, raw: &str) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw.trim()) else {
        return;
    };
    if !explain::is_audit_event(&v) {
        return;
    }
    let p = super::dom::el("p", "explain", "");
    attr(&p, "data-testid", "explain-event");
    child(&p, "strong", "", "In plain words: ");
    super::dom::text(&p, &explain::audit_event(&v));
    let _ = pre.after_with_node_1(&p);
}
