//! End-to-end tests: the real server (the same start-up code as the binary) on an ephemeral
//! loopback port with a real database, driven over HTTP.

mod console_api;
mod contract;
mod support;

mod credentials;
mod management;
mod mcp;
mod mcp_consent;
mod mcp_sign_in;
mod mcp_sso;
mod oauth;

mod auth;
mod binary;
mod console;
mod error_shapes;
mod first_hour;
mod headers;
mod idle_connections;
mod isolation;
mod keep_alive;
mod limits_and_routes;
mod operations;
mod persistence;
mod postgres;
mod rate_limits;
mod replicas;
mod tls;
mod upstream_guard;
mod validation;
