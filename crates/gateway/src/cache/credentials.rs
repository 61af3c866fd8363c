//! The credentials warm `execute_action_alloy` calls use, kept in memory so that a call does not
//! read (and decrypt) its credential's row every time.
//!
//! An entry is found by its owner (account and user), connector and the credential ID the
//! call named, if any. Every credential write of this replica (created, deleted, refreshed,
//! marked for re-authorization, a user's data removed) forgets the owner's entries here and
//! announces it to the other replicas; no entry is trusted past the cache's freshness bound or
//! past its token's expiry. A read that raced a write is not kept: entries carry the
//! generation of the cache they were read in.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alloy_storage::{CredentialRecord, SecretFields};
use dashmap::DashMap;
use sha2::{Digest, Sha256};

use super::{Entry, fresh, insert};

/// A credential record with its opened secret, shared by the calls that use it.
pub type KeptCredential = Arc<(CredentialRecord, SecretFields)>;

/// The key of an owner's entries: the digest of the account and user (user IDs may be long;
/// the digest is also what is announced to the other replicas).
pub fn owner_digest(account_id: &str, user_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(account_id.as_bytes());
    h.update([0]);
    h.update(user_id.as_bytes());
    h.finalize().into()
}

fn entry_key(owner: &[u8; 32], connector_id: &str, credential_id: Option<&str>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(owner);
    h.update(connector_id.as_bytes());
    h.update([0]);
    if let Some(id) = credential_id {
        h.update([1]);
        h.update(id.as_bytes());
    }
    h.finalize().into()
}

/// The kept credentials of one replica.
#[derive(Default)]
pub(super) struct CredentialEntries {
    /// By [`entry_key`]: the owner's digest (for forgetting) and the credential.
    map: DashMap<[u8; 32], Entry<([u8; 32], KeptCredential)>>,
    /// Moves on every forgetting, so that a read begun before it is not kept after it.
    generation: AtomicU64,
}

impl CredentialEntries {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn get(
        &self,
        owner: &[u8; 32],
        connector_id: &str,
        credential_id: Option<&str>,
        fresh_for: std::time::Duration,
    ) -> Option<KeptCredential> {
        let (_, kept) = fresh(
            &self.map,
            &entry_key(owner, connector_id, credential_id),
            fresh_for,
        )?;
        let unexpired = kept.0.expires_at.is_none_or(|t| t > chrono::Utc::now());
        unexpired.then_some(kept)
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(super) fn keep(
        &self,
        generation: u64,
        owner: [u8; 32],
        connector_id: &str,
        credential_id: Option<&str>,
        value: KeptCredential,
    ) {
        let key = entry_key(&owner, connector_id, credential_id);
        insert(&self.map, key, (owner, value));
        // Forgotten meanwhile: what was read may be what the change replaced.
        if self.generation() != generation {
            self.map.remove(&key);
        }
    }

    pub(super) fn forget_owner(&self, owner: &[u8; 32]) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.map.retain(|_, e| &e.value.0 != owner);
    }

    pub(super) fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use alloy_storage::CredentialStatus;
    use chrono::Utc;

    use super::*;

    fn credential(id: &str, expires_in: Option<chrono::Duration>) -> KeptCredential {
        let now = Utc::now();
        Arc::new((
            CredentialRecord {
                credential_id: id.to_owned(),
                account_id: "a".into(),
                user_id: "u".into(),
                connector_id: "github".into(),
                auth_type: "bearer".into(),
                status: CredentialStatus::Active,
                refreshable: false,
                expires_at: expires_in.map(|d| now + d),
                refreshed_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            },
            SecretFields::default(),
        ))
    }

    const FRESH: Duration = Duration::from_secs(60);

    #[test]
    fn entries_are_per_owner_connector_and_named_id() {
        let entries = CredentialEntries::default();
        let alice = owner_digest("a", "alice");
        let bob = owner_digest("a", "bob");
        assert_ne!(
            alice,
            owner_digest("aalice", ""),
            "the parts are kept apart"
        );
        let g = entries.generation();
        entries.keep(g, alice, "github", None, credential("c1", None));
        entries.keep(g, alice, "github", Some("c2"), credential("c2", None));
        entries.keep(g, bob, "github", None, credential("c3", None));
        let id = |e: Option<KeptCredential>| e.map(|e| e.0.credential_id.clone());
        assert_eq!(
            id(entries.get(&alice, "github", None, FRESH)),
            Some("c1".into())
        );
        assert_eq!(
            id(entries.get(&alice, "github", Some("c2"), FRESH)),
            Some("c2".into())
        );
        assert_eq!(id(entries.get(&alice, "slack", None, FRESH)), None);
        assert_eq!(
            id(entries.get(&bob, "github", None, FRESH)),
            Some("c3".into())
        );

        entries.forget_owner(&alice);
        assert!(entries.get(&alice, "github", None, FRESH).is_none());
        assert!(entries.get(&alice, "github", Some("c2"), FRESH).is_none());
        assert!(
            entries.get(&bob, "github", None, FRESH).is_some(),
            "others' stay"
        );
        entries.forget_all();
        assert!(entries.get(&bob, "github", None, FRESH).is_none());
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let entries = CredentialEntries::default();
        let owner = owner_digest("a", "u");
        let before = entries.generation();
        entries.forget_owner(&owner_digest("a", "someone else"));
        entries.keep(before, owner, "github", None, credential("old", None));
        assert!(entries.get(&owner, "github", None, FRESH).is_none());
        entries.keep(
            entries.generation(),
            owner,
            "github",
            None,
            credential("new", None),
        );
        assert!(entries.get(&owner, "github", None, FRESH).is_some());
    }

    #[test]
    fn entries_age_and_expire() {
        let entries = CredentialEntries::default();
        let owner = owner_digest("a", "u");
        let g = entries.generation();
        entries.keep(g, owner, "github", None, credential("c", None));
        assert!(
            entries
                .get(&owner, "github", None, Duration::ZERO)
                .is_none()
        );
        let expired = credential("e", Some(chrono::Duration::seconds(-1)));
        entries.keep(g, owner, "slack", None, expired);
        assert!(entries.get(&owner, "slack", None, FRESH).is_none());
        let valid = credential("v", Some(chrono::Duration::seconds(60)));
        entries.keep(g, owner, "slack", None, valid);
        assert!(entries.get(&owner, "slack", None, FRESH).is_some());
    }
}
