//! Sessions of the session-based MCP revisions, stored in the shared database so that every
//! replica honours every session.

use alloy_domain::ApiError;
use alloy_mcp_protocol::ProtocolVersion;
use alloy_storage::ServerRecord;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use std::sync::Arc;

use crate::app::Gateway;
use crate::cache::changes::Change;
use crate::error::Error;
use crate::identity::Caller;

impl Gateway {
    /// Opens a session on `server` for `caller`; returns the `Mcp-Session-Id` value.
    pub async fn open_mcp_session(
        &self,
        server: &ServerRecord,
        caller: &Caller,
        revision: ProtocolVersion,
    ) -> Result<String, Error> {
        // 256 random bits, visible ASCII as the transport requires.
        let id = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let sessions = self.db().mcp_sessions();
        sessions
            .open(&id, &server.server_id, &caller.user_id, revision.as_str())
            .await?;
        // The client's next request uses it at once: keep it, sparing that read.
        self.access_cache().keep_session(
            crate::cache::digest(&id),
            Arc::new(alloy_storage::McpSessionRecord {
                server_id: server.server_id.clone(),
                user_key: alloy_storage::McpSessionRepository::user_key(&caller.user_id),
                protocol_version: revision.as_str().to_owned(),
                created_at: chrono::Utc::now(),
                ended_at: None,
            }),
        );
        // Sweep now and then as sessions open, so the table holds about one lifetime's worth.
        if rand::random::<u8>() == 0 {
            let cutoff = chrono::Utc::now() - self.config().mcp_session_ttl;
            match sessions.delete_expired(cutoff).await {
                Ok(n) => tracing::debug!(deleted = n, "expired MCP sessions swept"),
                Err(e) => tracing::warn!(error = %e, "sweeping expired MCP sessions failed"),
            }
        }
        Ok(id)
    }

    /// The revision of an open session of `server` and `caller`; `None` for any other session —
    /// unknown, ended, expired, another server's or another user's — which the client must
    /// replace by initializing again.
    pub async fn mcp_session(
        &self,
        session_id: &str,
        server: &ServerRecord,
        caller: &Caller,
    ) -> Result<Option<ProtocolVersion>, Error> {
        let digest = crate::cache::digest(session_id);
        let s = match self.access_cache().session(&digest) {
            Some(s) => s,
            None => {
                let Some(s) = self.db().mcp_sessions().get(session_id).await? else {
                    return Ok(None);
                };
                let s = Arc::new(s);
                self.access_cache().keep_session(digest, Arc::clone(&s));
                s
            }
        };
        let user_key = alloy_storage::McpSessionRepository::user_key(&caller.user_id);
        let expired = s.created_at + self.config().mcp_session_ttl <= chrono::Utc::now();
        if expired
            || s.ended_at.is_some()
            || s.server_id != server.server_id
            || s.user_key != user_key
        {
            return Ok(None);
        }
        ProtocolVersion::parse(&s.protocol_version)
            .map(Some)
            .ok_or_else(|| {
                Error::Internal(format!("stored session revision {}", s.protocol_version))
            })
    }

    /// Ends a session of `server`; `false` if there was no open one.
    pub async fn end_mcp_session(
        &self,
        session_id: &str,
        server: &ServerRecord,
        caller: &Caller,
    ) -> Result<bool, Error> {
        match self.mcp_session(session_id, server, caller).await? {
            Some(_) => {
                let ended = self.db().mcp_sessions().end(session_id).await?;
                self.announcer()
                    .announce(Change::Session(crate::cache::digest(session_id)))
                    .await;
                Ok(ended)
            }
            None => Ok(false),
        }
    }
}

/// The error object of a session that is not (or no longer) open.
pub fn session_error() -> ApiError {
    ApiError::not_found("Session not found or ended; send initialize to open a new one")
}
