//! An authorization request (`GET /oauth/authorize`, and the sign-in form that repeats it):
//! read from its parameters and checked against the registered client before anything is shown.

use url::Url;

use alloy_storage::OAuthClientRecord;

/// The one scope MCP servers of this gateway grant.
pub const SCOPE: &str = "mcp";

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or its redirect URI cannot be trusted: say so on the page, never redirect.
    Page(String),
    /// The client is known and the redirect URI is its own: send the error back to it.
    Redirect {
        /// Where to.
        redirect_uri: String,
        /// The RFC 6749 error code.
        error: &'static str,
        /// A sentence.
        description: String,
        /// The client's `state`.
        state: Option<String>,
    },
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The client.
    pub client_id: String,
    /// The client's name, for the consent screen.
    pub client_name: Option<String>,
    /// Where the answer goes (one of the client's, RFC 8252 loopback ports aside).
    pub redirect_uri: String,
    /// The client's opaque value, returned as sent.
    pub state: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// The MCP server URL (RFC 8707 resource) the token will be for.
    pub resource: String,
    /// Granted scope.
    pub scope: String,
}

/// The parameters as sent (query of the GET, hidden fields of the form).
#[derive(Debug, Default, Clone)]
pub struct AuthorizeParameters {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `response_type`.
    pub response_type: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `resource`.
    pub resource: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
}

impl AuthorizeParameters {
    /// Reads the parameters from decoded pairs; other pairs are ignored (the form's own
    /// fields). A repeated parameter counts as absent, which refuses the request.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut p = AuthorizeParameters::default();
        let mut seen = std::collections::HashSet::new();
        let mut repeated = std::collections::HashSet::new();
        for (k, v) in pairs {
            if !seen.insert(k.to_owned()) {
                repeated.insert(k.to_owned());
            }
            let slot = match k {
                "client_id" => &mut p.client_id,
                "redirect_uri" => &mut p.redirect_uri,
                "response_type" => &mut p.response_type,
                "state" => &mut p.state,
                "code_challenge" => &mut p.code_challenge,
                "code_challenge_method" => &mut p.code_challenge_method,
                "resource" => &mut p.resource,
                "scope" => &mut p.scope,
                _ => continue,
            };
            *slot = Some(v.to_owned());
        }
        for k in repeated {
            match k.as_str() {
                "client_id" => p.client_id = None,
                "redirect_uri" => p.redirect_uri = None,
                "response_type" => p.response_type = None,
                "code_challenge" => p.code_challenge = None,
                "resource" => p.resource = Some(String::new()),
                _ => {}
            }
        }
        p
    }

    /// The pairs to repeat in the sign-in form's hidden fields.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", &self.response_type),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("resource", &self.resource),
            ("scope", &self.scope),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// Whether `presented` names the registered `registered` redirect URI: exactly, or (RFC 8252
/// section 7.3) a loopback `http` URI differing only in its port.
pub fn redirect_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(r), Ok(p)) = (Url::parse(registered), Url::parse(presented)) else {
        return false;
    };
    let loopback = |u: &Url| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
    };
    loopback(&r)
        && loopback(&p)
        && r.host_str() == p.host_str()
        && r.path() == p.path()
        && r.query() == p.query()
        && r.fragment().is_none()
        && p.fragment().is_none()
}

/// Checks the parameters against the client (`None`: unknown client) and the resources this
/// gateway serves (`resource_server` answers the server ID of an MCP server URL).
pub fn check(
    p: &AuthorizeParameters,
    client: Option<&OAuthClientRecord>,
    resource_server: impl Fn(&str) -> Option<String>,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let page = |m: &str| Err(AuthorizeError::Page(m.to_owned()));
    let Some(client_id) = p.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return page("The request names no client (client_id).");
    };
    let Some(client) = client else {
        return page("This client is not registered with the gateway.");
    };
    let Some(redirect_uri) = p.redirect_uri.as_deref() else {
        return page("The request names no redirect_uri.");
    };
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, redirect_uri))
    {
        return page("The redirect_uri is not one the client registered.");
    }
    let back = |error: &'static str, description: &str| {
        Err(AuthorizeError::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            error,
            description: description.to_owned(),
            state: p.state.clone(),
        })
    };
    if p.response_type.as_deref() != Some("code") {
        return back("unsupported_response_type", "response_type must be code");
    }
    let Some(challenge) = p.code_challenge.as_deref().filter(|c| is_s256_challenge(c)) else {
        return back(
            "invalid_request",
            "PKCE is required: code_challenge (43 base64url characters)",
        );
    };
    if p.code_challenge_method.as_deref() != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    let Some(resource) = p.resource.as_deref().filter(|r| !r.is_empty()) else {
        // Clients that start a sign-in on any 401 get here from a wrong token URL (it has no
        // resource metadata, so they send no resource): say what is wrong there, since this
        // sentence is what they show.
        return back(
            "invalid_target",
            "No MCP server named (resource, RFC 8707). If you connected with a token URL \
             (/mcp/<server>/<token>), no sign-in is needed: its token is wrong or expired, so \
             check the URL or rotate the server's token",
        );
    };
    if resource_server(resource).is_none() {
        return back(
            "invalid_target",
            "resource is not an MCP server of this gateway",
        );
    }
    let scope = match p.scope.as_deref().map(str::trim) {
        None | Some("") => SCOPE.to_owned(),
        Some(s) if s.split_whitespace().all(|w| w == SCOPE) => SCOPE.to_owned(),
        Some(_) => return back("invalid_scope", "the only scope is mcp"),
    };
    Ok(AuthorizeRequest {
        client_id: client_id.to_owned(),
        client_name: client.client_name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: p.state.clone(),
        code_challenge: challenge.to_owned(),
        resource: resource.trim_end_matches('/').to_owned(),
        scope,
    })
}

/// A base64url SHA-256: 43 characters of the base64url alphabet.
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_may_change_port_only() {
        let r = "http://127.0.0.1:3000/callback";
        assert!(redirect_matches(r, r));
        assert!(redirect_matches(r, "http://127.0.0.1:51234/callback"));
        assert!(!redirect_matches(r, "http://127.0.0.1:51234/other"));
        assert!(!redirect_matches(r, "http://localhost:51234/callback"));
        assert!(!redirect_matches(
            "https://app.example.com/cb",
            "https://app.example.com/cb?x=1"
        ));
        assert!(!redirect_matches(
            "https://app.example.com:1/cb",
            "https://app.example.com:2/cb"
        ));
    }

    fn client() -> OAuthClientRecord {
        OAuthClientRecord {
            client_id: "c1".into(),
            client_name: Some("Inspector".into()),
            redirect_uris: vec!["http://127.0.0.1:3000/cb".into()],
            application_type: "native".into(),
            created_at: chrono::Utc::now(),
        }
    }

    fn params() -> AuthorizeParameters {
        AuthorizeParameters::from_pairs([
            ("client_id", "c1"),
            ("redirect_uri", "http://127.0.0.1:4000/cb"),
            ("response_type", "code"),
            ("state", "s"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("resource", "http://gw/mcp/a"),
        ])
    }

    fn known(r: &str) -> Option<String> {
        (r == "http://gw/mcp/a").then(|| "a".to_owned())
    }

    #[test]
    fn requests_are_checked_in_order() {
        let ok = check(&params(), Some(&client()), known).unwrap();
        assert_eq!(
            (ok.resource.as_str(), ok.scope.as_str()),
            ("http://gw/mcp/a", "mcp")
        );
        assert!(matches!(
            check(&params(), None, known),
            Err(AuthorizeError::Page(_))
        ));
        let mut p = params();
        p.redirect_uri = Some("http://evil.example/cb".into());
        assert!(matches!(
            check(&p, Some(&client()), known),
            Err(AuthorizeError::Page(_))
        ));
        let refused = |p: AuthorizeParameters| match check(&p, Some(&client()), known) {
            Err(AuthorizeError::Redirect { error, state, .. }) => {
                assert_eq!(state.as_deref(), Some("s"));
                error
            }
            other => panic!("{other:?}"),
        };
        let mut p = params();
        p.code_challenge_method = Some("plain".into());
        assert_eq!(refused(p), "invalid_request");
        let mut p = params();
        p.code_challenge = None;
        assert_eq!(refused(p), "invalid_request");
        let mut p = params();
        p.resource = Some("http://gw/mcp/b".into());
        assert_eq!(refused(p), "invalid_target");
        let mut p = params();
        p.scope = Some("admin".into());
        assert_eq!(refused(p), "invalid_scope");
        let mut p = params();
        p.response_type = Some("token".into());
        assert_eq!(refused(p), "unsupported_response_type");
    }
}
