//! Connectors and actions as one MCP server sees them: looked up under the server's
//! restrictions, and executed with the caller's credential.
//!
//! A blocked connector or action never appears in what these functions list, and naming one
//! is `FORBIDDEN`; an ID that names nothing is `CONNECTOR_NOT_FOUND` / `ACTION_NOT_FOUND`.

use alloy_connectors::{Action, Connector, Registry};
use alloy_domain::{ApiError, ErrorCode, Restrictions};
use serde_json::json;

use crate::error::Error;

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

/// The API error for a failure of the connector engine. Configuration and loading failures
/// are internal: their text is for the logs only.
pub fn connector_error(e: alloy_connectors::Error) -> Error {
    let code = e.code();
    if code == ErrorCode::InternalError {
        return Error::Internal(e.to_string());
    }
    let message = match &e {
        alloy_connectors::Error::ConnectorNotFound(id) => format!(
            "Connector '{id}' does not exist; list_connectors_alloy lists the available ones"
        ),
        other => other.to_string(),
    };
    let details = e.details();
    let mut error = ApiError::new(code, message);
    if !details.is_null() {
        error = error.with_details(details);
    }
    Error::Api(error)
}
