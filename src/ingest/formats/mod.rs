//! One parser per log format. Each turns a line (or a framed JSON document)
//! into zero or more records and says why when it cannot.

mod audit;
mod text;

use crate::event::{Format, Location, Record};

/// A format's parser. Parsers may keep state across units (a CRI partial
/// line waits for its end), and flush it in [`Parser::finish`].
pub trait Parser {
    /// True when records may span lines as JSON documents.
    fn framed(&self) -> bool {
        false
    }

    /// Parses one unit, pushing records to `out`; `Err` says why the unit is
    /// not a record of this format.
    fn parse(
        &mut self,
        unit: &str,
        location: Location,
        out: &mut Vec<Record>,
    ) -> Result<(), String>;

    /// Flushes held state at the end of the input; problems go to `diags`
    /// as (line, message).
    fn finish(&mut self, _out: &mut Vec<Record>, _diags: &mut Vec<(u64, String)>) {}
}

/// The parser for `format`; `path` names the input (container log paths
/// carry pod, namespace and container).
pub fn parser_for(format: Format, path: &str) -> Box<dyn Parser> {
    let _ = path;
    match format {
        Format::K8sAudit | Format::K8sAuditEks | Format::K8sAuditAks | Format::K8sAuditGke => {
            Box::new(audit::AuditParser::new(format))
        }
        _ => Box::new(text::TextParser),
    }
}
