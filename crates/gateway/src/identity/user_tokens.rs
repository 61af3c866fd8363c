//! User tokens: HS256 JWTs naming one account and one user, issued under an API key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::Error;

const ISSUER: &str = "alloy-mcp-server";

/// The claims of a user token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTokenClaims {
    /// Issuer (`alloy-mcp-server`).
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The account.
    pub acct: String,
    /// ID of the API key that issued the token; revoking the key revokes the token.
    pub kid: String,
    /// Unique token ID (rate-limit bucket).
    pub jti: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedUserToken {
    /// The JWT.
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Issues and verifies user tokens.
#[derive(Clone)]
pub struct UserTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    default_ttl: Duration,
}

impl UserTokens {
    pub(crate) fn new(secret: &[u8], default_ttl: Duration) -> Self {
        UserTokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            default_ttl,
        }
    }

    /// The lifetime used when the request names none.
    pub fn default_ttl(&self) -> Duration {
        self.default_ttl
    }

    /// Issues a token for `user_id` in `account_id`, valid for `ttl`.
    pub fn issue(
        &self,
        account_id: &str,
        user_id: &str,
        key_id: &str,
        ttl: Duration,
    ) -> Result<IssuedUserToken, Error> {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| Error::Internal(e.to_string()))?;
        let expires_at = now + ttl;
        let claims = UserTokenClaims {
            iss: ISSUER.to_owned(),
            sub: user_id.to_owned(),
            acct: account_id.to_owned(),
            kid: key_id.to_owned(),
            jti: super::api_keys::uuid_like(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("jwt: {e}")))?;
        Ok(IssuedUserToken { token, expires_at })
    }

    /// Verifies signature, algorithm, issuer and expiry (no leeway). `None` for any failure.
    pub fn verify(&self, token: &str) -> Option<UserTokenClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        jsonwebtoken::decode::<UserTokenClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_verifies() {
        let t = UserTokens::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let issued = t
            .issue("acct", "alice", "key1", Duration::from_secs(60))
            .unwrap();
        let claims = t.verify(&issued.token).unwrap();
        assert_eq!(
            (
                claims.acct.as_str(),
                claims.sub.as_str(),
                claims.kid.as_str()
            ),
            ("acct", "alice", "key1")
        );
        let other = UserTokens::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&issued.token).is_none(), "wrong secret");
        let mut tampered = issued.token.clone();
        tampered.push('x');
        assert!(t.verify(&tampered).is_none());
        assert!(t.verify("not.a.jwt").is_none());
    }

    #[test]
    fn expired_tokens_fail() {
        let t = UserTokens::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let now = Utc::now().timestamp();
        let claims = UserTokenClaims {
            iss: ISSUER.into(),
            sub: "a".into(),
            acct: "b".into(),
            kid: "k".into(),
            jti: "j".into(),
            iat: now - 100,
            exp: now - 10,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &t.encoding).unwrap();
        assert!(t.verify(&token).is_none());
    }
}
