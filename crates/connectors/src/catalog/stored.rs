//! The stored form of a connector summary: what listings, search and discovery need, written
//! once at import and read back at every start without touching the original document.

use std::collections::HashMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::credential::CredentialField;
use crate::model::{
    Action, AuthScheme, BodyEncoding, Connector, ErrorConvention, Pagination, Parameter,
    ParameterLocation, RequestBody, Resource, ServerVariable,
};
use crate::schema::{CompiledSchema, JsonType};

/// Why a stored summary could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("stored connector summary is unreadable: {0}")]
pub struct SummaryError(String);

#[derive(Serialize, Deserialize)]
struct StoredConnector {
    id: String,
    name: String,
    category: String,
    description: String,
    server_url: String,
    server_variables: Vec<ServerVariable>,
    auth_schemes: Vec<AuthScheme>,
    resources: Vec<Resource>,
    actions: Vec<StoredAction>,
    error_convention: Option<ErrorConvention>,
    verify_action: Option<String>,
    extra_credential_fields: Vec<CredentialField>,
    source: String,
}

#[derive(Serialize, Deserialize)]
struct StoredAction {
    id: String,
    name: String,
    description: String,
    method: String,
    path: String,
    resource: String,
    parameters: Vec<StoredParameter>,
    body: Option<StoredBody>,
    list_path: Option<String>,
    pagination: Option<Pagination>,
    security: Option<Vec<String>>,
    deprecated: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredParameter {
    name: String,
    location: ParameterLocation,
    required: bool,
    description: Option<String>,
    type_name: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredBody {
    content_type: String,
    encoding: BodyEncoding,
    required: bool,
    fields: Vec<StoredParameter>,
}

/// The compressed stored form of a summary connector.
pub fn encode(connector: &Connector) -> Vec<u8> {
    let stored = StoredConnector {
        id: connector.id.clone(),
        name: connector.name.clone(),
        category: connector.category.clone(),
        description: connector.description.clone(),
        server_url: connector.server_url.clone(),
        server_variables: connector.server_variables.clone(),
        auth_schemes: connector.auth_schemes.clone(),
        resources: connector.resources.clone(),
        actions: connector.actions.iter().map(stored_action).collect(),
        error_convention: connector.error_convention.clone(),
        verify_action: connector.verify_action.clone(),
        extra_credential_fields: connector.extra_credential_fields.clone(),
        source: connector.source.clone(),
    };
    // Plain data with string keys: serialising cannot fail.
    let json = serde_json::to_vec(&stored).unwrap_or_default();
    lz4_flex::compress_prepend_size(&json)
}

/// A summary connector read back from [`encode`]'s bytes.
pub fn decode(bytes: &[u8]) -> Result<Connector, SummaryError> {
    let json =
        lz4_flex::decompress_size_prepended(bytes).map_err(|e| SummaryError(e.to_string()))?;
    let s: StoredConnector =
        serde_json::from_slice(&json).map_err(|e| SummaryError(e.to_string()))?;
    let actions: Vec<Action> = s
        .actions
        .into_iter()
        .map(action)
        .collect::<Result<_, _>>()?;
    let action_index: HashMap<String, usize> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.clone(), i))
        .collect();
    Ok(Connector {
        id: s.id,
        name: s.name,
        category: s.category,
        description: s.description,
        server_url: s.server_url,
        server_variables: s.server_variables,
        auth_schemes: s.auth_schemes,
        resources: s.resources,
        actions,
        error_convention: s.error_convention,
        verify_action: s.verify_action,
        extra_credential_fields: s.extra_credential_fields,
        source: s.source,
        action_index,
    })
}

/// `bytes` (from [`encode`]) with the connector ID changed: an import renames a document
/// whose ID another one took first.
pub fn with_id(bytes: &[u8], id: &str) -> Result<Vec<u8>, SummaryError> {
    let mut connector = decode(bytes)?;
    connector.id = id.to_owned();
    Ok(encode(&connector))
}

fn stored_action(a: &Action) -> StoredAction {
    StoredAction {
        id: a.id.clone(),
        name: a.name.clone(),
        description: a.description.clone(),
        method: a.method.as_str().to_owned(),
        path: a.path.clone(),
        resource: a.resource.clone(),
        parameters: a.parameters.iter().map(stored_parameter).collect(),
        body: a.request_body.as_ref().map(|b| StoredBody {
            content_type: b.content_type.clone(),
            encoding: b.encoding,
            required: b.required,
            fields: b.fields.iter().map(stored_parameter).collect(),
        }),
        list_path: a.list_path.clone(),
        pagination: a.pagination.clone(),
        security: a.security.clone(),
        deprecated: a.deprecated,
    }
}

fn stored_parameter(p: &Parameter) -> StoredParameter {
    StoredParameter {
        name: p.name.clone(),
        location: p.location,
        required: p.required,
        // Kept short: summaries hold only what search and listings show.
        description: None,
        type_name: p.type_name.map(str::to_owned),
    }
}

fn action(a: StoredAction) -> Result<Action, SummaryError> {
    Ok(Action {
        method: Method::from_bytes(a.method.as_bytes())
            .map_err(|_| SummaryError(format!("bad method `{}`", a.method)))?,
        id: a.id,
        name: a.name,
        description: a.description,
        path: a.path,
        resource: a.resource,
        parameters: a.parameters.into_iter().map(parameter).collect(),
        request_body: a.body.map(|b| RequestBody {
            content_type: b.content_type,
            encoding: b.encoding,
            required: b.required,
            schema: serde_json::Value::Null,
            fields: b.fields.into_iter().map(parameter).collect(),
            deep_object_fields: Vec::new(),
            compiled: CompiledSchema::default(),
        }),
        list_path: a.list_path,
        pagination: a.pagination,
        security: a.security,
        deprecated: a.deprecated,
    })
}

fn parameter(p: StoredParameter) -> Parameter {
    Parameter {
        name: p.name,
        location: p.location,
        required: p.required,
        description: p.description,
        // Stored type names are the engine's own; anything else reads as no type.
        type_name: p
            .type_name
            .as_deref()
            .and_then(JsonType::parse)
            .map(JsonType::name),
        details: None,
    }
}
