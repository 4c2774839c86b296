//! Where the repository is, for every harness that reads its files.
//!
//! A leaf: it imports nothing of the crate.

use std::path::{Path, PathBuf};

/// The repository's root (this crate lives in `testing/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
