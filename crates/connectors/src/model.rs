//! What a loaded connector is: its server, authentication schemes, resources and actions.
//!
//! Every type here serializes (camelCase) to the shape the MCP tools show to agents.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::schema::{CompiledSchema, Schema};

/// A SaaS platform the gateway can act on, loaded from one OpenAPI document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    /// Connector ID (`info.x-alloy-id`), e.g. `slack`.
    pub id: String,
    /// Display name (`info.title`).
    pub name: String,
    /// Category (`info.x-alloy-category`), `other` when the document names none.
    pub category: String,
    /// Description (`info.description`).
    pub description: String,
    /// `servers[0].url`, possibly templated (`https://{site}.atlassian.net`).
    pub server_url: String,
    /// The template variables of `server_url`; their values come from the credential.
    pub server_variables: Vec<ServerVariable>,
    /// `components.securitySchemes` that the document's root `security` lists (all of them when
    /// it lists none), in that order.
    pub auth_schemes: Vec<AuthScheme>,
    /// Resources (operation tags), in document order.
    pub resources: Vec<Resource>,
    /// Actions (operations), in document order.
    pub actions: Vec<Action>,
    /// How the platform reports errors inside 2xx bodies (`info.x-alloy-error`).
    pub error_convention: Option<ErrorConvention>,
    /// Action used to check a new credential (`info.x-alloy-verify`).
    pub verify_action: Option<String>,
    /// Further credential fields the document asks for (`info.x-alloy-credential-fields`), e.g.
    /// Twilio's `AccountSid` that fills a path parameter.
    #[serde(skip)]
    pub extra_credential_fields: Vec<crate::credential::CredentialField>,
    /// Where the document came from (file path, or `builtin:<file>`).
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub(crate) action_index: HashMap<String, usize>,
}

impl Connector {
    /// The action with this ID.
    pub fn action(&self, action_id: &str) -> Option<&Action> {
        // The index is built at load time; `actions` is public, so fall back to a scan should a
        // caller have changed the list since.
        self.action_index
            .get(action_id)
            .and_then(|&i| self.actions.get(i))
            .filter(|a| a.id == action_id)
            .or_else(|| self.actions.iter().find(|a| a.id == action_id))
    }

    /// The actions of one resource, in document order.
    pub fn resource_actions<'a>(&'a self, resource: &'a str) -> impl Iterator<Item = &'a Action> {
        self.actions.iter().filter(move |a| a.resource == resource)
    }

    /// The authentication types this connector accepts, without repeats.
    pub fn auth_types(&self) -> Vec<AuthType> {
        let mut types = Vec::new();
        for scheme in &self.auth_schemes {
            let t = scheme.auth_type();
            if !types.contains(&t) {
                types.push(t);
            }
        }
        types
    }
}

/// A variable of a templated server URL.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerVariable {
    /// The name between braces, e.g. `site`; also the credential field that supplies it.
    pub name: String,
    /// Used when the credential has no such field.
    pub default: Option<String>,
    /// Allowed values, when the document restricts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    /// What the value is (e.g. "Your Atlassian site name").
    pub description: Option<String>,
}

/// The four kinds of credential material the executor can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, Serialize)]
pub enum AuthType {
    /// OAuth 2.0 access token (`accessToken`).
    #[serde(rename = "oauth2")]
    OAuth2,
    /// API key (`apiKey`) in a header, query parameter or cookie.
    #[serde(rename = "apiKey")]
    ApiKey,
    /// Static bearer token (`token`).
    #[serde(rename = "bearer")]
    Bearer,
    /// HTTP basic (`username`, `password`).
    #[serde(rename = "basic")]
    Basic,
}

impl AuthType {
    /// The wire name: `oauth2`, `apiKey`, `bearer` or `basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::OAuth2 => "oauth2",
            AuthType::ApiKey => "apiKey",
            AuthType::Bearer => "bearer",
            AuthType::Basic => "basic",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "oauth2" => Ok(AuthType::OAuth2),
            "apiKey" => Ok(AuthType::ApiKey),
            "bearer" => Ok(AuthType::Bearer),
            "basic" => Ok(AuthType::Basic),
            other => Err(format!(
                "unknown authentication type `{other}` (expected oauth2, apiKey, bearer or basic)"
            )),
        }
    }
}

/// One entry of `components.securitySchemes`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthScheme {
    /// The scheme's key in `components.securitySchemes`.
    pub name: String,
    /// The scheme's `description`.
    pub description: Option<String>,
    /// What the scheme is and how its material is sent.
    #[serde(flatten)]
    pub kind: AuthSchemeKind,
}

impl AuthScheme {
    /// The credential type that satisfies this scheme.
    pub fn auth_type(&self) -> AuthType {
        match self.kind {
            AuthSchemeKind::OAuth2 { .. } => AuthType::OAuth2,
            AuthSchemeKind::ApiKey { .. } => AuthType::ApiKey,
            AuthSchemeKind::Bearer { .. } => AuthType::Bearer,
            AuthSchemeKind::Basic => AuthType::Basic,
        }
    }
}

/// The kinds of security scheme the engine understands.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AuthSchemeKind {
    /// OAuth 2.0 authorization-code flow; the token is sent as `Authorization: <prefix><token>`.
    #[serde(rename = "oauth2", rename_all = "camelCase")]
    OAuth2 {
        /// Where the user is sent to consent.
        authorization_url: Option<String>,
        /// Where the code is exchanged for tokens.
        token_url: Option<String>,
        /// Where tokens are refreshed (the token URL when absent).
        refresh_url: Option<String>,
        /// Scopes the document lists for the flow.
        scopes: Vec<OAuthScope>,
        /// Prepended to the token (`x-alloy-prefix`; default `Bearer `, or nothing when the
        /// token goes in its own header).
        prefix: String,
        /// The header that carries the token instead of `Authorization`
        /// (`x-alloy-token-header`, e.g. Shopify's `X-Shopify-Access-Token`).
        token_header: Option<String>,
    },
    /// A key sent in a header, query parameter or cookie.
    #[serde(rename = "apiKey", rename_all = "camelCase")]
    ApiKey {
        /// Where the key goes.
        location: ApiKeyLocation,
        /// The header, query parameter or cookie name.
        param_name: String,
        /// Prepended to the key (`x-alloy-prefix`, e.g. Discord's `Bot `); empty by default.
        prefix: String,
    },
    /// HTTP bearer token: `Authorization: <prefix><token>`.
    #[serde(rename = "bearer", rename_all = "camelCase")]
    Bearer {
        /// Prepended to the token (`x-alloy-prefix`, default `Bearer `).
        prefix: String,
    },
    /// HTTP basic: `Authorization: Basic base64(username:password)`.
    #[serde(rename = "basic")]
    Basic,
}

/// An OAuth scope and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OAuthScope {
    /// The scope string, e.g. `channels:read`.
    pub name: String,
    /// The document's description of it.
    pub description: String,
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// A group of actions (an OpenAPI tag).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// The tag name.
    pub name: String,
    /// The tag's description from the document's `tags` list.
    pub description: Option<String>,
    /// IDs of the actions in this resource, in document order.
    pub actions: Vec<String>,
}

/// One operation of the platform's API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// `operationId`.
    pub id: String,
    /// `summary` (the ID when there is none).
    pub name: String,
    /// `description` (the summary when there is none).
    pub description: String,
    /// HTTP method.
    #[serde(serialize_with = "serialize_method")]
    pub method: Method,
    /// Path template relative to the server URL, e.g. `/repos/{owner}/{repo}/issues`.
    pub path: String,
    /// `tags[0]`, or `default`.
    pub resource: String,
    /// Path, query, header and cookie parameters (path-level ones merged in).
    pub parameters: Vec<Parameter>,
    /// The request body, when the operation takes one.
    pub request_body: Option<RequestBody>,
    /// Dotted path of the main list in the response (`x-alloy-list-path`; `$` = the body).
    pub list_path: Option<String>,
    /// How the platform pages this list (`x-alloy-pagination`).
    pub pagination: Option<Pagination>,
    /// Operation-level `security` scheme names; `Some([])` means the operation needs no auth.
    #[serde(skip)]
    pub security: Option<Vec<String>>,
    /// The operation is marked deprecated.
    pub deprecated: bool,
}

impl Action {
    /// Every input of the action, including the top-level properties of the request body.
    pub fn inputs(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters
            .iter()
            .chain(self.request_body.iter().flat_map(|b| b.fields.iter()))
    }

    /// The parameter (path, query, header or cookie) named `name`.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Whether the action only reads (GET or HEAD).
    pub fn is_read_only(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }
}

fn serialize_method<S: Serializer>(method: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(method.as_str())
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterLocation {
    /// Substituted into the path template (percent-encoded).
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
    /// A top-level property of the request body.
    Body,
}

/// One input of an action.
///
/// Imported connectors hold tens of thousands of actions as summaries, so what only the
/// details need (allowed values, default, example, schema) sits behind one pointer that a
/// summary leaves empty.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// The name callers use in `parameters`.
    pub name: String,
    /// Where it is sent.
    #[serde(rename = "in")]
    pub location: ParameterLocation,
    /// Whether the action needs it.
    pub required: bool,
    /// The document's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The main type (`string`, `integer`, …), when the schema names one.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<&'static str>,
    #[serde(flatten)]
    pub(crate) details: Option<Box<ParameterDetails>>,
}

/// What a parameter's full definition adds to its summary.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ParameterDetails {
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub(crate) enum_values: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) default: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) example: Option<Value>,
    pub(crate) schema: Value,
    #[serde(skip)]
    pub(crate) compiled: Schema,
}

impl Parameter {
    /// Allowed values, when the document restricts them.
    pub fn enum_values(&self) -> Option<&[Value]> {
        self.details.as_ref()?.enum_values.as_deref()
    }

    /// Value the platform assumes when the parameter is absent.
    pub fn default_value(&self) -> Option<&Value> {
        self.details.as_ref()?.default.as_ref()
    }

    /// An example value from the document.
    pub fn example(&self) -> Option<&Value> {
        self.details.as_ref()?.example.as_ref()
    }

    /// The full (ref-resolved) JSON Schema; `null` in a summary.
    pub fn schema(&self) -> &Value {
        self.details.as_ref().map_or(&Value::Null, |d| &d.schema)
    }

    /// The compiled schema; accepts anything in a summary.
    pub(crate) fn compiled(&self) -> &Schema {
        self.details
            .as_ref()
            .map_or(&crate::schema::ANY, |d| &d.compiled)
    }
}

/// The request body an action takes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestBody {
    /// The media type sent, e.g. `application/json`.
    pub content_type: String,
    /// How the body is encoded.
    pub encoding: BodyEncoding,
    /// Whether the operation requires a body.
    pub required: bool,
    /// The body's (ref-resolved) schema.
    pub schema: Value,
    /// The body schema's top-level properties, as parameters callers pass at the top level.
    pub fields: Vec<Parameter>,
    /// Form fields whose media-type `encoding` says `style: deepObject` (arrays as `k[0]=v`).
    #[serde(skip)]
    pub(crate) deep_object_fields: Vec<String>,
    #[serde(skip)]
    pub(crate) compiled: CompiledSchema,
}

/// How a request body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BodyEncoding {
    /// `application/json` (and `+json` types).
    Json,
    /// `application/x-www-form-urlencoded`; nested values Stripe-style (`metadata[key]=v`).
    Form,
    /// Any other media type: a string `body` is sent as is, anything else as JSON text.
    Raw,
}

/// How a list action pages (`x-alloy-pagination`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "style", rename_all = "kebab-case")]
pub enum Pagination {
    /// The response carries an opaque cursor that the next request passes back.
    #[serde(rename_all = "camelCase")]
    Cursor {
        /// Request parameter taking the cursor.
        cursor_param: String,
        /// Dotted path of the next cursor in the response (`-1` indexes the last list item).
        next_cursor_path: String,
        /// Dotted path of a "more pages exist" boolean, when the platform has one.
        has_more_path: Option<String>,
        /// Request parameter for the page size.
        limit_param: Option<String>,
    },
    /// `offset` + `limit`.
    #[serde(rename_all = "camelCase")]
    Offset {
        /// Request parameter taking the offset.
        offset_param: String,
        /// Request parameter for the page size.
        limit_param: Option<String>,
        /// Dotted path of a "more pages exist" boolean, when the platform has one.
        has_more_path: Option<String>,
    },
    /// Page numbers.
    #[serde(rename_all = "camelCase")]
    Page {
        /// Request parameter taking the page number.
        page_param: String,
        /// Request parameter for the page size.
        limit_param: Option<String>,
        /// Dotted path of a "more pages exist" boolean, when the platform has one.
        has_more_path: Option<String>,
    },
    /// RFC 8288 `Link: <…>; rel="next"` headers (GitHub).
    #[serde(rename_all = "camelCase")]
    LinkHeader {
        /// Request parameter for the page size.
        limit_param: Option<String>,
    },
    /// The answer carries the next page's URL (absolute or a path), whose query parameters the
    /// next request passes back (Twilio's `next_page_uri`, SendGrid's `_metadata.next`,
    /// Salesforce's `nextRecordsUrl`).
    #[serde(rename_all = "camelCase")]
    NextUrl {
        /// Dotted path of the next page's URL in the response.
        next_url_path: String,
        /// Request parameter for the page size.
        limit_param: Option<String>,
    },
}

/// How a platform reports failure inside a 2xx body (`x-alloy-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorConvention {
    /// Dotted path of the boolean success flag (Slack: `ok`); `false` means failure.
    pub ok_field: String,
    /// Dotted path of the error message (Slack: `error`).
    pub error_field: String,
    /// Error values meaning the credential was rejected (Slack: `invalid_auth`, …); they map to
    /// `CREDENTIAL_INVALID` and count as an upstream 401.
    pub auth_errors: Vec<String>,
}
