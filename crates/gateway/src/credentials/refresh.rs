//! Choosing a credential for an action, and keeping OAuth tokens fresh: before expiry, once
//! after a 401, one refresh at a time per credential.

use super::authorization::oauth_endpoints;
use super::*;

pub(super) fn expiry(expires_in: Option<i64>) -> Option<DateTime<Utc>> {
    // Providers answer in seconds; a year caps absurd values.
    expires_in.map(|s| Utc::now() + chrono::Duration::seconds(s.clamp(1, 366 * 24 * 3600)))
}

pub(super) fn margin() -> chrono::Duration {
    chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_else(|_| chrono::Duration::seconds(60))
}

/// Why a refresh did not produce tokens.
pub(super) enum RefreshFailure {
    /// The grant is gone: the credential now needs re-authorization (the error says so).
    Reauthorize(Error),
    /// The provider is unavailable for now.
    Unavailable(String),
    /// Anything else (database, configuration).
    Other(Error),
}

impl From<alloy_storage::Error> for RefreshFailure {
    fn from(e: alloy_storage::Error) -> Self {
        RefreshFailure::Other(e.into())
    }
}

impl CredentialService {
    /// Chooses the credential for an action on `connector_id`: `explicit` (the `credentialId`
    /// argument, else `x-credential-id`), else the caller's newest usable credential for the
    /// connector. An OAuth token about to expire is refreshed first.
    pub async fn resolve(
        &self,
        caller: &Caller,
        connector_id: &str,
        explicit: Option<&str>,
    ) -> Result<ResolvedCredential, Error> {
        let registry = self.inner.catalog.current();
        registry.connector(connector_id).map_err(connector_error)?;
        let explicit = explicit.map(normalize_id).transpose()?;
        let kept = self.kept(caller, connector_id, explicit.as_deref()).await?;
        let (record, secret) = (&kept.0, &kept.1);
        if let Some(id) = &explicit
            && record.connector_id != connector_id
        {
            return Err(field_error(
                ErrorCode::ValidationError,
                "credentialId",
                "connector",
                json!(connector_id),
                format!(
                    "Credential '{id}' belongs to connector '{}', not '{connector_id}'; \
                     pass a credential of '{connector_id}' or omit credentialId",
                    record.connector_id
                ),
            ));
        }
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(needs_reauthorization(
                record,
                "the platform no longer accepts its tokens",
            ));
        }
        let now = Utc::now();
        let due = record.auth_type == AuthType::OAuth2.as_str()
            && record.expires_at.is_some_and(|t| t - now <= margin());
        if !due {
            return Ok(ResolvedCredential {
                material: material(record, secret)?,
                credential_id: record.credential_id.clone(),
            });
        }
        let expired = record.expires_at.is_some_and(|t| t <= now);
        if !record.refreshable {
            if !expired {
                return Ok(ResolvedCredential {
                    material: material(record, secret)?,
                    credential_id: record.credential_id.clone(),
                });
            }
            self.mark_needs_reauthorization(record).await?;
            return Err(needs_reauthorization(
                record,
                "its access token expired and the platform issued no refresh token",
            ));
        }
        match self
            .refresh_locked(caller, &record.credential_id, false)
            .await
        {
            Ok((record, secret)) => Ok(ResolvedCredential {
                material: material(&record, &secret)?,
                credential_id: record.credential_id,
            }),
            Err(RefreshFailure::Unavailable(why)) if !expired => {
                // The token still works for a little while; the next use tries again.
                tracing::warn!(credential = %record.credential_id, %why, "early OAuth refresh failed");
                Ok(ResolvedCredential {
                    material: material(record, secret)?,
                    credential_id: record.credential_id.clone(),
                })
            }
            Err(RefreshFailure::Unavailable(why)) => Err(unavailable(record, &why)),
            Err(RefreshFailure::Reauthorize(e) | RefreshFailure::Other(e)) => Err(e),
        }
    }

    /// The credential a call uses: the one this replica kept (see [`crate::cache::credentials`]),
    /// or read now and kept. `explicit` is a normalized credential ID.
    async fn kept(
        &self,
        caller: &Caller,
        connector_id: &str,
        explicit: Option<&str>,
    ) -> Result<KeptCredential, Error> {
        let cache = &self.inner.cache;
        let owner = owner_digest(&caller.account_id, &caller.user_id);
        if let Some(kept) = cache.credential(&owner, connector_id, explicit) {
            return Ok(kept);
        }
        let generation = cache.credential_generation();
        let repo = self.inner.db.credentials();
        let found = match explicit {
            Some(id) => repo
                .get_with_secret(&caller.account_id, &caller.user_id, id)
                .await?
                .ok_or_else(|| not_found(Some(id), Some(connector_id)))?,
            None => repo
                .newest_usable(&caller.account_id, &caller.user_id, connector_id)
                .await?
                .ok_or_else(|| not_found(None, Some(connector_id)))?,
        };
        let kept = Arc::new(found);
        cache.keep_credential(generation, owner, connector_id, explicit, Arc::clone(&kept));
        Ok(kept)
    }

    /// Called once after the platform answered 401 with this credential: an OAuth credential
    /// is refreshed (unless another request just did) and its new material returned. A refresh
    /// the provider refuses marks the credential as needing re-authorization and answers
    /// `CREDENTIAL_INVALID` saying so; a key-like credential answers `CREDENTIAL_INVALID`.
    pub async fn refresh_after_unauthorized(
        &self,
        caller: &Caller,
        credential_id: &str,
    ) -> Result<CredentialMaterial, Error> {
        let record = self.owned(caller, credential_id).await?;
        let id = record.credential_id.clone();
        if record.auth_type != AuthType::OAuth2.as_str() {
            return Err(ApiError::new(
                ErrorCode::CredentialInvalid,
                format!(
                    "The platform rejected credential '{id}' ({} for '{}'). It may have been \
                     revoked or lack permissions: call create_credential_alloy to store a \
                     working one.",
                    record.auth_type, record.connector_id
                ),
            )
            .with_details(json!({ "credentialId": id, "connectorId": record.connector_id }))
            .into());
        }
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(needs_reauthorization(
                &record,
                "the platform no longer accepts its tokens",
            ));
        }
        if !record.refreshable {
            self.mark_needs_reauthorization(&record).await?;
            return Err(needs_reauthorization(
                &record,
                "the platform rejected its access token and issued no refresh token",
            ));
        }
        match self.refresh_locked(caller, &id, true).await {
            Ok((record, secret)) => material(&record, &secret),
            Err(RefreshFailure::Unavailable(why)) => Err(unavailable(&record, &why)),
            Err(RefreshFailure::Reauthorize(e) | RefreshFailure::Other(e)) => Err(e),
        }
    }

    pub(super) async fn mark_needs_reauthorization(
        &self,
        record: &CredentialRecord,
    ) -> Result<(), Error> {
        self.inner
            .db
            .credentials()
            .set_status(
                &record.credential_id,
                record.version,
                CredentialStatus::NeedsReauthorization,
            )
            .await?;
        self.credentials_changed(&record.account_id, &record.user_id)
            .await;
        tracing::warn!(
            credential = %record.credential_id, connector = %record.connector_id,
            "credential needs re-authorization"
        );
        Ok(())
    }

    /// Refreshes under this replica's lock for the credential. With `force` false the refresh
    /// is skipped when the token is no longer due (another request refreshed it meanwhile);
    /// with `force` true (after a 401) it is skipped only when a refresh just happened.
    pub(super) async fn refresh_locked(
        &self,
        caller: &Caller,
        credential_id: &str,
        force: bool,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let lock = self
            .inner
            .refresh_locks
            .entry(credential_id.to_owned())
            .or_default()
            .clone();
        let result = {
            let _guard = lock.lock().await;
            self.refresh_if_still_needed(caller, credential_id, force)
                .await
        };
        drop(lock);
        self.inner
            .refresh_locks
            .remove_if(credential_id, |_, l| Arc::strong_count(l) == 1);
        result
    }

    pub(super) async fn refresh_if_still_needed(
        &self,
        caller: &Caller,
        credential_id: &str,
        force: bool,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let repo = self.inner.db.credentials();
        let (record, secret) = repo
            .get_with_secret(&caller.account_id, &caller.user_id, credential_id)
            .await?
            .ok_or_else(|| RefreshFailure::Other(not_found(Some(credential_id), None)))?;
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the platform no longer accepts its tokens",
            )));
        }
        let now = Utc::now();
        let skip = if force {
            record.refreshed_at.is_some_and(|t| {
                now - t < chrono::Duration::from_std(RECENT_REFRESH).unwrap_or_default()
            })
        } else {
            record.expires_at.is_none_or(|t| t - now > margin())
        };
        if skip {
            return Ok((record, secret));
        }
        self.refresh(record, secret).await
    }

    /// One refresh at the token endpoint, stored with a version check.
    pub(super) async fn refresh(
        &self,
        record: CredentialRecord,
        secret: SecretFields,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let repo = self.inner.db.credentials();
        let reread = || async {
            repo.get_with_secret(&record.account_id, &record.user_id, &record.credential_id)
                .await?
                .ok_or_else(|| RefreshFailure::Other(not_found(Some(&record.credential_id), None)))
        };
        let Some(refresh_token) = secret.get("refreshToken") else {
            self.mark_needs_reauthorization(&record)
                .await
                .map_err(RefreshFailure::Other)?;
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the platform issued no refresh token",
            )));
        };
        let registry = self.inner.catalog.current();
        let connector = registry
            .connector(&record.connector_id)
            .map_err(|e| RefreshFailure::Other(connector_error(e)))?;
        let endpoints = oauth_endpoints(connector).map_err(RefreshFailure::Other)?;
        let Some(app) = self
            .inner
            .db
            .oauth_apps()
            .get(&record.account_id, &connector.id)
            .await?
        else {
            self.mark_needs_reauthorization(&record)
                .await
                .map_err(RefreshFailure::Other)?;
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the OAuth app of this connector was removed",
            )));
        };
        let app = OAuthApp::from_record(app).map_err(RefreshFailure::Other)?;
        let token_url = fields::fill_url_template(connector, endpoints.refresh_url, &secret.0)
            .map_err(RefreshFailure::Other)?;
        let tokens = self.tokens().map_err(RefreshFailure::Other)?;
        let auth = ClientAuth {
            client_id: &app.client_id,
            client_secret: app.client_secret.as_deref(),
            settings: &app.settings,
        };
        let started = std::time::Instant::now();
        let answer = {
            use tracing::Instrument;
            let span = tracing::info_span!(
                "credential refresh",
                alloy.connector.id = %record.connector_id,
                alloy.credential.id = %record.credential_id,
            );
            tokens
                .refresh(&token_url, &auth, refresh_token)
                .instrument(span)
                .await
        };
        self.record_refresh(&record, &answer, started.elapsed());
        match answer {
            Ok(set) => {
                let expires_at = expiry(set.expires_in);
                let new_secret = secret_with_tokens(secret.0.clone(), set);
                let refreshable = new_secret.get("refreshToken").is_some();
                // Losing the race means another replica stored fresher tokens: use those.
                repo.replace_secret(
                    &record.credential_id,
                    record.version,
                    RefreshedSecret {
                        secret: new_secret,
                        refreshable,
                        expires_at,
                    },
                )
                .await?;
                self.credentials_changed(&record.account_id, &record.user_id)
                    .await;
                tracing::info!(credential = %record.credential_id, connector = %record.connector_id, "OAuth tokens refreshed");
                reread().await
            }
            Err(TokenError::Unavailable(why)) => Err(RefreshFailure::Unavailable(why)),
            Err(rejected @ TokenError::Rejected { .. }) => {
                // Another replica may have refreshed (rotating the refresh token) meanwhile.
                let (current, current_secret) = reread().await?;
                if current.version != record.version && current.status == CredentialStatus::Active {
                    return Ok((current, current_secret));
                }
                tracing::warn!(
                    credential = %record.credential_id, connector = %record.connector_id,
                    error = %rejected.describe(), "OAuth refresh rejected"
                );
                self.mark_needs_reauthorization(&record)
                    .await
                    .map_err(RefreshFailure::Other)?;
                Err(RefreshFailure::Reauthorize(needs_reauthorization(
                    &record,
                    &format!(
                        "the platform refused to refresh its tokens ({})",
                        rejected.describe()
                    ),
                )))
            }
        }
    }
}

impl CredentialService {
    /// Counts a refresh at the token endpoint and records it in the audit trail.
    fn record_refresh<T>(
        &self,
        record: &CredentialRecord,
        answer: &Result<T, TokenError>,
        took: std::time::Duration,
    ) {
        let (outcome, label) = match answer {
            Ok(_) => (Outcome::Ok, "ok"),
            Err(TokenError::Unavailable(_)) => (Outcome::Failed, "unavailable"),
            Err(TokenError::Rejected { .. }) => (Outcome::Failed, "rejected"),
        };
        metrics::counter!(
            "alloy_credential_refreshes_total",
            "connector" => record.connector_id.clone(),
            "outcome" => label,
        )
        .increment(1);
        self.inner.audit.record(
            AuditEvent::new("credential.refreshed", outcome)
                .in_account(&record.account_id, Some(&record.user_id), "gateway")
                .target(Some(&record.connector_id), None)
                .credential(Some(&record.credential_id))
                .latency(took)
                .details(serde_json::json!({ "result": label })),
        );
    }
}
