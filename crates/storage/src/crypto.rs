//! AES-256-GCM encryption of secrets at rest, with a key ring for rotation.
//!
//! A sealed value reads `v1.<key id>.<base64 nonce‖ciphertext‖tag>`. The key id (the first
//! 4 bytes of the key's SHA-256, in hex) says which key of the ring opens it, so values sealed
//! under a previous key stay readable while a rotation re-seals them. Each value has a random
//! 96-bit nonce, and the caller binds it to its row with associated data (the row's ID), so a
//! ciphertext copied into another row does not open.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Length of an encryption key in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const VERSION: &str = "v1";

struct RingKey {
    id: String,
    cipher: Aes256Gcm,
}

/// Seals and opens secrets. The first key seals; every key opens.
pub struct SecretBox {
    keys: Vec<RingKey>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SecretBox").field("key_ids", &ids).finish()
    }
}

impl SecretBox {
    /// A box sealing with `current` and also opening values sealed under `previous` keys.
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> Result<Self, Error> {
        let keys = std::iter::once(current)
            .chain(previous.iter().map(Vec::as_slice))
            .map(ring_key)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SecretBox { keys })
    }

    /// A box over one freshly generated key (tests, first start).
    pub fn generate_key() -> [u8; KEY_LEN] {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        key
    }

    /// The id of the sealing key.
    pub fn current_key_id(&self) -> &str {
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    /// Seals `plaintext`, bound to `aad` (the owning row's ID).
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<String, Error> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| Error::Config("no encryption key".into()))?;
        let mut nonce_bytes = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce_bytes);
        let nonce = aes_gcm::Nonce::try_from(&nonce_bytes[..])
            .map_err(|_| Error::Config("nonce length".into()))?;
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Corrupt("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}.{}.{}",
            key.id,
            STANDARD_NO_PAD.encode(out)
        ))
    }

    /// Opens a sealed value; fails if it was tampered with, bound to another `aad`, or sealed
    /// under a key this box does not hold.
    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, Error> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Corrupt("not a sealed value".into()));
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == kid)
            .ok_or_else(|| Error::Corrupt(format!("sealed under unknown key {kid}")))?;
        let bytes = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| Error::Corrupt("sealed value is not base64".into()))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(Error::Corrupt("sealed value too short".into()));
        }
        let (nonce_bytes, ct) = bytes.split_at(NONCE_LEN);
        let nonce = aes_gcm::Nonce::try_from(nonce_bytes)
            .map_err(|_| Error::Corrupt("nonce length".into()))?;
        key.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Corrupt("sealed value does not authenticate".into()))
    }

    /// Opens a sealed UTF-8 string.
    pub fn open_string(&self, sealed: &str, aad: &str) -> Result<String, Error> {
        String::from_utf8(self.open(sealed, aad)?).map_err(|_| Error::Corrupt("not UTF-8".into()))
    }

    /// Whether `sealed` was sealed under the current key (rotation skips those).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) == Some(self.current_key_id())
    }
}

fn ring_key(bytes: &[u8]) -> Result<RingKey, Error> {
    if bytes.len() != KEY_LEN {
        return Err(Error::Config(format!(
            "encryption key must be {KEY_LEN} bytes, got {}",
            bytes.len()
        )));
    }
    let key = Key::<Aes256Gcm>::try_from(bytes).map_err(|_| Error::Config("key length".into()))?;
    let id = hex::encode(&Sha256::digest(bytes)[..4]);
    Ok(RingKey {
        id,
        cipher: Aes256Gcm::new(&key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_rejects_tampering() {
        let b = SecretBox::new(&SecretBox::generate_key(), &[]).unwrap();
        let s = b.seal(b"mcp_token_secret", "row-1").unwrap();
        assert!(!s.contains("secret"));
        assert_eq!(b.open(&s, "row-1").unwrap(), b"mcp_token_secret");
        assert!(b.open(&s, "row-2").is_err(), "bound to its row");
        let mut tampered = s.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            b.open(std::str::from_utf8(&tampered).unwrap(), "row-1")
                .is_err()
        );
        assert_ne!(
            b.seal(b"x", "r").unwrap(),
            b.seal(b"x", "r").unwrap(),
            "fresh nonce"
        );
    }

    #[test]
    fn rotation_ring() {
        let old = SecretBox::generate_key();
        let new = SecretBox::generate_key();
        let old_box = SecretBox::new(&old, &[]).unwrap();
        let sealed_old = old_box.seal(b"v", "a").unwrap();
        let ring = SecretBox::new(&new, &[old.to_vec()]).unwrap();
        assert_eq!(ring.open(&sealed_old, "a").unwrap(), b"v");
        assert!(!ring.is_current(&sealed_old));
        let resealed = ring.seal(b"v", "a").unwrap();
        assert!(ring.is_current(&resealed));
        assert!(old_box.open(&resealed, "a").is_err());
        assert!(SecretBox::new(&[0u8; 16], &[]).is_err());
    }
}
