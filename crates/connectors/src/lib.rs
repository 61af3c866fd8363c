//! The connector engine of alloy-mcp-server: OpenAPI documents become connectors whose actions
//! the gateway lists, validates and executes against the SaaS platforms' HTTP APIs.
//!
//! - [`Registry`] holds the built-in catalog (compiled in) plus operators' documents.
//! - [`Connector`] / [`Action`] describe a platform and its operations; [`Action::validate_parameters`]
//!   checks a call's parameters before anything is sent.
//! - [`Executor`] sends the request with the user's [`CredentialMaterial`], with timeouts,
//!   retries, redirect and size limits, and maps upstream failures to [`Error`]s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "test-util")]
pub mod openapi_directory;
#[cfg(feature = "test-util")]
pub mod testing;

pub mod catalog;
mod credential;
mod error;
mod executor;
mod model;
pub mod openapi;
pub mod pagination;
mod parallel;
mod registry;
mod request;
mod schema;
mod validation;

pub use credential::{AuthTypeMetadata, CredentialField, CredentialMaterial, OAuthMetadata};
pub use error::{Error, LoadError, ParameterError};
pub use executor::{
    ActionResponse, AddressPolicy, BLOCKED_NETWORKS, ExecuteOptions, Executor, ExecutorConfig,
    ExtraRoots, HeaderDecorator, RefusedAddress, parse_base_url_overrides,
};
pub use model::{
    Action, ApiKeyLocation, AuthScheme, AuthSchemeKind, AuthType, BodyEncoding, Connector,
    ErrorConvention, OAuthScope, Pagination, Parameter, ParameterLocation, RequestBody, Resource,
    ServerVariable,
};
pub use registry::{DetailStore, LoadReport, Registry, split_connector_paths};
