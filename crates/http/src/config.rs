//! Settings of the HTTP front end.

use alloy_domain::ip_network::IpNetwork;
use std::time::Duration;

/// Limits and trust settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted (the reference's 10 MB).
    pub max_body_bytes: usize,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Time a connection may stay open with no request in flight (HTTP/2 mostly: hyper's
    /// header read timeout already closes an idle HTTP/1 keep-alive connection).
    pub idle_timeout: Duration,
    /// Time a client has to send its request body.
    pub body_read_timeout: Duration,
    /// Time in-flight requests get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNetwork>,
    /// `Origin` values accepted on the MCP endpoint besides the public URL's own origin
    /// (requests without `Origin` always pass).
    pub allowed_origins: Vec<String>,
    /// Base URL clients reach the server at (`ALLOY_PUBLIC_URL`); its origin is always
    /// accepted and its host is an accepted `Host`.
    pub public_url: Option<String>,
    /// Whether the listener is bound to a loopback address: then `Host` must name a loopback
    /// host (or the public URL's host), which defeats DNS rebinding.
    pub bound_to_loopback: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 10 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
            allowed_origins: Vec::new(),
            public_url: None,
            bound_to_loopback: true,
        }
    }
}
