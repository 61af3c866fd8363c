//! Argon2 for API keys, bounded: new hashes use argon2id with 7 MiB of memory and 5 passes
//! (one of OWASP's equivalent recommended settings, chosen over the library's 19 MiB/2 passes
//! because the memory is what a burst of verifications holds at once), and no more
//! computations run at once than the machine has cores, so a flood of first-time keys queues
//! instead of allocating without bound.
//!
//! Verification reads the parameters from the stored hash, so keys hashed with other settings
//! keep working.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::Error;

/// Memory of a new hash, in KiB.
const MEMORY_KIB: u32 = 7 * 1024;
/// Passes of a new hash.
const PASSES: u32 = 5;

/// Hashes and verifies API keys on the blocking pool, a bounded number at a time.
#[derive(Clone)]
pub(crate) struct KeyHasher {
    slots: Arc<Semaphore>,
}

impl KeyHasher {
    /// At most as many computations at once as the machine has cores.
    pub(crate) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        KeyHasher {
            slots: Arc::new(Semaphore::new(cores)),
        }
    }

    fn argon2() -> Result<Argon2<'static>, Error> {
        let params = Params::new(MEMORY_KIB, PASSES, 1, None)
            .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string of `key`.
    pub(crate) async fn hash(&self, key: String) -> Result<String, Error> {
        let _slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            Self::argon2()?
                .hash_password(key.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2: {e}")))
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
    }

    /// Whether `key` matches the PHC string `hash` (with the hash's own parameters).
    pub(crate) async fn verify(&self, key: String, hash: String) -> Result<bool, Error> {
        let _slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(key.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| Error::Internal(format!("verification task: {e}")))
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
        self.slots
            .acquire()
            .await
            .map_err(|_| Error::Internal("the argon2 slots are closed".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn new_hashes_use_7_mib_and_old_ones_still_verify() {
        let hasher = KeyHasher::new();
        let hash = hasher
            .hash("alloy_key_one_0123456789".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        assert!(
            hasher
                .verify("alloy_key_one_0123456789".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("alloy_key_two_0123456789".into(), hash)
                .await
                .unwrap()
        );
        // A hash made with the library's defaults (19 MiB, 2 passes), as stored before.
        let old = Argon2::default()
            .hash_password(b"alloy_key_old_0123456789")
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2"), "{old}");
        assert!(
            hasher
                .verify("alloy_key_old_0123456789".into(), old)
                .await
                .unwrap()
        );
    }
}
