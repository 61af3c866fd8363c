//! Compiles every `catalog/*.json` document into the crate as an `include_str!` table, so that a
//! new catalog file is picked up without editing code.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=catalog");
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?);
    let catalog = manifest_dir.join("catalog");
    let mut files = catalog_files(&catalog)?;
    files.sort();

    let mut table = String::from(
        "/// `(file name, document text)` of every built-in catalog document, sorted by file name.\n\
         pub(crate) static BUILTIN_DOCUMENTS: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| io::Error::other(format!("catalog file name is not UTF-8: {path:?}")))?;
        // Relative to the crate being compiled, not to the checkout that ran this script: two
        // checkouts sharing one target directory must not read each other's files.
        let relative = format!("/catalog/{name}");
        table.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {relative:?}))),\n"
        ));
    }
    table.push_str("];\n");

    let out = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?).join("catalog.rs");
    fs::write(out, table)
}

/// The `*.json` files directly inside `dir` (not `fixtures/`); none when the folder is missing.
fn catalog_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(files)
}
