//! The HTTP front end of alloy-mcp-server, on raw hyper 1.
//!
//! [`run`] serves a listener until a shutdown future resolves, then stops accepting, lets
//! in-flight requests finish and returns. Routing, authentication extraction, body limits, rate
//! limits and the mapping of every error to an HTTP response live here; what the requests
//! mean lives in `alloy-gateway`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod access_log;
mod account;
mod api_request;
mod audit;
mod authorization;
mod catalog;
mod client_ip;
mod config;
mod connection;
mod console;
mod credentials;
mod health;
mod management;
mod mcp;
mod metrics_endpoint;
mod observe;
mod openapi;
mod rate_limit;
mod rejections;
mod request;
mod request_body;
mod respond;
mod router;
mod server;

pub use alloy_domain::ip_network::IpNetwork;
pub use config::HttpConfig;
pub use metrics_endpoint::{MetricsEndpoint, RenderMetrics, serve_metrics};
pub use openapi::OPENAPI_DOCUMENT;
pub use server::{AppState, TraceParent, run};
