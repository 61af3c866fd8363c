//! What a warm MCP request needs, kept in memory: the server behind a token URL or a server ID,
//! the open sessions, and the credentials actions use ([`credentials`]). A warm request reads
//! no database row.
//!
//! Correctness across replicas rests on two things. Every change made through the management
//! API removes the entry here at once and is announced to the other replicas
//! ([`changes`]), which remove theirs when they hear of it (PostgreSQL `NOTIFY`, well under a
//! second). And no entry is trusted for longer than [`AccessCache::fresh_for`] (default 5 s)
//! without being read again, so that a lost notification, or a change made by another process
//! on the same SQLite file (the CLI), is noticed within that bound.

pub mod changes;
pub mod credentials;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_storage::{McpSessionRecord, ServerRecord};
use credentials::{CredentialEntries, KeptCredential};
use dashmap::DashMap;
use sha2::{Digest, Sha256};

/// Entries kept at most per map; beyond it the map is emptied (entries are cheap to read
/// again, and a flood of distinct tokens or sessions must not grow memory).
const MAX_ENTRIES: usize = 100_000;

struct Entry<T> {
    value: T,
    read_at: Instant,
}

/// The server, session and credential entries of one replica.
pub struct AccessCache {
    by_token: DashMap<[u8; 32], Entry<Arc<ServerRecord>>>,
    by_id: DashMap<String, Entry<Arc<ServerRecord>>>,
    sessions: DashMap<[u8; 32], Entry<Arc<McpSessionRecord>>>,
    credentials: CredentialEntries,
    fresh_for: Duration,
}

impl std::fmt::Debug for AccessCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCache")
            .field("servers", &self.by_id.len())
            .field("tokens", &self.by_token.len())
            .field("sessions", &self.sessions.len())
            .field("credentials", &self.credentials.len())
            .field("fresh_for", &self.fresh_for)
            .finish()
    }
}

/// The key of a secret (a token, a session ID): its SHA-256, so that no secret sits in memory
/// longer than its request.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn fresh<K, Q, T>(map: &DashMap<K, Entry<T>>, key: &Q, fresh_for: Duration) -> Option<T>
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
    T: Clone,
{
    let e = map.get(key)?;
    (e.read_at.elapsed() < fresh_for).then(|| e.value.clone())
}

fn insert<K: std::hash::Hash + Eq, T>(map: &DashMap<K, Entry<T>>, key: K, value: T) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(
        key,
        Entry {
            value,
            read_at: Instant::now(),
        },
    );
}

impl AccessCache {
    /// A cache trusting an entry for `fresh_for` (zero: never, every request reads the
    /// database).
    pub fn new(fresh_for: Duration) -> Self {
        AccessCache {
            by_token: DashMap::new(),
            by_id: DashMap::new(),
            sessions: DashMap::new(),
            credentials: CredentialEntries::default(),
            fresh_for,
        }
    }

    /// How long an entry is trusted without a re-read: the bound on how late a change this
    /// replica was not told about is noticed.
    pub fn fresh_for(&self) -> Duration {
        self.fresh_for
    }

    /// The server of a token URL's token, if read recently.
    pub fn server_by_token(&self, token_digest: &[u8; 32]) -> Option<Arc<ServerRecord>> {
        fresh(&self.by_token, token_digest, self.fresh_for)
    }

    /// A server by ID, if read recently.
    pub fn server_by_id(&self, server_id: &str) -> Option<Arc<ServerRecord>> {
        fresh(&self.by_id, server_id, self.fresh_for)
    }

    /// Keeps a server just read, under its ID and, when it came through a token, the token's
    /// digest.
    pub fn keep_server(&self, server: Arc<ServerRecord>, token_digest: Option<[u8; 32]>) {
        if self.fresh_for.is_zero() {
            return;
        }
        if let Some(d) = token_digest {
            insert(&self.by_token, d, Arc::clone(&server));
        }
        insert(&self.by_id, server.server_id.clone(), server);
    }

    /// A session, if read recently.
    pub fn session(&self, session_digest: &[u8; 32]) -> Option<Arc<McpSessionRecord>> {
        fresh(&self.sessions, session_digest, self.fresh_for)
    }

    /// Keeps a session just read or opened.
    pub fn keep_session(&self, session_digest: [u8; 32], session: Arc<McpSessionRecord>) {
        if !self.fresh_for.is_zero() {
            insert(&self.sessions, session_digest, session);
        }
    }

    /// Forgets a server (changed, deleted, token rotated), under every key, with its sessions.
    pub fn forget_server(&self, server_id: &str) {
        self.by_id.remove(server_id);
        self.by_token.retain(|_, e| e.value.server_id != server_id);
        self.sessions.retain(|_, e| e.value.server_id != server_id);
    }

    /// Forgets a session (ended).
    pub fn forget_session(&self, session_digest: &[u8; 32]) {
        self.sessions.remove(session_digest);
    }

    /// The credential an action of `connector_id` used for this owner
    /// ([`credentials::owner_digest`]), by the ID the call named or the owner's choice when
    /// it named none, if read recently and its token has not expired.
    pub fn credential(
        &self,
        owner: &[u8; 32],
        connector_id: &str,
        credential_id: Option<&str>,
    ) -> Option<KeptCredential> {
        self.credentials
            .get(owner, connector_id, credential_id, self.fresh_for)
    }

    /// Where the credential entries stand: taken before reading a credential, given back to
    /// [`keep_credential`](Self::keep_credential), which keeps nothing when the owner's
    /// credentials changed meanwhile.
    pub fn credential_generation(&self) -> u64 {
        self.credentials.generation()
    }

    /// Keeps a credential just read (see [`credential`](Self::credential) for the key).
    pub fn keep_credential(
        &self,
        generation: u64,
        owner: [u8; 32],
        connector_id: &str,
        credential_id: Option<&str>,
        value: KeptCredential,
    ) {
        if !self.fresh_for.is_zero() {
            self.credentials
                .keep(generation, owner, connector_id, credential_id, value);
        }
    }

    /// Forgets an owner's credentials (one was created, deleted, refreshed or marked).
    pub fn forget_credentials(&self, owner: &[u8; 32]) {
        self.credentials.forget_owner(owner);
    }

    /// Forgets everything (change notifications were interrupted: some may have been missed).
    pub fn forget_all(&self) {
        self.by_token.clear();
        self.by_id.clear();
        self.sessions.clear();
        self.credentials.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str) -> Arc<ServerRecord> {
        Arc::new(ServerRecord {
            server_id: id.to_owned(),
            account_id: "a".into(),
            user_id: "u".into(),
            name: id.to_owned(),
            description: String::new(),
            mode: "connectivity".into(),
            is_public: false,
            require_user_token: false,
            restrictions: alloy_domain::Restrictions::default(),
            access_token: "mcp_token_x".into(),
            token_expires_at: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        })
    }

    #[test]
    fn entries_are_forgotten_by_change_and_by_age() {
        let cache = AccessCache::new(Duration::from_secs(60));
        let token = digest("mcp_token_x");
        cache.keep_server(server("s1"), Some(token));
        cache.keep_server(server("s2"), None);
        let session = Arc::new(McpSessionRecord {
            server_id: "s1".into(),
            user_key: "k".into(),
            protocol_version: "2025-11-25".into(),
            created_at: chrono::Utc::now(),
            ended_at: None,
        });
        cache.keep_session(digest("sess"), session);
        assert_eq!(cache.server_by_token(&token).unwrap().server_id, "s1");
        assert!(cache.server_by_id("s2").is_some());
        assert!(cache.session(&digest("sess")).is_some());
        cache.forget_server("s1");
        assert!(cache.server_by_token(&token).is_none());
        assert!(cache.server_by_id("s1").is_none());
        assert!(
            cache.session(&digest("sess")).is_none(),
            "its sessions go with it"
        );
        assert!(cache.server_by_id("s2").is_some());
        cache.forget_all();
        assert!(cache.server_by_id("s2").is_none());

        let stale = AccessCache::new(Duration::from_millis(1));
        stale.keep_server(server("s3"), None);
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            stale.server_by_id("s3").is_none(),
            "older than fresh_for is read again"
        );
        let off = AccessCache::new(Duration::ZERO);
        off.keep_server(server("s4"), None);
        assert!(off.server_by_id("s4").is_none());
    }
}
