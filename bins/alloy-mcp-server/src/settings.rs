//! Every setting, as a flag of `alloy-mcp-server` and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Settings shared by every command (where the data lives and how it is protected).
#[derive(Debug, Clone, Args)]
pub struct StoreSettings {
    /// Directory of the SQLite database and of generated key files.
    #[arg(long, env = "ALLOY_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`. Default: SQLite
    /// file `alloy.db` in the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Base64 of the 32-byte key that encrypts secrets at rest. Default: generated into
    /// `<data dir>/encryption.key` (mode 0600) on first start. Set it explicitly when several
    /// replicas share one database.
    #[arg(
        long,
        env = "ALLOY_ENCRYPTION_KEY",
        hide_env_values = true,
        global = true
    )]
    pub encryption_key: Option<String>,

    /// Comma-separated base64 keys that still open values sealed before a rotation.
    #[arg(
        long,
        env = "ALLOY_PREVIOUS_ENCRYPTION_KEYS",
        hide_env_values = true,
        global = true,
        value_delimiter = ','
    )]
    pub previous_encryption_keys: Vec<String>,
}

/// Settings of the `serve` command.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Listen address.
    #[arg(long, env = "ALLOY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Base of `url` and `accessUrl` in server responses. Default: `http://` + the bound address.
    #[arg(long, env = "ALLOY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The first API key, created on an empty database instead of a generated one (at least 16
    /// characters of `[A-Za-z0-9_-]`).
    #[arg(long, env = "ALLOY_BOOTSTRAP_API_KEY", hide_env_values = true)]
    pub bootstrap_api_key: Option<String>,

    /// HS256 secret for user tokens. Default: generated into `<data dir>/jwt.secret`.
    #[arg(long, env = "ALLOY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Requests per minute per API key, user token, server access token or (unauthenticated)
    /// client address.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,

    /// Redis URL for rate-limit buckets shared by several replicas. Default: in memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Put before every rate-limit key in Redis, so that several deployments (or test runs)
    /// can share one Redis without sharing budgets.
    #[arg(long, env = "ALLOY_REDIS_KEY_PREFIX", default_value = alloy_ratelimit::DEFAULT_KEY_PREFIX)]
    pub redis_key_prefix: String,

    /// Milliseconds Redis has to accept a connection, and again to answer one rate-limit
    /// check; a request waits at most twice this before it is answered from per-replica
    /// buckets (and the replica treats Redis as down until a probe a second later succeeds).
    #[arg(long, env = "ALLOY_REDIS_TIMEOUT_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub redis_timeout_ms: u64,

    /// Comma-separated `Origin` values accepted on the MCP endpoint.
    #[arg(long, env = "ALLOY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Comma-separated proxy addresses or networks (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`) whose
    /// `X-Forwarded-For` is trusted.
    #[arg(long, env = "ALLOY_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: NetworkList,

    /// Comma-separated networks (`127.0.0.0/8`, `10.1.0.0/16`, `fd00::/8`) that connectors may
    /// call although they are private, loopback or link-local; every other such address is
    /// refused, whatever a connector's server URL or a credential says.
    #[arg(long, env = "ALLOY_UPSTREAM_ALLOW", default_value = "")]
    pub upstream_allow: NetworkList,

    /// A PEM file of certificate authorities the gateway's outgoing HTTPS trusts besides the
    /// system's (platform APIs and token endpoints, client metadata documents, the single
    /// sign-on provider): a company's internal CA.
    #[arg(long, env = "ALLOY_EXTRA_CA_CERTS")]
    pub extra_ca_certs: Option<PathBuf>,

    /// OpenAPI documents, or folders of them, to load as extra connectors; a path list like
    /// `PATH` (`:`-separated on Unix). The flag may be repeated.
    #[arg(long, env = "ALLOY_CONNECTORS_PATH")]
    pub connectors_path: Vec<String>,

    /// Comma-separated `connectorId=baseUrl` overrides (GitHub Enterprise, Jira Data Center).
    #[arg(long, env = "ALLOY_CONNECTOR_BASE_URLS", value_delimiter = ',')]
    pub connector_base_urls: Vec<String>,

    /// Seconds in-flight requests get to finish at shutdown.
    #[arg(long, env = "ALLOY_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Milliseconds a client has to send its request headers before the connection is closed.
    #[arg(long, env = "ALLOY_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,

    /// Milliseconds a connection may stay open with no request in flight before it is closed
    /// gracefully (HTTP/2 `GOAWAY`; an idle HTTP/1 connection is closed sooner, by the header
    /// read timeout).
    #[arg(long, env = "ALLOY_IDLE_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,

    /// Milliseconds a client has to send its request body (408 after that).
    #[arg(long, env = "ALLOY_BODY_READ_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_ms: u64,

    /// Largest request body accepted, in bytes (413 above it); the reference's 10 MB by default.
    #[arg(long, env = "ALLOY_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_body_bytes: u64,

    /// Seconds a verified API key is trusted before its row is read again. A key revoked by
    /// another replica (or by `keys revoke`) stops working here within this time; 0 reads the
    /// row on every request (still without an argon2 computation).
    #[arg(long, env = "ALLOY_KEY_RECHECK_SECS", default_value_t = 5)]
    pub key_recheck_secs: u64,

    /// Lifetime in seconds of a user token when `POST /api/users/:userId/token` names none.
    #[arg(long, env = "ALLOY_USER_TOKEN_TTL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(60..=2_592_000))]
    pub user_token_ttl_secs: u64,

    /// Lifetime in seconds of an MCP session (revisions 2025-*) from its `initialize`; after it
    /// the session answers 404 and the client initializes again. Expired and ended sessions are
    /// deleted as new ones open.
    #[arg(long, env = "ALLOY_MCP_SESSION_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(60..=30 * 86_400))]
    pub mcp_session_ttl_secs: u64,

    /// Lifetime in seconds of an admin-console sign-in (shorter when the API key or user token
    /// that signed in expires sooner). Expired sessions are deleted hourly.
    #[arg(long, env = "ALLOY_CONSOLE_SESSION_TTL_SECS", default_value_t = 28_800, value_parser = clap::value_parser!(u64).range(60..=7 * 86_400))]
    pub console_session_ttl_secs: u64,

    /// Lifetime in seconds of the access tokens MCP clients get by signing in through the
    /// gateway (OAuth); they refresh with rotated refresh tokens (30 days).
    #[arg(long, env = "ALLOY_OAUTH_ACCESS_TOKEN_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub oauth_access_token_ttl_secs: u64,

    /// Whether MCP clients may register themselves with the gateway's authorization server
    /// (RFC 7591 dynamic client registration).
    #[arg(long, env = "ALLOY_OAUTH_DYNAMIC_REGISTRATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub oauth_dynamic_registration: bool,

    /// Whether MCP clients may use an HTTPS URL of their metadata document as client ID
    /// (OAuth Client ID Metadata Documents), fetched by the gateway through the upstream
    /// address guard.
    #[arg(long, env = "ALLOY_OAUTH_CLIENT_METADATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub oauth_client_metadata: bool,

    /// Whether such client IDs may be plain `http` URLs (tests and local development only).
    #[arg(long, env = "ALLOY_OAUTH_CLIENT_METADATA_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub oauth_client_metadata_http: bool,

    /// Milliseconds a server or MCP session read from the database is used from memory
    /// before it is read again (0: read on every request). Changes made through the API apply
    /// at once on every replica sharing PostgreSQL (announced with NOTIFY); this bounds how late
    /// a change is noticed when an announcement is lost, or made by another process on SQLite.
    #[arg(long, env = "ALLOY_CACHE_FRESH_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(0..=5000))]
    pub cache_fresh_ms: u64,

    /// Record the audit trail (tool calls, refusals, management writes) in the database.
    #[arg(long, env = "ALLOY_AUDIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub audit: bool,

    /// Days audit events are kept; older ones are deleted in the background.
    #[arg(long, env = "ALLOY_AUDIT_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub audit_retention_days: u32,

    /// Whose tool-call arguments the audit trail records (values of secret-looking keys
    /// redacted): `off`, `all`, or a comma-separated list of server IDs.
    #[arg(long, env = "ALLOY_AUDIT_ARGUMENTS", default_value = "off")]
    pub audit_arguments: String,

    /// Audit events waiting to be written at most; beyond that new ones are dropped and
    /// counted (`alloy_audit_events_dropped_total`) so that requests never wait.
    #[arg(long, env = "ALLOY_AUDIT_BUFFER", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub audit_buffer: u64,

    /// Seconds between two retention sweeps of the audit trail.
    #[arg(long, env = "ALLOY_AUDIT_SWEEP_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_sweep_secs: u64,

    /// Bearer token a Prometheus scrape of `/metrics` must send. Default: none (anyone who
    /// reaches the listener may scrape).
    #[arg(long, env = "ALLOY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Serve `/metrics` on this address instead of the main listener (which then answers 404
    /// there), e.g. `0.0.0.0:9090` on a network only Prometheus reaches.
    #[arg(long, env = "ALLOY_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Single sign-on on the MCP sign-in page (`ALLOY_OIDC_*`).
    #[command(flatten)]
    pub single_sign_on: crate::single_sign_on::SingleSignOnArgs,
}

/// Logging settings.
#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `alloy=debug,info`.
    #[arg(long, env = "ALLOY_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log format: `text` or `json`.
    #[arg(long, env = "ALLOY_LOG_FORMAT", default_value = "text", global = true, value_parser = ["text", "json"])]
    pub log_format: String,
}

impl StoreSettings {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("alloy.db").display()
            )
        })
    }

    /// Whether the database is the embedded SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

/// A comma-separated list of IP networks; empty items are skipped, so that an empty value
/// (`ALLOY_UPSTREAM_ALLOW=` from a template) means "none" instead of stopping start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkList(pub Vec<alloy_http::IpNetwork>);

impl std::str::FromStr for NetworkList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(NetworkList)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_lists_skip_empty_items() {
        assert_eq!("".parse::<NetworkList>().unwrap(), NetworkList::default());
        assert_eq!(
            " , ".parse::<NetworkList>().unwrap(),
            NetworkList::default()
        );
        let two: NetworkList = "127.0.0.0/8, ::1".parse().unwrap();
        assert_eq!(two.0.len(), 2);
        assert!("10.0.0.0/8,nonsense".parse::<NetworkList>().is_err());
    }
}
