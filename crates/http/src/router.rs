//! Which route a method and path name.

use hyper::Method;

/// A route of the front end, with its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/healthz`
    Health,
    /// `/readyz`
    Ready,
    /// `/metrics` (Prometheus; on the main listener unless `ALLOY_METRICS_BIND` moves it)
    Metrics,
    /// `/api/openapi.json` (the document of this API; no authentication)
    OpenApi,
    /// `/api/audit`
    Audit,
    /// `/api/servers`
    Servers,
    /// `/api/servers/:serverId`
    Server(String),
    /// `/api/users/:userId/token`
    UserToken(String),
    /// `/api/users/:userId` (deleting a user's data)
    User(String),
    /// `/api/credentials`
    Credentials,
    /// `/api/credentials/:credentialId`
    Credential(String),
    /// `/api/connectors/:connectorId/credential-metadata`
    CredentialMetadata(String),
    /// `/api/oauth-apps`
    OAuthApps,
    /// `/api/oauth-apps/:connectorId`
    OAuthApp(String),
    /// `/oauth/callback` (the provider redirects the browser here; no API authentication)
    OAuthCallback,
    /// `/api/servers/:serverId/rotate-token`
    RotateToken(String),
    /// `/api/keys`
    Keys,
    /// `/api/keys/:keyId`
    Key(String),
    /// `/api/users` (the account's users)
    Users,
    /// `/api/connectors` (the catalog)
    Connectors,
    /// `/api/connectors/:connectorId`
    Connector(String),
    /// `/api/connectors/:connectorId/actions/:actionId`
    ConnectorAction {
        /// The connector.
        connector_id: String,
        /// The action.
        action_id: String,
    },
    /// `/api/discover` (actions ranked for a goal)
    Discover,
    /// `/api/console/session` (the admin console's sign-in)
    ConsoleSession,
    /// `/` (redirects to the console)
    Root,
    /// `/admin` (the admin console's page)
    Console,
    /// `/admin/assets/…` (the console's scripts, styles and images; the path as sent)
    ConsoleAsset(String),
    /// `/.well-known/oauth-protected-resource/mcp/:serverId` (RFC 9728). There is none at the
    /// root: a token URL's client must not be sent into a sign-in flow it does not need.
    ProtectedResource(String),
    /// `/.well-known/oauth-authorization-server` (RFC 8414) or `/.well-known/openid-configuration`
    AuthorizationServerMetadata {
        /// The OpenID discovery path.
        openid: bool,
    },
    /// `/api/oauth/grants` (MCP clients signed in to the caller's account)
    OAuthGrants,
    /// `/api/oauth/grants/:grantId`
    OAuthGrant(String),
    /// `/api/users/:userId/sign-in-links` (one-time links to the OAuth sign-in page)
    SignInLinks(String),
    /// `/oauth/sign-in/:link` (opening a sign-in link)
    OAuthSignInLink(String),
    /// `/oauth/register` (RFC 7591)
    OAuthRegister,
    /// `/oauth/authorize` (the sign-in page and its form)
    OAuthAuthorize,
    /// `/oauth/sso/callback`: the single sign-on provider's answer.
    OAuthSingleSignOnCallback,
    /// `/oauth/token`
    OAuthToken,
    /// `/oauth/revoke` (RFC 7009)
    OAuthRevoke,
    /// `/mcp/:serverId` (API authentication) and `/mcp/:serverId/:accessToken`
    Mcp {
        /// The server named in the path.
        server_id: String,
        /// The access token of a token URL.
        access_token: Option<String>,
    },
}

impl Route {
    /// Matches a path (without query). `None`: no such route. A segment that does not decode
    /// to UTF-8 matches nothing.
    pub fn parse(path: &str) -> Option<Route> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let decode = crate::request::decode_segment;
        match segments.as_slice() {
            [""] => Some(Route::Root),
            [".well-known", "oauth-protected-resource", "mcp", id] if !id.is_empty() => {
                decode(id).map(Route::ProtectedResource)
            }
            [".well-known", "oauth-authorization-server"] => {
                Some(Route::AuthorizationServerMetadata { openid: false })
            }
            [".well-known", "openid-configuration"] => {
                Some(Route::AuthorizationServerMetadata { openid: true })
            }
            ["api", "oauth", "grants"] => Some(Route::OAuthGrants),
            ["api", "oauth", "grants", id] if !id.is_empty() => decode(id).map(Route::OAuthGrant),
            ["api", "users", user, "sign-in-links"] if !user.is_empty() => {
                decode(user).map(Route::SignInLinks)
            }
            ["oauth", "sign-in", link] if !link.is_empty() => {
                decode(link).map(Route::OAuthSignInLink)
            }
            ["oauth", "register"] => Some(Route::OAuthRegister),
            ["oauth", "authorize"] => Some(Route::OAuthAuthorize),
            ["oauth", "sso", "callback"] => Some(Route::OAuthSingleSignOnCallback),
            ["oauth", "token"] => Some(Route::OAuthToken),
            ["oauth", "revoke"] => Some(Route::OAuthRevoke),
            ["admin"] => Some(Route::Console),
            ["admin", "assets", rest @ ..]
                if !rest.is_empty() && rest.iter().all(|s| !s.is_empty()) =>
            {
                Some(Route::ConsoleAsset(rest.join("/")))
            }
            ["api", "console", "session"] => Some(Route::ConsoleSession),
            ["api", "keys"] => Some(Route::Keys),
            ["api", "keys", id] if !id.is_empty() => decode(id).map(Route::Key),
            ["api", "users"] => Some(Route::Users),
            ["api", "connectors"] => Some(Route::Connectors),
            ["api", "connectors", id] if !id.is_empty() => decode(id).map(Route::Connector),
            ["api", "connectors", id, "actions", action]
                if !id.is_empty() && !action.is_empty() =>
            {
                let connector_id = decode(id)?;
                decode(action).map(|action_id| Route::ConnectorAction {
                    connector_id,
                    action_id,
                })
            }
            ["api", "discover"] => Some(Route::Discover),
            ["api", "servers", id, "rotate-token"] if !id.is_empty() => {
                decode(id).map(Route::RotateToken)
            }
            ["healthz"] => Some(Route::Health),
            ["readyz"] => Some(Route::Ready),
            ["metrics"] => Some(Route::Metrics),
            ["api", "openapi.json"] => Some(Route::OpenApi),
            ["api", "audit"] => Some(Route::Audit),
            ["api", "servers"] => Some(Route::Servers),
            ["api", "servers", id] if !id.is_empty() => decode(id).map(Route::Server),
            ["api", "users", user, "token"] if !user.is_empty() => {
                decode(user).map(Route::UserToken)
            }
            ["api", "users", user] if !user.is_empty() => decode(user).map(Route::User),
            ["api", "credentials"] => Some(Route::Credentials),
            ["api", "credentials", id] if !id.is_empty() => decode(id).map(Route::Credential),
            ["api", "connectors", id, "credential-metadata"] if !id.is_empty() => {
                decode(id).map(Route::CredentialMetadata)
            }
            ["api", "oauth-apps"] => Some(Route::OAuthApps),
            ["api", "oauth-apps", id] if !id.is_empty() => decode(id).map(Route::OAuthApp),
            ["oauth", "callback"] => Some(Route::OAuthCallback),
            // `/mcp` alone names its server with `x-mcp-server-id`.
            ["mcp"] => Some(Route::Mcp {
                server_id: String::new(),
                access_token: None,
            }),
            ["mcp", id] if !id.is_empty() => decode(id).map(|server_id| Route::Mcp {
                server_id,
                access_token: None,
            }),
            ["mcp", id, token] if !id.is_empty() && !token.is_empty() => {
                let server_id = decode(id)?;
                decode(token).map(|t| Route::Mcp {
                    server_id,
                    access_token: Some(t),
                })
            }
            _ => None,
        }
    }

    /// The methods this route answers, for `405` and `Allow`.
    pub fn allowed(&self) -> &'static str {
        match self {
            Route::Health | Route::Ready | Route::Metrics | Route::OpenApi | Route::Audit => {
                "GET, HEAD"
            }
            Route::Servers => "GET, POST",
            Route::Server(_) => "GET, PUT, DELETE",
            Route::UserToken(_) => "POST",
            Route::User(_) => "DELETE",
            Route::Credentials => "GET, POST",
            Route::Credential(_) => "GET, DELETE",
            Route::CredentialMetadata(_) => "GET",
            Route::OAuthApps => "GET",
            Route::OAuthApp(_) => "GET, PUT, DELETE",
            Route::OAuthCallback => "GET",
            Route::RotateToken(_) => "POST",
            Route::Keys => "GET, POST",
            Route::Key(_) => "DELETE",
            Route::Users
            | Route::Connectors
            | Route::Connector(_)
            | Route::ConnectorAction { .. }
            | Route::Discover
            | Route::Root
            | Route::Console
            | Route::ConsoleAsset(_) => "GET, HEAD",
            Route::ConsoleSession => "GET, POST, DELETE",
            Route::ProtectedResource(_) | Route::AuthorizationServerMetadata { .. } => {
                "GET, HEAD, OPTIONS"
            }
            Route::OAuthAuthorize => "GET, POST",
            Route::OAuthGrants | Route::OAuthSignInLink(_) | Route::OAuthSingleSignOnCallback => {
                "GET"
            }
            Route::SignInLinks(_) => "POST",
            Route::OAuthGrant(_) => "DELETE",
            Route::OAuthRegister | Route::OAuthToken | Route::OAuthRevoke => "POST, OPTIONS",
            Route::Mcp { .. } => "POST, DELETE",
        }
    }

    /// The route's path template: the `http.route` of traces and the `route` label of metrics
    /// (bounded: IDs never appear in it).
    pub fn template(&self) -> &'static str {
        match self {
            Route::Health => "/healthz",
            Route::Ready => "/readyz",
            Route::Metrics => "/metrics",
            Route::OpenApi => "/api/openapi.json",
            Route::Audit => "/api/audit",
            Route::Servers => "/api/servers",
            Route::Server(_) => "/api/servers/{serverId}",
            Route::UserToken(_) => "/api/users/{userId}/token",
            Route::User(_) => "/api/users/{userId}",
            Route::Credentials => "/api/credentials",
            Route::Credential(_) => "/api/credentials/{credentialId}",
            Route::CredentialMetadata(_) => "/api/connectors/{connectorId}/credential-metadata",
            Route::OAuthApps => "/api/oauth-apps",
            Route::OAuthApp(_) => "/api/oauth-apps/{connectorId}",
            Route::OAuthCallback => "/oauth/callback",
            Route::RotateToken(_) => "/api/servers/{serverId}/rotate-token",
            Route::Keys => "/api/keys",
            Route::Key(_) => "/api/keys/{keyId}",
            Route::Users => "/api/users",
            Route::Connectors => "/api/connectors",
            Route::Connector(_) => "/api/connectors/{connectorId}",
            Route::ConnectorAction { .. } => "/api/connectors/{connectorId}/actions/{actionId}",
            Route::Discover => "/api/discover",
            Route::ConsoleSession => "/api/console/session",
            Route::Root => "/",
            Route::Console => "/admin",
            Route::ConsoleAsset(_) => "/admin/assets/{asset}",
            Route::ProtectedResource(_) => "/.well-known/oauth-protected-resource/mcp/{serverId}",
            Route::AuthorizationServerMetadata { openid: false } => {
                "/.well-known/oauth-authorization-server"
            }
            Route::AuthorizationServerMetadata { openid: true } => {
                "/.well-known/openid-configuration"
            }
            Route::OAuthGrants => "/api/oauth/grants",
            Route::OAuthGrant(_) => "/api/oauth/grants/{grantId}",
            Route::SignInLinks(_) => "/api/users/{userId}/sign-in-links",
            Route::OAuthSignInLink(_) => "/oauth/sign-in/{link}",
            Route::OAuthRegister => "/oauth/register",
            Route::OAuthAuthorize => "/oauth/authorize",
            Route::OAuthSingleSignOnCallback => "/oauth/sso/callback",
            Route::OAuthToken => "/oauth/token",
            Route::OAuthRevoke => "/oauth/revoke",
            Route::Mcp {
                access_token: Some(_),
                ..
            } => "/mcp/{serverId}/{accessToken}",
            Route::Mcp { server_id, .. } if server_id.is_empty() => "/mcp",
            Route::Mcp { .. } => "/mcp/{serverId}",
        }
    }

    /// One route of every kind, for the tests that hold the OpenAPI document to the router.
    #[cfg(test)]
    pub(crate) fn examples() -> Vec<Route> {
        let id = || "x".to_owned();
        let all = vec![
            Route::Health,
            Route::Ready,
            Route::Metrics,
            Route::OpenApi,
            Route::Audit,
            Route::Servers,
            Route::Server(id()),
            Route::UserToken(id()),
            Route::User(id()),
            Route::Credentials,
            Route::Credential(id()),
            Route::CredentialMetadata(id()),
            Route::OAuthApps,
            Route::OAuthApp(id()),
            Route::OAuthCallback,
            Route::RotateToken(id()),
            Route::Keys,
            Route::Key(id()),
            Route::Users,
            Route::Connectors,
            Route::Connector(id()),
            Route::ConnectorAction {
                connector_id: id(),
                action_id: id(),
            },
            Route::Discover,
            Route::ConsoleSession,
            Route::Root,
            Route::Console,
            Route::ConsoleAsset(id()),
            Route::ProtectedResource(id()),
            Route::AuthorizationServerMetadata { openid: false },
            Route::AuthorizationServerMetadata { openid: true },
            Route::OAuthGrants,
            Route::OAuthGrant(id()),
            Route::SignInLinks(id()),
            Route::OAuthSignInLink(id()),
            Route::OAuthRegister,
            Route::OAuthAuthorize,
            Route::OAuthSingleSignOnCallback,
            Route::OAuthToken,
            Route::OAuthRevoke,
            Route::Mcp {
                server_id: String::new(),
                access_token: None,
            },
            Route::Mcp {
                server_id: id(),
                access_token: None,
            },
            Route::Mcp {
                server_id: id(),
                access_token: Some(id()),
            },
        ];
        // A new kind of route fails to compile here: add it to the list above too.
        for route in &all {
            match route {
                Route::Health
                | Route::Ready
                | Route::Metrics
                | Route::OpenApi
                | Route::Audit
                | Route::Servers
                | Route::Server(_)
                | Route::UserToken(_)
                | Route::User(_)
                | Route::Credentials
                | Route::Credential(_)
                | Route::CredentialMetadata(_)
                | Route::OAuthApps
                | Route::OAuthApp(_)
                | Route::OAuthCallback
                | Route::RotateToken(_)
                | Route::Keys
                | Route::Key(_)
                | Route::Users
                | Route::Connectors
                | Route::Connector(_)
                | Route::ConnectorAction { .. }
                | Route::Discover
                | Route::ConsoleSession
                | Route::Root
                | Route::Console
                | Route::ConsoleAsset(_)
                | Route::ProtectedResource(_)
                | Route::AuthorizationServerMetadata { .. }
                | Route::OAuthGrants
                | Route::OAuthGrant(_)
                | Route::SignInLinks(_)
                | Route::OAuthSignInLink(_)
                | Route::OAuthRegister
                | Route::OAuthAuthorize
                | Route::OAuthSingleSignOnCallback
                | Route::OAuthToken
                | Route::OAuthRevoke
                | Route::Mcp { .. } => {}
            }
        }
        all
    }

    /// Whether `method` is one this route answers.
    pub fn allows(&self, method: &Method) -> bool {
        self.allowed().split(", ").any(|m| m == method.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_routes() {
        assert_eq!(Route::parse("/api/servers"), Some(Route::Servers));
        assert_eq!(Route::parse("/api/servers/"), Some(Route::Servers));
        assert_eq!(
            Route::parse("/api/servers/abc-1"),
            Some(Route::Server("abc-1".into()))
        );
        assert_eq!(
            Route::parse("/api/users/a%20b/token"),
            Some(Route::UserToken("a b".into()))
        );
        assert_eq!(Route::parse("/api/servers/a/b"), None);
        assert_eq!(
            Route::parse("/mcp/srv-1/mcp_token_x"),
            Some(Route::Mcp {
                server_id: "srv-1".into(),
                access_token: Some("mcp_token_x".into())
            })
        );
        assert_eq!(
            Route::parse("/mcp/srv-1"),
            Some(Route::Mcp {
                server_id: "srv-1".into(),
                access_token: None
            })
        );
        assert_eq!(
            Route::parse("/api/credentials/abc"),
            Some(Route::Credential("abc".into()))
        );
        assert_eq!(Route::parse("/oauth/callback"), Some(Route::OAuthCallback));
        assert_eq!(Route::parse("/"), Some(Route::Root));
        assert_eq!(Route::parse("/admin/"), Some(Route::Console));
        assert_eq!(
            Route::parse("/admin/assets/views/servers.js"),
            Some(Route::ConsoleAsset("views/servers.js".into()))
        );
        assert_eq!(Route::parse("/admin/assets/"), None);
        assert_eq!(Route::parse("/admin/assets//x.js"), None);
        assert_eq!(
            Route::parse("/api/servers/s-1/rotate-token"),
            Some(Route::RotateToken("s-1".into()))
        );
        assert_eq!(
            Route::parse("/api/connectors/slack/actions/chat_postMessage"),
            Some(Route::ConnectorAction {
                connector_id: "slack".into(),
                action_id: "chat_postMessage".into()
            })
        );
        assert_eq!(
            Route::parse("/api/connectors/slack/credential-metadata"),
            Some(Route::CredentialMetadata("slack".into()))
        );
        assert_eq!(
            Route::parse("/api/keys/k%201"),
            Some(Route::Key("k 1".into()))
        );
        assert_eq!(Route::parse("/nope"), None);
        assert_eq!(Route::parse("/api/users/%ff/token"), None);
        assert!(Route::Servers.allows(&Method::POST));
        assert!(!Route::Servers.allows(&Method::DELETE));
    }
}
