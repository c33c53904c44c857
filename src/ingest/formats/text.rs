//! Plain text: every non-empty line becomes a message-only event, so no
//! input is ever refused.

use super::Parser;
use crate::event::{Event, Format, Location, Record};

pub struct TextParser;

impl Parser for TextParser {
    fn parse(
        &mut self,
        unit: &str,
        location: Location,
        out: &mut Vec<Record>,
    ) -> Result<(), String> {
        out.push(Record {
            format: Format::Text,
            event: Event {
                message: Some(unit.to_string()),
                ..Default::default()
            },
            fields: serde_json::json!({ "message": unit }),
            location,
        });
        Ok(())
    }
}
