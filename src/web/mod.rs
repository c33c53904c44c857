//! The browser shells: the page ([`app`]) and the analysis worker
//! ([`worker`]). Only this module touches browser types; everything it shows
//! comes from the core as plain data.

pub mod app;
mod blob;
mod dom;
pub mod worker;

pub use blob::read_blob_chunks;
