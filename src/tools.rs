//! What the page's tools worker (`web::tools`) does, without browser types:
//! the work that needs no analysed case — generating a built-in sample and
//! rendering the report as an export. It runs in a wasm module of its own,
//! loaded on first use, so the analysis worker's module (which every
//! analysis loads) carries neither the generator, nor the export formats,
//! nor the code that reads a report back from JSON (docs/performance.md).

use crate::generate::{self, GeneratedFile};
use crate::protocol::{Answer, ToTools};
use crate::report::{ExportFormat, ExportOptions, Report};

/// The tools worker's reply to one [`ToTools`] request.
#[derive(Debug)]
pub enum Reply {
    /// Sent as JSON in a `FromWorker::Answer`.
    Answer(Answer),
    /// A sample's files, sent as bytes.
    Sample(Vec<GeneratedFile>),
}

pub fn answer(request: ToTools) -> Reply {
    match request {
        ToTools::Sample { name } => match generate::generate(&name, generate::SAMPLE_SEED) {
            Ok(files) => Reply::Sample(files),
            Err(message) => Reply::Answer(error(message)),
        },
        ToTools::Export {
            format,
            note,
            report,
        } => Reply::Answer(export(&report, &format, note)),
    }
}

/// `report` rendered by [`crate::report::render`], as a download.
fn export(report: &Report, format: &str, note: Option<String>) -> Answer {
    let format: ExportFormat = match format.parse() {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    let options = ExportOptions {
        note: note.filter(|n| !n.trim().is_empty()),
        ..ExportOptions::default()
    };
    match crate::report::render(report, format, &options) {
        Ok(text) => Answer::Export {
            format: format.name().to_string(),
            file_name: format!("spoor-report.{}", format.extension()),
            media_type: format.media_type().to_string(),
            text,
        },
        Err(e) => error(e),
    }
}

fn error(message: String) -> Answer {
    Answer::Error {
        message,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analysis;
    use crate::ingest::time::YearResolver;

    fn sample(name: &str) -> Vec<GeneratedFile> {
        match answer(ToTools::Sample { name: name.into() }) {
            Reply::Sample(files) => files,
            other => panic!("{other:?}"),
        }
    }

    fn export_of(report: &Report, format: &str, note: Option<&str>) -> Answer {
        let Reply::Answer(a) = answer(ToTools::Export {
            format: format.into(),
            note: note.map(String::from),
            report: Box::new(report.clone()),
        }) else {
            panic!("an export is an answer")
        };
        a
    }

    #[test]
    fn samples_are_the_generators_with_the_sample_seed() {
        let files = sample("rce-to-node");
        assert_eq!(
            files,
            generate::generate("rce-to-node", generate::SAMPLE_SEED).unwrap()
        );
        let Reply::Answer(Answer::Error { message, .. }) = answer(ToTools::Sample {
            name: "nope".into(),
        }) else {
            panic!("an unknown sample is an error")
        };
        assert!(message.contains("unknown scenario"), "{message}");
    }

    #[test]
    fn exports_every_format_from_a_report_read_back_from_json() {
        let mut a = Analysis::new(&crate::detect::builtin_sources());
        a.set_years(YearResolver::with_year(generate::YEAR));
        for f in sample("anonymous-to-admin") {
            a.open(&f.path, None);
            a.push(&f.bytes);
            a.close();
        }
        a.finish();
        let report = Report::new(&a);
        // The page sends back the report it was sent: the same after the trip.
        let read: Report = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(read, report);
        for f in ExportFormat::ALL {
            let Answer::Export {
                format,
                file_name,
                text,
                ..
            } = export_of(&read, f.name(), Some("checked by <me>"))
            else {
                panic!("export {f}")
            };
            assert_eq!(format, f.name());
            assert!(file_name.ends_with(f.extension()), "{file_name}");
            assert!(!text.is_empty(), "{f}");
            if f == ExportFormat::Html {
                assert!(text.contains("checked by &lt;me&gt;"), "note in HTML");
            }
        }
        let Answer::Export { text, .. } = export_of(&read, "json", None) else {
            panic!("json export")
        };
        assert_eq!(text, report.to_json());
        assert!(matches!(
            export_of(&read, "xml", None),
            Answer::Error { .. }
        ));
    }
}
