//! The server management API: create, list, get, update and delete MCP servers.

use alloy_domain::ApiError;
use alloy_domain::ids::{generate_access_token, server_id_for};
use alloy_domain::page::Page;
use alloy_domain::server::{MODE_CONNECTIVITY, NewServer, ServerUpdate, TokenRotation};
use alloy_storage::{Database, NewServerRecord, ServerChanges, ServerRecord};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::audit::{AuditEvent, AuditWriter, Outcome};
use crate::cache::changes::{Announcer, Change};
use crate::error::Error;
use crate::identity::Caller;

/// Attempts at a fresh random server ID before giving up (collisions are ~1 in 4 billion).
const ID_ATTEMPTS: usize = 4;

/// Manages MCP server definitions for authenticated callers.
#[derive(Clone)]
pub struct ServerService {
    db: Database,
    public_url: String,
    audit: AuditWriter,
    announcer: Announcer,
}

/// Timestamps on the wire: RFC 3339, UTC, milliseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What an update changed: each changed field's old and new value; for restrictions, the
/// whole old and new objects (replaced whole, as `PUT` does).
fn changes_of(before: &ServerRecord, after: &ServerRecord) -> Value {
    let mut changes = serde_json::Map::new();
    let mut diff = |field: &str, old: Value, new: Value| {
        if old != new {
            changes.insert(field.to_owned(), json!({ "from": old, "to": new }));
        }
    };
    diff("name", json!(before.name), json!(after.name));
    diff(
        "description",
        json!(before.description),
        json!(after.description),
    );
    diff("isPublic", json!(before.is_public), json!(after.is_public));
    diff(
        "requireUserToken",
        json!(before.require_user_token),
        json!(after.require_user_token),
    );
    diff(
        "restrictions",
        before.restrictions.to_json(),
        after.restrictions.to_json(),
    );
    json!({ "changes": changes })
}

fn not_found(server_id: &str) -> Error {
    ApiError::not_found(format!("Server '{server_id}' not found"))
        .with_details(json!({ "serverId": server_id }))
        .into()
}

impl ServerService {
    pub(crate) fn new(
        db: Database,
        public_url: String,
        audit: AuditWriter,
        announcer: Announcer,
    ) -> Self {
        ServerService {
            db,
            public_url,
            audit,
            announcer,
        }
    }

    async fn changed(&self, server_id: &str) {
        self.announcer
            .announce(Change::Server(server_id.to_owned()))
            .await;
    }

    /// Stores `changes` and announces them, so every replica drops what it kept of the server.
    async fn apply(&self, server_id: &str, changes: ServerChanges) -> Result<ServerRecord, Error> {
        let s = self
            .db
            .servers()
            .update(server_id, changes)
            .await?
            .ok_or_else(|| not_found(server_id))?;
        self.changed(server_id).await;
        Ok(s)
    }

    /// `url` of a server.
    pub fn url(&self, server_id: &str) -> String {
        format!("{}/mcp/{server_id}", self.public_url)
    }

    fn common_view(&self, s: &ServerRecord) -> serde_json::Map<String, Value> {
        let url = self.url(&s.server_id);
        let mut m = serde_json::Map::new();
        m.insert("serverId".into(), json!(s.server_id));
        m.insert("name".into(), json!(s.name));
        m.insert("description".into(), json!(s.description));
        m.insert("mode".into(), json!(s.mode));
        m.insert("isPublic".into(), json!(s.is_public));
        m.insert("requireUserToken".into(), json!(s.require_user_token));
        m.insert(
            "accessUrl".into(),
            json!(format!("{url}/{}", s.access_token)),
        );
        m.insert("url".into(), json!(url));
        m.insert("hasRestrictions".into(), json!(!s.restrictions.is_empty()));
        m.insert(
            "tokenExpiresAt".into(),
            json!(s.token_expires_at.map(timestamp)),
        );
        m.insert("createdAt".into(), json!(timestamp(s.created_at)));
        m.insert("updatedAt".into(), json!(timestamp(s.updated_at)));
        m
    }

    /// The full view of a server (get, update).
    pub fn view(&self, s: &ServerRecord) -> Value {
        let mut m = self.common_view(s);
        m.insert("restrictions".into(), s.restrictions.to_json());
        Value::Object(m)
    }

    /// Creates a server for the caller. Answers the full view plus `accessToken`.
    pub async fn create(&self, caller: &Caller, body: &Value) -> Result<Value, Error> {
        let new = NewServer::from_json(body)?;
        let token_expires_at = new
            .token_expires_in_days
            .map(|d| Utc::now() + chrono::Duration::days(d));
        let mut last = None;
        for _ in 0..ID_ATTEMPTS {
            let record = NewServerRecord {
                server_id: server_id_for(&new.name),
                account_id: caller.account_id.clone(),
                user_id: caller.user_id.clone(),
                name: new.name.clone(),
                description: new.description.clone(),
                mode: MODE_CONNECTIVITY.to_owned(),
                is_public: new.is_public,
                require_user_token: new.require_user_token,
                restrictions: new.restrictions.clone(),
                access_token: generate_access_token(),
                token_expires_at,
            };
            match self.db.servers().insert(record).await {
                Ok(s) => {
                    self.audit.record(
                        AuditEvent::new("server.created", Outcome::Ok)
                            .by(caller)
                            .server(&s.server_id)
                            .details(json!({
                                "name": s.name,
                                "isPublic": s.is_public,
                                "requireUserToken": s.require_user_token,
                                "restrictions": s.restrictions.to_json(),
                                "tokenExpiresAt": s.token_expires_at.map(timestamp),
                            })),
                    );
                    let mut v = self.view(&s);
                    if let Some(m) = v.as_object_mut() {
                        m.insert("accessToken".into(), json!(s.access_token));
                    }
                    return Ok(v);
                }
                Err(alloy_storage::Error::Duplicate("server id")) => last = Some("server id"),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal(format!(
            "no free {} after {ID_ATTEMPTS} attempts",
            last.unwrap_or("id")
        )))
    }

    /// A page of the caller's servers.
    pub async fn list(&self, caller: &Caller, page: Page) -> Result<Value, Error> {
        let (servers, total) = self
            .db
            .servers()
            .list(&caller.account_id, &caller.user_id, page.limit, page.offset)
            .await?;
        let count = servers.len() as u64;
        let servers: Vec<Value> = servers
            .iter()
            .map(|s| Value::Object(self.common_view(s)))
            .collect();
        Ok(json!({
            "servers": servers,
            "count": count,
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "hasMore": page.offset.saturating_add(count) < total,
        }))
    }

    /// A server the caller owns, or 404 (other users' and other accounts' servers do not exist
    /// for reading).
    pub async fn get(&self, caller: &Caller, server_id: &str) -> Result<Value, Error> {
        let s = self.owned(caller, server_id, false).await?;
        Ok(self.view(&s))
    }

    /// Updates a server the caller owns. Another user's server in the same account is 403.
    pub async fn update(
        &self,
        caller: &Caller,
        server_id: &str,
        body: &Value,
    ) -> Result<Value, Error> {
        let update = ServerUpdate::from_json(body)?;
        let before = self.owned(caller, server_id, true).await?;
        let changes = ServerChanges {
            name: update.name,
            description: update.description,
            is_public: update.is_public,
            require_user_token: update.require_user_token,
            restrictions: update.restrictions,
            access_token: None,
        };
        let s = self.apply(server_id, changes).await?;
        self.audit.record(
            AuditEvent::new("server.updated", Outcome::Ok)
                .by(caller)
                .server(server_id)
                .details(changes_of(&before, &s)),
        );
        Ok(self.view(&s))
    }

    /// Gives a server the caller owns a new access token: the old token URL is refused at once
    /// here and, through the change announcement, on every replica. Answers the full view plus
    /// `accessToken`, as creation does.
    pub async fn rotate_token(
        &self,
        caller: &Caller,
        server_id: &str,
        body: &Value,
    ) -> Result<Value, Error> {
        let rotation = TokenRotation::from_json(body)?;
        self.owned(caller, server_id, true).await?;
        let expires_at = rotation
            .token_expires_in_days
            .map(|d| Utc::now() + chrono::Duration::days(d));
        let changes = ServerChanges {
            access_token: Some((generate_access_token(), expires_at)),
            ..ServerChanges::default()
        };
        let s = self.apply(server_id, changes).await?;
        self.audit.record(
            AuditEvent::new("server.token_rotated", Outcome::Ok)
                .by(caller)
                .server(server_id)
                .details(json!({ "tokenExpiresAt": s.token_expires_at.map(timestamp) })),
        );
        let mut v = self.view(&s);
        if let Some(m) = v.as_object_mut() {
            m.insert("accessToken".into(), json!(s.access_token));
        }
        Ok(v)
    }

    /// Deletes a server the caller owns, and everything attached to it.
    pub async fn delete(&self, caller: &Caller, server_id: &str) -> Result<Value, Error> {
        self.owned(caller, server_id, true).await?;
        if !self.db.servers().delete(server_id).await? {
            return Err(not_found(server_id));
        }
        // MCP clients signed in to it lose their grants (their tokens already name a server
        // that is gone; the grants listing must not show them).
        self.db
            .authorization()
            .revoke_grants_where(&alloy_storage::GrantFilter {
                server_id: Some(server_id),
                ..Default::default()
            })
            .await?;
        self.changed(server_id).await;
        self.audit.record(
            AuditEvent::new("server.deleted", Outcome::Ok)
                .by(caller)
                .server(server_id),
        );
        Ok(json!({ "message": "Server deleted", "serverId": server_id }))
    }

    /// Loads a server and checks the caller owns it: another account's server is 404; another
    /// user's server in the same account is 404 to read and 403 to change.
    pub async fn owned(
        &self,
        caller: &Caller,
        server_id: &str,
        write: bool,
    ) -> Result<ServerRecord, Error> {
        let s = self
            .db
            .servers()
            .get(server_id)
            .await?
            .ok_or_else(|| not_found(server_id))?;
        if s.account_id != caller.account_id {
            return Err(not_found(server_id));
        }
        if s.user_id != caller.user_id {
            return Err(if write {
                ApiError::forbidden("Not authorized to modify this server").into()
            } else {
                not_found(server_id)
            });
        }
        Ok(s)
    }
}
