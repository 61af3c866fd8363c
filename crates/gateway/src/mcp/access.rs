//! Who may use an MCP server, and as which user.
//!
//! Two ways in: the token URL (`/mcp/:serverId/:accessToken`), where the token is the
//! credential, and API authentication (`/mcp/:serverId` with an API key or user token). A
//! private server serves only its owner; a public one serves any user of its account, chosen by
//! `x-alloy-user-token` or `x-alloy-userid`. The server's `users` restriction applies last.

use alloy_domain::ApiError;
use alloy_domain::ids::validate_user_id;
use alloy_storage::ServerRecord;
use chrono::Utc;
use std::sync::Arc;

use crate::app::Gateway;
use crate::audit::{AuditEvent, Outcome};
use crate::error::Error;
use crate::identity::{AuthHeaders, Caller, Principal};

/// How a request to the MCP endpoint identifies itself.
pub struct McpAuth<'a> {
    /// The server named by the path (or `x-mcp-server-id`).
    pub server_id: &'a str,
    /// The access token of a token URL.
    pub access_token: Option<&'a str>,
    /// The API-authentication headers (and `x-alloy-userid` / `x-alloy-user-token` on token URLs).
    pub headers: AuthHeaders<'a>,
}

fn bad_token(server_id: &str) -> Error {
    ApiError::unauthorized(format!(
        "Invalid or expired access token for server '{server_id}' (check the token URL)"
    ))
    .into()
}

impl Gateway {
    /// Resolves an MCP request to its server and acting user, or the error to answer with:
    /// 401 for a wrong or expired token or bad API credentials, 404 for a server the caller
    /// cannot see, 403 for a user the server does not serve.
    pub async fn mcp_access(
        &self,
        auth: &McpAuth<'_>,
    ) -> Result<(Arc<ServerRecord>, Caller), Error> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "authorize",
            alloy.server.id = %auth.server_id,
            db.system.name = self.db_system(),
        );
        async {
            match auth.access_token {
                Some(token) => self.token_access(auth, token).await,
                None => self.api_access(auth).await,
            }
        }
        .instrument(span)
        .await
    }

    /// The server of a token URL's token: from memory when read recently (see
    /// [`AccessCache`](crate::cache::AccessCache)), else from the database.
    async fn server_by_token(&self, token: &str) -> Result<Option<Arc<ServerRecord>>, Error> {
        let digest = crate::cache::digest(token);
        if let Some(s) = self.access_cache().server_by_token(&digest) {
            return Ok(Some(s));
        }
        let Some(s) = self.db().servers().by_access_token(token).await? else {
            return Ok(None);
        };
        let s = Arc::new(s);
        self.access_cache()
            .keep_server(Arc::clone(&s), Some(digest));
        Ok(Some(s))
    }

    /// A server by ID: from memory when read recently, else from the database.
    async fn server_by_id(&self, server_id: &str) -> Result<Option<Arc<ServerRecord>>, Error> {
        if let Some(s) = self.access_cache().server_by_id(server_id) {
            return Ok(Some(s));
        }
        let Some(s) = self.db().servers().get(server_id).await? else {
            return Ok(None);
        };
        let s = Arc::new(s);
        self.access_cache().keep_server(Arc::clone(&s), None);
        Ok(Some(s))
    }

    /// The OpenTelemetry name of the database behind this gateway.
    pub fn db_system(&self) -> &'static str {
        match self.db().backend() {
            alloy_storage::Backend::Sqlite => "sqlite",
            alloy_storage::Backend::Postgres => "postgresql",
        }
    }

    /// Records a refused MCP request in the audit trail of the account owning the server it
    /// named (nobody's when no such server exists: only the log line then says it), and in the
    /// request's log line.
    pub async fn record_mcp_refusal(&self, server_id: &str, error: &Error) {
        let api = error.to_api_error();
        crate::audit::RequestScope::note_refusal(&api);
        if !self.audit().is_enabled() || server_id.is_empty() {
            return;
        }
        let Ok(Some(server)) = self.db().servers().get(server_id).await else {
            return;
        };
        self.audit().record(
            AuditEvent::new("access.refused", Outcome::Refused)
                .in_account(&server.account_id, None, "none")
                .server(server_id)
                .error_code(Some(api.code.as_str()))
                .details(serde_json::json!({
                    "reason": api.message,
                    "status": api.http_status(),
                })),
        );
    }

    async fn token_access(
        &self,
        auth: &McpAuth<'_>,
        token: &str,
    ) -> Result<(Arc<ServerRecord>, Caller), Error> {
        if !token.starts_with(alloy_domain::ids::ACCESS_TOKEN_PREFIX) {
            return Err(bad_token(auth.server_id));
        }
        let server = self
            .server_by_token(token)
            .await?
            .ok_or_else(|| bad_token(auth.server_id))?;
        if server.server_id != auth.server_id {
            return Err(bad_token(auth.server_id));
        }
        if server.token_expires_at.is_some_and(|e| e <= Utc::now()) {
            return Err(ApiError::unauthorized(format!(
                "The access token for server '{}' has expired (rotate it for a new token URL)",
                auth.server_id
            ))
            .into());
        }
        let mut user_id = server.user_id.clone();
        if let Some(user_token) = auth.headers.user_token {
            let caller = self
                .authenticator()
                .authenticate(&AuthHeaders {
                    user_token: Some(user_token),
                    ..Default::default()
                })
                .await?;
            if caller.account_id != server.account_id {
                return Err(
                    ApiError::unauthorized("The user token belongs to another account").into(),
                );
            }
            user_id = caller.user_id;
        }
        if let Some(requested) = auth.headers.user_id {
            validate_user_id("x-alloy-userid", requested)?;
            // Anyone holding the token URL could otherwise act as any user of the account.
            if server.require_user_token
                && auth.headers.user_token.is_none()
                && requested != server.user_id
            {
                return Err(ApiError::forbidden(
                    "This server accepts another user only through a user token \
                     (x-alloy-user-token)",
                )
                .into());
            }
            if auth.headers.user_token.is_some() && requested != user_id {
                return Err(
                    ApiError::forbidden("x-alloy-userid does not match the user token").into(),
                );
            }
            user_id = requested.to_owned();
        }
        let caller = Caller {
            account_id: server.account_id.clone(),
            user_id,
            principal: Principal::AccessToken {
                server_id: server.server_id.clone(),
            },
        };
        admit(server, caller)
    }

    async fn api_access(&self, auth: &McpAuth<'_>) -> Result<(Arc<ServerRecord>, Caller), Error> {
        let caller = match oauth_bearer(&auth.headers) {
            // An MCP client signed in through the gateway's authorization server.
            Some(token) => self
                .authorization()
                .caller_of(token, auth.server_id)
                .await?
                .ok_or_else(|| {
                    Error::from(ApiError::unauthorized(format!(
                        "Invalid or expired access token for server '{}': sign in again",
                        auth.server_id
                    )))
                })?,
            None => self.authenticator().authenticate(&auth.headers).await?,
        };
        self.serve_caller(auth.server_id, caller).await
    }

    /// The server `server_id` for an authenticated caller, under the visibility and `users`
    /// rules: another account's server, or another user's private one, does not exist (404).
    pub(crate) async fn serve_caller(
        &self,
        server_id: &str,
        caller: Caller,
    ) -> Result<(Arc<ServerRecord>, Caller), Error> {
        let not_found =
            || -> Error { ApiError::not_found(format!("Server '{}' not found", server_id)).into() };
        let server = self.server_by_id(server_id).await?.ok_or_else(not_found)?;
        if server.account_id != caller.account_id {
            return Err(not_found());
        }
        if !server.is_public && server.user_id != caller.user_id {
            // Another user's private server does not exist for them, as on the management API.
            return Err(not_found());
        }
        admit(server, caller)
    }
}

/// The bearer value of `Authorization` when it is one of the authorization server's access
/// tokens (alone: `x-alloy-userid` and user tokens do not combine with a signed-in client).
fn oauth_bearer<'a>(headers: &AuthHeaders<'a>) -> Option<&'a str> {
    let token = crate::identity::bearer_value(headers.authorization?)?;
    (crate::authorization::AuthorizationServer::is_access_token(token)
        && headers.user_id.is_none()
        && headers.user_token.is_none())
    .then_some(token)
}

/// The visibility and `users` rules, once the server and the acting user are known.
fn admit(server: Arc<ServerRecord>, caller: Caller) -> Result<(Arc<ServerRecord>, Caller), Error> {
    if !server.is_public && caller.user_id != server.user_id {
        return Err(ApiError::forbidden("This server is private to its owner").into());
    }
    if !server.restrictions.allows_user(&caller.user_id) {
        return Err(ApiError::forbidden("This user may not use this server").into());
    }
    Ok((server, caller))
}
