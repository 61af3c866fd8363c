//! Servers: definitions, sealed access tokens, and listing by owner.

use std::sync::Arc;

use alloy_domain::Restrictions;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::crypto::SecretBox;
use crate::entity::server;
use crate::error::Error;

/// A server as the application sees it, with its access token opened.
#[derive(Clone, PartialEq)]
pub struct ServerRecord {
    /// `serverId`.
    pub server_id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `connectivity`.
    pub mode: String,
    /// Whether other users of the account may connect.
    pub is_public: bool,
    /// Whether the token URL accepts another user only through a user token.
    pub require_user_token: bool,
    /// Allow and block lists.
    pub restrictions: Restrictions,
    /// The access token (plaintext, opened from its sealed form).
    pub access_token: String,
    /// Token expiry.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for ServerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRecord")
            .field("server_id", &self.server_id)
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .field("is_public", &self.is_public)
            .finish_non_exhaustive()
    }
}

/// A server to store.
#[derive(Clone)]
pub struct NewServerRecord {
    /// `serverId`.
    pub server_id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `connectivity`.
    pub mode: String,
    /// Visibility.
    pub is_public: bool,
    /// Whether the token URL accepts another user only through a user token.
    pub require_user_token: bool,
    /// Allow and block lists.
    pub restrictions: Restrictions,
    /// The access token; stored only sealed and as a digest.
    pub access_token: String,
    /// Token expiry.
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// Changes to a server; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct ServerChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New visibility.
    pub is_public: Option<bool>,
    /// New user-token requirement.
    pub require_user_token: Option<bool>,
    /// New restrictions, replacing the old ones whole.
    pub restrictions: Option<Restrictions>,
    /// A new access token and its expiry (rotation): the old token stops matching at once.
    pub access_token: Option<(String, Option<DateTime<Utc>>)>,
}

/// Reads and writes servers.
#[derive(Debug, Clone)]
pub struct ServerRepository {
    conn: DatabaseConnection,
    secrets: Arc<SecretBox>,
}

impl ServerRepository {
    pub(crate) fn new(conn: DatabaseConnection, secrets: Arc<SecretBox>) -> Self {
        ServerRepository { conn, secrets }
    }

    fn record(&self, m: server::Model) -> Result<ServerRecord, Error> {
        let restrictions_json: serde_json::Value = serde_json::from_str(&m.restrictions)
            .map_err(|e| Error::Corrupt(format!("restrictions of {}: {e}", m.id)))?;
        let restrictions = Restrictions::from_json(&restrictions_json)
            .map_err(|e| Error::Corrupt(format!("restrictions of {}: {}", m.id, e.message)))?;
        let access_token = self.secrets.open_string(&m.token_sealed, &m.id)?;
        Ok(ServerRecord {
            server_id: m.id,
            account_id: m.account_id,
            user_id: m.user_id,
            name: m.name,
            description: m.description,
            mode: m.mode,
            is_public: m.is_public,
            require_user_token: m.require_user_token,
            restrictions,
            access_token,
            token_expires_at: m.token_expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// Stores a new server. `Error::Duplicate("server name")` when the owner already has a server
    /// of that name; `Error::Duplicate("server id")` on the (rare) ID collision.
    pub async fn insert(&self, new: NewServerRecord) -> Result<ServerRecord, Error> {
        let now = super::now();
        let user_key = super::user_key(&new.user_id);
        let model = server::ActiveModel {
            id: Set(new.server_id.clone()),
            account_id: Set(new.account_id.clone()),
            user_id: Set(new.user_id),
            user_key: Set(user_key.clone()),
            name: Set(new.name.clone()),
            description: Set(new.description),
            mode: Set(new.mode),
            is_public: Set(new.is_public),
            require_user_token: Set(new.require_user_token),
            restrictions: Set(new.restrictions.to_json().to_string()),
            token_digest: Set(super::sha256_hex(&new.access_token)),
            token_sealed: Set(self
                .secrets
                .seal(new.access_token.as_bytes(), &new.server_id)?),
            token_expires_at: Set(new.token_expires_at),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match model.insert(&self.conn).await {
            Ok(m) => self.record(m),
            Err(e) if super::is_unique_violation(&e) => {
                // The unique index on the owner's names, or (rarely) the random ID: tell which.
                if self
                    .name_taken(&new.account_id, &user_key, &new.name)
                    .await?
                {
                    Err(Error::Duplicate("server name"))
                } else {
                    Err(Error::Duplicate("server id"))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn name_taken(
        &self,
        account_id: &str,
        user_key: &str,
        name: &str,
    ) -> Result<bool, Error> {
        let count = server::Entity::find()
            .filter(server::Column::AccountId.eq(account_id))
            .filter(server::Column::UserKey.eq(user_key))
            .filter(server::Column::Name.eq(name))
            .count(&self.conn)
            .await?;
        Ok(count > 0)
    }

    /// One server by ID, whoever owns it (the caller checks ownership).
    pub async fn get(&self, server_id: &str) -> Result<Option<ServerRecord>, Error> {
        server::Entity::find_by_id(server_id.to_owned())
            .one(&self.conn)
            .await?
            .map(|m| self.record(m))
            .transpose()
    }

    /// The server whose access token is `token`.
    pub async fn by_access_token(&self, token: &str) -> Result<Option<ServerRecord>, Error> {
        server::Entity::find()
            .filter(server::Column::TokenDigest.eq(super::sha256_hex(token)))
            .one(&self.conn)
            .await?
            .map(|m| self.record(m))
            .transpose()
    }

    /// A page of one user's servers, oldest first, and how many they have in all.
    pub async fn list(
        &self,
        account_id: &str,
        user_id: &str,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<ServerRecord>, u64), Error> {
        let q = server::Entity::find()
            .filter(server::Column::AccountId.eq(account_id))
            .filter(server::Column::UserKey.eq(super::user_key(user_id)));
        let total = q.clone().count(&self.conn).await?;
        let rows = q
            .order_by_asc(server::Column::CreatedAt)
            .order_by_asc(server::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.conn)
            .await?;
        let servers = rows
            .into_iter()
            .map(|m| self.record(m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((servers, total))
    }

    /// Applies `changes`; `Ok(None)` if the server does not exist.
    pub async fn update(
        &self,
        server_id: &str,
        changes: ServerChanges,
    ) -> Result<Option<ServerRecord>, Error> {
        let Some(model) = server::Entity::find_by_id(server_id.to_owned())
            .one(&self.conn)
            .await?
        else {
            return Ok(None);
        };
        let mut active = model.into_active_model();
        if let Some(name) = changes.name {
            active.name = Set(name);
        }
        if let Some(description) = changes.description {
            active.description = Set(description);
        }
        if let Some(is_public) = changes.is_public {
            active.is_public = Set(is_public);
        }
        if let Some(require) = changes.require_user_token {
            active.require_user_token = Set(require);
        }
        if let Some(restrictions) = changes.restrictions {
            active.restrictions = Set(restrictions.to_json().to_string());
        }
        if let Some((token, expires_at)) = changes.access_token {
            active.token_digest = Set(super::sha256_hex(&token));
            active.token_sealed = Set(self.secrets.seal(token.as_bytes(), server_id)?);
            active.token_expires_at = Set(expires_at);
        }
        active.updated_at = Set(super::now());
        match active.update(&self.conn).await {
            Ok(m) => self.record(m).map(Some),
            Err(e) if super::is_unique_violation(&e) => Err(Error::Duplicate("server name")),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a server and everything attached to it; `false` if it did not exist.
    pub async fn delete(&self, server_id: &str) -> Result<bool, Error> {
        let res = server::Entity::delete_by_id(server_id.to_owned())
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }
}
