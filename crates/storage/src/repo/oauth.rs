//! OAuth 2.0: the client each account registered per connector (secret sealed), and the
//! authorizations in progress (state digest, sealed PKCE verifier, single use, expiring).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use crate::crypto::SecretBox;
use crate::entity::{oauth_app, oauth_state};
use crate::error::Error;
use crate::repo::{sha256_hex, user_key};

/// An OAuth app as the application sees it, with its client secret opened.
#[derive(Clone, PartialEq)]
pub struct OAuthAppRecord {
    /// Owning account.
    pub account_id: String,
    /// Connector ID.
    pub connector_id: String,
    /// OAuth client ID.
    pub client_id: String,
    /// OAuth client secret (`None` for a public client).
    pub client_secret: Option<String>,
    /// Further settings (scopes, token authentication method, …), as the gateway defines them.
    pub settings: Value,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for OAuthAppRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAppRecord")
            .field("account_id", &self.account_id)
            .field("connector_id", &self.connector_id)
            .field("client_id", &self.client_id)
            .field("has_client_secret", &self.client_secret.is_some())
            .finish_non_exhaustive()
    }
}

/// An OAuth app to store (replacing any app of the same account and connector).
#[derive(Clone)]
pub struct NewOAuthApp {
    /// Owning account.
    pub account_id: String,
    /// Connector ID.
    pub connector_id: String,
    /// OAuth client ID.
    pub client_id: String,
    /// OAuth client secret, stored sealed.
    pub client_secret: Option<String>,
    /// Further settings.
    pub settings: Value,
}

/// The associated data of an app's sealed secret: binds it to its (account, connector) row.
pub(crate) fn app_aad(account_id: &str, connector_id: &str) -> String {
    format!("oauth-app:{}:{connector_id}", user_key(account_id))
}

/// Reads and writes OAuth apps.
#[derive(Debug, Clone)]
pub struct OAuthAppRepository {
    conn: DatabaseConnection,
    secrets: Arc<SecretBox>,
}

impl OAuthAppRepository {
    pub(crate) fn new(conn: DatabaseConnection, secrets: Arc<SecretBox>) -> Self {
        OAuthAppRepository { conn, secrets }
    }

    fn record(&self, m: oauth_app::Model) -> Result<OAuthAppRecord, Error> {
        let client_secret = m
            .client_secret_sealed
            .as_deref()
            .map(|s| {
                self.secrets
                    .open_string(s, &app_aad(&m.account_id, &m.connector_id))
            })
            .transpose()?;
        let settings = serde_json::from_str(&m.settings)
            .map_err(|e| Error::Corrupt(format!("OAuth app settings: {e}")))?;
        Ok(OAuthAppRecord {
            account_id: m.account_id,
            connector_id: m.connector_id,
            client_id: m.client_id,
            client_secret,
            settings,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// Stores an app, replacing the account's previous app for the connector.
    pub async fn put(&self, new: NewOAuthApp) -> Result<OAuthAppRecord, Error> {
        let now = super::now();
        let sealed = new
            .client_secret
            .as_deref()
            .map(|s| {
                self.secrets
                    .seal(s.as_bytes(), &app_aad(&new.account_id, &new.connector_id))
            })
            .transpose()?;
        let settings = new.settings.to_string();
        let existing =
            oauth_app::Entity::find_by_id((new.account_id.clone(), new.connector_id.clone()))
                .one(&self.conn)
                .await?;
        let model = match existing {
            Some(m) => {
                let mut active = m.into_active_model();
                active.client_id = Set(new.client_id);
                active.client_secret_sealed = Set(sealed);
                active.settings = Set(settings);
                active.updated_at = Set(now);
                active.update(&self.conn).await?
            }
            None => {
                oauth_app::ActiveModel {
                    account_id: Set(new.account_id),
                    connector_id: Set(new.connector_id),
                    client_id: Set(new.client_id),
                    client_secret_sealed: Set(sealed),
                    settings: Set(settings),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&self.conn)
                .await?
            }
        };
        self.record(model)
    }

    /// The account's app for a connector.
    pub async fn get(
        &self,
        account_id: &str,
        connector_id: &str,
    ) -> Result<Option<OAuthAppRecord>, Error> {
        oauth_app::Entity::find_by_id((account_id.to_owned(), connector_id.to_owned()))
            .one(&self.conn)
            .await?
            .map(|m| self.record(m))
            .transpose()
    }

    /// Every app of the account, by connector ID.
    pub async fn list(&self, account_id: &str) -> Result<Vec<OAuthAppRecord>, Error> {
        oauth_app::Entity::find()
            .filter(oauth_app::Column::AccountId.eq(account_id))
            .order_by_asc(oauth_app::Column::ConnectorId)
            .all(&self.conn)
            .await?
            .into_iter()
            .map(|m| self.record(m))
            .collect()
    }

    /// Deletes the account's app for a connector; `false` if there was none.
    pub async fn delete(&self, account_id: &str, connector_id: &str) -> Result<bool, Error> {
        let res = oauth_app::Entity::delete_by_id((account_id.to_owned(), connector_id.to_owned()))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }
}

/// A pending authorization as stored.
#[derive(Clone, PartialEq)]
pub struct OAuthStateRecord {
    /// Account that started the flow.
    pub account_id: String,
    /// User that started the flow.
    pub user_id: String,
    /// Connector being authorized.
    pub connector_id: String,
    /// Where the browser goes when the flow ends.
    pub redirect_uri: Option<String>,
    /// The opened payload (PKCE verifier, credential fields).
    pub payload: Value,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for OAuthStateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthStateRecord")
            .field("account_id", &self.account_id)
            .field("connector_id", &self.connector_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A pending authorization to store.
#[derive(Clone)]
pub struct NewOAuthState {
    /// The `state` value sent to the provider (stored only as a digest).
    pub state: String,
    /// Account starting the flow.
    pub account_id: String,
    /// User starting the flow.
    pub user_id: String,
    /// Connector being authorized.
    pub connector_id: String,
    /// Where the browser goes when the flow ends.
    pub redirect_uri: Option<String>,
    /// PKCE verifier and credential fields; stored sealed.
    pub payload: Value,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// What consuming a `state` found.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumedState {
    /// A live state, now used up.
    Valid(OAuthStateRecord),
    /// The state existed but had expired (it is used up too).
    Expired(OAuthStateRecord),
    /// No such state: never issued, or already used.
    Unknown,
}

/// SHA-256 hex of a `state` value.
pub(crate) fn state_digest(state: &str) -> String {
    sha256_hex(state)
}

/// Reads and writes pending authorizations.
#[derive(Debug, Clone)]
pub struct OAuthStateRepository {
    conn: DatabaseConnection,
    secrets: Arc<SecretBox>,
}

impl OAuthStateRepository {
    pub(crate) fn new(conn: DatabaseConnection, secrets: Arc<SecretBox>) -> Self {
        OAuthStateRepository { conn, secrets }
    }

    /// Stores a pending authorization.
    pub async fn insert(&self, new: NewOAuthState) -> Result<(), Error> {
        let digest = state_digest(&new.state);
        let payload = serde_json::to_vec(&new.payload)
            .map_err(|e| Error::Corrupt(format!("OAuth state payload: {e}")))?;
        let model = oauth_state::ActiveModel {
            payload_sealed: Set(self.secrets.seal(&payload, &digest)?),
            state_digest: Set(digest),
            account_id: Set(new.account_id),
            user_key: Set(user_key(&new.user_id)),
            user_id: Set(new.user_id),
            connector_id: Set(new.connector_id),
            redirect_uri: Set(new.redirect_uri),
            expires_at: Set(new.expires_at),
            created_at: Set(super::now()),
        };
        match model.insert(&self.conn).await {
            Ok(_) => Ok(()),
            Err(e) if super::is_unique_violation(&e) => Err(Error::Duplicate("oauth state")),
            Err(e) => Err(e.into()),
        }
    }

    /// Uses up a `state`: of two concurrent callers (on any replica) exactly one gets it.
    pub async fn consume(&self, state: &str) -> Result<ConsumedState, Error> {
        let digest = state_digest(state);
        let Some(m) = oauth_state::Entity::find_by_id(digest.clone())
            .one(&self.conn)
            .await?
        else {
            return Ok(ConsumedState::Unknown);
        };
        // The delete is the decision: only the caller whose delete removed the row owns it.
        let res = oauth_state::Entity::delete_by_id(digest.clone())
            .exec(&self.conn)
            .await?;
        if res.rows_affected != 1 {
            return Ok(ConsumedState::Unknown);
        }
        let payload = self.secrets.open(&m.payload_sealed, &digest)?;
        let payload = serde_json::from_slice(&payload)
            .map_err(|_| Error::Corrupt("OAuth state payload".into()))?;
        let record = OAuthStateRecord {
            account_id: m.account_id,
            user_id: m.user_id,
            connector_id: m.connector_id,
            redirect_uri: m.redirect_uri,
            payload,
            expires_at: m.expires_at,
            created_at: m.created_at,
        };
        if record.expires_at <= Utc::now() {
            Ok(ConsumedState::Expired(record))
        } else {
            Ok(ConsumedState::Valid(record))
        }
    }

    /// Deletes states that expired before `before`; answers how many.
    pub async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, Error> {
        let res = oauth_state::Entity::delete_many()
            .filter(oauth_state::Column::ExpiresAt.lt(before))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }

    /// Deletes every pending authorization of a user.
    pub async fn delete_all_of_user(&self, account_id: &str, user_id: &str) -> Result<u64, Error> {
        let res = oauth_state::Entity::delete_many()
            .filter(oauth_state::Column::AccountId.eq(account_id))
            .filter(oauth_state::Column::UserKey.eq(user_key(user_id)))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }
}
