//! The provider's ID token: checked against its published keys (asymmetric algorithms only),
//! issuer, audience and authorized party, expiry and nonce; then its claims mapped to the
//! gateway's account and user.

use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::provider::{Discovery, Provider};
use super::{AccountMapping, SingleSignOnError, SingleSignOnIdentity, SingleSignOnSettings};

/// Tolerated clock skew with the provider.
const LEEWAY_SECS: u64 = 60;
/// The ID token algorithms accepted: the provider's published keys only, never a shared secret.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The ID token's claims, once its signature, issuer, audience, expiry and nonce hold.
pub(super) async fn verify(
    provider: &Provider,
    discovery: &Discovery,
    client_id: &str,
    id_token: &str,
    nonce: &str,
) -> Result<Map<String, Value>, SingleSignOnError> {
    let refused = |why: &str| {
        tracing::warn!(why, "single sign-on: ID token refused");
        SingleSignOnError::new(
            401,
            format!("The sign-in provider's answer could not be verified ({why})."),
        )
    };
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refused("not a JWT"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(refused(
            "its algorithm is not one of the provider's key algorithms",
        ));
    }
    let key = provider.key(discovery, header.kid.as_deref()).await?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&discovery.issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| {
            tracing::warn!(error = %e, "single sign-on: ID token refused");
            refused("signature, issuer, audience or expiry")
        })?
        .claims;
    let nonce_ok = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(nonce.as_bytes())));
    if !nonce_ok {
        return Err(refused("nonce"));
    }
    // Several audiences: the authorized party must be this gateway (OIDC Core 3.1.3.7).
    if claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1)
        && claims.get("azp").and_then(Value::as_str) != Some(client_id)
    {
        return Err(refused("authorized party"));
    }
    Ok(claims)
}

/// The account and user the claims name.
pub(super) fn identity(
    settings: &SingleSignOnSettings,
    claims: &Map<String, Value>,
) -> Result<SingleSignOnIdentity, SingleSignOnError> {
    let claim = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                SingleSignOnError::new(
                    403,
                    format!("The sign-in provider did not say who you are (no '{name}' claim)."),
                )
            })
    };
    let user_claim = settings.user_claim.as_str();
    let user_id = claim(user_claim)?;
    if user_claim == "email" {
        let verified = match claims.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        if !verified {
            return Err(SingleSignOnError::new(
                403,
                "The sign-in provider has not verified your email address.",
            ));
        }
    }
    if let Err(e) = alloy_domain::ids::validate_user_id(user_claim, &user_id) {
        return Err(SingleSignOnError::new(
            403,
            format!(
                "The user the sign-in provider names cannot be a user of this gateway: {}",
                e.message
            ),
        ));
    }
    let account_id = match &settings.account {
        AccountMapping::Fixed(id) => id.clone(),
        AccountMapping::Claim(name) => claim(name)?,
    };
    Ok(SingleSignOnIdentity {
        account_id,
        user_id,
        subject: claim("sub")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(user_claim: &str, account: AccountMapping) -> SingleSignOnSettings {
        SingleSignOnSettings {
            issuer: "https://idp.example".into(),
            client_id: "gw".into(),
            client_secret: "s3cret".into(),
            display_name: "Example".into(),
            scopes: "openid email".into(),
            account,
            user_claim: user_claim.into(),
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn claims_name_the_account_and_user() {
        let fixed = settings("email", AccountMapping::Fixed("acme".into()));
        let ok = identity(
            &fixed,
            &claims(
                serde_json::json!({"sub": "s1", "email": "a@acme.test", "email_verified": true}),
            ),
        )
        .unwrap();
        assert_eq!(
            (ok.account_id.as_str(), ok.user_id(), ok.subject.as_str()),
            ("acme", "a@acme.test", "s1")
        );
        let unverified = identity(
            &fixed,
            &claims(serde_json::json!({"sub": "s1", "email": "a@acme.test"})),
        )
        .unwrap_err();
        assert_eq!(unverified.status, 403);
        assert!(unverified.message.contains("verified"));
        let missing = identity(&fixed, &claims(serde_json::json!({"sub": "s1"}))).unwrap_err();
        assert!(missing.message.contains("'email'"), "{}", missing.message);

        let by_claim = settings("preferred_username", AccountMapping::Claim("tenant".into()));
        let ok = identity(
            &by_claim,
            &claims(serde_json::json!({"sub": "s2", "preferred_username": "bob", "tenant": "t1"})),
        )
        .unwrap();
        assert_eq!((ok.account_id.as_str(), ok.user_id()), ("t1", "bob"));
        let no_tenant = identity(
            &by_claim,
            &claims(serde_json::json!({"sub": "s2", "preferred_username": "bob"})),
        )
        .unwrap_err();
        assert!(no_tenant.message.contains("'tenant'"));
    }
}
