//! Accounts: the tenants.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entity::{account, api_key, credential, server};
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

/// A user of an account and what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUser {
    /// The user ID.
    pub user_id: String,
    /// Servers they own.
    pub servers: u64,
    /// Platform credentials they hold.
    pub credentials: u64,
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

    /// The users an account holds something for (servers, credentials, API keys), in user-ID
    /// order, with how many servers and credentials each has. Users exist only through what
    /// they own: there is no table of users.
    pub async fn users(&self, account_id: &str) -> Result<Vec<AccountUser>, Error> {
        let mut users: BTreeMap<String, AccountUser> = BTreeMap::new();
        let servers: Vec<String> = server::Entity::find()
            .select_only()
            .column(server::Column::UserId)
            .filter(server::Column::AccountId.eq(account_id))
            .into_tuple()
            .all(&self.conn)
            .await?;
        let credentials: Vec<String> = credential::Entity::find()
            .select_only()
            .column(credential::Column::UserId)
            .filter(credential::Column::AccountId.eq(account_id))
            .into_tuple()
            .all(&self.conn)
            .await?;
        let keys: Vec<String> = api_key::Entity::find()
            .select_only()
            .column(api_key::Column::UserId)
            .filter(api_key::Column::AccountId.eq(account_id))
            .into_tuple()
            .all(&self.conn)
            .await?;
        let mut count = |user_id: String, servers: u64, credentials: u64| {
            let user = users.entry(user_id.clone()).or_insert(AccountUser {
                user_id,
                servers: 0,
                credentials: 0,
            });
            user.servers += servers;
            user.credentials += credentials;
        };
        servers.into_iter().for_each(|u| count(u, 1, 0));
        credentials.into_iter().for_each(|u| count(u, 0, 1));
        keys.into_iter().for_each(|u| count(u, 0, 0));
        Ok(users.into_values().collect())
    }

    /// How many accounts exist (zero means a fresh database).
    pub async fn count(&self) -> Result<u64, Error> {
        Ok(account::Entity::find().count(&self.conn).await?)
    }
}
