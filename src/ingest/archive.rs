//! Archives as inputs: `.tar`, `.tar.gz`/`.tgz` and `.zip`, recognised by
//! their bytes (not their names), read push-based like everything else in
//! the core (no `std::fs`, so the browser worker uses the same code).
//!
//! Every regular member becomes its own input, named
//! `archive.tgz!inner/path.log`, detected on its own and hashed on its own
//! bytes; a gzip member (`pods.tar!app.log.gz`) is decompressed by its own
//! reader. Links, devices and FIFOs are skipped with a diagnostic. Member
//! paths are only names here — nothing is ever written — but absolute paths
//! and `..` are reported, since an archive carrying them is itself odd.
//! Members and total decompressed bytes are bounded. Problems with the
//! archive itself (corrupt header, truncation, limits) go to an input entry
//! for the archive path, which is only reported when there are problems.
//!
//! The tar reader understands ustar, GNU long names (`L`) and pax extended
//! headers (`x`, for `path`); the zip reader walks local file headers
//! (stored and deflate, data descriptors after deflate, zip64 sizes) and
//! stops at the central directory.

use super::decode::{human_bytes, inflate_stepwise, GzipEnd, Inflater, GZIP_STEP};
use super::formats::Unit;
use super::limits::Limits;
use super::{Diagnostic, InputReader, InputSummary};
use crate::event::{Format, Record};
use crate::ingest::time::YearResolver;
use flate2::write::MultiGzDecoder;
use flate2::{Decompress, FlushDecompress, Status};
use sha2::{Digest, Sha256};

/// Members read from one archive at most.
pub const MAX_MEMBERS: usize = 10_000;
/// Decompressed bytes read from one archive at most.
pub const MAX_TOTAL_BYTES: u64 = 64 << 30;
/// Raw bytes looked at before deciding a gzip stream holds no tar.
const GZIP_PEEK_LIMIT: usize = 1 << 20;

/// What an archive reader finds.
#[derive(Debug, PartialEq)]
pub enum Piece {
    Open(String),
    Data(Vec<u8>),
    Close,
    Problem(String),
}

/// Where an [`Unpacker`] sends the members it finds. A plain input is one
/// member named `None` (its bytes as given, gzip included); an archive's
/// members are named by their path inside it.
pub trait Members {
    fn open(&mut self, name: Option<&str>);
    fn data(&mut self, bytes: &[u8]);
    fn close(&mut self);
    /// A problem with the archive itself; `truncated` when members are
    /// missing or cut short because of it.
    fn problem(&mut self, message: String, truncated: bool);
}

/// Splits one input into its members, push-based: a plain (or gzip) file
/// is passed through as one member, a tar, tar.gz or zip archive is read
/// member by member within [`Limits::archive_members`] and
/// [`Limits::archive_bytes`]. Shared by the ingest ([`Source`]) and
/// `spoor patterns`.
#[derive(Default)]
pub struct Unpacker {
    state: State,
    limits: Limits,
    /// A member is open (its `close` not yet sent).
    open: bool,
}

enum State {
    Sniff(Vec<u8>),
    Plain,
    Archive {
        gunzip: Option<Box<Inflater>>,
        reader: Box<dyn ArchiveReader>,
        total: u64,
        count: usize,
        /// Members past [`Limits::archive_members`], not read.
        skipped: u64,
        stopped: bool,
    },
}

impl Default for State {
    fn default() -> Self {
        State::Sniff(Vec::new())
    }
}

/// `Send` for the same reason as `formats::Parser`.
trait ArchiveReader: Send {
    fn push(&mut self, data: &[u8], out: &mut Vec<Piece>);
    fn finish(&mut self, out: &mut Vec<Piece>);
}

impl Unpacker {
    pub fn new() -> Self {
        Unpacker::default()
    }

    /// Replaces the default [`Limits`]; call before the first chunk.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether the input turned out to be an archive.
    pub fn is_archive(&self) -> bool {
        matches!(self.state, State::Archive { .. })
    }

    /// Whether the input turned out to be plain (not an archive).
    pub fn is_plain(&self) -> bool {
        matches!(self.state, State::Plain)
    }

    /// Feeds the input's next raw bytes.
    pub fn push(&mut self, chunk: &[u8], to: &mut dyn Members) {
        if let State::Sniff(buf) = &mut self.state {
            buf.extend_from_slice(chunk);
            if let Some(kind) = decide(buf, false) {
                let buf = std::mem::take(buf);
                self.enter(kind, &buf, to);
            }
            return;
        }
        self.feed(chunk, to);
    }

    fn enter(&mut self, kind: Kind, buf: &[u8], to: &mut dyn Members) {
        self.state = match kind {
            Kind::Plain => {
                to.open(None);
                self.open = true;
                State::Plain
            }
            Kind::Tar { gz } => State::Archive {
                gunzip: gz.then(Box::default),
                reader: Box::new(TarReader::default()),
                total: 0,
                count: 0,
                skipped: 0,
                stopped: false,
            },
            Kind::Zip => State::Archive {
                gunzip: None,
                reader: Box::new(ZipReader::default()),
                total: 0,
                count: 0,
                skipped: 0,
                stopped: false,
            },
        };
        self.feed(buf, to);
    }

    fn feed(&mut self, chunk: &[u8], to: &mut dyn Members) {
        if matches!(self.state, State::Archive { .. }) {
            // Compressed archives (tar.gz, deflate zip members) expand
            // step by step, so a bomb never builds up in `pieces`.
            for step in chunk.chunks(GZIP_STEP) {
                self.feed_step(step, to);
            }
        } else {
            self.feed_step(chunk, to);
        }
    }

    fn feed_step(&mut self, chunk: &[u8], to: &mut dyn Members) {
        let pieces = match &mut self.state {
            State::Sniff(_) => unreachable!("decided before feeding"),
            State::Plain => return to.data(chunk),
            State::Archive {
                gunzip,
                reader,
                stopped,
                ..
            } => {
                if *stopped {
                    return;
                }
                let mut pieces = Vec::new();
                match gunzip {
                    Some(gz) => {
                        let result = gz.push(chunk, &mut |plain| {
                            reader.push(plain, &mut pieces);
                            true
                        });
                        if let Err(e) = result {
                            pieces.push(Piece::Problem(format!(
                                "corrupt gzip data around the tar: {e}"
                            )));
                            *stopped = true;
                        }
                    }
                    None => reader.push(chunk, &mut pieces),
                }
                pieces
            }
        };
        self.apply(pieces, to);
    }

    fn apply(&mut self, pieces: Vec<Piece>, to: &mut dyn Members) {
        for piece in pieces {
            let State::Archive {
                total,
                count,
                skipped,
                stopped,
                ..
            } = &mut self.state
            else {
                return;
            };
            if *stopped {
                return;
            }
            match piece {
                Piece::Open(name) => {
                    *count += 1;
                    if *count > self.limits.archive_members {
                        // Headers are still walked, to count what is skipped.
                        *skipped += 1;
                        continue;
                    }
                    to.open(Some(&name));
                    self.open = true;
                }
                Piece::Data(bytes) => {
                    *total += bytes.len() as u64;
                    if *total > self.limits.archive_bytes {
                        *stopped = true;
                        to.problem(
                            format!(
                                "archive expands past {}: stopped reading, the rest of the archive is skipped (possible decompression bomb)",
                                human_bytes(self.limits.archive_bytes)
                            ),
                            true,
                        );
                        self.close(to);
                        return;
                    }
                    if self.open {
                        to.data(&bytes);
                    }
                }
                Piece::Close => self.close(to),
                Piece::Problem(message) => {
                    let truncated = message.contains("truncated") || message.contains("corrupt");
                    to.problem(message, truncated);
                }
            }
        }
    }

    fn close(&mut self, to: &mut dyn Members) {
        if std::mem::take(&mut self.open) {
            to.close();
        }
    }

    /// Ends the input: the last member is closed.
    pub fn finish(&mut self, to: &mut dyn Members) {
        if let State::Sniff(buf) = &mut self.state {
            let buf = std::mem::take(buf);
            let kind = decide(&buf, true).unwrap_or(Kind::Plain);
            self.enter(kind, &buf, to);
        }
        let mut pieces = Vec::new();
        if let State::Archive {
            gunzip,
            reader,
            stopped: false,
            ..
        } = &mut self.state
        {
            if let Some(mut gz) = gunzip.take() {
                let result = gz.finish(&mut |plain| {
                    reader.push(plain, &mut pieces);
                    true
                });
                match result {
                    Ok(()) => {}
                    Err(GzipEnd::Corrupt(e)) => pieces.push(Piece::Problem(format!(
                        "corrupt gzip data around the tar: {e}"
                    ))),
                    Err(GzipEnd::Truncated) => pieces.push(Piece::Problem(
                        "gzip stream around the tar is truncated".into(),
                    )),
                }
            }
            reader.finish(&mut pieces);
        }
        self.apply(pieces, to);
        self.close(to);
        if let State::Archive { skipped, .. } = self.state {
            if skipped > 0 {
                to.problem(
                    format!(
                        "more than {} members: {skipped} members past the limit were not read",
                        self.limits.archive_members
                    ),
                    true,
                );
            }
        }
    }
}

/// One input as the caller opened it: a plain (or gzip) file, or an
/// archive of many; each member is read by its own [`InputReader`].
pub struct Source {
    settings: Settings,
    unpacker: Unpacker,
    /// The archive's own hash (unless [`Source::unhashed`]).
    hasher: Sha256,
    bytes: u64,
    readers: Readers,
}

/// The [`Members`] side of a [`Source`]: one reader per member.
struct Readers {
    member: Option<Box<InputReader>>,
    members: Vec<InputSummary>,
    problems: Vec<Diagnostic>,
    truncated: bool,
}

/// What the caller opened the input with, for the readers of its members.
struct Settings {
    path: String,
    forced: Option<Format>,
    years: YearResolver,
    limits: Limits,
    /// Whether the input's bytes as given are hashed here: by the reader
    /// of a plain input, or by the [`Source`] of an archive (not when the
    /// caller hashes them, [`Source::unhashed`]).
    hashed: bool,
}

impl Settings {
    /// The reader of the plain input (`None`) or of the member `name`.
    fn reader(&self, member: Option<&str>) -> Box<InputReader> {
        let path = match member {
            Some(name) => format!("{}!{name}", self.path),
            None => self.path.clone(),
        };
        let reader = InputReader::new(&path, self.forced)
            .with_years(self.years.clone())
            .with_limits(&self.limits);
        Box::new(if member.is_none() && !self.hashed {
            reader.unhashed()
        } else {
            reader
        })
    }
}

/// [`Readers`] with where records go, for one push.
struct Feed<'a> {
    settings: &'a Settings,
    readers: &'a mut Readers,
    sink: &'a mut dyn FnMut(Unit, u32),
}

impl Members for Feed<'_> {
    fn open(&mut self, name: Option<&str>) {
        self.readers.member = Some(self.settings.reader(name));
    }

    fn data(&mut self, bytes: &[u8]) {
        let ordinal = self.readers.members.len() as u32;
        let sink = &mut *self.sink;
        if let Some(m) = self.readers.member.as_mut() {
            m.push_units(bytes, &mut |unit| sink(unit, ordinal));
        }
    }

    fn close(&mut self) {
        let ordinal = self.readers.members.len() as u32;
        let sink = &mut *self.sink;
        if let Some(m) = self.readers.member.take() {
            let summary = m.finish_units(&mut |unit| sink(unit, ordinal));
            self.readers.members.push(summary);
        }
    }

    fn problem(&mut self, message: String, truncated: bool) {
        self.readers.truncated |= truncated;
        self.readers.problems.push(Diagnostic { line: 0, message });
    }
}

impl Source {
    pub fn new(path: &str, forced: Option<Format>, years: YearResolver) -> Self {
        Source {
            settings: Settings {
                path: path.to_string(),
                forced,
                years,
                limits: Limits::default(),
                hashed: true,
            },
            unpacker: Unpacker::new(),
            hasher: Sha256::new(),
            bytes: 0,
            readers: Readers {
                member: None,
                members: Vec::new(),
                problems: Vec::new(),
                truncated: false,
            },
        }
    }

    /// Replaces the default [`Limits`] (for this input and its members);
    /// call before the first chunk.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.unpacker = Unpacker::new().with_limits(limits.clone());
        self.settings.limits = limits;
        self
    }

    /// Leaves the hash of the input's bytes as given to the caller (see
    /// [`InputReader::unhashed`]): the summary of a plain input, and an
    /// archive's own, get an empty `sha256`. Members are hashed here all the
    /// same. Call before the first chunk.
    pub fn unhashed(mut self) -> Self {
        self.settings.hashed = false;
        self
    }

    pub fn path(&self) -> &str {
        &self.settings.path
    }

    /// Feeds raw bytes; records go to `sink` with the ordinal of the member
    /// (0 for a plain input) they come from.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Record, u32)) {
        self.push_units(chunk, &mut |unit, member| sink(unit.build(), member));
    }

    /// [`Source::push`], with records that are built later left so
    /// ([`Unit::Later`]), for the thread that analyses them.
    pub fn push_units(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Unit, u32)) {
        // The archive's own hash; a plain input's reader hashes its bytes
        // itself, so they are not hashed twice.
        if self.settings.hashed && !self.unpacker.is_plain() {
            self.hasher.update(chunk);
        }
        self.bytes += chunk.len() as u64;
        let mut feed = Feed {
            settings: &self.settings,
            readers: &mut self.readers,
            sink,
        };
        self.unpacker.push(chunk, &mut feed);
    }

    /// Ends the input: the summaries of what it held (one for a plain
    /// input; one per member, plus the archive's own when it had problems).
    pub fn finish(self, sink: &mut dyn FnMut(Record, u32)) -> Vec<InputSummary> {
        self.finish_units(&mut |unit, member| sink(unit.build(), member))
    }

    /// [`Source::finish`] for [`Source::push_units`].
    pub fn finish_units(mut self, sink: &mut dyn FnMut(Unit, u32)) -> Vec<InputSummary> {
        let mut feed = Feed {
            settings: &self.settings,
            readers: &mut self.readers,
            sink,
        };
        self.unpacker.finish(&mut feed);
        let readers = &mut self.readers;
        if !self.unpacker.is_archive() {
            return std::mem::take(&mut readers.members);
        }
        if readers.members.is_empty() {
            readers.problems.push(Diagnostic {
                line: 0,
                message: "archive holds no readable member".into(),
            });
        }
        let mut out = std::mem::take(&mut readers.members);
        if !readers.problems.is_empty() {
            out.push(InputSummary {
                path: self.settings.path.clone(),
                sha256: if self.settings.hashed {
                    super::hex(&self.hasher.finalize())
                } else {
                    String::new()
                },
                format: None,
                bytes: self.bytes,
                diagnostics: std::mem::take(&mut readers.problems),
                truncated: readers.truncated,
                ..Default::default()
            });
        }
        out
    }
}

enum Kind {
    Plain,
    Tar { gz: bool },
    Zip,
}

/// Decides what `buf` starts; None = need more bytes.
fn decide(buf: &[u8], at_end: bool) -> Option<Kind> {
    if buf.starts_with(b"PK\x03\x04") || buf.starts_with(b"PK\x05\x06") {
        return Some(Kind::Zip);
    }
    if buf.starts_with(&[0x1f, 0x8b]) {
        // Only the first 512 plain bytes matter: stop inflating there, so
        // peeking into a bomb costs one step.
        let mut gz = MultiGzDecoder::new(Vec::new());
        let mut plain = Vec::new();
        let _ = inflate_stepwise(&mut gz, buf, &mut |p| {
            plain.extend_from_slice(&p[..p.len().min(512 - plain.len())]);
            plain.len() < 512
        });
        if plain.len() < 512 && at_end {
            let _ = gz.try_finish();
            let rest = gz.get_ref();
            plain.extend_from_slice(&rest[..rest.len().min(512 - plain.len())]);
        }
        if plain.len() >= 512 || at_end || buf.len() > GZIP_PEEK_LIMIT {
            let tar = plain.len() >= 512 && is_tar_header(&plain[..512]);
            return Some(if tar {
                Kind::Tar { gz: true }
            } else {
                Kind::Plain
            });
        }
        return None;
    }
    if buf.len() >= 512 {
        return Some(if is_tar_header(&buf[..512]) {
            Kind::Tar { gz: false }
        } else {
            Kind::Plain
        });
    }
    at_end.then_some(Kind::Plain)
}

/// A tar header: its checksum adds up (ustar or old v7).
fn is_tar_header(h: &[u8]) -> bool {
    h.len() >= 512 && h[0] != 0 && checksum_ok(h)
}

fn checksum_ok(h: &[u8]) -> bool {
    let Some(stored) = octal(&h[148..156]) else {
        return false;
    };
    let sum: u64 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u64
            }
        })
        .sum();
    sum == stored
}

fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256 for big sizes.
        let mut v: u64 = (field[0] & 0x7f) as u64;
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(b as u64)?;
        }
        return Some(v);
    }
    let s: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Reports odd member names (they are only names: nothing is written).
fn check_name(name: &str, out: &mut Vec<Piece>) {
    let n = name.replace('\\', "/");
    if n.starts_with('/') || n.split('/').any(|c| c == "..") || n.get(1..2) == Some(":") {
        out.push(Piece::Problem(format!(
            "member `{name}` has an absolute or `..` path: read under its name only (nothing is written)"
        )));
    }
}

#[derive(Default)]
enum TarState {
    #[default]
    Header,
    /// Member data to hand out, then padding.
    Data {
        left: u64,
        pad: u64,
    },
    /// Data to skip (links, directories' data, unknown types).
    Skip {
        left: u64,
    },
    /// A GNU long name or pax header body being collected.
    Meta {
        left: u64,
        pad: u64,
        pax: bool,
        body: Vec<u8>,
    },
    End,
}

#[derive(Default)]
struct TarReader {
    buf: Vec<u8>,
    state: TarState,
    next_name: Option<String>,
    offset: u64,
}

impl TarReader {
    fn step(&mut self, out: &mut Vec<Piece>) -> bool {
        match &mut self.state {
            TarState::End => {
                self.buf.clear();
                false
            }
            TarState::Header => {
                if self.buf.len() < 512 {
                    return false;
                }
                let h: Vec<u8> = self.buf.drain(..512).collect();
                self.offset += 512;
                if h.iter().all(|&b| b == 0) {
                    self.state = TarState::End;
                    return true;
                }
                if !checksum_ok(&h) {
                    out.push(Piece::Problem(format!(
                        "corrupt tar header at byte {}: the rest of the archive is not read",
                        self.offset - 512
                    )));
                    self.state = TarState::End;
                    return true;
                }
                let size = octal(&h[124..136]).unwrap_or(0);
                let pad = (512 - size % 512) % 512;
                let kind = h[156];
                let mut name = cstr(&h[..100]);
                if &h[257..262] == b"ustar" {
                    let prefix = cstr(&h[345..500]);
                    if !prefix.is_empty() {
                        name = format!("{prefix}/{name}");
                    }
                }
                if let Some(long) = self.next_name.take() {
                    name = long;
                }
                match kind {
                    b'0' | 0 | b'7' => {
                        if name.ends_with('/') {
                            self.state = TarState::Skip { left: size + pad };
                        } else {
                            check_name(&name, out);
                            out.push(Piece::Open(name));
                            self.state = TarState::Data { left: size, pad };
                        }
                    }
                    b'L' | b'x' => {
                        self.state = TarState::Meta {
                            left: size,
                            pad,
                            pax: kind == b'x',
                            body: Vec::new(),
                        };
                    }
                    b'5' | b'g' | b'K' => self.state = TarState::Skip { left: size + pad },
                    _ => {
                        let what = match kind {
                            b'1' => "a hard link",
                            b'2' => "a symbolic link",
                            b'3' | b'4' => "a device",
                            b'6' => "a FIFO",
                            _ => "of an unknown type",
                        };
                        out.push(Piece::Problem(format!(
                            "member `{name}` is {what}: skipped"
                        )));
                        self.state = TarState::Skip { left: size + pad };
                    }
                }
                true
            }
            TarState::Data { left, pad } => {
                if *left == 0 {
                    out.push(Piece::Close);
                    self.state = TarState::Skip { left: *pad };
                    return true;
                }
                if self.buf.is_empty() {
                    return false;
                }
                let n = (*left).min(self.buf.len() as u64) as usize;
                out.push(Piece::Data(self.buf.drain(..n).collect()));
                *left -= n as u64;
                self.offset += n as u64;
                true
            }
            TarState::Skip { left } => {
                if *left == 0 {
                    self.state = TarState::Header;
                    return true;
                }
                if self.buf.is_empty() {
                    return false;
                }
                let n = (*left).min(self.buf.len() as u64) as usize;
                self.buf.drain(..n);
                *left -= n as u64;
                self.offset += n as u64;
                true
            }
            TarState::Meta {
                left,
                pad,
                pax,
                body,
            } => {
                if *left == 0 {
                    let name = if *pax {
                        pax_path(body)
                    } else {
                        Some(cstr(body))
                    };
                    if name.is_some() {
                        self.next_name = name;
                    }
                    self.state = TarState::Skip { left: *pad };
                    return true;
                }
                if self.buf.is_empty() {
                    return false;
                }
                let n = (*left).min(self.buf.len() as u64) as usize;
                if body.len() < (1 << 20) {
                    body.extend(self.buf.drain(..n));
                } else {
                    self.buf.drain(..n);
                }
                *left -= n as u64;
                self.offset += n as u64;
                true
            }
        }
    }
}

/// The `path` record of a pax extended header (`len path=value\n`).
fn pax_path(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let (len, _) = rest.split_once(' ')?;
        let n: usize = len.parse().ok()?;
        let record = rest.get(..n)?;
        rest = &rest[n..];
        let kv = record.split_once(' ')?.1.trim_end_matches('\n');
        if let Some(p) = kv.strip_prefix("path=") {
            return Some(p.to_string());
        }
    }
    None
}

impl ArchiveReader for TarReader {
    fn push(&mut self, data: &[u8], out: &mut Vec<Piece>) {
        if matches!(self.state, TarState::End) {
            return;
        }
        self.buf.extend_from_slice(data);
        while self.step(out) {}
    }

    fn finish(&mut self, out: &mut Vec<Piece>) {
        match &self.state {
            TarState::Header if self.buf.is_empty() => {}
            TarState::End | TarState::Skip { .. } if self.buf.is_empty() => {}
            TarState::Data { left, .. } => {
                out.push(Piece::Problem(format!(
                    "tar is truncated: the last member lacks {left} bytes"
                )));
                out.push(Piece::Close);
            }
            _ => out.push(Piece::Problem(
                "tar is truncated: it ends inside a header or padding".into(),
            )),
        }
        self.state = TarState::End;
    }
}

#[derive(Default)]
enum ZipState {
    #[default]
    Header,
    Stored {
        left: u64,
    },
    Deflate {
        inflater: Box<Decompress>,
        descriptor: bool,
        zip64: bool,
    },
    Descriptor {
        zip64: bool,
    },
    Skip {
        left: u64,
    },
    End,
}

#[derive(Default)]
struct ZipReader {
    buf: Vec<u8>,
    state: ZipState,
    open: bool,
}

fn le16(b: &[u8]) -> u64 {
    u16::from_le_bytes([b[0], b[1]]) as u64
}
fn le32(b: &[u8]) -> u64 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64
}
fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

impl ZipReader {
    fn step(&mut self, out: &mut Vec<Piece>) -> bool {
        match &mut self.state {
            ZipState::End => {
                self.buf.clear();
                false
            }
            ZipState::Header => {
                if self.buf.len() < 4 {
                    return false;
                }
                if !self.buf.starts_with(b"PK\x03\x04") {
                    if !(self.buf.starts_with(b"PK\x01\x02")
                        || self.buf.starts_with(b"PK\x05\x06")
                        || self.buf.starts_with(b"PK\x06\x06"))
                    {
                        out.push(Piece::Problem(
                            "corrupt zip: no local file header where one should be".into(),
                        ));
                    }
                    self.state = ZipState::End;
                    return true;
                }
                if self.buf.len() < 30 {
                    return false;
                }
                let flags = le16(&self.buf[6..]);
                let method = le16(&self.buf[8..]);
                let mut csize = le32(&self.buf[18..]);
                let nlen = le16(&self.buf[26..]) as usize;
                let xlen = le16(&self.buf[28..]) as usize;
                if self.buf.len() < 30 + nlen + xlen {
                    return false;
                }
                let name = String::from_utf8_lossy(&self.buf[30..30 + nlen]).into_owned();
                let extra = self.buf[30 + nlen..30 + nlen + xlen].to_vec();
                self.buf.drain(..30 + nlen + xlen);
                let mut zip64 = false;
                let mut i = 0;
                while i + 4 <= extra.len() {
                    let id = le16(&extra[i..]);
                    let len = le16(&extra[i + 2..]) as usize;
                    if id == 1 && i + 4 + 16 <= extra.len() && len >= 16 {
                        zip64 = true;
                        csize = le64(&extra[i + 12..]);
                    }
                    i += 4 + len;
                }
                let descriptor = flags & 8 != 0;
                if name.ends_with('/') {
                    self.state = ZipState::Skip { left: csize };
                    return true;
                }
                if flags & 1 != 0 {
                    out.push(Piece::Problem(format!(
                        "member `{name}` is encrypted: skipped"
                    )));
                    if descriptor {
                        self.state = ZipState::End;
                    } else {
                        self.state = ZipState::Skip { left: csize };
                    }
                    return true;
                }
                match (method, descriptor) {
                    (0, false) => {
                        check_name(&name, out);
                        out.push(Piece::Open(name));
                        self.open = true;
                        self.state = ZipState::Stored { left: csize };
                    }
                    (8, _) => {
                        check_name(&name, out);
                        out.push(Piece::Open(name));
                        self.open = true;
                        self.state = ZipState::Deflate {
                            inflater: Box::new(Decompress::new(false)),
                            descriptor,
                            zip64,
                        };
                    }
                    (_, false) => {
                        out.push(Piece::Problem(format!(
                            "member `{name}` uses compression method {method} (only stored and deflate are read): skipped"
                        )));
                        self.state = ZipState::Skip { left: csize };
                    }
                    (_, true) => {
                        out.push(Piece::Problem(format!(
                            "member `{name}` uses method {method} with a trailing size: the rest of the zip is not read"
                        )));
                        self.state = ZipState::End;
                    }
                }
                true
            }
            ZipState::Stored { left } => {
                if *left == 0 {
                    out.push(Piece::Close);
                    self.open = false;
                    self.state = ZipState::Header;
                    return true;
                }
                if self.buf.is_empty() {
                    return false;
                }
                let n = (*left).min(self.buf.len() as u64) as usize;
                out.push(Piece::Data(self.buf.drain(..n).collect()));
                *left -= n as u64;
                true
            }
            ZipState::Skip { left } => {
                if *left == 0 {
                    self.state = ZipState::Header;
                    return true;
                }
                if self.buf.is_empty() {
                    return false;
                }
                let n = (*left).min(self.buf.len() as u64) as usize;
                self.buf.drain(..n);
                *left -= n as u64;
                true
            }
            ZipState::Deflate {
                inflater,
                descriptor,
                zip64,
            } => {
                if self.buf.is_empty() {
                    return false;
                }
                let mut produced = vec![0u8; 64 * 1024];
                let (in0, out0) = (inflater.total_in(), inflater.total_out());
                let status = inflater.decompress(&self.buf, &mut produced, FlushDecompress::None);
                let used = (inflater.total_in() - in0) as usize;
                let made = (inflater.total_out() - out0) as usize;
                self.buf.drain(..used);
                if made > 0 {
                    produced.truncate(made);
                    out.push(Piece::Data(produced));
                }
                match status {
                    Ok(Status::StreamEnd) => {
                        out.push(Piece::Close);
                        self.open = false;
                        self.state = if *descriptor {
                            ZipState::Descriptor { zip64: *zip64 }
                        } else {
                            ZipState::Header
                        };
                        true
                    }
                    Ok(_) => used > 0 || made > 0,
                    Err(e) => {
                        out.push(Piece::Problem(format!("corrupt deflate data in zip: {e}")));
                        out.push(Piece::Close);
                        self.open = false;
                        self.state = ZipState::End;
                        true
                    }
                }
            }
            ZipState::Descriptor { zip64 } => {
                let sizes = if *zip64 { 16 } else { 8 };
                let with_sig = self.buf.starts_with(b"PK\x07\x08");
                let need = 4 + sizes + if with_sig { 4 } else { 0 };
                if self.buf.len() < need.max(4) {
                    return false;
                }
                self.buf.drain(..need);
                self.state = ZipState::Header;
                true
            }
        }
    }
}

impl ArchiveReader for ZipReader {
    fn push(&mut self, data: &[u8], out: &mut Vec<Piece>) {
        if matches!(self.state, ZipState::End) {
            return;
        }
        self.buf.extend_from_slice(data);
        while self.step(out) {}
    }

    fn finish(&mut self, out: &mut Vec<Piece>) {
        if !matches!(self.state, ZipState::End | ZipState::Header)
            || !self.buf.is_empty() && !matches!(self.state, ZipState::End)
        {
            out.push(Piece::Problem(
                "zip is truncated: it ends inside a member".into(),
            ));
        }
        if self.open {
            out.push(Piece::Close);
            self.open = false;
        }
        self.state = ZipState::End;
    }
}
