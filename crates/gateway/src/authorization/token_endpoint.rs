//! `POST /oauth/token` (authorization code with PKCE, refresh with rotation) and
//! `POST /oauth/revoke` (RFC 7009).

use std::collections::HashMap;

use alloy_storage::{CodeUse, OAuthGrantRecord, RefreshUse};
use chrono::Utc;
use serde_json::{Value, json};

use super::access_tokens::AccessClaims;
use super::{AuthorizationServer, OAuthError, random_secret};
use crate::audit::{AuditEvent, Outcome};

fn invalid_grant(m: &str) -> OAuthError {
    OAuthError::new(400, "invalid_grant", m)
}

/// The parameters these endpoints read.
const KNOWN: [&str; 9] = [
    "grant_type",
    "code",
    "client_id",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "resource",
    "token",
    "token_type_hint",
];

/// A form's fields; a repeated parameter is refused (RFC 6749 section 3.2), others are ignored.
fn fields(pairs: &[(String, String)]) -> Result<HashMap<&str, &str>, OAuthError> {
    let mut map = HashMap::new();
    for (k, v) in pairs.iter().filter(|(k, _)| KNOWN.contains(&k.as_str())) {
        if map.insert(k.as_str(), v.as_str()).is_some() {
            return Err(OAuthError::new(
                400,
                "invalid_request",
                format!("{k} is given more than once"),
            ));
        }
    }
    Ok(map)
}

fn required<'a>(f: &HashMap<&str, &'a str>, name: &str) -> Result<&'a str, OAuthError> {
    f.get(name)
        .copied()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::new(400, "invalid_request", format!("{name} is required")))
}

/// Whether `verifier` (RFC 7636: 43-128 unreserved characters) hashes to `challenge`.
fn pkce_holds(verifier: &str, challenge: &str) -> bool {
    let shaped = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    shaped && crate::credentials::pkce_challenge(verifier) == challenge
}

impl AuthorizationServer {
    /// The token endpoint.
    pub async fn token(&self, form: &[(String, String)]) -> Result<Value, OAuthError> {
        let f = fields(form)?;
        let grant = match required(&f, "grant_type")? {
            "authorization_code" => self.exchange_code(&f).await?,
            "refresh_token" => self.refresh(&f).await?,
            _ => {
                return Err(OAuthError::new(
                    400,
                    "unsupported_grant_type",
                    "grant_type is authorization_code or refresh_token",
                ));
            }
        };
        if let Some(resource) = f.get("resource")
            && resource.trim_end_matches('/') != self.resource_of(&grant.server_id)
        {
            return Err(OAuthError::new(
                400,
                "invalid_target",
                "The grant is for another MCP server",
            ));
        }
        self.issue(&grant).await
    }

    async fn exchange_code(&self, f: &HashMap<&str, &str>) -> Result<OAuthGrantRecord, OAuthError> {
        let code = required(f, "code")?;
        let client_id = required(f, "client_id")?;
        let redirect_uri = required(f, "redirect_uri")?;
        let verifier = required(f, "code_verifier")?;
        let found = match self
            .db
            .authorization()
            .use_code(code)
            .await
            .map_err(crate::Error::from)?
        {
            CodeUse::Unknown => return Err(invalid_grant("Unknown or expired authorization code")),
            CodeUse::Reused(grant_id) => {
                // A replayed code: whatever it issued is no longer trusted (RFC 6749 4.1.2).
                self.revoke_grant(&grant_id).await?;
                return Err(invalid_grant("The authorization code was already used"));
            }
            CodeUse::Fresh(c) => c,
        };
        if found.client_id != client_id {
            return Err(invalid_grant("The code was issued to another client"));
        }
        if found.redirect_uri != redirect_uri {
            return Err(invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        if !pkce_holds(verifier, &found.code_challenge) {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        self.live_grant(&found.grant_id).await
    }

    async fn refresh(&self, f: &HashMap<&str, &str>) -> Result<OAuthGrantRecord, OAuthError> {
        let token = required(f, "refresh_token")?;
        let client_id = required(f, "client_id")?;
        let grant_id = match self
            .db
            .authorization()
            .use_refresh(token)
            .await
            .map_err(crate::Error::from)?
        {
            RefreshUse::Unknown => return Err(invalid_grant("Unknown or expired refresh token")),
            RefreshUse::Reused(grant_id) => {
                // Rotation: a spent token comes back only if it was stolen; end the whole family.
                self.revoke_grant(&grant_id).await?;
                self.audit.record(
                    AuditEvent::new("oauth.refresh_reused", Outcome::Refused)
                        .details(json!({ "grantId": grant_id })),
                );
                return Err(invalid_grant(
                    "The refresh token was already used; the grant is revoked",
                ));
            }
            RefreshUse::Fresh(grant_id) => grant_id,
        };
        let grant = self.live_grant(&grant_id).await?;
        if grant.client_id != client_id {
            return Err(invalid_grant(
                "The refresh token was issued to another client",
            ));
        }
        Ok(grant)
    }

    async fn live_grant(&self, grant_id: &str) -> Result<OAuthGrantRecord, OAuthError> {
        let grant = self
            .db
            .authorization()
            .grant(grant_id)
            .await
            .map_err(crate::Error::from)?
            .filter(|g| g.revoked_at.is_none())
            .ok_or_else(|| invalid_grant("The grant was revoked"))?;
        if !self.backing_is_active(&grant.key_id).await? {
            return Err(invalid_grant("The API key behind this grant was revoked"));
        }
        Ok(grant)
    }

    async fn issue(&self, grant: &OAuthGrantRecord) -> Result<Value, OAuthError> {
        let access = self.tokens.sign(AccessClaims {
            iss: String::new(),
            aud: self.resource_of(&grant.server_id),
            sub: grant.user_id.clone(),
            acct: grant.account_id.clone(),
            gid: grant.id.clone(),
            kid: grant.key_id.clone(),
            client_id: grant.client_id.clone(),
            scope: grant.scope.clone(),
            iat: 0,
            exp: 0,
            jti: String::new(),
        })?;
        let refresh = random_secret("mrt_");
        let refresh_ttl = chrono::Duration::from_std(self.settings.refresh_token_ttl)
            .unwrap_or(chrono::Duration::days(30));
        let repo = self.db.authorization();
        repo.insert_refresh(&refresh, &grant.id, Utc::now() + refresh_ttl)
            .await
            .map_err(crate::Error::from)?;
        repo.touch_grant(&grant.id)
            .await
            .map_err(crate::Error::from)?;
        Ok(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.tokens.ttl.as_secs(),
            "refresh_token": refresh,
            "scope": grant.scope,
        }))
    }

    /// Revocation (RFC 7009): a refresh or access token ends its grant. Unknown tokens are not
    /// an error (the answer is the same, so it reveals nothing).
    pub async fn revoke(&self, form: &[(String, String)]) -> Result<(), OAuthError> {
        let f = fields(form)?;
        let token = required(&f, "token")?;
        let grant_id = if Self::is_access_token(token) {
            self.tokens.grant_of_any_audience(token)
        } else {
            self.db
                .authorization()
                .refresh_grant(token)
                .await
                .map_err(crate::Error::from)?
        };
        if let Some(grant_id) = grant_id {
            self.revoke_grant(&grant_id).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_is_s256_of_a_well_formed_verifier() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_holds(verifier, challenge));
        assert!(!pkce_holds(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!pkce_holds(challenge, challenge), "plain is not accepted");
        assert!(!pkce_holds("short", challenge));
    }
}
