//! Decompression on the fly: gzip is recognised by its magic bytes, not by
//! the file name, and streamed so a multi-GB `.gz` never sits in memory.

use flate2::write::MultiGzDecoder;
use std::io::Write;

/// Decoded bytes allowed per input, so a gzip bomb stops with a message.
pub const MAX_DECODED_BYTES: u64 = 64 << 30;

/// Compressed bytes inflated at a time. Deflate expands at most ~1032×, so
/// one step yields at most ~4 MiB: a bomb's output passes through in
/// bounded pieces instead of landing in one buffer (a 4 MiB slice of a
/// bomb would otherwise be 4 GiB at once — past wasm32's whole memory).
pub const GZIP_STEP: usize = 4096;

/// Writes `chunk` into `gz` in [`GZIP_STEP`] pieces, handing the plain
/// bytes of each step to `emit`. `emit` returns false to stop early (a
/// limit was hit); the rest of `chunk` is then not inflated.
pub fn inflate_stepwise(
    gz: &mut MultiGzDecoder<Vec<u8>>,
    chunk: &[u8],
    emit: &mut dyn FnMut(&[u8]) -> bool,
) -> std::io::Result<()> {
    for step in chunk.chunks(GZIP_STEP) {
        if !inflate_step(gz, step, emit)? {
            break;
        }
    }
    Ok(())
}

/// Inflates one step; false when `emit` asked to stop.
fn inflate_step(
    gz: &mut MultiGzDecoder<Vec<u8>>,
    step: &[u8],
    emit: &mut dyn FnMut(&[u8]) -> bool,
) -> std::io::Result<bool> {
    let result = gz.write_all(step);
    let plain = std::mem::take(gz.get_mut());
    let go_on = plain.is_empty() || emit(&plain);
    // Hand the buffer back so its capacity is reused.
    *gz.get_mut() = plain;
    gz.get_mut().clear();
    result?;
    Ok(go_on)
}

/// A gzip stream inflated in [`GZIP_STEP`] steps counted from the stream's
/// start, not from the caller's chunks: flate2 drops the output of a write
/// that fails, so with chunk-relative steps how much comes out before
/// corrupt data would depend on where the file was cut into chunks.
#[derive(Default)]
pub struct Inflater {
    gz: Option<MultiGzDecoder<Vec<u8>>>,
    /// Input of the step not yet complete (less than [`GZIP_STEP`] bytes).
    pending: Vec<u8>,
}

impl Inflater {
    fn gz(&mut self) -> &mut MultiGzDecoder<Vec<u8>> {
        self.gz
            .get_or_insert_with(|| MultiGzDecoder::new(Vec::new()))
    }

    /// Inflates `chunk`, handing plain bytes to `emit` (false stops early,
    /// see [`inflate_stepwise`]); up to one step of input waits for the
    /// next chunk or [`Inflater::finish`].
    pub fn push(
        &mut self,
        mut chunk: &[u8],
        emit: &mut dyn FnMut(&[u8]) -> bool,
    ) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let take = (GZIP_STEP - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.pending.len() < GZIP_STEP {
                return Ok(());
            }
            let step = std::mem::take(&mut self.pending);
            if !inflate_step(self.gz(), &step, emit)? {
                return Ok(());
            }
        }
        let whole = chunk.len() - chunk.len() % GZIP_STEP;
        for step in chunk[..whole].chunks(GZIP_STEP) {
            if !inflate_step(self.gz(), step, emit)? {
                return Ok(());
            }
        }
        self.pending.extend_from_slice(&chunk[whole..]);
        Ok(())
    }

    /// Ends the stream: the waiting input, then what the decoder holds.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), GzipEnd> {
        let step = std::mem::take(&mut self.pending);
        if !step.is_empty() && !inflate_step(self.gz(), &step, emit).map_err(GzipEnd::Corrupt)? {
            return Ok(());
        }
        let gz = self.gz();
        let result = gz.try_finish();
        let rest = std::mem::take(gz.get_mut());
        if !rest.is_empty() {
            emit(&rest);
        }
        result.map_err(|_| GzipEnd::Truncated)
    }
}

/// How a gzip stream ended badly.
pub enum GzipEnd {
    /// Its last bytes are not valid deflate data.
    Corrupt(std::io::Error),
    /// It stops before its end.
    Truncated,
}

/// The message when an input expands past `max` decoded bytes.
pub fn bomb_message(max: u64) -> String {
    format!(
        "gzip expands past {}: stopped reading, the rest of the input is skipped (possible decompression bomb)",
        human_bytes(max)
    )
}

/// `64 GiB`, `1 MiB`, `512 bytes`: limits as people write them.
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Gzip or plain, decided by the first two bytes.
pub struct Decoder {
    state: State,
    /// Decoded bytes allowed (see [`MAX_DECODED_BYTES`]).
    max: u64,
}

enum State {
    /// Not enough bytes seen yet to tell.
    Undecided(Vec<u8>),
    Plain,
    Gzip {
        inner: Box<Inflater>,
        produced: u64,
        failed: bool,
    },
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::with_limit(MAX_DECODED_BYTES)
    }

    /// A decoder that stops a gzip input after `max` decoded bytes.
    pub fn with_limit(max: u64) -> Self {
        Decoder {
            state: State::Undecided(Vec::new()),
            max,
        }
    }

    /// Decodes `chunk`, handing the plain bytes to `emit` piece by piece
    /// (see [`inflate_stepwise`]).
    pub fn push(&mut self, chunk: &[u8], emit: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        if let State::Undecided(head) = &mut self.state {
            head.extend_from_slice(chunk);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.state = if head.starts_with(&[0x1f, 0x8b]) {
                State::Gzip {
                    inner: Box::default(),
                    produced: 0,
                    failed: false,
                }
            } else {
                State::Plain
            };
            return self.push(&head, emit);
        }
        let max = self.max;
        match &mut self.state {
            State::Plain => {
                emit(chunk);
                Ok(())
            }
            State::Gzip {
                inner,
                produced,
                failed,
            } => {
                if *failed {
                    return Ok(());
                }
                let mut over = false;
                let result = inner.push(chunk, &mut |plain| {
                    over = !take_within(max, produced, plain, emit);
                    !over
                });
                if over {
                    *failed = true;
                    return Err(bomb_message(max));
                }
                result.map_err(|e| {
                    *failed = true;
                    format!("corrupt gzip data after {produced} decoded bytes: {e}")
                })
            }
            State::Undecided(_) => unreachable!("decided above"),
        }
    }

    /// Ends the stream; a gzip stream cut short is an error.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        let max = self.max;
        match &mut self.state {
            State::Undecided(head) => {
                emit(head);
                head.clear();
                Ok(())
            }
            State::Plain => Ok(()),
            State::Gzip {
                inner,
                produced,
                failed,
            } => {
                if *failed {
                    return Ok(());
                }
                let mut over = false;
                let result = inner.finish(&mut |plain| {
                    over = !take_within(max, produced, plain, emit);
                    !over
                });
                if over {
                    *failed = true;
                    return Err(bomb_message(max));
                }
                result.map_err(|end| match end {
                    GzipEnd::Corrupt(e) => {
                        format!("corrupt gzip data after {produced} decoded bytes: {e}")
                    }
                    GzipEnd::Truncated => {
                        format!("gzip stream is truncated: it ends after {produced} decoded bytes")
                    }
                })
            }
        }
    }
}

/// Emits what of `plain` still fits under `max`; false when some did not.
fn take_within(max: u64, produced: &mut u64, plain: &[u8], emit: &mut dyn FnMut(&[u8])) -> bool {
    let room = max.saturating_sub(*produced);
    let keep = (plain.len() as u64).min(room) as usize;
    *produced += keep as u64;
    if keep > 0 {
        emit(&plain[..keep]);
    }
    keep == plain.len()
}
