//! `spoor`: the command-line shell over the core. It walks paths, reads
//! files in chunks into an [`Analysis`] and writes the report.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use sha2::{Digest, Sha256};
use spoor::analysis::{Analysis, Batch, Read};
use spoor::detect::{self, RuleSource};
use spoor::event::Format;
use spoor::ingest::archive::Source;
use spoor::ingest::formats::Unit;
use spoor::ingest::time::{format_rfc3339, parse_rfc3339, YearResolver};
use spoor::report::{
    render, rule_docs, ExportFormat, ExportOptions, Filter, Level, NavigatorScore, Report,
};
use std::collections::VecDeque;
use std::io::{IsTerminal, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "spoor/cores.rs"]
mod cores;
#[path = "spoor/probe.rs"]
mod probe;

/// mimalloc: records are allocated on the reading thread and evaluated on
/// two, and glibc's malloc spent a third of such a scan moving chunks
/// between its per-thread arenas. (The wasm tests build this binary too.)
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bytes read per chunk: large enough to amortise calls, small enough to
/// keep memory flat whatever the file size.
const CHUNK: usize = 1 << 20;

const EXIT_CODES: &str = "\
Exit status:
  0  done, and no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  usage or input error (bad flag, unreadable path, rule that does not load)

Progress and diagnostics go to stderr; the report to stdout or --output.
Colour only on a terminal, never with NO_COLOR set.";

#[derive(Parser)]
#[command(
    name = "spoor",
    version,
    about = "Kubernetes log forensics: parse, detect, correlate",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse log files, folders or archives and write a report.
    #[command(after_help = EXIT_CODES)]
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
    /// Hunt beyond the rules: stacks (rarest first), first seen and
    /// baselines, built-in and saved hunts, Sigma drafts.
    Hunt {
        #[command(subcommand)]
        command: HuntCommand,
    },
    /// Work with case files saved from the page (`spoor.case/1`).
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Render a saved case's report in any export format.
    Show(CaseShowArgs),
}

#[derive(clap::Args)]
struct CaseShowArgs {
    /// The case file (JSON, schema spoor.case/1).
    file: PathBuf,
    /// The report format.
    #[arg(long, value_parser = export_format(), default_value = "text")]
    format: ExportFormat,
    /// Write the report here instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The analyst's note for the HTML report (default: the case's notes).
    #[arg(long)]
    note: Option<String>,
}

#[derive(Subcommand)]
enum HuntCommand {
    /// Count the values of one to three fields, rarest first.
    #[command(after_help = "\
Fields: user, verb, resource, sub, ns, pod, name, ip, ua, host, msg, code,
format, input (and their aliases). `--by user,verb,resource` stacks the
combination. Every row's `query` selects exactly its events.")]
    Stack {
        #[command(flatten)]
        logs: HuntLogs,
        /// The field or fields (comma-separated, at most three).
        #[arg(long, value_name = "FIELD[,FIELD...]")]
        by: String,
        /// Rows shown at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print a Sigma rule draft for row N (1 = rarest) instead.
        #[arg(long, value_name = "N")]
        draft: Option<usize>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// What each identity and address normally does, and what breaks it:
    /// first touch of secrets, new addresses, kubectl with a service
    /// account's token, unusual hours, volume spikes.
    Baseline {
        #[command(flatten)]
        logs: HuntLogs,
        /// Profiles shown at most (fewest events first).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print a Sigma rule draft for anomaly N (1 = first) instead.
        #[arg(long, value_name = "N")]
        draft: Option<usize>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// List the built-in hunts (and those of a case file).
    List {
        /// A case file whose saved hunts are listed too.
        #[arg(long)]
        case: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run hunts (built-in and a case's saved ones) over logs.
    Run {
        #[command(flatten)]
        logs: HuntLogs,
        /// Only this hunt (its id); default all.
        #[arg(long)]
        hunt: Option<String>,
        /// A case file whose saved hunts run too.
        #[arg(long)]
        case: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

/// The logs a hunt looks at, and which of their events.
#[derive(clap::Args)]
struct HuntLogs {
    /// Files, folders or archives.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only events matching this query (the page's query language).
    #[arg(long, short, default_value = "")]
    query: String,
    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_parser = time, value_name = "TIME")]
    since: Option<i64>,
    /// Only events before this time (RFC 3339).
    #[arg(long, value_parser = time, value_name = "TIME")]
    until: Option<i64>,
    /// The year of timestamps that carry none.
    #[arg(long)]
    year: Option<i32>,
}

#[derive(clap::Args)]
struct PatternsArgs {
    /// Files, folders (walked recursively) or archives (.tar, .tar.gz,
    /// .tgz, .zip: each member is an input, `archive.tgz!inner/path.log`);
    /// gzip is read as text.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

fn export_format() -> impl clap::builder::TypedValueParser<Value = ExportFormat> {
    PossibleValuesParser::new(ExportFormat::ALL.map(ExportFormat::name))
        .map(|s| s.parse::<ExportFormat>().expect("a possible value"))
}

fn level() -> impl clap::builder::TypedValueParser<Value = Level> {
    PossibleValuesParser::new(Level::ALL.map(Level::name))
        .map(|s| s.parse::<Level>().expect("a possible value"))
}

/// An RFC 3339 time, as nanoseconds since the epoch.
fn time(s: &str) -> Result<i64, String> {
    parse_rfc3339(s)
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 time (like 2026-03-14T09:00:00Z)"))
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
    /// The report format.
    #[arg(long, value_parser = export_format(), default_value = "text")]
    format: ExportFormat,
    /// Write the report here instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Only events and findings at or after this event time (RFC 3339).
    #[arg(long, value_parser = time, value_name = "TIME")]
    since: Option<i64>,
    /// Only events and findings at or before this event time (RFC 3339).
    #[arg(long, value_parser = time, value_name = "TIME")]
    until: Option<i64>,
    /// Leave out findings below this level.
    #[arg(long, value_parser = level(), value_name = "LEVEL")]
    min_level: Option<Level>,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, value_parser = level(), value_name = "LEVEL")]
    fail_on: Option<Level>,
    /// The time of analysis written in the report (RFC 3339). Default:
    /// SOURCE_DATE_EPOCH if set, else now.
    #[arg(long, value_parser = time, value_name = "TIME")]
    analysed_at: Option<i64>,
    /// The analyst's note for the HTML report's chain of custody.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// What scores a technique in the Navigator layer.
    #[arg(long, value_parser = ["count", "level"], default_value = "count")]
    navigator_score: String,
    /// Show per-input progress on stderr even when it is not a terminal.
    #[arg(long)]
    progress: bool,
    /// Threads: 1 parses and detects on one thread; 2 or more read and
    /// parse on one thread while detection runs on another (the report is
    /// the same), falling back to one thread while the two cores are far
    /// apart (checked every 48 MiB). Default: the cores available.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// A scenario name, or `all`.
    #[arg(long)]
    scenario: String,
    /// The folder to write into (created if missing).
    #[arg(long, required_unless_present = "answer_keys")]
    out: Option<PathBuf>,
    /// Print the scenario's answer key (or all four, for `all`) as JSON to
    /// stdout instead of writing logs: expected behaviours, attacker
    /// addresses and identities, the day, the walkthrough's questions.
    #[arg(long, conflicts_with_all = ["out", "scale"])]
    answer_keys: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Grow the background noise to about this many bytes in all (for benchmarks).
    #[arg(long)]
    scale: Option<u64>,
}

#[derive(clap::Args)]
struct RuleSet {
    /// Extra Sigma rules: a file or a folder of .yml/.yaml files.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Do not load the built-in rule pack.
    #[arg(long)]
    no_builtin: bool,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List the loaded rules.
    List {
        #[command(flatten)]
        set: RuleSet,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Load the rules and run their fixtures: exit 2 if a rule does not load
    /// or a fixture fails.
    #[command(after_help = "\
Fixtures: for a rule file NAME.yml (or a built-in rule), every file in
FIXTURES/NAME/ whose name starts with `positive` must make one of its rules
fire, and every file starting with `negative` must not.")]
    Test {
        #[command(flatten)]
        set: RuleSet,
        /// A folder with one sub-folder of fixtures per rule file.
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
    },
    /// Show what a rule is about: title, level, description, ATT&CK
    /// techniques, false positives, references.
    Explain {
        /// The rule's id (or its title).
        id: String,
        #[command(flatten)]
        set: RuleSet,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Write the built-in pack as plain Sigma files, one rule per file.
    Export { dir: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    // A bug must still end as exit 2 with a message, never as 101.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("spoor: internal error (please report it): {info}");
    }));
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => ExitCode::from(2),
    }
}

fn run() -> ExitCode {
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
        Command::Rules { command } => match command {
            RulesCommand::List { set, format } => list_rules(&set, format),
            RulesCommand::Test { set, fixtures } => test_rules(&set, fixtures.as_deref()),
            RulesCommand::Explain { id, set, format } => explain_rule(&id, &set, format),
            RulesCommand::Export { dir } => export_rules(&dir),
        },
        Command::Patterns(args) => patterns(args),
        Command::Hunt { command } => hunt(command),
        Command::Case {
            command: CaseCommand::Show(args),
        } => case_show(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("spoor: {message}");
            ExitCode::from(2)
        }
    }
}

/// The time of analysis: `--analysed-at`, else SOURCE_DATE_EPOCH, else now.
fn analysed_at(flag: Option<i64>) -> Result<i64, String> {
    if let Some(t) = flag {
        return Ok(t);
    }
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = v.trim().parse().map_err(|_| {
            format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
        })?;
        return secs
            .checked_mul(1_000_000_000)
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH={v:?} is out of range"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_string())?;
    // Whole seconds: nanoseconds of a wall clock are noise in a report.
    i64::try_from(now.as_secs())
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| "the system clock is out of range".to_string())
}

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            return Err(format!(
                "--since {} is after --until {}",
                format_rfc3339(since),
                format_rfc3339(until)
            ));
        }
    }
    let analysed_at = analysed_at(args.analysed_at)?;
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
    // Rules that did not load are named on stderr and in the report's
    // `rules.failed`; the scan goes on with the rest.
    let _ = report_rule_failures(&analysis);
    analysis.set_filter(Filter {
        since: args.since,
        until: args.until,
        min_level: args.min_level,
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
    if threads >= 2 {
        read_on_a_thread(&files, &args, &mut analysis)?;
    } else {
        read_files(&files, &args, &mut |feed| match feed {
            Feed::Open { path, years } => {
                analysis.set_years(years);
                analysis.open(path, args.input_format);
            }
            Feed::Chunk(bytes) => analysis.push(bytes),
            Feed::Close => analysis.close(),
        })?;
    }
    analysis.finish();
    let report = Report::new(&analysis).with_analysed_at(analysed_at);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let options = ExportOptions {
        note: args.note,
        color: args.format == ExportFormat::Text
            && args.output.is_none()
            && !no_color
            && std::io::stdout().is_terminal(),
        navigator_score: args
            .navigator_score
            .parse::<NavigatorScore>()
            .map_err(|e| format!("--navigator-score: {e}"))?,
    };
    let text = render(&report, args.format, &options)?;
    write_output(args.output.as_deref(), &text)?;
    let failing = args.fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|f| Level::of(&f.level) >= threshold)
    });
    if !analysis.rule_failures().is_empty() {
        // The report is written (it lists them in `rules.failed`), but a
        // rule the user asked for did not run: that is an input error.
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::from(u8::from(failing)))
}

/// What [`read_files`] hands on, in order: an input opens, its bytes in
/// chunks, it closes.
enum Feed<'a> {
    Open { path: &'a str, years: YearResolver },
    Chunk(&'a [u8]),
    Close,
}

/// Reads each file in [`CHUNK`]s into `feed`, showing progress on stderr
/// (always with `--progress`, else only on a terminal).
fn read_files(
    files: &[PathBuf],
    args: &ScanArgs,
    feed: &mut dyn FnMut(Feed<'_>),
) -> Result<(), String> {
    let stderr_tty = std::io::stderr().is_terminal();
    let progress = args.progress || stderr_tty;
    let mut buf = vec![0u8; CHUNK];
    for file in files {
        let display = file.display().to_string();
        let mut f = std::fs::File::open(file).map_err(|e| format!("cannot open {display}: {e}"))?;
        feed(Feed::Open {
            path: &display,
            years: year_source(args.year, &f),
        });
        let started = Instant::now();
        let mut last_shown = started;
        let mut read: u64 = 0;
        read_chunks(&mut f, &display, &mut buf, &mut |chunk| {
            feed(Feed::Chunk(chunk));
            read += chunk.len() as u64;
            if progress && stderr_tty && last_shown.elapsed() >= Duration::from_millis(250) {
                last_shown = Instant::now();
                eprint!(
                    "\r\x1b[2K{}",
                    progress_line(&display, read, started.elapsed())
                );
            }
        })?;
        feed(Feed::Close);
        if progress {
            let clear = if stderr_tty { "\r\x1b[2K" } else { "" };
            eprintln!(
                "{clear}{}",
                progress_line(&display, read, started.elapsed())
            );
        }
    }
    Ok(())
}

/// Two cores: a thread reads and parses the files (each with its own
/// [`Source`]) and hands the records over in small batches ([`NextBatch`]);
/// both threads run the rules over them (whichever is free takes the next
/// record), and this thread correlates them in the same order, so the
/// report is the same as with one thread. A third thread hashes the files
/// ([`hash_on_a_thread`]). Every so often ([`cores::Policy`]) the reading
/// thread times a round trip between the two cores ([`probe::Probe`]); while that is
/// slow, this thread lends it the analysis, and it takes its batches
/// itself, as one thread would, until the next probe.
fn read_on_a_thread(
    files: &[PathBuf],
    args: &ScanArgs,
    analysis: &mut Analysis,
) -> Result<(), String> {
    let lanes = analysis.lanes();
    let mut policy = cores::Policy::from_env();
    // A few batches in flight keep both threads busy with bounded memory.
    let (send, receive) = std::sync::mpsc::sync_channel::<ToAnalysis>(IN_FLIGHT);
    // Taken records go back to be freed by the thread that allocated them:
    // cheaper for the allocator, and it evens the load of the two threads.
    let (give_back, taken) = std::sync::mpsc::channel::<Read>();
    // The analysis, lent to the reading thread and given back.
    let (lend, lent) = std::sync::mpsc::channel::<&mut Analysis>();
    let (give_back_analysis, given_back) = std::sync::mpsc::channel::<&mut Analysis>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let (to_hash, digests) = hash_on_a_thread(scope);
            let mut source: Option<Source> = None;
            let mut next = NextBatch::default();
            // A send fails only when the receiver has gone (it stopped).
            // Batches handed over that still have records no thread claimed.
            let mut open: VecDeque<Arc<Batch>> = VecDeque::new();
            // The analysis while the cores are far apart.
            let mut alone: Option<&mut Analysis> = None;
            let mut hand_over = |read: Read, alone: &mut Option<&mut Analysis>| {
                taken.try_iter().for_each(drop);
                if let Some(analysis) = alone {
                    // The analysing thread took every batch sent before.
                    open.clear();
                    // Freed here, where the records were built.
                    analysis.take_read(&read);
                    return;
                }
                if let Read::Records(batch) = &read {
                    open.push_back(Arc::clone(batch));
                }
                let _ = send.send(ToAnalysis::Read(read));
                open.retain(|b| !b.claimed());
                // The analysing thread evaluates the oldest batch: when it
                // falls behind, help it there instead of reading further.
                while open.len() > AHEAD {
                    if let Some(oldest) = open.pop_front() {
                        oldest.evaluate(&lanes);
                    }
                }
            };
            let records = |units| Read::Records(Arc::new(Batch::new(units)));
            let read = read_files(files, args, &mut |feed| match feed {
                Feed::Open { path, years } => {
                    source = Some(Source::new(path, args.input_format, years).unhashed());
                }
                Feed::Chunk(bytes) => {
                    let _ = to_hash.send(Some(bytes.to_vec()));
                    if let Some(s) = source.as_mut() {
                        s.push_units(bytes, &mut |unit, member| {
                            if next.push(unit, member) {
                                hand_over(records(next.take()), &mut alone);
                            }
                        });
                    }
                    if policy.due(bytes.len() as u64) {
                        // The other thread answers only while it has no
                        // analysis to run: give it back first.
                        if let Some(analysis) = alone.take() {
                            let _ = give_back_analysis.send(analysis);
                        }
                        let probe = Arc::new(probe::Probe::new(cores::PROBE_BLOCKS));
                        let _ = send.send(ToAnalysis::Probe(Arc::clone(&probe)));
                        if policy.alone(probe.ask()) {
                            let _ = send.send(ToAnalysis::Lend);
                            alone = lent.recv().ok();
                        }
                    }
                }
                Feed::Close => {
                    if let Some(s) = source.take() {
                        let path = s.path().to_string();
                        let mut summaries = s.finish_units(&mut |unit, member| {
                            if next.push(unit, member) {
                                hand_over(records(next.take()), &mut alone);
                            }
                        });
                        let _ = to_hash.send(None);
                        let digest = digests.recv().unwrap_or_default();
                        spoor::ingest::fill_digest(&mut summaries, &path, &digest);
                        if !next.units.is_empty() {
                            hand_over(records(next.take()), &mut alone);
                        }
                        hand_over(Read::Closed(summaries), &mut alone);
                    }
                }
            });
            if let Some(analysis) = alone.take() {
                let _ = give_back_analysis.send(analysis);
            }
            read
        });
        let mut analysis = Some(analysis);
        for message in receive {
            match message {
                ToAnalysis::Read(read) => {
                    if let Some(analysis) = analysis.as_mut() {
                        analysis.take_read(&read);
                    }
                    let _ = give_back.send(read);
                }
                ToAnalysis::Probe(probe) => probe.answer(),
                ToAnalysis::Lend => {
                    if let Some(lent_out) = analysis.take() {
                        let _ = lend.send(lent_out);
                        // Back at the next probe, or when reading ends.
                        analysis = given_back.recv().ok();
                    }
                }
            }
        }
        reader
            .join()
            .unwrap_or_else(|_| Err("the reading thread failed".into()))
    })
}

/// What the reading thread sends the analysing thread, in order.
enum ToAnalysis {
    Read(Read),
    /// Answer the round trips of this probe.
    Probe(Arc<probe::Probe>),
    /// Lend the reading thread the analysis: the cores are far apart.
    Lend,
}

/// A thread that hashes each file's bytes (SHA-256, the report's evidence
/// hash): send it the chunks in order, then `None` at the end of a file,
/// and receive the file's digest. The hash was 8 % of the reading thread's
/// work, and that thread bounds what two threads do; the analysing thread
/// has that much slack, which this thread takes. The thread ends when the
/// sender is dropped.
fn hash_on_a_thread<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
) -> (
    std::sync::mpsc::SyncSender<Option<Vec<u8>>>,
    std::sync::mpsc::Receiver<String>,
) {
    let (to_hash, chunks) = std::sync::mpsc::sync_channel::<Option<Vec<u8>>>(4);
    let (send_digest, digests) = std::sync::mpsc::channel();
    scope.spawn(move || {
        let mut sha = Sha256::new();
        for chunk in chunks {
            match chunk {
                Some(bytes) => sha.update(&bytes),
                None => {
                    let _ = send_digest.send(spoor::ingest::hex(&sha.finalize_reset()));
                }
            }
        }
    });
    (to_hash, digests)
}

/// The records read since the last hand-over, and the bytes of their lines.
#[derive(Default)]
struct NextBatch {
    units: Vec<(Unit, u32)>,
    bytes: u64,
}

impl NextBatch {
    /// Adds a record; true once the batch is full ([`BATCH_BYTES`] or
    /// [`BATCH_RECORDS`]).
    fn push(&mut self, unit: Unit, member: u32) -> bool {
        self.bytes += unit.location().len;
        self.units.push((unit, member));
        self.bytes >= BATCH_BYTES || self.units.len() == BATCH_RECORDS
    }

    /// The records so far, leaving the batch empty.
    fn take(&mut self) -> Vec<(Unit, u32)> {
        self.bytes = 0;
        std::mem::take(&mut self.units)
    }
}

/// A batch handed between the two threads ends after this many bytes of
/// the records' lines: a parsed record is several times its line, and a
/// record is cheap to evaluate and to free only while it is still in the
/// core's cache (1 MiB of L2 here). Batches of 256 audit records (~220 KiB
/// of lines) made two threads spend 1.6× the CPU of one; 64 KiB batches,
/// 1.1× (docs/performance.md, session 13).
const BATCH_BYTES: u64 = 64 << 10;
/// ... or after this many records, so that batches of short lines stay
/// cheap to hand over (64-record batches cost a mixed case of container
/// and node logs 15 %).
const BATCH_RECORDS: usize = 256;
/// Batches queued between the threads: with the batch being analysed
/// and those waiting to be freed, what both threads touch stays small.
const IN_FLIGHT: usize = 4;
/// Batches the reading thread reads ahead of the analysing thread before
/// it helps evaluate them. The fewer records the reader evaluates, the more
/// the analysing thread evaluates before it correlates them, while they are
/// in its cache: 3 against 2, audit slice, two threads, 16 alternated
/// pairs: 3 % faster (docs/performance.md, session 15).
const AHEAD: usize = 3;

/// `path  12.3 MB in 0.41 s (30.0 MB/s)`.
fn progress_line(path: &str, bytes: u64, took: Duration) -> String {
    let mb = bytes as f64 / 1e6;
    let secs = took.as_secs_f64();
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    format!("spoor: {path}  {mb:.1} MB in {secs:.2} s ({rate:.1} MB/s)")
}

fn show_id(id: &str) -> &str {
    if id.is_empty() {
        "(no id)"
    } else {
        id
    }
}

fn generate(args: GenerateArgs) -> Result<ExitCode, String> {
    let Some(out) = args.out.as_ref().filter(|_| !args.answer_keys) else {
        return print_answer_keys(&args.scenario);
    };
    let target = |path: &str| -> Result<PathBuf, String> {
        let file = out.join(path);
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

/// `[AnswerKey, ...]` as JSON: one for a scenario, every one for `all`.
fn print_answer_keys(scenario: &str) -> Result<ExitCode, String> {
    let names: Vec<&str> = spoor::generate::scenarios()
        .iter()
        .map(|s| s.name)
        .filter(|name| scenario == "all" || name == &scenario)
        .collect();
    if names.is_empty() {
        return Err(format!(
            "unknown scenario '{scenario}': use one of {}, or all",
            spoor::generate::scenarios()
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let keys: Vec<spoor::generate::AnswerKey> = names
        .into_iter()
        .filter_map(spoor::generate::answer_key)
        .collect();
    let json = serde_json::to_string_pretty(&keys).map_err(|e| e.to_string())?;
    println!("{json}");
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

fn list_rules(set: &RuleSet, format: ListFormat) -> Result<ExitCode, String> {
    let sources = rule_sources(&set.rules, set.no_builtin)?;
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
    Ok(report_rule_failures(&analysis))
}

/// Prints every rule that did not load; exit 2 if there is one.
fn report_rule_failures(analysis: &Analysis) -> ExitCode {
    for f in analysis.rule_failures() {
        eprintln!(
            "spoor: rule {} in {} does not load: {}",
            show_id(&f.id),
            f.source,
            f.message
        );
    }
    ExitCode::from(if analysis.rule_failures().is_empty() {
        0
    } else {
        2
    })
}

fn test_rules(set: &RuleSet, fixtures: Option<&Path>) -> Result<ExitCode, String> {
    let mut named: Vec<(String, RuleSource)> = Vec::new();
    if !set.no_builtin {
        for (name, text) in detect::BUILTIN {
            named.push((
                name.to_string(),
                RuleSource {
                    origin: "builtin".into(),
                    text: text.to_string(),
                },
            ));
        }
    }
    for src in rule_sources(&set.rules, true)? {
        named.push((src.origin.clone(), src));
    }
    let sources: Vec<RuleSource> = named.iter().map(|(_, s)| s.clone()).collect();
    let analysis = Analysis::new(&sources);
    let mut out = String::new();
    let (mut passed, mut failed, mut without) = (0usize, 0usize, 0usize);
    if let Some(dir) = fixtures {
        if !dir.is_dir() {
            return Err(format!("--fixtures {}: not a folder", dir.display()));
        }
        for (name, src) in &named {
            let stem = Path::new(name)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(name);
            let folder = dir.join(stem);
            let mut cases = Vec::new();
            if folder.is_dir() {
                walk(&folder, &mut cases)?;
            }
            let ids: Vec<String> = rule_docs(std::slice::from_ref(src))
                .into_iter()
                .map(|d| d.id)
                .collect();
            let mut ran = 0;
            for case in cases {
                let file = case.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let expect = if file.starts_with("positive") {
                    true
                } else if file.starts_with("negative") {
                    false
                } else {
                    continue;
                };
                ran += 1;
                let bytes = std::fs::read(&case)
                    .map_err(|e| format!("cannot read fixture {}: {e}", case.display()))?;
                let mut one = Analysis::new(std::slice::from_ref(src));
                one.open(&case.display().to_string(), None);
                one.push(&bytes);
                one.finish();
                let fired = one
                    .findings()
                    .iter()
                    .filter(|f| ids.contains(&f.rule_id))
                    .count();
                if (fired > 0) == expect {
                    passed += 1;
                    out += &format!("ok    {stem}/{file}\n");
                } else {
                    failed += 1;
                    out += &format!(
                        "FAIL  {stem}/{file}: {}\n",
                        if expect {
                            "the rule did not fire".to_string()
                        } else {
                            format!("the rule fired {fired} time(s)")
                        }
                    );
                }
            }
            if ran == 0 {
                without += 1;
            }
        }
    }
    write_output(None, &out)?;
    let code = report_rule_failures(&analysis);
    eprintln!(
        "spoor: {} rule(s) loaded, {} did not load; fixtures: {passed} passed, {} failed{}",
        analysis.rules().len(),
        analysis.rule_failures().len(),
        failed,
        if fixtures.is_some() {
            format!(", {without} rule file(s) without fixtures")
        } else {
            " (no --fixtures given)".into()
        }
    );
    Ok(if failed > 0 { ExitCode::from(2) } else { code })
}

fn explain_rule(id: &str, set: &RuleSet, format: ListFormat) -> Result<ExitCode, String> {
    let sources = rule_sources(&set.rules, set.no_builtin)?;
    let docs = rule_docs(&sources);
    let doc = docs
        .iter()
        .find(|d| d.id == id)
        .or_else(|| docs.iter().find(|d| d.title.eq_ignore_ascii_case(id)))
        .ok_or_else(|| {
            format!(
                "no rule with id or title {id:?} among {} rule(s) (spoor rules list shows them)",
                docs.len()
            )
        })?;
    let text = match format {
        ListFormat::Json => serde_json::to_string_pretty(doc).expect("a rule serializes") + "\n",
        ListFormat::Text => {
            let mut s = format!("{}\n", doc.title);
            s += &format!("  id:          {}\n", doc.id);
            s += &format!("  level:       {}\n", doc.level);
            s += &format!("  source:      {}\n", doc.source);
            for t in &doc.techniques {
                s += &format!(
                    "  technique:   {t}  https://attack.mitre.org/techniques/{}/\n",
                    t.replace('.', "/")
                );
            }
            if !doc.tags.is_empty() {
                s += &format!("  tags:        {}\n", doc.tags.join(", "));
            }
            s += "\ndescription:\n";
            for line in doc.description.lines() {
                s += &format!("  {}\n", line.trim());
            }
            let list = |s: &mut String, head: &str, items: &[String]| {
                if !items.is_empty() {
                    *s += &format!("\n{head}:\n");
                    for i in items {
                        *s += &format!("  - {i}\n");
                    }
                }
            };
            list(&mut s, "false positives", &doc.falsepositives);
            list(&mut s, "references", &doc.references);
            s
        }
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
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
        scan.open_source(&display);
        read_chunks(&mut f, &display, &mut buf, &mut |chunk| {
            scan.push_source(chunk)
        })?;
    }
    let report = scan.finish();
    for problem in &report.problems {
        eprintln!("spoor: {problem}");
    }
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

/// Hands `f`'s bytes to `push` one `buf`-sized chunk at a time: no input
/// is ever held whole.
fn read_chunks(
    f: &mut std::fs::File,
    display: &str,
    buf: &mut [u8],
    push: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    loop {
        let n = f
            .read(buf)
            .map_err(|e| format!("cannot read {display}: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        push(&buf[..n]);
    }
}

/// Reads the logs into an analysis with an event store (no rules: hunting
/// looks at events, not findings).
fn load_events(logs: &HuntLogs) -> Result<(Analysis, String), String> {
    let mut files = Vec::new();
    for path in &logs.paths {
        walk(path, &mut files)?;
    }
    let mut analysis = Analysis::new(&[]).with_store();
    let mut buf = vec![0u8; CHUNK];
    for file in &files {
        let display = file.display().to_string();
        let mut f = std::fs::File::open(file).map_err(|e| format!("cannot open {display}: {e}"))?;
        analysis.set_years(year_source(logs.year, &f));
        analysis.open(&display, None);
        read_chunks(&mut f, &display, &mut buf, &mut |chunk| {
            analysis.push(chunk)
        })?;
        analysis.close();
    }
    analysis.finish();
    let mut q = logs.query.trim().to_string();
    for (name, t) in [("after", logs.since), ("before", logs.until)] {
        if let Some(t) = t {
            q = format!("{q} {name}:{}", format_rfc3339(t))
                .trim()
                .to_string();
        }
    }
    Ok((analysis, q))
}

fn hunt(command: HuntCommand) -> Result<ExitCode, String> {
    use spoor::hunt::{baseline, draft, notebook, stack};
    let text = match command {
        HuntCommand::Stack {
            logs,
            by,
            limit,
            draft: row,
            format,
        } => {
            let fields = stack::parse_fields(&by)?;
            let (analysis, q) = load_events(&logs)?;
            let store = analysis.store().expect("a store");
            let ids = store.run(&q).map_err(|e| format!("--query: {e}"))?;
            let s = stack::stack(store, &fields, &ids, &q, limit.max(row.unwrap_or(0)));
            if let Some(n) = row {
                let r = s
                    .rows
                    .get(n.wrapping_sub(1))
                    .ok_or_else(|| format!("--draft {n}: the stack has {} rows", s.rows.len()))?;
                let pairs = s.fields.iter().cloned().zip(r.values.clone()).collect();
                let title = format!("rare {}", s.fields.join(" × "));
                draft::sigma_draft(&title, &r.format, &draft::DraftSource::Fields(pairs))?
            } else {
                match format {
                    ListFormat::Text => s.render_text(),
                    ListFormat::Json => pretty_json(&s),
                }
            }
        }
        HuntCommand::Baseline {
            logs,
            limit,
            draft: n,
            format,
        } => {
            let (analysis, q) = load_events(&logs)?;
            let store = analysis.store().expect("a store");
            let ids = store.run(&q).map_err(|e| format!("--query: {e}"))?;
            let b = baseline::baseline(store, &ids, limit);
            if let Some(n) = n {
                let a = b.anomalies.get(n.wrapping_sub(1)).ok_or_else(|| {
                    format!("--draft {n}: there are {} anomalies", b.anomalies.len())
                })?;
                draft::sigma_draft(
                    a.kind.title(),
                    &a.format,
                    &draft::DraftSource::Fields(a.fields.clone()),
                )?
            } else {
                match format {
                    ListFormat::Text => b.render_text(),
                    ListFormat::Json => pretty_json(&b),
                }
            }
        }
        HuntCommand::List { case, format } => {
            let hunts = hunts_with(case.as_deref())?;
            match format {
                ListFormat::Json => pretty_json(&hunts),
                ListFormat::Text => hunts
                    .iter()
                    .map(|h| {
                        format!(
                            "{}  {}\n    query: {}  stack: {}\n",
                            h.id,
                            h.title,
                            h.query,
                            h.stack.join(",")
                        )
                    })
                    .collect(),
            }
        }
        HuntCommand::Run {
            logs,
            hunt,
            case,
            format,
        } => {
            let mut hunts = hunts_with(case.as_deref())?;
            if let Some(id) = &hunt {
                hunts.retain(|h| &h.id == id);
                if hunts.is_empty() {
                    return Err(format!("--hunt {id}: no such hunt (see `spoor hunt list`)"));
                }
            }
            let (analysis, q) = load_events(&logs)?;
            let store = analysis.store().expect("a store");
            let results = hunts
                .iter()
                .map(|h| {
                    let mut h = h.clone();
                    h.query = format!("{} {q}", h.query).trim().to_string();
                    notebook::run_hunt(store, &h)
                })
                .collect::<Result<Vec<_>, _>>()?;
            match format {
                ListFormat::Json => pretty_json(&results),
                ListFormat::Text => results.iter().map(|r| r.render_text() + "\n").collect(),
            }
        }
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn pretty_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("hunt results serialize") + "\n"
}

/// The built-in hunts, then those saved in `case`.
fn hunts_with(case: Option<&Path>) -> Result<Vec<spoor::hunt::notebook::Hunt>, String> {
    let mut hunts = spoor::hunt::notebook::builtin_hunts();
    if let Some(path) = case {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let case = spoor::case::CaseFile::from_json(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        hunts.extend(case.hunts);
    }
    Ok(hunts)
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
        let before = sources.len();
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
        if sources.len() == before {
            return Err(format!(
                "--rules {}: no .yml or .yaml rule file there",
                path.display()
            ));
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

fn case_show(args: CaseShowArgs) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let case = spoor::case::CaseFile::from_json(&text)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    let options = ExportOptions {
        note: args
            .note
            .or_else(|| Some(case.notes.clone()).filter(|n| !n.trim().is_empty())),
        color: args.format == ExportFormat::Text
            && args.output.is_none()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal(),
        ..ExportOptions::default()
    };
    let out = render(&case.report, args.format, &options)?;
    write_output(args.output.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
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
