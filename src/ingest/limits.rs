//! Every bound on what one input may cost, in one place (docs/limits.md
//! lists them with the messages they give). The defaults are the product's;
//! tests pass smaller ones to hit a limit without gigabytes of input.

use super::{archive, decode, lines};

/// Bounds for reading one dropped file (and the members of an archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest line kept; a longer one is skipped and reported.
    pub line_bytes: usize,
    /// Decoded bytes of one gzip input.
    pub decoded_bytes: u64,
    /// Members read from one archive.
    pub archive_members: usize,
    /// Decompressed bytes read from one archive, all members together.
    pub archive_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line_bytes: lines::MAX_LINE_BYTES,
            decoded_bytes: decode::MAX_DECODED_BYTES,
            archive_members: archive::MAX_MEMBERS,
            archive_bytes: archive::MAX_TOTAL_BYTES,
        }
    }
}
