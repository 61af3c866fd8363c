//! Admin-console sessions: opened at sign-in, read on every console request, ended at sign-out,
//! when their key is revoked, or when they expire.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entity::console_session;
use crate::error::Error;

/// A console session as stored (found by its secret, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRecord {
    /// The account the session acts in.
    pub account_id: String,
    /// The signed-in user.
    pub user_id: String,
    /// The API key that signed in, or that issued the user token that did.
    pub key_id: String,
    /// The user token's ID when a user token signed in.
    pub token_id: Option<String>,
    /// Sign-in time.
    pub created_at: DateTime<Utc>,
    /// End of the session's life.
    pub expires_at: DateTime<Utc>,
}

impl From<console_session::Model> for ConsoleSessionRecord {
    fn from(m: console_session::Model) -> Self {
        ConsoleSessionRecord {
            account_id: m.account_id,
            user_id: m.user_id,
            key_id: m.key_id,
            token_id: m.token_id,
            created_at: m.created_at,
            expires_at: m.expires_at,
        }
    }
}

/// Reads and writes console sessions.
#[derive(Debug, Clone)]
pub struct ConsoleSessionRepository {
    conn: DatabaseConnection,
}

impl ConsoleSessionRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        ConsoleSessionRepository { conn }
    }

    /// Records a session under the digest of `secret`; `created_at` is now.
    pub async fn open(
        &self,
        secret: &str,
        session: &ConsoleSessionRecord,
    ) -> Result<ConsoleSessionRecord, Error> {
        let model = console_session::ActiveModel {
            id_digest: Set(super::sha256_hex(secret)),
            account_id: Set(session.account_id.clone()),
            user_id: Set(session.user_id.clone()),
            key_id: Set(session.key_id.clone()),
            token_id: Set(session.token_id.clone()),
            created_at: Set(super::now()),
            expires_at: Set(session.expires_at),
        }
        .insert(&self.conn)
        .await?;
        Ok(model.into())
    }

    /// The session whose cookie holds `secret`, if it exists and has not expired.
    pub async fn get(&self, secret: &str) -> Result<Option<ConsoleSessionRecord>, Error> {
        let found = console_session::Entity::find_by_id(super::sha256_hex(secret))
            .one(&self.conn)
            .await?;
        Ok(found.filter(|m| m.expires_at > Utc::now()).map(Into::into))
    }

    /// Ends one session; `false` if there was none.
    pub async fn end(&self, secret: &str) -> Result<bool, Error> {
        let res = console_session::Entity::delete_by_id(super::sha256_hex(secret))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Ends every session of one API key (the key was revoked); how many there were.
    pub async fn end_for_key(&self, key_id: &str) -> Result<u64, Error> {
        let res = console_session::Entity::delete_many()
            .filter(console_session::Column::KeyId.eq(key_id))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }

    /// Drops sessions that expired before `now`; how many.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let res = console_session::Entity::delete_many()
            .filter(console_session::Column::ExpiresAt.lte(now))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }
}
