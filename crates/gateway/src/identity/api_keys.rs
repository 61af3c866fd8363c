//! API keys: argon2-hashed at rest, verified once per replica and then trusted from a cache.
//!
//! A presented key is found by the first 16 hex characters of its SHA-256 (so garbage keys
//! cost a database read, not an argon2 computation), checked with argon2 once, and then
//! remembered by its full SHA-256. A remembered key is re-read by ID (cheap) every
//! `recheck` interval, so a revocation made elsewhere takes effect within that interval, and
//! at once on the replica that revoked it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_domain::ids::{generate_api_key, is_api_key_format};
use alloy_domain::{ApiError, ErrorCode, FieldError};
use alloy_storage::{ApiKeyRecord, Database, NewApiKey};
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::audit::{AuditEvent, AuditWriter, Outcome};
use crate::cache::changes::{Announcer, Change};
use crate::error::Error;
use crate::identity::key_hasher::KeyHasher;

/// A key just created: the only time the key itself is available.
pub struct CreatedApiKey {
    /// The key; show it once.
    pub key: String,
    /// Its stored record.
    pub record: ApiKeyRecord,
}

#[derive(Clone)]
struct VerifiedKey {
    key_id: String,
    account_id: String,
    user_id: String,
    expires_at: Option<DateTime<Utc>>,
    checked_at: Instant,
}

/// Creates, verifies and revokes API keys.
#[derive(Clone)]
pub struct ApiKeyService {
    db: Database,
    audit: AuditWriter,
    announcer: Announcer,
    recheck: Duration,
    by_digest: Arc<DashMap<[u8; 32], VerifiedKey>>,
    /// Keys known to be active, by ID, with when that was last read (user tokens check it).
    active_ids: Arc<DashMap<String, Instant>>,
    /// Argon2 verifications run so far (the cache's hit rate is visible through it).
    argon2_runs: Arc<AtomicU64>,
    /// One verification at a time per presented key: a burst of first requests with a new key
    /// waits for one argon2 run instead of starting one each.
    in_flight: Arc<DashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    /// Argon2, a bounded number of computations at a time.
    hasher: KeyHasher,
}

/// The identity an API key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentity {
    /// Key ID.
    pub key_id: String,
    /// Account.
    pub account_id: String,
    /// Default user.
    pub user_id: String,
    /// When the key expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

impl VerifiedKey {
    fn identity(&self) -> KeyIdentity {
        KeyIdentity {
            key_id: self.key_id.clone(),
            account_id: self.account_id.clone(),
            user_id: self.user_id.clone(),
            expires_at: self.expires_at,
        }
    }
}

fn lookup_of(digest: &[u8; 32]) -> String {
    hex::encode(&digest[..8])
}

fn unauthorized() -> Error {
    ApiError::unauthorized("Invalid or missing authentication").into()
}

impl ApiKeyService {
    pub(crate) fn new(
        db: Database,
        recheck: Duration,
        audit: AuditWriter,
        announcer: Announcer,
    ) -> Self {
        ApiKeyService {
            db,
            audit,
            announcer,
            recheck,
            by_digest: Arc::new(DashMap::new()),
            active_ids: Arc::new(DashMap::new()),
            argon2_runs: Arc::new(AtomicU64::new(0)),
            in_flight: Arc::new(DashMap::new()),
            hasher: KeyHasher::new(),
        }
    }

    /// Creates an account-scoped key. With `key` given (bootstrap from a setting) that key is
    /// stored; otherwise one is generated.
    pub async fn create(
        &self,
        account_id: &str,
        user_id: &str,
        name: &str,
        key: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<CreatedApiKey, Error> {
        let key = key.unwrap_or_else(generate_api_key);
        if !is_api_key_format(&key) {
            return Err(ApiError::validation(FieldError::new(
                ErrorCode::InvalidFormat,
                "apiKey",
                "pattern",
                "^[A-Za-z0-9_-]{16,}$",
                "API keys are at least 16 characters of letters, digits, underscores and hyphens",
            ))
            .into());
        }
        alloy_domain::ids::validate_user_id("userId", user_id)?;
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let hash = self.hasher.hash(key.clone()).await?;
        let record = self
            .db
            .api_keys()
            .insert(NewApiKey {
                id: uuid_like(),
                account_id: account_id.to_owned(),
                user_id: user_id.to_owned(),
                name: name.to_owned(),
                prefix: key.chars().take(10).collect(),
                lookup: lookup_of(&digest),
                hash,
                expires_at,
            })
            .await?;
        // Whoever created the key knows it is this one: its first use needs no argon2 run
        // (the 7 MiB and tens of milliseconds one costs) on this replica.
        self.remember(digest, &record);
        self.audit.record(
            AuditEvent::new("key.created", Outcome::Ok)
                .in_account(account_id, Some(user_id), "operator")
                .details(serde_json::json!({ "keyId": record.id, "name": record.name })),
        );
        Ok(CreatedApiKey { key, record })
    }

    /// Verifies a presented key; `401` for anything but an active key.
    pub async fn verify(&self, key: &str) -> Result<KeyIdentity, Error> {
        if !is_api_key_format(key) {
            return Err(unauthorized());
        }
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let now = Utc::now();
        let cached = self.by_digest.get(&digest).map(|e| e.value().clone());
        if let Some(mut hit) = cached {
            if hit.expires_at.is_some_and(|e| e <= now) {
                self.by_digest.remove(&digest);
                return Err(unauthorized());
            }
            if hit.checked_at.elapsed() >= self.recheck {
                match self.db.api_keys().get(&hit.key_id).await? {
                    Some(r) if r.is_active(now) => {
                        hit.checked_at = Instant::now();
                        hit.expires_at = r.expires_at;
                        self.by_digest.insert(digest, hit.clone());
                    }
                    _ => {
                        self.forget(&hit.key_id);
                        return Err(unauthorized());
                    }
                }
            }
            return Ok(hit.identity());
        }
        let gate = self.in_flight.entry(digest).or_default().clone();
        let result = {
            let _turn = gate.lock().await;
            self.verify_uncached(key, &digest, now).await
        };
        // Every holder lets go of its copy before looking, so the last one out sees only the
        // map's copy and removes the gate; anyone still waiting keeps it alive.
        drop(gate);
        self.in_flight
            .remove_if(&digest, |_, gate| Arc::strong_count(gate) == 1);
        result
    }

    /// The cache miss: find the row by digest prefix and run argon2. Called with the key's
    /// in-flight lock held, so it first looks again at what the previous holder cached.
    async fn verify_uncached(
        &self,
        key: &str,
        digest: &[u8; 32],
        now: chrono::DateTime<Utc>,
    ) -> Result<KeyIdentity, Error> {
        if let Some(hit) = self.by_digest.get(digest) {
            return Ok(hit.identity());
        }
        let candidates = self.db.api_keys().by_lookup(&lookup_of(digest)).await?;
        for record in candidates {
            if !record.is_active(now) {
                continue;
            }
            self.argon2_runs.fetch_add(1, Ordering::Relaxed);
            let matches = self
                .hasher
                .verify(key.to_owned(), record.hash.clone())
                .await?;
            if matches {
                return Ok(self.remember(*digest, &record));
            }
        }
        Err(unauthorized())
    }

    /// Caches `record` as the key whose digest is `digest`, verified now.
    fn remember(&self, digest: [u8; 32], record: &ApiKeyRecord) -> KeyIdentity {
        let verified = VerifiedKey {
            key_id: record.id.clone(),
            account_id: record.account_id.clone(),
            user_id: record.user_id.clone(),
            expires_at: record.expires_at,
            checked_at: Instant::now(),
        };
        let identity = verified.identity();
        self.by_digest.insert(digest, verified);
        self.active_ids.insert(record.id.clone(), Instant::now());
        identity
    }

    /// Whether the key with this ID is still active (user tokens die with their key). Read
    /// from the database at most once per recheck interval.
    pub async fn is_active(&self, key_id: &str) -> Result<bool, Error> {
        if let Some(at) = self.active_ids.get(key_id)
            && at.elapsed() < self.recheck
        {
            return Ok(true);
        }
        let active = self
            .db
            .api_keys()
            .get(key_id)
            .await?
            .is_some_and(|r| r.is_active(Utc::now()));
        if active {
            self.active_ids.insert(key_id.to_owned(), Instant::now());
        } else {
            self.forget(key_id);
        }
        Ok(active)
    }

    /// Revokes a key by ID; effective at once on this replica. `false` if no such key.
    pub async fn revoke(&self, key_id: &str) -> Result<bool, Error> {
        let record = self.db.api_keys().get(key_id).await?;
        let found = self.db.api_keys().revoke(key_id).await?;
        self.forget(key_id);
        if found {
            // Console sessions signed in with the key (or its user tokens) end with it.
            self.db.console_sessions().end_for_key(key_id).await?;
            // So do the MCP clients signed in with it.
            self.db
                .authorization()
                .revoke_grants_where(&alloy_storage::GrantFilter {
                    key_id: Some(key_id),
                    ..Default::default()
                })
                .await?;
            self.announcer
                .announce(Change::Key(key_id.to_owned()))
                .await;
        }
        if let (true, Some(record)) = (found, record) {
            self.audit.record(
                AuditEvent::new("key.revoked", Outcome::Ok)
                    .in_account(&record.account_id, Some(&record.user_id), "operator")
                    .details(serde_json::json!({ "keyId": record.id, "name": record.name })),
            );
        }
        Ok(found)
    }

    /// How many argon2 verifications this service has run. A repeated request with a known key
    /// runs none; only the first use of a key on a replica (and a key whose lookup prefix
    /// matches a stored one) does.
    pub fn argon2_verifications(&self) -> u64 {
        self.argon2_runs.load(Ordering::Relaxed)
    }

    /// One key's record by ID, active or not.
    pub async fn get(&self, key_id: &str) -> Result<Option<ApiKeyRecord>, Error> {
        Ok(self.db.api_keys().get(key_id).await?)
    }

    /// Keys of one account or of all.
    pub async fn list(&self, account_id: Option<&str>) -> Result<Vec<ApiKeyRecord>, Error> {
        Ok(self.db.api_keys().list(account_id).await?)
    }

    fn forget(&self, key_id: &str) {
        self.by_digest.retain(|_, v| v.key_id != key_id);
        self.active_ids.remove(key_id);
    }

    /// Forgets a key verified earlier (another replica revoked it): its next use reads its row.
    pub fn forget_key(&self, key_id: &str) {
        self.forget(key_id);
    }

    /// Forgets every verified key (announcements may have been missed): each is verified
    /// again at its next use. Rare: only after the change notifications were interrupted.
    pub fn forget_all_keys(&self) {
        self.active_ids.clear();
        self.by_digest.clear();
    }
}

/// A random 128-bit ID in hex.
pub(crate) fn uuid_like() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_storage::testing::TestDatabase;

    fn service(db: &Database) -> ApiKeyService {
        ApiKeyService::new(
            db.clone(),
            Duration::from_secs(60),
            crate::audit::AuditWriter::disabled(),
            Announcer::new(
                db.clone(),
                Arc::new(crate::cache::AccessCache::new(Duration::ZERO)),
            ),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_first_requests_runs_argon2_once() {
        let t = TestDatabase::sqlite().await;
        t.db.accounts().create("acct", "Account").await.unwrap();
        let created = service(&t.db)
            .create("acct", "owner", "burst", None, None)
            .await
            .unwrap();
        // Another replica, which has not seen the key yet.
        let keys = service(&t.db);
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let keys = keys.clone();
                let key = created.key.clone();
                tokio::spawn(async move { keys.verify(&key).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().account_id, "acct");
        }
        assert_eq!(keys.argon2_verifications(), 1);
        assert!(
            keys.in_flight.is_empty(),
            "gates are dropped once nobody waits"
        );
    }

    #[tokio::test]
    async fn a_key_is_known_to_the_replica_that_created_it_until_revoked() {
        let t = TestDatabase::sqlite().await;
        t.db.accounts().create("acct", "Account").await.unwrap();
        let keys = service(&t.db);
        let created = keys
            .create("acct", "owner", "new", None, None)
            .await
            .unwrap();
        let identity = keys.verify(&created.key).await.unwrap();
        assert_eq!(
            (identity.account_id.as_str(), identity.user_id.as_str()),
            ("acct", "owner")
        );
        assert_eq!(keys.argon2_verifications(), 0);
        assert!(keys.verify("alloy_not_the_key_0123456789").await.is_err());
        assert!(keys.revoke(&created.record.id).await.unwrap());
        assert!(keys.verify(&created.key).await.is_err());
    }
}
