//! Changes that make what replicas keep in memory stale, announced to every replica.

use std::future::Future;
use std::sync::Arc;

use alloy_storage::Database;
use alloy_storage::notify::Heard;

use super::AccessCache;
use crate::app::Gateway;

/// Something that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A server was updated or deleted, or its token changed.
    Server(String),
    /// A session ended (by its ID's digest).
    Session([u8; 32]),
    /// An API key was revoked.
    Key(String),
    /// An owner's credentials changed (by [`owner_digest`](super::credentials::owner_digest)
    /// of the account and user).
    Credentials([u8; 32]),
}

impl Change {
    /// The notification payload.
    pub fn encode(&self) -> String {
        match self {
            Change::Server(id) => format!("server:{id}"),
            Change::Session(d) => format!("session:{}", hex::encode(d)),
            Change::Key(id) => format!("key:{id}"),
            Change::Credentials(d) => format!("credentials:{}", hex::encode(d)),
        }
    }

    /// Reads a payload; `None` for one this version does not know (a newer replica's).
    pub fn decode(payload: &str) -> Option<Change> {
        let (kind, value) = payload.split_once(':')?;
        match kind {
            "server" => Some(Change::Server(value.to_owned())),
            "session" => {
                let bytes = hex::decode(value).ok()?;
                Some(Change::Session(bytes.try_into().ok()?))
            }
            "key" => Some(Change::Key(value.to_owned())),
            "credentials" => {
                let bytes = hex::decode(value).ok()?;
                Some(Change::Credentials(bytes.try_into().ok()?))
            }
            _ => None,
        }
    }
}

/// Applies changes here at once and announces them to the other replicas. Cheap to clone.
#[derive(Clone)]
pub struct Announcer {
    db: Database,
    cache: Arc<AccessCache>,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announcer")
    }
}

impl Announcer {
    pub(crate) fn new(db: Database, cache: Arc<AccessCache>) -> Self {
        Announcer { db, cache }
    }

    /// Announces `change` after forgetting what it made stale here (an API key is forgotten
    /// by the key service that revoked it). A failed announcement is logged: the other
    /// replicas then notice within the cache's freshness bound.
    pub async fn announce(&self, change: Change) {
        match &change {
            Change::Server(id) => self.cache.forget_server(id),
            Change::Session(d) => self.cache.forget_session(d),
            Change::Key(_) => {}
            Change::Credentials(d) => self.cache.forget_credentials(d),
        }
        if let Err(e) = self.db.notify(&change.encode()).await {
            tracing::warn!(
                error = %e,
                change = %change.encode(),
                "announcing a change to the other replicas failed; they notice it within the cache's freshness bound"
            );
        }
    }
}

impl Gateway {
    /// Forgets what a change announced by another replica made stale.
    pub fn apply(&self, change: &Change) {
        match change {
            Change::Server(id) => self.access_cache().forget_server(id),
            Change::Session(d) => self.access_cache().forget_session(d),
            Change::Key(id) => self.api_keys().forget_key(id),
            Change::Credentials(d) => self.access_cache().forget_credentials(d),
        }
    }
}

/// Listens for the changes other replicas announce (PostgreSQL only) until `shutdown`
/// resolves. After an interruption of the listening connection everything kept is forgotten,
/// since announcements may have been missed meanwhile.
pub async fn follow(gateway: Gateway, shutdown: impl Future<Output = ()>) {
    let mut listener = match gateway.db().listen().await {
        Ok(Some(l)) => l,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other replicas' changes; relying on the cache's freshness bound");
            return;
        }
    };
    tokio::pin!(shutdown);
    loop {
        let heard = tokio::select! {
            heard = listener.next() => heard,
            () = &mut shutdown => return,
        };
        match heard {
            Ok(Heard::Change(payload)) => {
                if let Some(change) = Change::decode(&payload) {
                    gateway.apply(&change);
                }
            }
            Ok(Heard::Gap) => {
                gateway.access_cache().forget_all();
                gateway.api_keys().forget_all_keys();
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            Change::Server("my-server-1".into()),
            Change::Session([7; 32]),
            Change::Key("k1".into()),
            Change::Credentials([9; 32]),
        ] {
            assert_eq!(Change::decode(&change.encode()), Some(change));
        }
        assert_eq!(Change::decode("future:x"), None);
        assert_eq!(Change::decode("session:zz"), None);
        assert_eq!(Change::decode("nothing"), None);
    }
}
