//! `spoor`: the command-line shell over the core. It walks paths, reads
//! files in chunks into an [`Analysis`] and writes the report.

use clap::{Parser, Subcommand, ValueEnum};
use spoor::analysis::Analysis;
use spoor::detect::{self, RuleSource};
use spoor::event::Format;
use spoor::ingest::time::YearResolver;
use spoor::report::{render_text, Report};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Bytes read per chunk: large enough to amortise calls, small enough to
/// keep memory flat whatever the file size.
const CHUNK: usize = 1 << 20;

#[derive(Parser)]
#[command(
    name = "spoor",
    version,
    about = "Kubernetes log forensics: parse, detect, correlate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse log files, folders or archives and write a report.
    Scan(ScanArgs),
    /// Write a sample incident's log files (seeded, byte for byte reproducible).
    Generate(GenerateArgs),
    /// Work with detection rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Mine message templates: every non-empty line gets one pattern.
    Patterns(PatternsArgs),
}

#[derive(clap::Args)]
struct PatternsArgs {
    /// Files or folders (walked recursively); gzip is read as text.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or folders (walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Extra Sigma rules: a file or a folder of .yml/.yaml files.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Do not load the built-in rule pack.
    #[arg(long)]
    no_builtin: bool,
    /// Suppress findings listed in this file: Sigma filters or an `allow:`
    /// list of field conditions (see docs/allow-lists.md). Repeatable.
    #[arg(long = "allow")]
    allow: Vec<PathBuf>,
    /// Read every input as this format instead of detecting it.
    #[arg(long = "input-format")]
    input_format: Option<Format>,
    /// The year of timestamps that carry none (syslog, klog without its
    /// header). Default: inferred from each file's modification time.
    #[arg(long)]
    year: Option<i32>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Write the report here instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, value_enum)]
    fail_on: Option<Level>,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// A scenario name, or `all`.
    #[arg(long)]
    scenario: String,
    /// The folder to write into (created if missing).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Grow the background noise to about this many bytes in all (for benchmarks).
    #[arg(long)]
    scale: Option<u64>,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List the loaded rules.
    List {
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        #[arg(long)]
        no_builtin: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Write the built-in pack as plain Sigma files, one rule per file.
    Export { dir: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    /// Findings as an Elasticsearch `_bulk` body in ECS.
    EcsBulk,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, PartialOrd, ValueEnum)]
enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    fn of(name: &str) -> Level {
        Level::from_str(name, true).unwrap_or(Level::Informational)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Generate(args) => generate(args),
        Command::Rules {
            command:
                RulesCommand::List {
                    rules,
                    no_builtin,
                    format,
                },
        } => list_rules(&rules, no_builtin, format),
        Command::Rules {
            command: RulesCommand::Export { dir },
        } => export_rules(&dir),
        Command::Patterns(args) => patterns(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("spoor: {message}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    let sources = rule_sources(&args.rules, args.no_builtin)?;
    let mut files = Vec::new();
    for path in &args.paths {
        walk(path, &mut files)?;
    }
    let mut allow = Vec::new();
    for path in &args.allow {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read allow file {}: {e}", path.display()))?;
        allow.push(RuleSource {
            origin: path.display().to_string(),
            text,
        });
    }
    let mut analysis = Analysis::with_allow(&sources, &allow);
    let mut buf = vec![0u8; CHUNK];
    for file in &files {
        let display = file.display().to_string();
        let mut f = std::fs::File::open(file).map_err(|e| format!("cannot open {display}: {e}"))?;
        analysis.set_years(year_source(args.year, &f));
        analysis.open(&display, args.input_format);
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| format!("cannot read {display}: {e}"))?;
            if n == 0 {
                break;
            }
            analysis.push(&buf[..n]);
        }
        analysis.close();
    }
    analysis.finish();
    let report = Report::new(&analysis);
    let text = match args.format {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Json => report.to_json(),
        OutputFormat::EcsBulk => spoor::report::render_ecs_bulk(&report),
    };
    write_output(args.output.as_deref(), &text)?;
    let failing = args.fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|f| Level::of(&f.level) >= threshold)
    });
    Ok(ExitCode::from(u8::from(failing)))
}

fn generate(args: GenerateArgs) -> Result<ExitCode, String> {
    let target = |path: &str| -> Result<PathBuf, String> {
        let file = args.out.join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        Ok(file)
    };
    let Some(scale) = args.scale else {
        for file in spoor::generate::generate(&args.scenario, args.seed)? {
            let path = target(&file.path)?;
            std::fs::write(&path, &file.bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {} ({} bytes)", path.display(), file.bytes.len());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let mut open: std::collections::HashMap<String, std::io::BufWriter<std::fs::File>> =
        std::collections::HashMap::new();
    let mut failure = None;
    spoor::generate::generate_scaled(&args.scenario, args.seed, scale, &mut |path, chunk| {
        if failure.is_some() {
            return;
        }
        let result = (|| -> Result<(), String> {
            if !open.contains_key(path) {
                let file_path = target(path)?;
                let file = std::fs::File::create(&file_path)
                    .map_err(|e| format!("cannot create {}: {e}", file_path.display()))?;
                open.insert(path.to_string(), std::io::BufWriter::new(file));
            }
            let writer = open.get_mut(path).expect("inserted above");
            writer
                .write_all(chunk)
                .map_err(|e| format!("cannot write {path}: {e}"))
        })();
        failure = result.err();
    })?;
    if let Some(message) = failure {
        return Err(message);
    }
    for (path, mut writer) in open {
        writer
            .flush()
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A stated year wins; else the file's modification time is the reference
/// (a syslog line from a month after it belongs to the year before).
fn year_source(year: Option<i32>, file: &std::fs::File) -> YearResolver {
    if let Some(year) = year {
        return YearResolver::with_year(year);
    }
    file.metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .map(YearResolver::with_reference)
        .unwrap_or_default()
}

fn export_rules(dir: &Path) -> Result<ExitCode, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in spoor::detect::builtin::export() {
        let path = dir.join(&name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn list_rules(paths: &[PathBuf], no_builtin: bool, format: ListFormat) -> Result<ExitCode, String> {
    let sources = rule_sources(paths, no_builtin)?;
    let analysis = Analysis::new(&sources);
    let rules = analysis.rules();
    let text = match format {
        ListFormat::Json => serde_json::to_string_pretty(&rules).expect("rules serialize") + "\n",
        ListFormat::Text => {
            let mut s = String::new();
            for r in &rules {
                s += &format!(
                    "{}  [{}]  {}  {}  ({})\n",
                    r.id,
                    r.level,
                    r.title,
                    r.techniques.join(","),
                    r.source
                );
            }
            s
        }
    };
    write_output(None, &text)?;
    for f in analysis.rule_failures() {
        eprintln!("spoor: rule {} in {} failed: {}", f.id, f.source, f.message);
    }
    Ok(ExitCode::from(if analysis.rule_failures().is_empty() {
        0
    } else {
        2
    }))
}

/// `spoor patterns`: every file through one miner, in chunks.
fn patterns(args: PatternsArgs) -> Result<ExitCode, String> {
    let mut files = Vec::new();
    for path in &args.paths {
        walk(path, &mut files)?;
    }
    let mut scan = spoor::patterns::scan::PatternScan::default();
    let mut buf = vec![0u8; CHUNK];
    for file in &files {
        let display = file.display().to_string();
        let mut f = std::fs::File::open(file).map_err(|e| format!("cannot open {display}: {e}"))?;
        scan.open(&display);
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| format!("cannot read {display}: {e}"))?;
            if n == 0 {
                break;
            }
            scan.push(&buf[..n]);
        }
    }
    let report = scan.finish();
    for input in &report.inputs {
        for d in &input.diagnostics {
            eprintln!("spoor: {}: {d}", input.path);
        }
    }
    let text = match args.format {
        ListFormat::Text => report.render_text(),
        ListFormat::Json => report.to_json(),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// The built-in pack (unless disabled) and every rule file under `paths`.
fn rule_sources(paths: &[PathBuf], no_builtin: bool) -> Result<Vec<RuleSource>, String> {
    let mut sources = if no_builtin {
        Vec::new()
    } else {
        detect::builtin_sources()
    };
    for path in paths {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        for file in files {
            let is_yaml = matches!(
                file.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            );
            if !is_yaml {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read rule file {}: {e}", file.display()))?;
            sources.push(RuleSource {
                origin: file.display().to_string(),
                text,
            });
        }
    }
    Ok(sources)
}

/// Collects files under `path` in a stable (sorted) order.
fn walk(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e} (check the path)", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot list {}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        walk(&entry, out)?;
    }
    Ok(())
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`spoor scan … | head`) is not an error.
            let _ = out.write_all(text.as_bytes());
            Ok(())
        }
    }
}
