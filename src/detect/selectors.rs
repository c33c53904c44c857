//! Selectors (`1 of filter_*`, `all of selection_*`) resolved once, at load.
//!
//! rsigma resolves a selector on every evaluation: it walks all of the
//! rule's detections and matches each name against the pattern, which cost
//! 5 % of a scan of the audit corpus (nearly every rule ends in
//! `not 1 of filter_*`). Here such selectors become the plain `or`/`and` of
//! the detections they name, in name order.
//!
//! Only where the result is provably the same, matched fields included:
//! rsigma records every matching detection of a selector, where `or` stops
//! at the first. So a selector is rewritten only in a position where the
//! rule cannot match unless that part of the condition holds (the
//! condition itself, or an operand of an `and` there), and only in the two
//! forms whose recorded detections do not change when it holds:
//! `not 1 of X` (it holds when none match: none recorded either way) and
//! `all of X` (it holds when all match: all recorded either way).

use rsigma_parser::{ConditionExpr, Quantifier, SelectorPattern};

/// Rewrites the selectors of `condition` that can be, given the rule's
/// detection names.
pub fn resolve<'a>(condition: &mut ConditionExpr, names: impl IntoIterator<Item = &'a String>) {
    let mut names: Vec<&String> = names.into_iter().collect();
    crate::sort::ascending(&mut names);
    rewrite(condition, &names);
}

fn rewrite(expr: &mut ConditionExpr, names: &[&String]) {
    match expr {
        ConditionExpr::And(operands) => operands.iter_mut().for_each(|e| rewrite(e, names)),
        ConditionExpr::Selector {
            quantifier: Quantifier::All,
            pattern,
        } => {
            *expr = ConditionExpr::And(named(pattern, names));
        }
        ConditionExpr::Not(inner) => {
            if let ConditionExpr::Selector {
                quantifier: Quantifier::Any,
                pattern,
            } = inner.as_ref()
            {
                **inner = ConditionExpr::Or(named(pattern, names));
            }
        }
        _ => {}
    }
}

fn named(pattern: &SelectorPattern, names: &[&String]) -> Vec<ConditionExpr> {
    names
        .iter()
        .filter(|n| pattern.matches_detection_name(n))
        .map(|n| ConditionExpr::Identifier((*n).clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_parser::parse_condition;

    fn resolved(condition: &str) -> String {
        let names: Vec<String> = ["selection", "filter_b", "filter_a", "_hidden", "sel_x"]
            .map(String::from)
            .into();
        let mut expr = parse_condition(condition).expect("condition parses");
        resolve(&mut expr, &names);
        expr.to_string()
    }

    #[test]
    fn negated_any_and_all_are_resolved_where_the_rule_depends_on_them() {
        assert_eq!(
            resolved("selection and not 1 of filter_*"),
            "(selection and not (filter_a or filter_b))"
        );
        assert_eq!(resolved("all of filter_*"), "(filter_a and filter_b)");
        assert_eq!(
            resolved("not 1 of them"),
            "not (filter_a or filter_b or sel_x or selection)"
        );
        // A pattern naming nothing: `or` of nothing is false, `and` true,
        // as rsigma's `any`/`all` over no detections.
        assert_eq!(
            resolved("selection and not 1 of nope_*"),
            "(selection and not ())"
        );
    }

    #[test]
    fn selectors_whose_recorded_matches_could_change_are_kept() {
        // Under `or` the rule can match while the selector fails, and a
        // positive `1 of` records every match: both stay as rsigma has them.
        for kept in [
            "selection or not 1 of filter_*",
            "1 of filter_*",
            "selection and not all of filter_*",
            "selection and 2 of filter_*",
        ] {
            let original = parse_condition(kept).expect("condition parses").to_string();
            assert_eq!(resolved(kept), original, "{kept}");
        }
    }
}
