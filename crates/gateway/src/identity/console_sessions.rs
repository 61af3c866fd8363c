//! Admin-console sessions: a browser signs in once with an API key or a user token and is then
//! known by an HttpOnly cookie holding a random secret, whose digest names a stored session.
//!
//! The session stands for exactly the caller the key or token stood for (same account, user,
//! principal and rate-limit bucket), so the console goes through the public API's own checks.
//! Sessions live in the database, so every replica knows them and signing out ends them
//! everywhere; revoking the key ends them too (at once here, within the key recheck interval
//! on other replicas, which check the key on every request).

use std::time::Duration;

use alloy_domain::ApiError;
use alloy_storage::{ConsoleSessionRecord, Database};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiKeyService, Caller, Principal, UserTokens};
use crate::audit::{AuditEvent, AuditWriter, Outcome};
use crate::error::Error;

/// Prefix of a session secret (so a leaked one is recognisable in a scan).
const SECRET_PREFIX: &str = "acs_";

/// What a browser signs in with.
#[derive(Clone, Copy)]
pub enum ConsoleCredential<'a> {
    /// An API key: the session may act for any user of the account.
    ApiKey(&'a str),
    /// A user token: the session sees only that user's things.
    UserToken(&'a str),
}

/// A signed-in console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Who the session acts as (its own user, before any `x-alloy-userid`).
    pub caller: Caller,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// The token state-changing requests must echo in `x-csrf-token`.
    pub csrf_token: String,
}

impl ConsoleSession {
    /// Seconds until the session ends (the cookie's `Max-Age`).
    pub fn seconds_left(&self) -> i64 {
        (self.expires_at - Utc::now()).num_seconds().max(0)
    }
}

/// Opens, resolves and ends console sessions.
#[derive(Clone)]
pub struct ConsoleSessions {
    db: Database,
    keys: ApiKeyService,
    tokens: UserTokens,
    audit: AuditWriter,
    ttl: Duration,
}

fn signed_out() -> Error {
    ApiError::unauthorized("Console session expired or signed out").into()
}

/// The CSRF token of a session: derived from its secret, so it needs no storage, and useless
/// without the cookie it is derived from (which scripts of other sites cannot read).
fn csrf_token_of(secret: &str) -> String {
    let digest = Sha256::digest(format!("alloy-console-csrf\0{secret}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

impl ConsoleSessions {
    pub(crate) fn new(
        db: Database,
        keys: ApiKeyService,
        tokens: UserTokens,
        audit: AuditWriter,
        ttl: Duration,
    ) -> Self {
        ConsoleSessions {
            db,
            keys,
            tokens,
            audit,
            ttl,
        }
    }

    /// How long a new session lasts at most.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a browser in: checks the credential exactly as the API does and opens a session.
    /// Answers the cookie's secret and the session.
    pub async fn sign_in(
        &self,
        credential: ConsoleCredential<'_>,
    ) -> Result<(String, ConsoleSession), Error> {
        let now = Utc::now();
        let longest = now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let (record, principal) = match credential {
            ConsoleCredential::ApiKey(key) => {
                let id = self.keys.verify(key).await?;
                let key_expiry = id.expires_at;
                let record = ConsoleSessionRecord {
                    account_id: id.account_id,
                    user_id: id.user_id,
                    key_id: id.key_id.clone(),
                    token_id: None,
                    created_at: now,
                    expires_at: key_expiry.map_or(longest, |e| e.min(longest)),
                };
                (record, Principal::ApiKey { key_id: id.key_id })
            }
            ConsoleCredential::UserToken(token) => {
                let claims = self.tokens.verify(token.trim()).ok_or_else(|| {
                    Error::from(ApiError::unauthorized("Invalid or expired user token"))
                })?;
                if !self.keys.is_active(&claims.kid).await? {
                    return Err(ApiError::unauthorized(
                        "The user token's API key has been revoked",
                    )
                    .into());
                }
                let token_expiry = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
                let record = ConsoleSessionRecord {
                    account_id: claims.acct,
                    user_id: claims.sub,
                    key_id: claims.kid.clone(),
                    token_id: Some(claims.jti.clone()),
                    created_at: now,
                    expires_at: token_expiry.min(longest),
                };
                let principal = Principal::UserToken {
                    key_id: claims.kid,
                    token_id: claims.jti,
                };
                (record, principal)
            }
        };
        let secret = format!(
            "{SECRET_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        );
        let stored = self.db.console_sessions().open(&secret, &record).await?;
        let caller = Caller {
            account_id: stored.account_id,
            user_id: stored.user_id,
            principal,
        };
        self.audit.record(
            AuditEvent::new("console.signed_in", Outcome::Ok)
                .by(&caller)
                .details(serde_json::json!({ "expiresAt": crate::servers::timestamp(stored.expires_at) })),
        );
        let session = ConsoleSession {
            caller,
            expires_at: stored.expires_at,
            csrf_token: csrf_token_of(&secret),
        };
        Ok((secret, session))
    }

    /// The session a cookie's secret names: `401` when it expired, was signed out, or its key
    /// was revoked.
    pub async fn resolve(&self, secret: &str) -> Result<ConsoleSession, Error> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Err(signed_out());
        }
        let record = self
            .db
            .console_sessions()
            .get(secret)
            .await?
            .ok_or_else(signed_out)?;
        if !self.keys.is_active(&record.key_id).await? {
            self.db
                .console_sessions()
                .end_for_key(&record.key_id)
                .await?;
            return Err(signed_out());
        }
        let principal = match record.token_id {
            None => Principal::ApiKey {
                key_id: record.key_id,
            },
            Some(token_id) => Principal::UserToken {
                key_id: record.key_id,
                token_id,
            },
        };
        Ok(ConsoleSession {
            caller: Caller {
                account_id: record.account_id,
                user_id: record.user_id,
                principal,
            },
            expires_at: record.expires_at,
            csrf_token: csrf_token_of(secret),
        })
    }

    /// The caller a request made in a session acts as: the session's own, or with
    /// `x-alloy-userid` another user of the account when an API key signed in (the same rule
    /// as the headers'; a user-token session is pinned to its user).
    pub fn caller_for(session: &ConsoleSession, user_id: Option<&str>) -> Result<Caller, Error> {
        let pinned = !session.caller.is_api_key();
        super::authenticator::act_as(session.caller.clone(), user_id, pinned)
    }

    /// Whether `presented` is the CSRF token of the session `secret` names (constant time).
    pub fn csrf_matches(secret: &str, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(csrf_token_of(secret).as_bytes())))
    }

    /// Signs out: the session ends on every replica. `false` if it had already ended.
    pub async fn sign_out(&self, secret: &str, caller: &Caller) -> Result<bool, Error> {
        let ended = self.db.console_sessions().end(secret).await?;
        if ended {
            self.audit
                .record(AuditEvent::new("console.signed_out", Outcome::Ok).by(caller));
        }
        Ok(ended)
    }

    /// Drops expired sessions; how many.
    pub async fn sweep(&self) -> Result<u64, Error> {
        Ok(self
            .db
            .console_sessions()
            .delete_expired(Utc::now())
            .await?)
    }

    /// Sweeps every `interval` until `shutdown` resolves (expired sessions are already refused;
    /// this only keeps the table small). Every replica may run it.
    pub async fn sweep_periodically(self, interval: Duration, shutdown: impl Future<Output = ()>) {
        crate::periodic::every(interval, shutdown, || async {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "console session sweep failed; retrying later");
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let a = csrf_token_of("acs_a");
        assert_eq!(a, csrf_token_of("acs_a"), "stable for a session");
        assert_ne!(a, csrf_token_of("acs_b"));
        assert!(ConsoleSessions::csrf_matches("acs_a", Some(&a)));
        assert!(!ConsoleSessions::csrf_matches("acs_b", Some(&a)));
        assert!(!ConsoleSessions::csrf_matches("acs_a", None));
        assert!(!ConsoleSessions::csrf_matches("acs_a", Some("")));
    }
}
