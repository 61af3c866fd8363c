//! Creating a credential: key-like ones checked once against the platform and stored sealed,
//! OAuth 2.0 ones answered with an authorization link.

use super::*;

/// Time the verification call of a new credential may take.
const VERIFY_TIMEOUT_MS: u64 = 15_000;
/// Attempts at a fresh random credential ID.
const ID_ATTEMPTS: usize = 4;

/// The outcome of checking a new credential.
pub(super) enum Verification {
    /// The verification action succeeded.
    Verified(String),
    /// The connector names no verification action.
    NotAvailable,
    /// The platform could not be asked (timeout, outage); the credential is stored anyway.
    Unchecked(String),
}

impl CredentialService {
    /// `create_credential_alloy`. A key-like credential (`apiKey`, `bearer`, `basic`) is
    /// checked with the connector's verification action when it has one, stored sealed, and
    /// answered with its metadata. An `oauth2` request answers with the provider's
    /// authorization URL; the credential is created by the callback.
    pub async fn create(
        &self,
        caller: &Caller,
        request: NewCredentialRequest,
    ) -> Result<Value, Error> {
        let registry = self.inner.catalog.current();
        let connector = registry
            .connector(&request.connector_id)
            .map_err(connector_error)?;
        let metas = connector.credential_metadata();
        let accepted: Vec<&str> = metas.iter().map(|m| m.auth_type.as_str()).collect();
        let wrong_type = |message: String| {
            field_error(
                ErrorCode::InvalidEnumValue,
                "authenticationType",
                "enum",
                json!(accepted),
                message,
            )
        };
        let auth_type: AuthType = request.authentication_type.parse().map_err(|_| {
            wrong_type(format!(
                "Unknown authenticationType; connector '{}' accepts: {}",
                connector.id,
                accepted.join(", ")
            ))
        })?;
        let meta = metas
            .iter()
            .find(|m| m.auth_type == auth_type)
            .ok_or_else(|| {
                wrong_type(format!(
                    "Connector '{}' does not accept {auth_type} credentials; it accepts: {}",
                    connector.id,
                    if accepted.is_empty() {
                        "none (its actions need no credential)".to_owned()
                    } else {
                        accepted.join(", ")
                    }
                ))
            })?;
        let fields = fields::validate(connector, meta, &request.fields)?;
        if auth_type == AuthType::OAuth2 {
            return self
                .start_authorization(caller, connector, fields, request.redirect_uri.as_deref())
                .await;
        }
        let material = CredentialMaterial::new(auth_type, fields.clone());
        let verification = self.verify(connector, &material).await?;
        let record = self
            .insert(NewCredential {
                credential_id: String::new(),
                account_id: caller.account_id.clone(),
                user_id: caller.user_id.clone(),
                connector_id: connector.id.clone(),
                auth_type: auth_type.as_str().to_owned(),
                secret: SecretFields(fields),
                refreshable: false,
                expires_at: None,
            })
            .await?;
        tracing::info!(
            account = %caller.account_id, connector = %connector.id,
            credential = %record.credential_id, auth_type = %auth_type, "credential created"
        );
        self.inner.audit.record(
            AuditEvent::new("credential.created", Outcome::Ok)
                .by(caller)
                .target(Some(&connector.id), None)
                .credential(Some(&record.credential_id))
                .details(json!({ "type": auth_type.as_str() })),
        );
        let mut v = view(&record);
        if let Some(obj) = v.as_object_mut() {
            let (verified, message) = match verification {
                Verification::Verified(action) => (
                    json!(true),
                    format!(
                        "Credential created and verified with '{action}'. Pass credentialId \
                         to execute_action_alloy, or omit it to use the newest credential."
                    ),
                ),
                Verification::NotAvailable => (
                    Value::Null,
                    "Credential created. The connector has no verification action, so the \
                     platform checks it on first use."
                        .to_owned(),
                ),
                Verification::Unchecked(why) => (
                    json!(false),
                    format!(
                        "Credential created, but it could not be verified now ({why}); the \
                         platform checks it on first use."
                    ),
                ),
            };
            obj.insert("verified".into(), verified);
            obj.insert("message".into(), json!(message));
        }
        Ok(v)
    }

    /// Stores a credential under a fresh ID (retrying the rare collision).
    pub(super) async fn insert(&self, mut new: NewCredential) -> Result<CredentialRecord, Error> {
        for _ in 0..ID_ATTEMPTS {
            new.credential_id = generate_credential_id();
            match self.inner.db.credentials().insert(new.clone()).await {
                Err(alloy_storage::Error::Duplicate("credential id")) => continue,
                other => {
                    let record = other?;
                    // It may now be the owner's newest for its connector.
                    self.credentials_changed(&record.account_id, &record.user_id)
                        .await;
                    return Ok(record);
                }
            }
        }
        Err(Error::Internal(format!(
            "no free credential id after {ID_ATTEMPTS} attempts"
        )))
    }

    /// Runs the connector's verification action once with a new credential.
    pub(super) async fn verify(
        &self,
        connector: &Connector,
        material: &CredentialMaterial,
    ) -> Result<Verification, Error> {
        let Some(action_id) = connector.verify_action.as_deref() else {
            return Ok(Verification::NotAvailable);
        };
        // Imported connectors hold summaries: the check needs the whole action.
        let registry = self.inner.catalog.current();
        let Ok(action) = registry.action_details(&connector.id, action_id).await else {
            return Ok(Verification::NotAvailable);
        };
        let action = action.as_ref();
        let options =
            ExecuteOptions::from_timeout_ms(Some(VERIFY_TIMEOUT_MS)).map_err(connector_error)?;
        match self
            .inner
            .executor
            .execute(connector, action, &json!({}), material, options)
            .await
        {
            Ok(_) => Ok(Verification::Verified(action_id.to_owned())),
            Err(e) if e.code() == ErrorCode::CredentialInvalid => {
                let details = e.details();
                let upstream = match (
                    details.get("upstreamStatus").and_then(Value::as_u64),
                    details.get("upstreamMessage").and_then(Value::as_str),
                ) {
                    (Some(status), Some(msg)) => {
                        format!(" (HTTP {status}: {})", oauth::shorten(msg))
                    }
                    (Some(status), None) => format!(" (HTTP {status})"),
                    _ => format!(" ({e})"),
                };
                Err(ApiError::new(
                    ErrorCode::CredentialInvalid,
                    format!(
                        "{} rejected this credential when it was checked with '{action_id}'{upstream}. \
                         Check the values and call create_credential_alloy again.",
                        connector.name
                    ),
                )
                .with_details(json!({
                    "connectorId": connector.id,
                    "verifyAction": action_id,
                    "upstreamStatus": details.get("upstreamStatus"),
                }))
                .into())
            }
            Err(e) => {
                tracing::info!(connector = %connector.id, code = %e.code(), "credential not verified");
                Ok(Verification::Unchecked(e.code().as_str().to_owned()))
            }
        }
    }
}
