//! Accounts: the tenants.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, Set};

use crate::entity::account;
use crate::error::Error;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Account ID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<account::Model> for AccountRecord {
    fn from(m: account::Model) -> Self {
        AccountRecord {
            id: m.id,
            name: m.name,
            created_at: m.created_at,
        }
    }
}

/// Reads and writes accounts.
#[derive(Debug, Clone)]
pub struct AccountRepository {
    conn: DatabaseConnection,
}

impl AccountRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        AccountRepository { conn }
    }

    /// Creates an account.
    pub async fn create(&self, id: &str, name: &str) -> Result<AccountRecord, Error> {
        let model = account::ActiveModel {
            id: Set(id.to_owned()),
            name: Set(name.to_owned()),
            created_at: Set(super::now()),
        }
        .insert(&self.conn)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                Error::Duplicate("account id")
            } else {
                e.into()
            }
        })?;
        Ok(model.into())
    }

    /// One account.
    pub async fn get(&self, id: &str) -> Result<Option<AccountRecord>, Error> {
        Ok(account::Entity::find_by_id(id.to_owned())
            .one(&self.conn)
            .await?
            .map(Into::into))
    }

    /// All accounts, oldest first.
    pub async fn list(&self) -> Result<Vec<AccountRecord>, Error> {
        Ok(account::Entity::find()
            .order_by_asc(account::Column::CreatedAt)
            .all(&self.conn)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// How many accounts exist (zero means a fresh database).
    pub async fn count(&self) -> Result<u64, Error> {
        Ok(account::Entity::find().count(&self.conn).await?)
    }
}
