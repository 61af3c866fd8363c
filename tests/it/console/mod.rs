//! The admin console (`/admin`): driven in real browsers.

mod browser;
mod firefox;

use std::path::{Path, PathBuf};

/// tests/node, where the browser scripts and their npm packages are.
pub(super) fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// `$CARGO_TARGET_DIR`, else the workspace's `target/` (screenshots go under it).
pub(super) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_dir().join(dir)
            }
        }
        _ => workspace_dir().join("target"),
    }
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is inside the workspace")
        .to_owned()
}
