//! The settings of single sign-on (`ALLOY_OIDC_*`): the provider, the gateway's client at it,
//! and how the ID token's claims name the account and the user.

/// Which account a signed-in user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountMapping {
    /// Every user of the provider belongs to this account.
    Fixed(String),
    /// The ID token claim whose value is the account ID.
    Claim(String),
}

/// The external OpenID Connect provider (settings `ALLOY_OIDC_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct SingleSignOnSettings {
    /// The provider's issuer URL (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The gateway's client ID at the provider.
    pub client_id: String,
    /// The gateway's client secret at the provider.
    pub client_secret: String,
    /// The provider's name on the sign-in button.
    pub display_name: String,
    /// The scopes asked for (`openid` is always among them).
    pub scopes: String,
    /// The account of a signed-in user.
    pub account: AccountMapping,
    /// The ID token claim whose value is the gateway's user ID (`email` needs
    /// `email_verified: true`).
    pub user_claim: String,
}

impl std::fmt::Debug for SingleSignOnSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleSignOnSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("scopes", &self.scopes)
            .field("account", &self.account)
            .field("user_claim", &self.user_claim)
            .finish()
    }
}

/// Whether a provider URL may be used: `https`, or plain `http` on a loopback host (a provider
/// run beside the gateway, and tests).
pub fn provider_url_allowed(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => u.host().is_some(),
        Ok(u) if u.scheme() == "http" => match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_urls_are_https_or_loopback() {
        assert!(provider_url_allowed("https://login.example.com"));
        assert!(provider_url_allowed("http://127.0.0.1:8080/realms/x"));
        assert!(provider_url_allowed("http://localhost:8080"));
        assert!(!provider_url_allowed("http://login.example.com"));
        assert!(!provider_url_allowed("http://10.0.0.1"));
        assert!(!provider_url_allowed("ftp://login.example.com"));
        assert!(!provider_url_allowed("not a url"));
    }

    #[test]
    fn the_secret_is_never_printed() {
        let s = SingleSignOnSettings {
            issuer: "https://idp.example".into(),
            client_id: "gw".into(),
            client_secret: "s3cret".into(),
            display_name: "Example".into(),
            scopes: "openid".into(),
            account: AccountMapping::Fixed("acme".into()),
            user_claim: "email".into(),
        };
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
