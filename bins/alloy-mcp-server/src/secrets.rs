//! The encryption key and JWT secret: from settings, or generated once into the data directory.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::settings::StoreSettings;

const KEY_FILE: &str = "encryption.key";
const JWT_FILE: &str = "jwt.secret";

/// Decodes a base64 32-byte key.
pub fn decode_key(b64: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(b64.trim())
        .context("encryption key is not base64")?;
    if bytes.len() != alloy_storage::KEY_LEN {
        bail!(
            "encryption key must decode to 32 bytes, got {}",
            bytes.len()
        );
    }
    Ok(bytes)
}

/// The secret box of the settings: the configured key, or the data directory's key file
/// (created with mode 0600 on first use), plus previous keys for rotation.
pub fn secret_box(store: &StoreSettings) -> anyhow::Result<alloy_storage::SecretBox> {
    let current = match &store.encryption_key {
        Some(k) => decode_key(k)?,
        None => {
            let b64 = read_or_create(&store.data_dir, KEY_FILE, || {
                STANDARD.encode(alloy_storage::SecretBox::generate_key())
            })?;
            decode_key(&b64).with_context(|| format!("{KEY_FILE} in the data directory"))?
        }
    };
    let previous = store
        .previous_encryption_keys
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| decode_key(k))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(alloy_storage::SecretBox::new(&current, &previous)?)
}

/// The JWT secret: the configured one (at least 32 bytes), or the data directory's file.
pub fn jwt_secret(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    match configured {
        Some(s) if s.len() < 32 => bail!("ALLOY_JWT_SECRET must be at least 32 bytes"),
        Some(s) => Ok(s.as_bytes().to_vec()),
        None => Ok(read_or_create(data_dir, JWT_FILE, || {
            let mut bytes = [0u8; 48];
            rand::rng().fill_bytes(&mut bytes);
            STANDARD.encode(bytes)
        })?
        .into_bytes()),
    }
}

fn read_or_create(dir: &Path, name: &str, make: impl FnOnce() -> String) -> anyhow::Result<String> {
    let path = dir.join(name);
    match fs::read_to_string(&path) {
        Ok(s) => return Ok(s.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let value = make();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut f) => {
            f.write_all(value.as_bytes())?;
            f.sync_all()?;
            tracing::info!(file = %path.display(), "generated {name}");
            Ok(value)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(fs::read_to_string(&path)?.trim().to_owned())
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}
