//! The release manifest (`dist/manifest.json`, and the part a page can know
//! embedded in it as an inert JSON block) and the check of the page's own
//! wasm modules against it.
//!
//! Why: a responder handed a copy of the page should see which release it
//! claims to be and whether the code actually running matches the digests
//! published with that release. A file cannot hold its own hash, so the
//! page lists the digests of what it embeds (the wasm modules, and for the
//! hosted build its scripts) and the user checks the file itself with
//! `sha256sum` against the `manifest.json` published beside it.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What `scripts/build-web.mjs` writes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// RFC 3339 (`SOURCE_DATE_EPOCH` when set, for reproducible builds).
    pub built: String,
    /// SHA-256 (hex) of each wasm module as compiled, before base64.
    #[serde(default)]
    pub wasm: BTreeMap<String, String>,
    /// Size and SHA-256 of each file of the release (in the page: only the
    /// files other than itself).
    #[serde(default)]
    pub artifacts: BTreeMap<String, Artifact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Artifact {
    pub bytes: u64,
    pub sha256: String,
}

/// The outcome of hashing a module the page runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Its SHA-256 is the one the manifest lists.
    Verified,
    /// It differs: the page was altered after the build (or the manifest).
    Mismatch { actual: String },
    /// The manifest does not list this module.
    Unlisted,
}

impl Manifest {
    pub fn from_json(text: &str) -> Result<Manifest, String> {
        serde_json::from_str(text).map_err(|e| format!("release manifest: {e}"))
    }

    /// Hashes `bytes` and compares with the digest listed for `module`.
    pub fn check(&self, module: &str, bytes: &[u8]) -> Check {
        self.check_digest(module, &sha256_hex(bytes))
    }

    /// Compares a digest (hex) computed elsewhere, e.g. in the worker.
    pub fn check_digest(&self, module: &str, actual: &str) -> Check {
        match self.wasm.get(module) {
            None => Check::Unlisted,
            Some(listed) if listed.eq_ignore_ascii_case(actual) => Check::Verified,
            Some(_) => Check::Mismatch {
                actual: actual.to_string(),
            },
        }
    }
}

/// Lower-case hex SHA-256, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::ingest::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn manifest() -> Manifest {
        Manifest::from_json(&format!(
            r#"{{"name":"spoor","version":"0.1.0","built":"2026-11-26T00:00:00.000Z",
                "wasm":{{"app_bg.wasm":"{EMPTY}","worker_bg.wasm":"{}"}},
                "artifacts":{{"app.js":{{"bytes":3,"sha256":"{EMPTY}"}}}}}}"#,
            sha256_hex(b"\0asm")
        ))
        .unwrap()
    }

    #[test]
    fn verifies_listed_modules_and_names_mismatches() {
        let m = manifest();
        assert_eq!(m.version, "0.1.0");
        assert_eq!(m.artifacts["app.js"].bytes, 3);
        assert_eq!(m.check("app_bg.wasm", b""), Check::Verified);
        assert_eq!(m.check("worker_bg.wasm", b"\0asm"), Check::Verified);
        // One byte changed: a mismatch that names the digest seen.
        assert_eq!(
            m.check("worker_bg.wasm", b"\0asn"),
            Check::Mismatch {
                actual: sha256_hex(b"\0asn")
            }
        );
        assert_eq!(m.check("other.wasm", b""), Check::Unlisted);
        assert_eq!(
            m.check_digest("app_bg.wasm", &EMPTY.to_uppercase()),
            Check::Verified
        );
    }

    #[test]
    fn a_broken_manifest_is_an_error() {
        assert!(Manifest::from_json("{").is_err());
        assert!(Manifest::from_json(r#"{"name":"spoor"}"#).is_err());
        assert_eq!(sha256_hex(b""), EMPTY);
    }
}
