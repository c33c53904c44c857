//! The browser shells: the page ([`app`] and its views) and the analysis
//! worker ([`worker`]). Only this module touches browser types; everything
//! it shows comes from the core as plain data.

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
mod perf;
mod timeline;
mod views;
pub mod worker;

pub use blob::read_blob_chunks;
