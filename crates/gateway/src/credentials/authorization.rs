//! The OAuth 2.0 authorization-code flow of a new credential: the link with `state` and PKCE,
//! the callback that exchanges the code, and where the browser is sent afterwards.

use super::refresh::expiry;
use super::*;

/// The authorization, token and refresh URLs and the scopes of a connector's OAuth 2.0
/// scheme.
pub(super) struct OAuthEndpoints<'a> {
    pub(super) authorization_url: &'a str,
    pub(super) token_url: &'a str,
    pub(super) refresh_url: &'a str,
    pub(super) scopes: Vec<&'a str>,
}

pub(super) fn oauth_endpoints(connector: &Connector) -> Result<OAuthEndpoints<'_>, Error> {
    connector
        .auth_schemes
        .iter()
        .find_map(|s| match &s.kind {
            AuthSchemeKind::OAuth2 {
                authorization_url: Some(authorization_url),
                token_url: Some(token_url),
                refresh_url,
                scopes,
                ..
            } => Some(OAuthEndpoints {
                authorization_url,
                token_url,
                refresh_url: refresh_url.as_deref().unwrap_or(token_url),
                scopes: scopes.iter().map(|s| s.name.as_str()).collect(),
            }),
            _ => None,
        })
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "Connector '{}' does not support the OAuth 2.0 authorization-code flow",
                    connector.id
                ),
            )
            .with_details(json!({ "connectorId": connector.id }))
            .into()
        })
}

pub(super) fn validate_redirect_uri(uri: &str) -> Result<String, Error> {
    let invalid = |message: &str| {
        field_error(
            ErrorCode::InvalidFormat,
            "redirectUri",
            "format",
            json!("absolute http(s) URL"),
            message.to_owned(),
        )
    };
    let uri = uri.trim();
    if uri.chars().count() > MAX_REDIRECT_URI_CHARS {
        return Err(field_error(
            ErrorCode::ValueTooLong,
            "redirectUri",
            "maxLength",
            json!(MAX_REDIRECT_URI_CHARS),
            format!("redirectUri must be at most {MAX_REDIRECT_URI_CHARS} characters long"),
        ));
    }
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if u.fragment().is_some() {
                return Err(invalid("redirectUri must not have a fragment"));
            }
            Ok(u.to_string())
        }
        _ => Err(invalid("redirectUri must be an absolute http or https URL")),
    }
}

/// `uri` with `pairs` added to its query.
pub(super) fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

impl CredentialService {
    /// Begins the authorization-code flow: a single-use `state` bound to the caller, the
    /// connector and the redirect URI, a PKCE verifier kept server-side, and the provider's
    /// authorization URL.
    pub(super) async fn start_authorization(
        &self,
        caller: &Caller,
        connector: &Connector,
        fields: BTreeMap<String, String>,
        redirect_uri: Option<&str>,
    ) -> Result<Value, Error> {
        let endpoints = oauth_endpoints(connector)?;
        let app = self
            .inner
            .db
            .oauth_apps()
            .get(&caller.account_id, &connector.id)
            .await?
            .ok_or_else(|| {
                Error::Api(
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "OAuth 2.0 is not set up for connector '{}' in this account: an \
                             operator must first register an OAuth app with PUT \
                             /api/oauth-apps/{} (client ID and secret from the platform's \
                             developer console).",
                            connector.id, connector.id
                        ),
                    )
                    .with_details(
                        json!({ "connectorId": connector.id, "authenticationType": "oauth2" }),
                    ),
                )
            })?;
        let app = OAuthApp::from_record(app)?;
        let redirect_uri = redirect_uri.map(validate_redirect_uri).transpose()?;
        let authorization_url =
            fields::fill_url_template(connector, endpoints.authorization_url, &fields)?;
        fields::fill_url_template(connector, endpoints.token_url, &fields)?;
        let mut url = url::Url::parse(&authorization_url).map_err(|_| {
            Error::Internal(format!(
                "authorization URL of connector {} is not a URL",
                connector.id
            ))
        })?;
        let scopes: Vec<&str> = match &app.settings.scopes {
            Some(s) => s.iter().map(String::as_str).collect(),
            None => endpoints.scopes.clone(),
        };
        let state = oauth::random_token();
        let verifier = oauth::random_token();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &app.client_id)
                .append_pair("redirect_uri", &self.inner.callback_url);
            if !scopes.is_empty() {
                q.append_pair("scope", &scopes.join(&app.settings.scope_separator));
            }
            q.append_pair("state", &state)
                .append_pair("code_challenge", &oauth::pkce_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            for (k, v) in &app.settings.authorization_params {
                q.append_pair(k, v);
            }
        }
        let now = Utc::now();
        let expires_at = now
            + chrono::Duration::from_std(STATE_TTL)
                .unwrap_or_else(|_| chrono::Duration::minutes(10));
        let states = self.inner.db.oauth_states();
        // Abandoned authorizations are cleared as new ones start; no background task needed.
        states
            .purge_expired(now - chrono::Duration::hours(1))
            .await?;
        states
            .insert(NewOAuthState {
                state: state.clone(),
                account_id: caller.account_id.clone(),
                user_id: caller.user_id.clone(),
                connector_id: connector.id.clone(),
                redirect_uri: redirect_uri.clone(),
                payload: json!({ "codeVerifier": verifier, "fields": fields }),
                expires_at,
            })
            .await?;
        let then = match &redirect_uri {
            Some(r) => format!(
                "the browser returns to {r} with credentialId in the query, and the credential \
                 is ready"
            ),
            None => "the credential is ready; call get_credentials_alloy to see its \
                     credentialId"
                .to_owned(),
        };
        Ok(json!({
            "connectorId": connector.id,
            "type": "oauth2",
            "status": "pending_authorization",
            "authorizationUrl": url.to_string(),
            "state": state,
            "expiresAt": timestamp(expires_at),
            "redirectUri": redirect_uri,
            "message": format!(
                "Ask the user to open authorizationUrl in a browser within 10 minutes and \
                 approve access to {}. When they have, {then}.",
                connector.name
            ),
        }))
    }

    /// `GET /oauth/callback`: consumes the `state` (once, on any replica), exchanges the code
    /// with the PKCE verifier, stores the tokens, and sends the browser on.
    pub async fn oauth_callback(&self, query: &[(String, String)]) -> CallbackOutcome {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let Some(state) = get("state").filter(|s| s.len() <= 512) else {
            return CallbackOutcome::Page {
                status: 400,
                message: "This address completes an OAuth authorization, but the request has \
                          no state. Start again with create_credential_alloy."
                    .to_owned(),
            };
        };
        let record = match self.inner.db.oauth_states().consume(state).await {
            Ok(ConsumedState::Valid(record)) => record,
            Ok(ConsumedState::Expired(record)) => {
                return self.callback_failure(
                    &record,
                    "expired_state",
                    "The authorization was not completed within 10 minutes and has expired. \
                     Start again with create_credential_alloy.",
                );
            }
            Ok(ConsumedState::Unknown) => {
                return CallbackOutcome::Page {
                    status: 400,
                    message: "This authorization link is invalid or has already been used. \
                              Start again with create_credential_alloy."
                        .to_owned(),
                };
            }
            Err(e) => {
                tracing::error!(error = %e, "OAuth state could not be read");
                return CallbackOutcome::Page {
                    status: 500,
                    message: "The authorization could not be completed because of a server \
                              error. Start again with create_credential_alloy."
                        .to_owned(),
                };
            }
        };
        if let Some(error) = get("error") {
            let description = get("error_description")
                .map(oauth::shorten)
                .unwrap_or_else(|| "access was not granted".to_owned());
            return self.callback_failure(
                &record,
                &oauth::shorten(error),
                &format!("The platform did not authorize access: {description}."),
            );
        }
        let Some(code) = get("code") else {
            return self.callback_failure(
                &record,
                "invalid_request",
                "The platform's answer has no authorization code.",
            );
        };
        match self.complete_authorization(&record, code).await {
            Ok(credential_id) => {
                tracing::info!(
                    account = %record.account_id, connector = %record.connector_id,
                    credential = %credential_id, "OAuth credential created"
                );
                self.inner.audit.record(
                    AuditEvent::new("credential.created", Outcome::Ok)
                        .in_account(&record.account_id, Some(&record.user_id), "oauth_callback")
                        .target(Some(&record.connector_id), None)
                        .credential(Some(&credential_id))
                        .details(json!({ "type": "oauth2" })),
                );
                match &record.redirect_uri {
                    Some(uri) => CallbackOutcome::Redirect {
                        location: with_query(
                            uri,
                            &[
                                ("credentialId", &credential_id),
                                ("connectorId", &record.connector_id),
                            ],
                        ),
                    },
                    None => CallbackOutcome::Page {
                        status: 200,
                        message: format!(
                            "Authorization complete. Credential {credential_id} for \
                             {} is ready; you can close this window.",
                            record.connector_id
                        ),
                    },
                }
            }
            Err((error, message)) => {
                tracing::warn!(
                    account = %record.account_id, connector = %record.connector_id,
                    %error, "OAuth authorization failed"
                );
                self.callback_failure(&record, &error, &message)
            }
        }
    }

    pub(super) fn callback_failure(
        &self,
        record: &OAuthStateRecord,
        error: &str,
        message: &str,
    ) -> CallbackOutcome {
        match &record.redirect_uri {
            Some(uri) => CallbackOutcome::Redirect {
                location: with_query(
                    uri,
                    &[
                        ("error", error),
                        ("error_description", message),
                        ("connectorId", &record.connector_id),
                    ],
                ),
            },
            None => CallbackOutcome::Page {
                status: 400,
                message: format!("Authorization failed ({error}): {message}"),
            },
        }
    }

    /// Exchanges the code and stores the credential; `Err((error code, message))`.
    pub(super) async fn complete_authorization(
        &self,
        record: &OAuthStateRecord,
        code: &str,
    ) -> Result<String, (String, String)> {
        let server_error = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "OAuth callback failed");
            (
                "server_error".to_owned(),
                "The credential could not be stored because of a server error.".to_owned(),
            )
        };
        let registry = self.inner.catalog.current();
        let connector = registry.connector(&record.connector_id).map_err(|_| {
            (
                "connector_unavailable".to_owned(),
                format!(
                    "Connector '{}' is no longer available.",
                    record.connector_id
                ),
            )
        })?;
        let endpoints = oauth_endpoints(connector).map_err(|e| server_error(&e))?;
        let app = match self
            .inner
            .db
            .oauth_apps()
            .get(&record.account_id, &connector.id)
            .await
        {
            Ok(Some(app)) => OAuthApp::from_record(app).map_err(|e| server_error(&e))?,
            Ok(None) => {
                return Err((
                    "oauth_app_removed".to_owned(),
                    format!(
                        "The OAuth app for '{}' was removed meanwhile.",
                        connector.id
                    ),
                ));
            }
            Err(e) => return Err(server_error(&e)),
        };
        let fields: BTreeMap<String, String> =
            serde_json::from_value(record.payload["fields"].clone()).unwrap_or_default();
        let Some(verifier) = record.payload["codeVerifier"].as_str() else {
            return Err(server_error(&"OAuth state without a verifier"));
        };
        let token_url = fields::fill_url_template(connector, endpoints.token_url, &fields)
            .map_err(|e| server_error(&e))?;
        let tokens = self.tokens().map_err(|e| server_error(&e))?;
        let auth = ClientAuth {
            client_id: &app.client_id,
            client_secret: app.client_secret.as_deref(),
            settings: &app.settings,
        };
        let set = tokens
            .exchange_code(&token_url, &auth, code, &self.inner.callback_url, verifier)
            .await
            .map_err(|e| {
                (
                    "token_exchange_failed".to_owned(),
                    format!(
                        "The platform refused to exchange the authorization code ({}).",
                        e.describe()
                    ),
                )
            })?;
        let refreshable = set.refresh_token.is_some();
        let expires_at = expiry(set.expires_in);
        let secret = secret_with_tokens(fields, set);
        let stored = self
            .insert(NewCredential {
                credential_id: String::new(),
                account_id: record.account_id.clone(),
                user_id: record.user_id.clone(),
                connector_id: connector.id.clone(),
                auth_type: AuthType::OAuth2.as_str().to_owned(),
                secret,
                refreshable,
                expires_at,
            })
            .await
            .map_err(|e| server_error(&e))?;
        Ok(stored.credential_id)
    }
}
