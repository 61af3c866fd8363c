//! MCP sessions: opened by `initialize`, looked up on every later request, ended by `DELETE`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};

use crate::entity::mcp_session;
use crate::error::Error;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpSessionRecord {
    /// The server it belongs to.
    pub server_id: String,
    /// SHA-256 hex of the acting user's ID.
    pub user_key: String,
    /// Negotiated protocol revision.
    pub protocol_version: String,
    /// Opening time.
    pub created_at: DateTime<Utc>,
    /// End time, if ended.
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<mcp_session::Model> for McpSessionRecord {
    fn from(m: mcp_session::Model) -> Self {
        McpSessionRecord {
            server_id: m.server_id,
            user_key: m.user_key,
            protocol_version: m.protocol_version,
            created_at: m.created_at,
            ended_at: m.ended_at,
        }
    }
}

/// Reads and writes MCP sessions.
#[derive(Debug, Clone)]
pub struct McpSessionRepository {
    conn: DatabaseConnection,
}

impl McpSessionRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        McpSessionRepository { conn }
    }

    /// The stored form of a user ID, as [`McpSessionRecord::user_key`] holds it.
    pub fn user_key(user_id: &str) -> String {
        super::user_key(user_id)
    }

    /// Records a new session.
    pub async fn open(
        &self,
        session_id: &str,
        server_id: &str,
        user_id: &str,
        protocol_version: &str,
    ) -> Result<(), Error> {
        mcp_session::ActiveModel {
            id_digest: Set(super::sha256_hex(session_id)),
            server_id: Set(server_id.to_owned()),
            user_key: Set(super::user_key(user_id)),
            protocol_version: Set(protocol_version.to_owned()),
            created_at: Set(super::now()),
            ended_at: Set(None),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// The session with this ID, ended or not.
    pub async fn get(&self, session_id: &str) -> Result<Option<McpSessionRecord>, Error> {
        Ok(
            mcp_session::Entity::find_by_id(super::sha256_hex(session_id))
                .one(&self.conn)
                .await?
                .map(Into::into),
        )
    }

    /// Ends a session; `false` if there was no open session with this ID.
    pub async fn end(&self, session_id: &str) -> Result<bool, Error> {
        let Some(model) = mcp_session::Entity::find_by_id(super::sha256_hex(session_id))
            .filter(mcp_session::Column::EndedAt.is_null())
            .one(&self.conn)
            .await?
        else {
            return Ok(false);
        };
        let mut active = model.into_active_model();
        active.ended_at = Set(Some(super::now()));
        active.update(&self.conn).await?;
        Ok(true)
    }

    /// Deletes sessions opened before `opened_before`, and ended ones; returns how many.
    pub async fn delete_expired(&self, opened_before: DateTime<Utc>) -> Result<u64, Error> {
        let res = mcp_session::Entity::delete_many()
            .filter(
                mcp_session::Column::CreatedAt
                    .lt(opened_before)
                    .or(mcp_session::Column::EndedAt.is_not_null()),
            )
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }

    /// Deletes every session of a server (the server is being deleted).
    pub async fn delete_for_server(&self, server_id: &str) -> Result<u64, Error> {
        let res = mcp_session::Entity::delete_many()
            .filter(mcp_session::Column::ServerId.eq(server_id))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }
}
