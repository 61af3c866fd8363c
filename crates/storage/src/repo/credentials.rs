//! Credentials: end users' platform credentials, their secret fields sealed under the
//! credential ID, every read confined to one (account, user).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::user_key;

use crate::crypto::SecretBox;
use crate::entity::credential;
use crate::error::Error;

/// Whether a credential can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStatus {
    /// Usable.
    Active,
    /// An OAuth refresh failed or the platform rejected the tokens: the user must authorize
    /// again.
    NeedsReauthorization,
}

impl CredentialStatus {
    /// The stored and wire form: `active`, `needs_reauthorization`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::NeedsReauthorization => "needs_reauthorization",
        }
    }

    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "active" => Ok(CredentialStatus::Active),
            "needs_reauthorization" => Ok(CredentialStatus::NeedsReauthorization),
            other => Err(Error::Corrupt(format!("unknown credential status {other}"))),
        }
    }
}

/// The secret fields of a credential (`apiKey`, `accessToken`, `refreshToken`, …).
///
/// `Debug` names the fields, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretFields(pub BTreeMap<String, String>);

impl std::fmt::Debug for SecretFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SecretFields")
            .field(&self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SecretFields {
    /// A field's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn seal(&self, secrets: &SecretBox, credential_id: &str) -> Result<String, Error> {
        let json = serde_json::to_vec(&self.0)
            .map_err(|e| Error::Corrupt(format!("credential fields: {e}")))?;
        secrets.seal(&json, credential_id)
    }

    fn open(secrets: &SecretBox, sealed: &str, credential_id: &str) -> Result<Self, Error> {
        let bytes = secrets.open(sealed, credential_id)?;
        serde_json::from_slice(&bytes)
            .map(SecretFields)
            .map_err(|_| Error::Corrupt(format!("secret of credential {credential_id}")))
    }
}

/// A credential's metadata: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// `credentialId`.
    pub credential_id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// Connector ID.
    pub connector_id: String,
    /// `oauth2`, `apiKey`, `bearer` or `basic`.
    pub auth_type: String,
    /// Whether it can be used.
    pub status: CredentialStatus,
    /// Whether a refresh token is held.
    pub refreshable: bool,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the tokens were last refreshed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Changes with every change of the secret (compare-and-swap for refreshes).
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<credential::Model> for CredentialRecord {
    type Error = Error;

    fn try_from(m: credential::Model) -> Result<Self, Error> {
        Ok(CredentialRecord {
            status: CredentialStatus::parse(&m.status)?,
            credential_id: m.id,
            account_id: m.account_id,
            user_id: m.user_id,
            connector_id: m.connector_id,
            auth_type: m.auth_type,
            refreshable: m.refreshable,
            expires_at: m.expires_at,
            refreshed_at: m.refreshed_at,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A credential to store.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// `credentialId` (from `alloy_domain::ids::generate_credential_id`).
    pub credential_id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// Connector ID.
    pub connector_id: String,
    /// `oauth2`, `apiKey`, `bearer` or `basic`.
    pub auth_type: String,
    /// The fields, stored sealed.
    pub secret: SecretFields,
    /// Whether a refresh token is among the fields.
    pub refreshable: bool,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// New tokens after a refresh.
#[derive(Debug, Clone)]
pub struct RefreshedSecret {
    /// The complete new fields.
    pub secret: SecretFields,
    /// Whether a refresh token is held.
    pub refreshable: bool,
    /// When the new access token expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Reads and writes credentials.
#[derive(Debug, Clone)]
pub struct CredentialRepository {
    conn: DatabaseConnection,
    secrets: Arc<SecretBox>,
}

fn owned(account_id: &str, user_id: &str) -> Condition {
    Condition::all()
        .add(credential::Column::AccountId.eq(account_id))
        .add(credential::Column::UserKey.eq(user_key(user_id)))
}

impl CredentialRepository {
    pub(crate) fn new(conn: DatabaseConnection, secrets: Arc<SecretBox>) -> Self {
        CredentialRepository { conn, secrets }
    }

    /// Stores a new credential. `Error::Duplicate("credential id")` on an ID collision.
    pub async fn insert(&self, new: NewCredential) -> Result<CredentialRecord, Error> {
        let now = super::now();
        let model = credential::ActiveModel {
            id: Set(new.credential_id.clone()),
            account_id: Set(new.account_id),
            user_key: Set(user_key(&new.user_id)),
            user_id: Set(new.user_id),
            connector_id: Set(new.connector_id),
            auth_type: Set(new.auth_type),
            status: Set(CredentialStatus::Active.as_str().to_owned()),
            secret_sealed: Set(new.secret.seal(&self.secrets, &new.credential_id)?),
            refreshable: Set(new.refreshable),
            expires_at: Set(new.expires_at),
            refreshed_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match model.insert(&self.conn).await {
            Ok(m) => m.try_into(),
            Err(e) if super::is_unique_violation(&e) => Err(Error::Duplicate("credential id")),
            Err(e) => Err(e.into()),
        }
    }

    /// One credential of this user, without its secret.
    pub async fn get(
        &self,
        account_id: &str,
        user_id: &str,
        credential_id: &str,
    ) -> Result<Option<CredentialRecord>, Error> {
        credential::Entity::find_by_id(credential_id.to_owned())
            .filter(owned(account_id, user_id))
            .one(&self.conn)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// One credential of this user with its opened secret. Fails with `Error::Corrupt` when
    /// the sealed value was tampered with or moved from another row.
    pub async fn get_with_secret(
        &self,
        account_id: &str,
        user_id: &str,
        credential_id: &str,
    ) -> Result<Option<(CredentialRecord, SecretFields)>, Error> {
        let Some(m) = credential::Entity::find_by_id(credential_id.to_owned())
            .filter(owned(account_id, user_id))
            .one(&self.conn)
            .await?
        else {
            return Ok(None);
        };
        self.with_secret(m).map(Some)
    }

    fn with_secret(&self, m: credential::Model) -> Result<(CredentialRecord, SecretFields), Error> {
        let secret = SecretFields::open(&self.secrets, &m.secret_sealed, &m.id)?;
        Ok((m.try_into()?, secret))
    }

    /// The user's newest usable credential for a connector: active, and either unexpired or
    /// refreshable.
    pub async fn newest_usable(
        &self,
        account_id: &str,
        user_id: &str,
        connector_id: &str,
    ) -> Result<Option<(CredentialRecord, SecretFields)>, Error> {
        let now = super::now();
        let m = credential::Entity::find()
            .filter(owned(account_id, user_id))
            .filter(credential::Column::ConnectorId.eq(connector_id))
            .filter(credential::Column::Status.eq(CredentialStatus::Active.as_str()))
            .filter(
                Condition::any()
                    .add(credential::Column::ExpiresAt.is_null())
                    .add(credential::Column::ExpiresAt.gt(now))
                    .add(credential::Column::Refreshable.eq(true)),
            )
            .order_by_desc(credential::Column::CreatedAt)
            .order_by_desc(credential::Column::Id)
            .one(&self.conn)
            .await?;
        m.map(|m| self.with_secret(m)).transpose()
    }

    /// A page of the user's credentials (of one connector, or all), newest first, and how many
    /// there are in all.
    pub async fn list(
        &self,
        account_id: &str,
        user_id: &str,
        connector_id: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<CredentialRecord>, u64), Error> {
        let mut q = credential::Entity::find().filter(owned(account_id, user_id));
        if let Some(c) = connector_id {
            q = q.filter(credential::Column::ConnectorId.eq(c));
        }
        let total = q.clone().count(&self.conn).await?;
        let rows = q
            .order_by_desc(credential::Column::CreatedAt)
            .order_by_desc(credential::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.conn)
            .await?;
        let records = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, total))
    }

    /// Replaces the secret after a refresh if the credential is still at `expected_version`;
    /// `false` when another refresh got there first (the caller reads the credential again).
    pub async fn replace_secret(
        &self,
        credential_id: &str,
        expected_version: i64,
        refreshed: RefreshedSecret,
    ) -> Result<bool, Error> {
        let now = super::now();
        let sealed = refreshed.secret.seal(&self.secrets, credential_id)?;
        let res = credential::Entity::update_many()
            .col_expr(credential::Column::SecretSealed, Expr::value(sealed))
            .col_expr(
                credential::Column::Refreshable,
                Expr::value(refreshed.refreshable),
            )
            .col_expr(
                credential::Column::ExpiresAt,
                Expr::value(refreshed.expires_at),
            )
            .col_expr(credential::Column::RefreshedAt, Expr::value(Some(now)))
            .col_expr(
                credential::Column::Status,
                Expr::value(CredentialStatus::Active.as_str()),
            )
            .col_expr(
                credential::Column::Version,
                Expr::col(credential::Column::Version).add(1),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(now))
            .filter(credential::Column::Id.eq(credential_id))
            .filter(credential::Column::Version.eq(expected_version))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Sets the status if the credential is still at `expected_version`; `false` otherwise.
    pub async fn set_status(
        &self,
        credential_id: &str,
        expected_version: i64,
        status: CredentialStatus,
    ) -> Result<bool, Error> {
        let res = credential::Entity::update_many()
            .col_expr(credential::Column::Status, Expr::value(status.as_str()))
            .col_expr(
                credential::Column::Version,
                Expr::col(credential::Column::Version).add(1),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(super::now()))
            .filter(credential::Column::Id.eq(credential_id))
            .filter(credential::Column::Version.eq(expected_version))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Deletes one of the user's credentials; `false` if they have none with this ID.
    pub async fn delete(
        &self,
        account_id: &str,
        user_id: &str,
        credential_id: &str,
    ) -> Result<bool, Error> {
        let res = credential::Entity::delete_many()
            .filter(credential::Column::Id.eq(credential_id))
            .filter(owned(account_id, user_id))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Deletes every credential of a user; answers how many there were.
    pub async fn delete_all_of_user(&self, account_id: &str, user_id: &str) -> Result<u64, Error> {
        let res = credential::Entity::delete_many()
            .filter(owned(account_id, user_id))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }
}
