//! Who approves an MCP client, and what they see before they do: the sign-in (a credential, a
//! sign-in link, single sign-on) establishes the caller; the consent screen shows the client,
//! the server and its restrictions, and carries a signed ticket of the sign-in to the approval,
//! which creates the grant and its single-use code.
//!
//! The ticket holds who signed in, not a secret, and only for the one authorization request it
//! was made for (client, redirect URI, resource, PKCE challenge): a ticket lifted into another
//! request is refused, and the code it yields is useless without the client's PKCE verifier.

use std::sync::Arc;

use alloy_domain::{ApiError, ListMode, ListRule, Restrictions};
use alloy_storage::{OAuthCodeRecord, OAuthGrantRecord, ServerRecord};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{AuthorizeRequest, CODE_TTL, SSO_KEY_ID, random_secret, redirect_with};
use crate::Gateway;
use crate::audit::{AuditEvent, Outcome};
use crate::error::Error;
use crate::identity::{AuthHeaders, Caller, Principal};
use crate::mcp::access::McpAuth;

/// How long the consent screen may stay open before its ticket expires.
const TICKET_TTL_SECS: i64 = 600;

/// Who signs in on the sign-in page.
pub enum SignIn<'a> {
    /// An API key or user token (with `x-alloy-userid`'s rule for the chosen user).
    Credential(AuthHeaders<'a>),
    /// A one-time sign-in link's secret (spent by signing in).
    Link(&'a str),
    /// The consent screen's ticket of an earlier sign-in.
    Ticket(&'a str),
    /// A user the external OpenID Connect provider vouched for.
    SingleSignOn(super::SingleSignOnIdentity),
}

/// What the consent screen shows, and the ticket its approval sends back.
#[derive(Debug, Clone)]
pub struct Consent {
    /// The signed ticket of this sign-in, for the approval.
    pub ticket: String,
    /// The user the client will act as.
    pub user_id: String,
    /// The account.
    pub account_id: String,
    /// How they signed in (`API key`, `user token`, `sign-in link`, `single sign-on`).
    pub signed_in_with: &'static str,
    /// The server's ID.
    pub server_id: String,
    /// The server's name.
    pub server_name: String,
    /// The server's description.
    pub server_description: String,
    /// One sentence per restriction, in the order connectors, actions, users.
    pub restrictions: Vec<String>,
}

/// The sign-in a ticket carries, bound to one authorization request.
#[derive(Serialize, Deserialize)]
struct Ticket {
    acct: String,
    sub: String,
    /// `api_key`, `user_token`, `link` or `sso`.
    via: String,
    /// The API key behind the sign-in (`sso` for single sign-on).
    kid: String,
    /// The user token's ID, or the single sign-on subject.
    tid: Option<String>,
    cid: String,
    ruri: String,
    res: String,
    cc: String,
}

impl Ticket {
    fn for_request(caller: &Caller, request: &AuthorizeRequest) -> Option<Ticket> {
        let (via, kid, tid) = match &caller.principal {
            Principal::ApiKey { key_id } => ("api_key", key_id.clone(), None),
            Principal::UserToken { key_id, token_id } if token_id == super::LINK_TOKEN_ID => {
                ("link", key_id.clone(), None)
            }
            Principal::UserToken { key_id, token_id } => {
                ("user_token", key_id.clone(), Some(token_id.clone()))
            }
            Principal::SingleSignOn { subject } => {
                ("sso", SSO_KEY_ID.to_owned(), Some(subject.clone()))
            }
            Principal::AccessToken { .. } | Principal::OAuthGrant { .. } => return None,
        };
        Some(Ticket {
            acct: caller.account_id.clone(),
            sub: caller.user_id.clone(),
            via: via.to_owned(),
            kid,
            tid,
            cid: request.client_id.clone(),
            ruri: request.redirect_uri.clone(),
            res: request.resource.clone(),
            cc: request.code_challenge.clone(),
        })
    }

    fn matches(&self, request: &AuthorizeRequest) -> bool {
        self.cid == request.client_id
            && self.ruri == request.redirect_uri
            && self.res == request.resource
            && self.cc == request.code_challenge
    }

    fn caller(self) -> Option<Caller> {
        let principal = match (self.via.as_str(), self.tid) {
            ("api_key", _) => Principal::ApiKey { key_id: self.kid },
            ("link", _) => Principal::UserToken {
                key_id: self.kid,
                token_id: super::LINK_TOKEN_ID.to_owned(),
            },
            ("user_token", Some(token_id)) => Principal::UserToken {
                key_id: self.kid,
                token_id,
            },
            ("sso", Some(subject)) => Principal::SingleSignOn { subject },
            _ => return None,
        };
        Some(Caller {
            account_id: self.acct,
            user_id: self.sub,
            principal,
        })
    }
}

fn signed_in_with(principal: &Principal) -> &'static str {
    match principal {
        Principal::ApiKey { .. } => "API key",
        Principal::UserToken { token_id, .. } if token_id == super::LINK_TOKEN_ID => "sign-in link",
        Principal::UserToken { .. } => "user token",
        Principal::SingleSignOn { .. } => "single sign-on",
        Principal::AccessToken { .. } | Principal::OAuthGrant { .. } => "token",
    }
}

/// The restrictions in words, for people deciding whether to approve.
pub fn describe_restrictions(server: &ServerRecord) -> Vec<String> {
    let Restrictions {
        connectors,
        actions,
        users,
    } = &server.restrictions;
    let list = |rule: &ListRule| rule.entries.join(", ");
    let mut lines = vec![match connectors {
        None => "Connectors: every connector of the catalog.".to_owned(),
        Some(r) if r.mode == ListMode::Allowlist && r.entries.is_empty() => {
            "Connectors: none.".to_owned()
        }
        Some(r) if r.mode == ListMode::Allowlist => format!("Connectors: only {}.", list(r)),
        Some(r) => format!("Connectors: every one except {}.", list(r)),
    }];
    lines.push(match actions {
        None => "Actions: every action of those connectors, reading and writing.".to_owned(),
        Some(r) if r.mode == ListMode::Allowlist => format!("Actions: only {}.", list(r)),
        Some(r) => format!("Actions: every one except {}.", list(r)),
    });
    lines.push(match (server.is_public, users) {
        (false, _) => format!("Users: private to {}.", server.user_id),
        (true, None) => "Users: any user of the account.".to_owned(),
        (true, Some(r)) if r.mode == ListMode::Allowlist => {
            format!("Users: only {}.", list(r))
        }
        (true, Some(r)) => format!("Users: any user of the account except {}.", list(r)),
    });
    lines
}

impl Gateway {
    /// The sign-in step: the caller is established (a credential by the MCP endpoint's own
    /// rules for the requested server, a sign-in link spent, a single sign-on identity mapped)
    /// and the consent screen's content answered, with the ticket its approval sends back.
    pub async fn sign_in_for_consent(
        &self,
        request: &AuthorizeRequest,
        sign_in: SignIn<'_>,
    ) -> Result<Consent, Error> {
        let (server, caller) = self.signed_in(request, sign_in).await?;
        let ticket = Ticket::for_request(&caller, request).ok_or_else(|| {
            Error::from(ApiError::forbidden(
                "Sign in with an API key or a user token",
            ))
        })?;
        let ticket = self
            .authorization()
            .tickets
            .sign(&ticket, TICKET_TTL_SECS)?;
        Ok(Consent {
            ticket,
            signed_in_with: signed_in_with(&caller.principal),
            user_id: caller.user_id,
            account_id: caller.account_id,
            server_id: server.server_id.clone(),
            server_name: server.name.clone(),
            server_description: server.description.clone(),
            restrictions: describe_restrictions(&server),
        })
    }

    /// The approval: the sign-in (in one step, or the consent screen's ticket) is checked again
    /// for the requested server, a grant and a single-use code follow. Answers the URL to send
    /// the browser to.
    pub async fn approve_authorization(
        &self,
        request: &AuthorizeRequest,
        sign_in: SignIn<'_>,
    ) -> Result<String, Error> {
        let (server, caller) = self.signed_in(request, sign_in).await?;
        self.grant(request, &server, &caller).await
    }

    /// The server and the caller a sign-in stands for, under the server's rules.
    async fn signed_in(
        &self,
        request: &AuthorizeRequest,
        sign_in: SignIn<'_>,
    ) -> Result<(Arc<ServerRecord>, Caller), Error> {
        let oauth = self.authorization();
        let server_id = oauth
            .server_of_resource(&request.resource)
            .ok_or_else(|| Error::from(ApiError::not_found("No such MCP server")))?;
        let expired = || {
            Error::from(ApiError::unauthorized(
                "The sign-in expired or does not belong to this request: sign in again",
            ))
        };
        match sign_in {
            SignIn::Credential(headers) => {
                let auth = McpAuth {
                    server_id: &server_id,
                    access_token: None,
                    headers,
                };
                self.mcp_access(&auth).await
            }
            SignIn::Link(secret) => {
                let caller = oauth.spend_link(secret).await?;
                self.serve_caller(&server_id, caller).await
            }
            SignIn::Ticket(ticket) => {
                let ticket = oauth
                    .tickets
                    .verify::<Ticket>(ticket)
                    .filter(|t| t.matches(request))
                    .ok_or_else(expired)?;
                let kid = ticket.kid.clone();
                let caller = ticket.caller().ok_or_else(expired)?;
                if !oauth.backing_is_active(&kid).await? {
                    return Err(expired());
                }
                self.serve_caller(&server_id, caller).await
            }
            SignIn::SingleSignOn(identity) => {
                let caller = oauth.single_sign_on_caller(identity).await?;
                self.serve_caller(&server_id, caller).await
            }
        }
    }

    /// A grant of `server` to the request's client for `caller`, and its code.
    async fn grant(
        &self,
        request: &AuthorizeRequest,
        server: &ServerRecord,
        caller: &Caller,
    ) -> Result<String, Error> {
        let key_id = match &caller.principal {
            Principal::ApiKey { key_id } | Principal::UserToken { key_id, .. } => key_id.clone(),
            Principal::SingleSignOn { .. } => SSO_KEY_ID.to_owned(),
            Principal::AccessToken { .. } | Principal::OAuthGrant { .. } => {
                return Err(ApiError::forbidden("Sign in with an API key or a user token").into());
            }
        };
        let grant = OAuthGrantRecord {
            id: hex::encode(rand::random::<[u8; 16]>()),
            account_id: caller.account_id.clone(),
            user_id: caller.user_id.clone(),
            key_id,
            client_id: request.client_id.clone(),
            client_name: request.client_name.clone(),
            server_id: server.server_id.clone(),
            scope: request.scope.clone(),
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        };
        self.db().authorization().insert_grant(&grant).await?;
        let code = random_secret("mac_");
        self.db()
            .authorization()
            .insert_code(
                &code,
                &OAuthCodeRecord {
                    grant_id: grant.id.clone(),
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    expires_at: Utc::now() + CODE_TTL,
                },
            )
            .await?;
        self.audit().record(
            AuditEvent::new("oauth.granted", Outcome::Ok)
                .by(caller)
                .server(&server.server_id)
                .details(json!({
                    "grantId": grant.id,
                    "clientId": grant.client_id,
                    "clientName": grant.client_name,
                })),
        );
        let oauth = self.authorization();
        Ok(redirect_with(
            &request.redirect_uri,
            &[
                ("code", Some(code.as_str())),
                ("state", request.state.as_deref()),
                ("iss", Some(oauth.issuer())),
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_domain::Restrictions;

    fn server(restrictions: Restrictions, is_public: bool) -> ServerRecord {
        ServerRecord {
            server_id: "s".into(),
            account_id: "a".into(),
            user_id: "owner".into(),
            name: "S".into(),
            description: String::new(),
            mode: "mcp".into(),
            is_public,
            require_user_token: false,
            restrictions,
            access_token: "t".into(),
            token_expires_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn rule(mode: ListMode, entries: &[&str]) -> Option<ListRule> {
        Some(ListRule {
            mode,
            entries: entries.iter().map(|e| (*e).to_owned()).collect(),
        })
    }

    #[test]
    fn restrictions_read_as_sentences() {
        assert_eq!(
            describe_restrictions(&server(Restrictions::default(), false)),
            [
                "Connectors: every connector of the catalog.",
                "Actions: every action of those connectors, reading and writing.",
                "Users: private to owner.",
            ]
        );
        let r = Restrictions {
            connectors: rule(ListMode::Allowlist, &["slack", "github"]),
            actions: rule(ListMode::Blocklist, &["slack.delete_message"]),
            users: rule(ListMode::Allowlist, &["alice"]),
        };
        assert_eq!(
            describe_restrictions(&server(r, true)),
            [
                "Connectors: only slack, github.",
                "Actions: every one except slack.delete_message.",
                "Users: only alice.",
            ]
        );
    }

    #[test]
    fn a_ticket_is_for_its_request_only() {
        let request = AuthorizeRequest {
            client_id: "c".into(),
            client_name: None,
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: None,
            code_challenge: "cc".into(),
            resource: "http://gw/mcp/s".into(),
            scope: "mcp".into(),
        };
        let caller = Caller {
            account_id: "a".into(),
            user_id: "u".into(),
            principal: Principal::SingleSignOn {
                subject: "sub-1".into(),
            },
        };
        let ticket = Ticket::for_request(&caller, &request).unwrap();
        assert!(ticket.matches(&request));
        for other in [
            AuthorizeRequest {
                client_id: "c2".into(),
                ..request.clone()
            },
            AuthorizeRequest {
                resource: "http://gw/mcp/t".into(),
                ..request.clone()
            },
            AuthorizeRequest {
                code_challenge: "other".into(),
                ..request.clone()
            },
            AuthorizeRequest {
                redirect_uri: "http://127.0.0.1/x".into(),
                ..request.clone()
            },
        ] {
            assert!(!ticket.matches(&other));
        }
        assert_eq!(ticket.caller().unwrap(), caller);
    }
}
