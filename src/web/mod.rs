//! The browser shells: the page ([`app`] and its views), the analysis
//! worker ([`worker`]) and the tools worker ([`tools`]: samples, exports
//! and evidence hashes, loaded on first use). Only this module touches browser types;
//! everything it shows comes from the core as plain data.

mod about;
pub mod app;
mod blob;
mod casefile;
mod dom;
mod explorer;
mod findings;
mod hunt;
mod lanes;
mod learn;
mod marks;
mod message;
mod perf;
mod timeline;
pub mod tools;
mod views;
pub mod worker;

/// Talc instead of Rust's default wasm allocator (dlmalloc): every parsed
/// record is a tree of small allocations, and dlmalloc's bins cost the
/// analysis worker 7 % of its time; small blocks are recycled on free lists
/// in front of it (`small_blocks`).
#[global_allocator]
static ALLOCATOR: crate::small_blocks::SmallBlocks<talc::wasm::WasmDynamicTalc> =
    crate::small_blocks::SmallBlocks::new(talc::wasm::new_wasm_dynamic_allocator());

pub use blob::{read_blob_chunks, read_chunks, sha256_hex, SliceDigest, SliceHashes};
