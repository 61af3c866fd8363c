//! API keys: argon2 hashes, found by a short digest prefix.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::entity::api_key;
use crate::error::Error;

/// An API key as stored (never the key itself).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Key ID.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Default user of requests made with the key.
    pub user_id: String,
    /// Operator's label.
    pub name: String,
    /// First characters of the key.
    pub prefix: String,
    /// Digest prefix used for lookup.
    pub lookup: String,
    /// argon2id PHC string.
    pub hash: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("prefix", &self.prefix)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl ApiKeyRecord {
    /// Whether the key may be used at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

impl From<api_key::Model> for ApiKeyRecord {
    fn from(m: api_key::Model) -> Self {
        ApiKeyRecord {
            id: m.id,
            account_id: m.account_id,
            user_id: m.user_id,
            name: m.name,
            prefix: m.prefix,
            lookup: m.lookup,
            hash: m.hash,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// What is stored for a new key; the caller hashes the key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Key ID.
    pub id: String,
    /// Owning account (must exist).
    pub account_id: String,
    /// Default user.
    pub user_id: String,
    /// Label.
    pub name: String,
    /// First characters of the key.
    pub prefix: String,
    /// Digest prefix.
    pub lookup: String,
    /// argon2id PHC string.
    pub hash: String,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Reads and writes API keys.
#[derive(Debug, Clone)]
pub struct ApiKeyRepository {
    conn: DatabaseConnection,
}

impl ApiKeyRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        ApiKeyRepository { conn }
    }

    /// Stores a new key.
    pub async fn insert(&self, key: NewApiKey) -> Result<ApiKeyRecord, Error> {
        let model = api_key::ActiveModel {
            id: Set(key.id),
            account_id: Set(key.account_id),
            user_id: Set(key.user_id),
            name: Set(key.name),
            prefix: Set(key.prefix),
            lookup: Set(key.lookup),
            hash: Set(key.hash),
            created_at: Set(super::now()),
            expires_at: Set(key.expires_at),
            revoked_at: Set(None),
        }
        .insert(&self.conn)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                Error::Duplicate("api key id")
            } else {
                e.into()
            }
        })?;
        Ok(model.into())
    }

    /// Keys whose digest prefix is `lookup` (normally one).
    pub async fn by_lookup(&self, lookup: &str) -> Result<Vec<ApiKeyRecord>, Error> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::Lookup.eq(lookup))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One key by ID.
    pub async fn get(&self, id: &str) -> Result<Option<ApiKeyRecord>, Error> {
        Ok(api_key::Entity::find_by_id(id.to_owned())
            .one(&self.conn)
            .await?
            .map(Into::into))
    }

    /// Keys, oldest first, of one account or of all.
    pub async fn list(&self, account_id: Option<&str>) -> Result<Vec<ApiKeyRecord>, Error> {
        let mut q = api_key::Entity::find().order_by_asc(api_key::Column::CreatedAt);
        if let Some(a) = account_id {
            q = q.filter(api_key::Column::AccountId.eq(a));
        }
        Ok(q.all(&self.conn)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Revokes a key; `false` if no such key. Revoking twice keeps the first time.
    pub async fn revoke(&self, id: &str) -> Result<bool, Error> {
        let Some(model) = api_key::Entity::find_by_id(id.to_owned())
            .one(&self.conn)
            .await?
        else {
            return Ok(false);
        };
        if model.revoked_at.is_none() {
            let mut active = model.into_active_model();
            active.revoked_at = Set(Some(super::now()));
            active.update(&self.conn).await?;
        }
        Ok(true)
    }
}
