//! The one entry point for every export: the CLI's `--format` and the
//! page's export buttons both call [`render`].

use super::Report;
use std::fmt;
use std::str::FromStr;

/// The export formats (names are contract: `--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Text,
    Json,
    Ndjson,
    Csv,
    Html,
    Timesketch,
    Navigator,
    Sarif,
    /// Findings as an Elasticsearch `_bulk` body in ECS.
    EcsBulk,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 9] = [
        ExportFormat::Text,
        ExportFormat::Json,
        ExportFormat::Ndjson,
        ExportFormat::Csv,
        ExportFormat::Html,
        ExportFormat::Timesketch,
        ExportFormat::Navigator,
        ExportFormat::Sarif,
        ExportFormat::EcsBulk,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Text => "text",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
            ExportFormat::Html => "html",
            ExportFormat::Timesketch => "timesketch",
            ExportFormat::Navigator => "navigator",
            ExportFormat::Sarif => "sarif",
            ExportFormat::EcsBulk => "ecs-bulk",
        }
    }

    /// A file name extension for a download or `--output`.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Text => "txt",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
            ExportFormat::Html => "html",
            ExportFormat::Timesketch => "timesketch.jsonl",
            ExportFormat::Navigator => "layer.json",
            ExportFormat::Sarif => "sarif",
            ExportFormat::EcsBulk => "ecs.ndjson",
        }
    }

    /// The media type, for a download's Blob.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Text => "text/plain; charset=utf-8",
            ExportFormat::Json | ExportFormat::Navigator => "application/json",
            ExportFormat::Ndjson | ExportFormat::Timesketch | ExportFormat::EcsBulk => {
                "application/x-ndjson"
            }
            ExportFormat::Csv => "text/csv; charset=utf-8; header=present",
            ExportFormat::Html => "text/html; charset=utf-8",
            ExportFormat::Sarif => "application/sarif+json",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<ExportFormat, String> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown format {s:?}: expected one of {}",
                    ExportFormat::ALL.map(ExportFormat::name).join(", ")
                )
            })
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the Navigator layer scores a technique by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NavigatorScore {
    /// The number of findings naming the technique.
    #[default]
    Count,
    /// The highest level among them, 1 (informational) to 5 (critical).
    MaxLevel,
}

impl FromStr for NavigatorScore {
    type Err = String;
    fn from_str(s: &str) -> Result<NavigatorScore, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "count" => Ok(NavigatorScore::Count),
            "level" | "max-level" => Ok(NavigatorScore::MaxLevel),
            _ => Err(format!(
                "unknown Navigator score {s:?}: expected count or level"
            )),
        }
    }
}

/// Choices that are not in the report itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOptions {
    /// The analyst's note for the HTML report's chain of custody.
    pub note: Option<String>,
    /// ANSI colour in the text summary (the CLI sets it for a terminal).
    pub color: bool,
    pub navigator_score: NavigatorScore,
}

/// The report in `format`. Pure: the same report and options give the
/// same bytes, in the CLI and in the page.
pub fn render(
    report: &Report,
    format: ExportFormat,
    options: &ExportOptions,
) -> Result<String, String> {
    Ok(match format {
        ExportFormat::Text => super::text::render_text_styled(report, options.color),
        ExportFormat::Json => report.to_json(),
        ExportFormat::Ndjson => super::ndjson::render(report),
        ExportFormat::Csv => super::csv::render(report),
        ExportFormat::Html => super::html::render(report, options),
        ExportFormat::Timesketch => super::timesketch::render(report),
        ExportFormat::Navigator => super::navigator::render(report, options.navigator_score),
        ExportFormat::Sarif => super::sarif::render(report),
        ExportFormat::EcsBulk => super::ecs::render_ecs_bulk(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in ExportFormat::ALL {
            assert_eq!(f.name().parse::<ExportFormat>(), Ok(f));
        }
        assert!("xml".parse::<ExportFormat>().unwrap_err().contains("sarif"));
    }
}
