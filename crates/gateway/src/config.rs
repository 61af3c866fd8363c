//! Settings the application services need (the binary reads them from flags and environment).

use std::time::Duration;

use crate::audit::AuditConfig;

/// Settings of a [`Gateway`](crate::Gateway).
#[derive(Clone)]
pub struct GatewayConfig {
    /// Base of `url` and `accessUrl`, without a trailing slash (e.g. `https://mcp.example.com`).
    pub public_url: String,
    /// HS256 secret for user tokens.
    pub jwt_secret: Vec<u8>,
    /// Lifetime of a user token when the request names none.
    pub user_token_ttl: Duration,
    /// How long a verified API key is trusted before its row is read again; bounds how late
    /// another replica notices a revocation.
    pub key_recheck_interval: Duration,
    /// Lifetime of an MCP session (2025 revisions) from its `initialize`; an older one is
    /// answered 404 and the client initializes again.
    pub mcp_session_ttl: Duration,
    /// The audit trail.
    pub audit: AuditConfig,
    /// How long a server or session read from the database is used without reading it again
    /// (see [`AccessCache`](crate::cache::AccessCache)); zero reads it on every request.
    pub cache_fresh_for: Duration,
    /// Lifetime of an admin-console session from its sign-in (shorter when the key or user
    /// token that signed in expires sooner).
    pub console_session_ttl: Duration,
    /// The OAuth authorization server for MCP clients.
    pub oauth: crate::authorization::OAuthSettings,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("public_url", &self.public_url)
            .field("user_token_ttl", &self.user_token_ttl)
            .field("key_recheck_interval", &self.key_recheck_interval)
            .field("mcp_session_ttl", &self.mcp_session_ttl)
            .field("audit", &self.audit)
            .field("cache_fresh_for", &self.cache_fresh_for)
            .field("console_session_ttl", &self.console_session_ttl)
            .field("oauth", &self.oauth)
            .finish_non_exhaustive()
    }
}

impl GatewayConfig {
    /// Settings with defaults for everything but the public URL and the JWT secret.
    pub fn new(public_url: impl Into<String>, jwt_secret: Vec<u8>) -> Self {
        GatewayConfig {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            jwt_secret,
            user_token_ttl: Duration::from_secs(3600),
            key_recheck_interval: Duration::from_secs(5),
            mcp_session_ttl: Duration::from_secs(24 * 3600),
            audit: AuditConfig::default(),
            cache_fresh_for: Duration::from_secs(5),
            console_session_ttl: Duration::from_secs(8 * 3600),
            oauth: crate::authorization::OAuthSettings::default(),
        }
    }
}
