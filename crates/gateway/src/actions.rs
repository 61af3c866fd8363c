//! Connectors and actions as one MCP server sees them: looked up under the server's
//! restrictions, and executed with the caller's credential.
//!
//! A blocked connector or action never appears in what these functions list, and naming one
//! is `FORBIDDEN`; an ID that names nothing is `CONNECTOR_NOT_FOUND` / `ACTION_NOT_FOUND`.
//! [`execute`] adds, in this order: the timeout's range, the parameters (before any credential
//! is looked up, so that a bad call is corrected first), the credential, the upstream call with
//! one OAuth refresh and retry after a 401, and the shaping of the answer.

use alloy_connectors::{
    Action, ActionResponse, AuthType, Connector, CredentialMaterial, ExecuteOptions, Executor,
    ParameterLocation, Registry,
};
use std::sync::Arc;

use alloy_domain::{ApiError, ErrorCode, Restrictions};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::app::Gateway;
use crate::audit::{note_credential, note_upstream};
use crate::credentials::connector_error;
use crate::error::Error;
use crate::identity::Caller;
use crate::shaping::{Tier, action_result_tier, shape_action_result};

/// The connectors a server allows, sorted by ID; only those of `category` (any case) when
/// given.
pub fn allowed_connectors<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    category: Option<&str>,
) -> Vec<&'a Connector> {
    registry
        .connectors(category)
        .into_iter()
        .filter(|c| restrictions.allows_connector(&c.id))
        .collect()
}

/// The categories of the connectors a server allows, sorted, without repeats.
pub fn allowed_categories<'a>(registry: &'a Registry, restrictions: &Restrictions) -> Vec<&'a str> {
    let mut categories: Vec<&str> = allowed_connectors(registry, restrictions, None)
        .into_iter()
        .map(|c| c.category.as_str())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    categories
}

/// The actions of `connector` a server allows, in document order.
pub fn allowed_actions<'a>(
    connector: &'a Connector,
    restrictions: &'a Restrictions,
) -> impl Iterator<Item = &'a Action> {
    connector
        .actions
        .iter()
        .filter(move |a| restrictions.allows_action(&connector.id, &a.id))
}

/// A connector the server allows: `CONNECTOR_NOT_FOUND` when there is none with this ID,
/// `FORBIDDEN` when the server blocks it.
pub fn connector<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    connector_id: &str,
) -> Result<&'a Connector, Error> {
    let connector = registry.connector(connector_id).map_err(connector_error)?;
    if !restrictions.allows_connector(connector_id) {
        return Err(ApiError::forbidden(format!(
            "Connector '{connector_id}' is not available on this MCP server"
        ))
        .with_details(json!({ "connectorId": connector_id }))
        .into());
    }
    Ok(connector)
}

/// An action the server allows: `CONNECTOR_NOT_FOUND` / `ACTION_NOT_FOUND` when the IDs name
/// nothing, `FORBIDDEN` when the server blocks the connector or the action.
pub fn action<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    connector_id: &str,
    action_id: &str,
) -> Result<(&'a Connector, &'a Action), Error> {
    let connector = connector(registry, restrictions, connector_id)?;
    let action = connector.action(action_id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ActionNotFound,
            format!(
                "Connector '{connector_id}' has no action '{action_id}'; \
                 get_connector_resources_alloy lists its actions"
            ),
        )
        .with_details(json!({ "connectorId": connector_id, "actionId": action_id }))
    })?;
    if !restrictions.allows_action(connector_id, action_id) {
        return Err(ApiError::forbidden(format!(
            "Action '{action_id}' of connector '{connector_id}' is not available on this MCP \
             server"
        ))
        .with_details(json!({ "connectorId": connector_id, "actionId": action_id }))
        .into());
    }
    Ok((connector, action))
}

/// An action the server allows, with its whole definition (schemas included) — loaded on
/// demand for imported connectors, which the registry holds as summaries.
pub async fn action_details<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    connector_id: &str,
    action_id: &str,
) -> Result<(&'a Connector, Arc<Action>), Error> {
    let (connector, _) = action(registry, restrictions, connector_id, action_id)?;
    let full = registry
        .action_details(connector_id, action_id)
        .await
        .map_err(connector_error)?;
    Ok((connector, full))
}

/// One `execute_action_alloy` call.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteRequest {
    /// The connector.
    pub connector_id: String,
    /// The action.
    pub action_id: String,
    /// The action's flat parameters object.
    pub parameters: Value,
    /// The credential to use (the `credentialId` argument, else `x-credential-id`); the
    /// caller's newest usable credential for the connector when `None`.
    pub credential_id: Option<String>,
    /// Time for the whole upstream call in milliseconds (1,000–300,000; default 30,000).
    pub timeout_ms: Option<u64>,
}

/// What an executed action gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteOutcome {
    /// The upstream answer, shaped ([`crate::shaping`]).
    pub result: Value,
    /// Parameters that fetch the next page (cursor, offset, page, or the `Link` header's), when
    /// the platform says there is one and the whole of this page was shown: after a cut or a
    /// refinement advice, paging on would skip what the agent never saw.
    pub next_page: Option<Value>,
}

/// Executes an action for `caller` under a server's `restrictions`.
pub async fn execute(
    gateway: &Gateway,
    caller: &Caller,
    restrictions: &Restrictions,
    request: &ExecuteRequest,
) -> Result<ExecuteOutcome, Error> {
    let registry = gateway.registry();
    let (connector, action) = action_details(
        &registry,
        restrictions,
        &request.connector_id,
        &request.action_id,
    )
    .await?;
    let action = action.as_ref();
    let options = ExecuteOptions::from_timeout_ms(request.timeout_ms).map_err(connector_error)?;
    check_parameters(connector, action, &request.parameters)?;
    let credentials = gateway.credentials();
    let lookup = tracing::info_span!(
        "credential lookup",
        db.system.name = gateway.db_system(),
        alloy.connector.id = %connector.id,
    );
    let resolved = match credentials
        .resolve(caller, &connector.id, request.credential_id.as_deref())
        .instrument(lookup)
        .await
    {
        Ok(resolved) => Some(resolved),
        // An action that needs no authentication runs without a credential (one is still
        // used when there is one: it may fill the server URL or path parameters).
        Err(e) if request.credential_id.is_none() && !needs_credential(connector, action) => {
            if error_code(&e) != Some(ErrorCode::CredentialNotFound) {
                return Err(e);
            }
            None
        }
        Err(e) => return Err(e),
    };
    let material = match &resolved {
        Some(r) => r.material.clone(),
        None => CredentialMaterial::new(AuthType::ApiKey, std::iter::empty::<(String, String)>()),
    };
    if let Some(r) = &resolved {
        note_credential(&r.credential_id);
    }
    let executor = gateway.executor();
    let first = call_upstream(
        executor,
        connector,
        action,
        &request.parameters,
        &material,
        options,
    )
    .await;
    let response = match (first, &resolved) {
        (Err(e), Some(r))
            if e.is_upstream_unauthorized() && r.material.auth_type == AuthType::OAuth2 =>
        {
            // The token may have been revoked or rotated early: refresh once and try again.
            let refreshed = credentials
                .refresh_after_unauthorized(caller, &r.credential_id)
                .await?;
            call_upstream(
                executor,
                connector,
                action,
                &request.parameters,
                &refreshed,
                options,
            )
            .await
        }
        (other, _) => other,
    }
    .map_err(connector_error)?;
    let whole_page_shown =
        action_result_tier(action, &response.body).is_none_or(|t| t == Tier::Complete);
    let next_page = response.next_page.filter(|_| whole_page_shown);
    Ok(ExecuteOutcome {
        result: shape_action_result(action, response.body),
        next_page,
    })
}

/// One call of the platform, timed for the audit trail, in a span of its own (the executor
/// counts it in the metrics).
async fn call_upstream(
    executor: &Executor,
    connector: &Connector,
    action: &Action,
    parameters: &Value,
    material: &CredentialMaterial,
    options: ExecuteOptions,
) -> Result<ActionResponse, alloy_connectors::Error> {
    let span = tracing::info_span!(
        "upstream",
        otel.name = %format!("{} {}", action.method, connector.id),
        otel.kind = "client",
        alloy.connector.id = %connector.id,
        alloy.action.id = %action.id,
        http.request.method = %action.method,
        http.response.status_code = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let result = executor
        .execute(connector, action, parameters, material, options)
        .instrument(span.clone())
        .await;
    let took = started.elapsed();
    let status = match &result {
        Ok(r) => Some(r.status),
        Err(e) => e.upstream_status(),
    };
    if let Some(status) = status {
        span.record("http.response.status_code", status);
    }
    note_upstream(status, took);
    result
}

fn error_code(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Api(api) => Some(api.code),
        _ => None,
    }
}

/// Whether calling `action` needs the user's credential.
pub fn needs_credential(connector: &Connector, action: &Action) -> bool {
    !connector.auth_schemes.is_empty() && action.security.as_ref().is_none_or(|s| !s.is_empty())
}

/// Checks the parameters before a credential is looked up. A required path parameter that a
/// credential field may fill (Twilio's `AccountSid`) is left to the executor, which checks
/// again with the credential.
fn check_parameters(
    connector: &Connector,
    action: &Action,
    parameters: &Value,
) -> Result<(), Error> {
    let Err(e) = action.validate_parameters(parameters) else {
        return Ok(());
    };
    if let alloy_connectors::Error::Validation(p) = &e
        && p.constraint == "required"
        && action
            .parameter(&p.parameter)
            .is_some_and(|param| param.location == ParameterLocation::Path)
        && credential_fields(connector).any(|f| f == p.parameter)
    {
        return Ok(());
    }
    Err(connector_error(e))
}

/// Names of the credential fields that can fill a missing path parameter: the server URL's
/// variables and the document's extra credential fields.
pub fn credential_fields(connector: &Connector) -> impl Iterator<Item = &str> {
    connector
        .server_variables
        .iter()
        .map(|v| v.name.as_str())
        .chain(
            connector
                .extra_credential_fields
                .iter()
                .map(|f| f.name.as_str()),
        )
}
