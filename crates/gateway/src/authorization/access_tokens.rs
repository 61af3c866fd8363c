//! Access tokens of the authorization server: short-lived HS256 JWTs (`typ: at+jwt`, RFC 9068's
//! shape) whose audience is the one MCP server URL they were issued for.
//!
//! They are signed with a key derived from `ALLOY_JWT_SECRET` for this use only, so a user token
//! can never pass for an access token or the other way round.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The JWT `typ` of an access token.
const TYP: &str = "at+jwt";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The gateway (its public URL).
    pub iss: String,
    /// The MCP server URL the token is for.
    pub aud: String,
    /// The user.
    pub sub: String,
    /// The account.
    pub acct: String,
    /// The grant (revoking it ends the token).
    pub gid: String,
    /// The API key behind the grant (revoking it ends the token).
    pub kid: String,
    /// The client.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// Unique ID.
    pub jti: String,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub(crate) struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    pub(crate) ttl: Duration,
}

impl AccessTokens {
    pub(crate) fn new(jwt_secret: &[u8], issuer: &str, ttl: Duration) -> Self {
        let mut key = Sha256::new();
        key.update(b"alloy-oauth-access-token\0");
        key.update(jwt_secret);
        let key = key.finalize();
        AccessTokens {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            issuer: issuer.to_owned(),
            ttl,
        }
    }

    /// Signs a token; `claims.iss`, `iat`, `exp` and `jti` are set here.
    pub(crate) fn sign(&self, mut claims: AccessClaims) -> Result<String, Error> {
        let now = Utc::now().timestamp();
        claims.iss = self.issuer.clone();
        claims.iat = now;
        claims.exp = now + i64::try_from(self.ttl.as_secs()).unwrap_or(600);
        claims.jti = hex::encode(rand::random::<[u8; 16]>());
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(TYP.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing an access token: {e}")))
    }

    /// Whether `token` is shaped as one of our access tokens (a JWT whose header says `at+jwt`),
    /// so that it is checked here and not as a user token.
    pub(crate) fn is_access_token(token: &str) -> bool {
        jsonwebtoken::decode_header(token).is_ok_and(|h| h.typ.as_deref() == Some(TYP))
    }

    /// The claims of a valid, unexpired token for `audience` issued by this gateway.
    pub(crate) fn verify(&self, token: &str, audience: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation).ok()?;
        (data.header.typ.as_deref() == Some(TYP)).then_some(data.claims)
    }
}

impl AccessTokens {
    /// The grant of a token this gateway signed, whatever its audience and even expired (for
    /// revocation, which must work on any of its tokens).
    pub(crate) fn grant_of_any_audience(&self, token: &str) -> Option<String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims.gid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: &str) -> AccessClaims {
        AccessClaims {
            iss: String::new(),
            aud: aud.into(),
            sub: "alice".into(),
            acct: "acct".into(),
            gid: "g1".into(),
            kid: "k1".into(),
            client_id: "c1".into(),
            scope: "mcp".into(),
            iat: 0,
            exp: 0,
            jti: String::new(),
        }
    }

    #[test]
    fn tokens_hold_for_their_audience_only() {
        let tokens = AccessTokens::new(b"secret", "http://gw", Duration::from_secs(60));
        let t = tokens.sign(claims("http://gw/mcp/a")).unwrap();
        assert!(AccessTokens::is_access_token(&t));
        assert_eq!(tokens.verify(&t, "http://gw/mcp/a").unwrap().sub, "alice");
        assert!(
            tokens.verify(&t, "http://gw/mcp/b").is_none(),
            "another server"
        );
        let other_issuer = AccessTokens::new(b"secret", "http://other", Duration::from_secs(60));
        assert!(other_issuer.verify(&t, "http://gw/mcp/a").is_none());
        let other_secret = AccessTokens::new(b"other", "http://gw", Duration::from_secs(60));
        assert!(other_secret.verify(&t, "http://gw/mcp/a").is_none());
        let user_tokens = crate::identity::UserTokens::new(b"secret", Duration::from_secs(60));
        let user = user_tokens
            .issue("acct", "alice", "k1", Duration::from_secs(60))
            .unwrap();
        assert!(
            !AccessTokens::is_access_token(&user.token),
            "user tokens are not access tokens"
        );
        assert!(tokens.verify(&user.token, "http://gw/mcp/a").is_none());
    }
}
