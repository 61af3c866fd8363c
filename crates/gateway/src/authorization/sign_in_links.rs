//! One-time sign-in links (`POST /api/users/:userId/sign-in-links`): how a SaaS that embeds the
//! gateway signs one of its end users in to the OAuth sign-in page without sharing a key. The
//! operator's backend mints a link with its API key; the end user opens it (or its secret is
//! given as the form's `credential`); signing in with it spends it. Minutes-long, single use.

use std::time::Duration;

use alloy_domain::ApiError;
use alloy_storage::SignInLinkRecord;
use chrono::{DateTime, Utc};

use super::{AuthorizationServer, random_secret};
use crate::audit::{AuditEvent, Outcome};
use crate::error::Error;
use crate::identity::{Caller, Principal};

/// The prefix of a link's secret (the form recognises a pasted one by it).
pub const LINK_PREFIX: &str = "asl_";

/// Why a link does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Never issued (or mistyped).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Already spent.
    Used,
}

impl LinkRefusal {
    /// A sentence for the page.
    pub fn message(self) -> &'static str {
        match self {
            LinkRefusal::Unknown => "This sign-in link is not valid.",
            LinkRefusal::Expired => "This sign-in link has expired. Ask for a new one.",
            LinkRefusal::Used => "This sign-in link was already used. Ask for a new one.",
        }
    }
}

impl AuthorizationServer {
    /// Mints a link for `user_id` of the caller's account. Only an API key may (as for user
    /// tokens). Answers the URL to give the user and its expiry.
    pub async fn mint_link(
        &self,
        caller: &Caller,
        user_id: &str,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), Error> {
        let Principal::ApiKey { key_id } = &caller.principal else {
            return Err(ApiError::forbidden("Only an API key can mint sign-in links").into());
        };
        alloy_domain::ids::validate_user_id("userId", user_id)?;
        let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
        let secret = random_secret(LINK_PREFIX);
        self.db
            .authorization()
            .insert_link(
                &secret,
                &SignInLinkRecord {
                    account_id: caller.account_id.clone(),
                    user_id: user_id.to_owned(),
                    key_id: key_id.clone(),
                    expires_at,
                    used_at: None,
                },
            )
            .await?;
        self.audit.record(
            AuditEvent::new("oauth.sign_in_link", Outcome::Ok)
                .by(caller)
                .details(serde_json::json!({
                    "userId": user_id,
                    "expiresAt": crate::servers::timestamp(expires_at),
                })),
        );
        Ok((
            format!("{}/oauth/sign-in/{secret}", self.issuer),
            expires_at,
        ))
    }

    /// Whom a link would sign in, without spending it (the page that opens it).
    pub async fn peek_link(&self, secret: &str) -> Result<Result<String, LinkRefusal>, Error> {
        Ok(self.check_link(secret).await?.map(|l| l.user_id))
    }

    /// A link that can still sign someone in, or why not.
    async fn check_link(
        &self,
        secret: &str,
    ) -> Result<Result<SignInLinkRecord, LinkRefusal>, Error> {
        if !secret.starts_with(LINK_PREFIX) {
            return Ok(Err(LinkRefusal::Unknown));
        }
        Ok(match self.db.authorization().link(secret).await? {
            None => Err(LinkRefusal::Unknown),
            Some(l) if l.used_at.is_some() => Err(LinkRefusal::Used),
            Some(l) if l.expires_at <= Utc::now() => Err(LinkRefusal::Expired),
            Some(l) if !self.keys.is_active(&l.key_id).await? => Err(LinkRefusal::Unknown),
            Some(l) => Ok(l),
        })
    }

    /// Spends a link: the caller it stands for (the user, under the key that minted it).
    pub(crate) async fn spend_link(&self, secret: &str) -> Result<Caller, Error> {
        let refused = |r: LinkRefusal| Error::from(ApiError::unauthorized(r.message()));
        let link = self.check_link(secret).await?.map_err(refused)?;
        // Checked just now, but another use may have won the race since.
        if !self.db.authorization().spend_link(secret).await? {
            return Err(refused(LinkRefusal::Used));
        }
        Ok(Caller {
            account_id: link.account_id,
            user_id: link.user_id,
            principal: Principal::UserToken {
                key_id: link.key_id,
                token_id: super::LINK_TOKEN_ID.to_owned(),
            },
        })
    }
}
