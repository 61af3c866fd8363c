//! The gateway's OAuth 2.1 authorization server: registered clients, grants, authorization
//! codes (single use) and refresh tokens (rotated; a spent one presented again is reported so
//! that the grant can be revoked). Codes and tokens are found by their SHA-256, never stored.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::{
    oauth_client, oauth_code, oauth_grant, oauth_refresh_token, oauth_sign_in_link,
};
use crate::error::Error;

/// Which grants [`AuthorizationRepository::revoke_grants_where`] revokes (all given filters
/// must hold; at least one should be given).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantFilter<'a> {
    /// Grants for this server.
    pub server_id: Option<&'a str>,
    /// Grants behind this API key.
    pub key_id: Option<&'a str>,
    /// Grants of this (account, user).
    pub user: Option<(&'a str, &'a str)>,
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClientRecord {
    /// Client ID.
    pub client_id: String,
    /// Its name.
    pub client_name: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `native` or `web`.
    pub application_type: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

/// A grant: one client, signed in as one user, for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthGrantRecord {
    /// Grant ID.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The user the client acts as.
    pub user_id: String,
    /// The API key that signed in, or that issued the user token that did.
    pub key_id: String,
    /// The client.
    pub client_id: String,
    /// Its name.
    pub client_name: Option<String>,
    /// The server its tokens are for.
    pub server_id: String,
    /// Granted scope.
    pub scope: String,
    /// Approval time.
    pub created_at: DateTime<Utc>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an authorization code carries to its exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCodeRecord {
    /// The grant it activates.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The authorization request's redirect URI.
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// A one-time sign-in link as stored (found by its secret, which is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLinkRecord {
    /// The account.
    pub account_id: String,
    /// The user it signs in.
    pub user_id: String,
    /// The API key that minted it.
    pub key_id: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was used.
    pub used_at: Option<DateTime<Utc>>,
}

impl From<oauth_sign_in_link::Model> for SignInLinkRecord {
    fn from(m: oauth_sign_in_link::Model) -> Self {
        SignInLinkRecord {
            account_id: m.account_id,
            user_id: m.user_id,
            key_id: m.key_id,
            expires_at: m.expires_at,
            used_at: m.used_at,
        }
    }
}

/// What presenting an authorization code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// Unknown or expired.
    Unknown,
    /// Valid and now spent.
    Fresh(OAuthCodeRecord),
    /// Already exchanged: a replay (revoke the grant it issued).
    Reused(String),
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Unknown or expired.
    Unknown,
    /// Valid and now spent: issue the next one for this grant.
    Fresh(String),
    /// Already spent: someone replays it (revoke this grant).
    Reused(String),
}

impl From<oauth_grant::Model> for OAuthGrantRecord {
    fn from(m: oauth_grant::Model) -> Self {
        OAuthGrantRecord {
            id: m.id,
            account_id: m.account_id,
            user_id: m.user_id,
            key_id: m.key_id,
            client_id: m.client_id,
            client_name: m.client_name,
            server_id: m.server_id,
            scope: m.scope,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// Reads and writes the authorization server's tables.
#[derive(Debug, Clone)]
pub struct AuthorizationRepository {
    conn: DatabaseConnection,
}

impl AuthorizationRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        AuthorizationRepository { conn }
    }

    /// Registers a client.
    pub async fn insert_client(&self, c: &OAuthClientRecord) -> Result<(), Error> {
        oauth_client::ActiveModel {
            client_id: Set(c.client_id.clone()),
            client_name: Set(c.client_name.clone()),
            redirect_uris: Set(serde_json::to_string(&c.redirect_uris)
                .map_err(|e| Error::Corrupt(e.to_string()))?),
            application_type: Set(c.application_type.clone()),
            created_at: Set(c.created_at),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// A registered client.
    pub async fn client(&self, client_id: &str) -> Result<Option<OAuthClientRecord>, Error> {
        let Some(m) = oauth_client::Entity::find_by_id(client_id.to_owned())
            .one(&self.conn)
            .await?
        else {
            return Ok(None);
        };
        let redirect_uris = serde_json::from_str(&m.redirect_uris)
            .map_err(|e| Error::Corrupt(format!("redirect URIs of {}: {e}", m.client_id)))?;
        Ok(Some(OAuthClientRecord {
            client_id: m.client_id,
            client_name: m.client_name,
            redirect_uris,
            application_type: m.application_type,
            created_at: m.created_at,
        }))
    }

    /// Stores a grant.
    pub async fn insert_grant(&self, g: &OAuthGrantRecord) -> Result<(), Error> {
        oauth_grant::ActiveModel {
            id: Set(g.id.clone()),
            account_id: Set(g.account_id.clone()),
            user_id: Set(g.user_id.clone()),
            user_key: Set(super::user_key(&g.user_id)),
            key_id: Set(g.key_id.clone()),
            client_id: Set(g.client_id.clone()),
            client_name: Set(g.client_name.clone()),
            server_id: Set(g.server_id.clone()),
            scope: Set(g.scope.clone()),
            created_at: Set(g.created_at),
            last_used_at: Set(g.last_used_at),
            revoked_at: Set(g.revoked_at),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// One grant.
    pub async fn grant(&self, id: &str) -> Result<Option<OAuthGrantRecord>, Error> {
        Ok(oauth_grant::Entity::find_by_id(id.to_owned())
            .one(&self.conn)
            .await?
            .map(Into::into))
    }

    /// An account's grants (one user's when `user_id` is given), newest first, revoked ones too.
    pub async fn grants(
        &self,
        account_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<OAuthGrantRecord>, Error> {
        let mut q = oauth_grant::Entity::find()
            .filter(oauth_grant::Column::AccountId.eq(account_id))
            .order_by_desc(oauth_grant::Column::CreatedAt);
        if let Some(user) = user_id {
            q = q.filter(oauth_grant::Column::UserKey.eq(super::user_key(user)));
        }
        Ok(q.all(&self.conn)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Notes that a grant issued a token now.
    pub async fn touch_grant(&self, id: &str) -> Result<(), Error> {
        oauth_grant::Entity::update_many()
            .col_expr(oauth_grant::Column::LastUsedAt, Expr::value(super::now()))
            .filter(oauth_grant::Column::Id.eq(id))
            .exec(&self.conn)
            .await?;
        Ok(())
    }

    /// Revokes a grant (its refresh tokens with it); `false` if it was unknown or already revoked.
    pub async fn revoke_grant(&self, id: &str) -> Result<bool, Error> {
        let res = oauth_grant::Entity::update_many()
            .col_expr(oauth_grant::Column::RevokedAt, Expr::value(super::now()))
            .filter(oauth_grant::Column::Id.eq(id))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .exec(&self.conn)
            .await?;
        oauth_refresh_token::Entity::delete_many()
            .filter(oauth_refresh_token::Column::GrantId.eq(id))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Revokes the live grants that match every given filter (a deleted server's, a revoked
    /// key's, a deleted user's); answers their IDs.
    pub async fn revoke_grants_where(
        &self,
        filter: &GrantFilter<'_>,
    ) -> Result<Vec<String>, Error> {
        let mut q = oauth_grant::Entity::find().filter(oauth_grant::Column::RevokedAt.is_null());
        if let Some(s) = filter.server_id {
            q = q.filter(oauth_grant::Column::ServerId.eq(s));
        }
        if let Some(k) = filter.key_id {
            q = q.filter(oauth_grant::Column::KeyId.eq(k));
        }
        if let Some((account, user)) = filter.user {
            q = q
                .filter(oauth_grant::Column::AccountId.eq(account))
                .filter(oauth_grant::Column::UserKey.eq(super::user_key(user)));
        }
        let ids: Vec<String> = q.all(&self.conn).await?.into_iter().map(|g| g.id).collect();
        for id in &ids {
            self.revoke_grant(id).await?;
        }
        Ok(ids)
    }

    /// Stores an authorization code under its digest.
    pub async fn insert_code(&self, code: &str, c: &OAuthCodeRecord) -> Result<(), Error> {
        oauth_code::ActiveModel {
            id_digest: Set(super::sha256_hex(code)),
            grant_id: Set(c.grant_id.clone()),
            client_id: Set(c.client_id.clone()),
            redirect_uri: Set(c.redirect_uri.clone()),
            code_challenge: Set(c.code_challenge.clone()),
            expires_at: Set(c.expires_at),
            used_at: Set(None),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// Spends a code: once only, and not after expiry (see [`CodeUse`]).
    pub async fn use_code(&self, code: &str) -> Result<CodeUse, Error> {
        let digest = super::sha256_hex(code);
        let Some(m) = oauth_code::Entity::find_by_id(digest.clone())
            .one(&self.conn)
            .await?
        else {
            return Ok(CodeUse::Unknown);
        };
        if m.used_at.is_some() {
            return Ok(CodeUse::Reused(m.grant_id));
        }
        if m.expires_at <= Utc::now() {
            return Ok(CodeUse::Unknown);
        }
        let spent = oauth_code::Entity::update_many()
            .col_expr(oauth_code::Column::UsedAt, Expr::value(super::now()))
            .filter(oauth_code::Column::IdDigest.eq(digest))
            .filter(oauth_code::Column::UsedAt.is_null())
            .exec(&self.conn)
            .await?;
        if spent.rows_affected != 1 {
            return Ok(CodeUse::Reused(m.grant_id));
        }
        Ok(CodeUse::Fresh(OAuthCodeRecord {
            grant_id: m.grant_id,
            client_id: m.client_id,
            redirect_uri: m.redirect_uri,
            code_challenge: m.code_challenge,
            expires_at: m.expires_at,
        }))
    }

    /// Stores a refresh token of a grant.
    pub async fn insert_refresh(
        &self,
        token: &str,
        grant_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        oauth_refresh_token::ActiveModel {
            id_digest: Set(super::sha256_hex(token)),
            grant_id: Set(grant_id.to_owned()),
            created_at: Set(super::now()),
            used_at: Set(None),
            expires_at: Set(expires_at),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// The grant of a refresh token, spent or not (for revocation).
    pub async fn refresh_grant(&self, token: &str) -> Result<Option<String>, Error> {
        Ok(
            oauth_refresh_token::Entity::find_by_id(super::sha256_hex(token))
                .one(&self.conn)
                .await?
                .map(|m| m.grant_id),
        )
    }

    /// Spends a refresh token (see [`RefreshUse`]).
    pub async fn use_refresh(&self, token: &str) -> Result<RefreshUse, Error> {
        let digest = super::sha256_hex(token);
        let Some(m) = oauth_refresh_token::Entity::find_by_id(digest.clone())
            .one(&self.conn)
            .await?
        else {
            return Ok(RefreshUse::Unknown);
        };
        if m.used_at.is_some() {
            return Ok(RefreshUse::Reused(m.grant_id));
        }
        if m.expires_at <= Utc::now() {
            return Ok(RefreshUse::Unknown);
        }
        let spent = oauth_refresh_token::Entity::update_many()
            .col_expr(
                oauth_refresh_token::Column::UsedAt,
                Expr::value(super::now()),
            )
            .filter(oauth_refresh_token::Column::IdDigest.eq(digest))
            .filter(oauth_refresh_token::Column::UsedAt.is_null())
            .exec(&self.conn)
            .await?;
        // Two presentations racing: the one that lost is the replay.
        Ok(if spent.rows_affected == 1 {
            RefreshUse::Fresh(m.grant_id)
        } else {
            RefreshUse::Reused(m.grant_id)
        })
    }

    /// Stores a sign-in link under the digest of its secret.
    pub async fn insert_link(&self, secret: &str, link: &SignInLinkRecord) -> Result<(), Error> {
        oauth_sign_in_link::ActiveModel {
            id_digest: Set(super::sha256_hex(secret)),
            account_id: Set(link.account_id.clone()),
            user_id: Set(link.user_id.clone()),
            key_id: Set(link.key_id.clone()),
            expires_at: Set(link.expires_at),
            used_at: Set(None),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// A link, used or not, expired or not (the caller says why it is refused).
    pub async fn link(&self, secret: &str) -> Result<Option<SignInLinkRecord>, Error> {
        Ok(
            oauth_sign_in_link::Entity::find_by_id(super::sha256_hex(secret))
                .one(&self.conn)
                .await?
                .map(Into::into),
        )
    }

    /// Spends a link: `true` once, for an unexpired link; `false` when unknown, expired or
    /// already used (two concurrent uses: one wins).
    pub async fn spend_link(&self, secret: &str) -> Result<bool, Error> {
        let spent = oauth_sign_in_link::Entity::update_many()
            .col_expr(
                oauth_sign_in_link::Column::UsedAt,
                Expr::value(super::now()),
            )
            .filter(oauth_sign_in_link::Column::IdDigest.eq(super::sha256_hex(secret)))
            .filter(oauth_sign_in_link::Column::UsedAt.is_null())
            .filter(oauth_sign_in_link::Column::ExpiresAt.gt(Utc::now()))
            .exec(&self.conn)
            .await?;
        Ok(spent.rows_affected == 1)
    }
}
