//! Start-up and shutdown of the server: secrets, database, bootstrap key, limiter, listener.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alloy_connectors::{Executor, ExecutorConfig, ExtraRoots, Registry, parse_base_url_overrides};
use alloy_gateway::audit::{ArgumentsPolicy, AuditConfig};
use alloy_gateway::{CatalogSlot, Gateway, GatewayConfig};
use alloy_http::{AppState, HttpConfig};
use alloy_ratelimit::{MemoryRateLimiter, Quota, RateLimiter, RedisOptions, RedisRateLimiter};
use alloy_storage::Database;
use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::failure::{Misconfigured, Unavailable};
use crate::settings::{ServeSettings, StoreSettings};
use crate::{keys, observability, secrets};

/// A server that is accepting connections.
pub struct Running {
    /// The bound address (the real port when the setting asked for port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served when `ALLOY_METRICS_BIND` moved it off the main listener.
    pub metrics_addr: Option<SocketAddr>,
    /// Base of `url` / `accessUrl`.
    pub public_url: String,
    /// The key generated on an empty database, to be printed once. `None` when the database
    /// already had an account, and when the key came from `ALLOY_BOOTSTRAP_API_KEY` (the
    /// operator has it; printing it would only put it in a log).
    pub bootstrap_key: Option<String>,
    gateway: Gateway,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// The application services this server runs on (for administration in the same process,
    /// such as creating or revoking API keys, and for tests).
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Stops accepting, lets in-flight requests finish, closes the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await.context("server task")?
    }

    /// Runs until `signal` resolves, then stops as [`stop`](Self::stop) does.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutdown requested");
        self.stop().await
    }
}

/// Opens the database the settings name (creating the data directory for SQLite). A PostgreSQL
/// server that cannot be reached is an error naming its host, port and the cause.
pub async fn open_database(store: &StoreSettings) -> anyhow::Result<Database> {
    open(store, false).await
}

/// As [`open_database`], but waits for an unreachable PostgreSQL server, saying so (host, port,
/// cause) within 5 seconds and again at every retry, with growing pauses up to 30 s: a server
/// started before its database comes up when the database does.
pub async fn open_database_retrying(store: &StoreSettings) -> anyhow::Result<Database> {
    open(store, true).await
}

/// How long one attempt to reach PostgreSQL may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

async fn open(store: &StoreSettings, retry: bool) -> anyhow::Result<Database> {
    // Before anything is created (the data directory, a key file).
    if let Some(url) = &store.database_url {
        check_database_url(url)?;
    }
    if store.is_sqlite() {
        std::fs::create_dir_all(&store.data_dir).map_err(|e| {
            Misconfigured::new(format!(
                "cannot create the data directory {} (ALLOY_DATA_DIR, --data-dir): {e}",
                store.data_dir.display()
            ))
        })?;
    }
    let url = store.database_url();
    let described = describe_database(&url);
    // The server says where it connects (a wait for an unreachable PostgreSQL is then never
    // silent); one-off commands print only their result.
    if !store.is_sqlite() {
        if retry {
            tracing::info!("connecting to {described}");
        } else {
            tracing::debug!("connecting to {described}");
        }
    }
    let mut pause = Duration::from_secs(1);
    loop {
        match Database::probe(&url, PROBE_TIMEOUT).await {
            Ok(()) => break,
            Err(alloy_storage::Error::Unreachable(cause)) if retry => {
                tracing::warn!(
                    database = %described,
                    %cause,
                    retry_in_secs = pause.as_secs(),
                    "database unreachable; retrying"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
            Err(e) => {
                let message = format!("{described}: {e}");
                return Err(match database_hint(&e.to_string()) {
                    Some(hint) => Unavailable::new(message, hint).into(),
                    None => anyhow::anyhow!(message),
                });
            }
        }
    }
    // Only once the database answers: a refused start leaves no generated key file behind.
    let secret_box = secrets::secret_box(store)?;
    Database::connect(&url, secret_box)
        .await
        .with_context(|| format!("opening {described}"))
}

/// The connector registry (built-in catalog plus `ALLOY_CONNECTORS_PATH`, plus the imported
/// catalog) and the executor (with `ALLOY_CONNECTOR_BASE_URLS` overrides). A broken operator
/// document is logged and skipped; the others load.
pub async fn connectors(
    serve: &ServeSettings,
    db: &Database,
) -> anyhow::Result<(Registry, Executor)> {
    Ok((catalog(serve, db).await?, executor(serve)?))
}

/// The executor that calls the platforms, with `ALLOY_CONNECTOR_BASE_URLS` overrides.
pub fn executor(serve: &ServeSettings) -> anyhow::Result<Executor> {
    let config = ExecutorConfig {
        base_url_overrides: parse_base_url_overrides(&serve.connector_base_urls.join(","))
            .context("ALLOY_CONNECTOR_BASE_URLS")?,
        decorate: Some(crate::observability::upstream_trace_headers()),
        upstream_allow: serve.upstream_allow.0.clone(),
        extra_roots: extra_roots(serve.extra_ca_certs.as_deref())?,
        ..ExecutorConfig::default()
    };
    Executor::new(config).context("building the HTTP executor")
}

/// The certificate authorities of `ALLOY_EXTRA_CA_CERTS`, if set.
fn extra_roots(path: Option<&Path>) -> anyhow::Result<ExtraRoots> {
    let Some(path) = path else {
        return Ok(ExtraRoots::default());
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("reading ALLOY_EXTRA_CA_CERTS ({})", path.display()))?;
    let roots = ExtraRoots::from_pem(&pem)
        .with_context(|| format!("ALLOY_EXTRA_CA_CERTS ({})", path.display()))?;
    tracing::info!(path = %path.display(), certificates = roots.len(), "trusting extra certificate authorities");
    Ok(roots)
}

/// How often loading many `ALLOY_CONNECTORS_PATH` documents logs its progress.
const PROGRESS_EVERY: usize = 250;

/// The whole catalog: the built-in connectors, the documents of `ALLOY_CONNECTORS_PATH` (with
/// progress in the log for long loads), the imported catalog, and the search index over all.
pub async fn catalog(serve: &ServeSettings, db: &Database) -> anyhow::Result<Registry> {
    let builtin = Registry::builtin().context("the built-in connector catalog")?;
    catalog_onto(Arc::new(builtin), serve, db).await
}

/// As [`catalog`], over the built-in catalog already parsed (`builtin`).
async fn catalog_onto(
    builtin: Arc<Registry>,
    serve: &ServeSettings,
    db: &Database,
) -> anyhow::Result<Registry> {
    let paths: Vec<PathBuf> = serve
        .connectors_path
        .iter()
        .flat_map(|list| alloy_connectors::split_connector_paths(list))
        .collect();
    let started = std::time::Instant::now();
    if !paths.is_empty() {
        tracing::info!(paths = ?paths, "loading ALLOY_CONNECTORS_PATH documents");
    }
    let (mut registry, report) = tokio::task::spawn_blocking(move || {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let progress = |_: &alloy_connectors::catalog::import::DocumentFile, total: usize| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n.is_multiple_of(PROGRESS_EVERY) {
                tracing::info!(loaded = n, total, "loading connector documents");
            }
        };
        Registry::load_onto(&builtin, &paths, &progress)
    })
    .await
    .context("loading connector documents")?;
    for e in &report.errors {
        tracing::error!(error = %e, "connector document not loaded");
    }
    for (source, warning) in &report.warnings {
        tracing::debug!(%source, %warning, "connector document loaded with a warning");
    }
    crate::catalog::load_stored(db, &mut registry).await?;
    // The search index is built now, not by the first agent that searches.
    let registry = tokio::task::spawn_blocking(move || {
        registry.index();
        registry
    })
    .await
    .context("indexing the catalog")?;
    tracing::info!(
        connectors = registry.len(),
        actions = registry.index().action_count(),
        warnings = report.warnings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "connector catalog loaded"
    );
    Ok(registry)
}

/// The rate limiter: Redis buckets shared by every replica when `REDIS_URL` is set (under
/// `ALLOY_REDIS_KEY_PREFIX`, waiting `ALLOY_REDIS_TIMEOUT_MS`), in-memory buckets otherwise.
/// A Redis that is down is not an error (the limiter falls back to per-replica buckets and
/// logs it); a malformed URL is.
pub async fn limiter(serve: &ServeSettings) -> anyhow::Result<Arc<dyn RateLimiter>> {
    let quota = Quota::new(serve.rate_limit_per_minute);
    Ok(match serve.redis_url.as_deref() {
        Some(url) => {
            let options = RedisOptions {
                key_prefix: serve.redis_key_prefix.clone(),
                connection_timeout: Duration::from_millis(serve.redis_timeout_ms),
                response_timeout: Duration::from_millis(serve.redis_timeout_ms),
                ..RedisOptions::default()
            };
            let redis = RedisRateLimiter::connect(url, quota, options)
                .await
                .context("REDIS_URL")?;
            Arc::new(redis)
        }
        None => Arc::new(MemoryRateLimiter::new(quota)),
    })
}

/// The audit trail's settings.
pub fn audit_config(serve: &ServeSettings) -> AuditConfig {
    AuditConfig {
        enabled: serve.audit,
        buffer: usize::try_from(serve.audit_buffer).unwrap_or(usize::MAX),
        arguments: ArgumentsPolicy::parse(&serve.audit_arguments),
        retention: Duration::from_secs(u64::from(serve.audit_retention_days) * 86_400),
        sweep_interval: Duration::from_secs(serve.audit_sweep_secs),
    }
}

/// The database URL as it may be logged: scheme, host, port and database or file, never a
/// user name or password.
pub fn describe_database(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.scheme().starts_with("postgres") => format!(
            "PostgreSQL at {}:{}{}",
            u.host_str().unwrap_or("localhost"),
            u.port().unwrap_or(5432),
            u.path()
        ),
        Ok(u) if u.scheme() == "sqlite" => {
            format!("SQLite file {}", sqlite_path(url).unwrap_or_default())
        }
        _ => "an unparsable DATABASE_URL".to_owned(),
    }
}

/// The file of a `sqlite://path?…` URL (`None` for another scheme).
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    rest.split('?').next()
}

/// A DATABASE_URL that cannot work, refused before connecting: an unknown scheme, or a SQLite
/// file in a folder that does not exist (SQLite would only say "unable to open database file").
fn check_database_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Ok(());
    }
    let Some(path) = sqlite_path(url) else {
        return Err(Misconfigured::new(
            "DATABASE_URL (--database-url) must start with sqlite:// or postgres://",
        )
        .hint(
            "e.g. postgres://user@host:5432/db, or leave it unset for SQLite in the data directory",
        )
        .into());
    };
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let folder = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(folder) = folder
        && !folder.is_dir()
    {
        return Err(Misconfigured::new(format!(
            "the folder of the SQLite database {path} does not exist (DATABASE_URL)"
        ))
        .hint(format!(
            "create {} first, or leave DATABASE_URL unset to keep the database in the data directory",
            folder.display()
        ))
        .into());
    }
    Ok(())
}

/// What to do about PostgreSQL's usual refusals.
fn database_hint(cause: &str) -> Option<&'static str> {
    if cause.contains("connection refused") {
        Some("start PostgreSQL, or correct the host and port in DATABASE_URL")
    } else if cause.contains("role") && cause.contains("does not exist") {
        Some("create the role (createuser), or correct the user in DATABASE_URL")
    } else if cause.contains("password authentication failed") {
        Some("correct the password in DATABASE_URL")
    } else if cause.contains("database") && cause.contains("does not exist") {
        Some("create the database (createdb), or correct its name in DATABASE_URL")
    } else if cause.contains("no answer within") {
        Some("check that the host is reachable from here (a firewall?) and DATABASE_URL's port")
    } else {
        None
    }
}

/// Refuses a bootstrap key that API keys' rule would refuse, naming the rule (never the value:
/// it is a secret).
pub fn check_bootstrap_key(key: Option<&str>) -> anyhow::Result<()> {
    use alloy_domain::ids::{API_KEY_MIN_LEN, is_api_key_format};
    let Some(key) = key else { return Ok(()) };
    if is_api_key_format(key) {
        return Ok(());
    }
    let length = key.chars().count();
    let why = if length < API_KEY_MIN_LEN {
        format!("it has {length}")
    } else {
        "it holds other characters".to_owned()
    };
    Err(Misconfigured::new(format!(
        "ALLOY_BOOTSTRAP_API_KEY (--bootstrap-api-key) must be at least {API_KEY_MIN_LEN} \
         characters of letters, digits, '_' and '-'; {why}"
    ))
    .hint("leave it unset to have a key generated and printed once at the first start")
    .into())
}

/// One line saying what this server runs on.
fn log_setup(
    store: &StoreSettings,
    serve: &ServeSettings,
    gateway: &Gateway,
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
) {
    let metrics = match (metrics_addr, &serve.metrics_token) {
        (Some(m), _) => format!("http://{m}/metrics"),
        (None, Some(_)) => format!("http://{addr}/metrics (bearer token required)"),
        (None, None) => format!("http://{addr}/metrics"),
    };
    let audit = &gateway.config().audit;
    tracing::info!(
        database = %describe_database(&store.database_url()),
        rate_limits = if serve.redis_url.is_some() { "Redis (shared by replicas)" } else { "in memory (this replica)" },
        catalog = %if !serve.connectors_path.is_empty() { "built-in + ALLOY_CONNECTORS_PATH + imported" } else { "built-in + imported" },
        metrics = %metrics,
        traces = if observability::tracing_requested() { "OTLP export on" } else { "off" },
        audit = %if audit.enabled {
            format!("on, kept {} days", audit.retention.as_secs() / 86_400)
        } else {
            "off".to_owned()
        },
        "configuration"
    );
}

/// Builds the application and starts serving.
pub async fn start(store: StoreSettings, serve: ServeSettings) -> anyhow::Result<Running> {
    check_bootstrap_key(serve.bootstrap_api_key.as_deref())?;
    let single_sign_on = serve.single_sign_on.settings()?;
    if let Some(sso) = &single_sign_on {
        tracing::info!(issuer = %sso.issuer, "single sign-on on the MCP sign-in page");
    }
    let db = open_database_retrying(&store).await?;
    let listener = TcpListener::bind(serve.bind)
        .await
        .with_context(|| format!("listening on {} (ALLOY_BIND, --bind)", serve.bind))?;
    let addr = listener.local_addr()?;
    let public_url = serve
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let jwt_secret = secrets::jwt_secret(serve.jwt_secret.as_deref(), &store.data_dir)?;
    // Requests are served from the start with the built-in catalog; `/readyz` says "loading"
    // until the whole catalog is swapped in below.
    let slot = Arc::new(CatalogSlot::new(
        Registry::builtin().context("the built-in connector catalog")?,
        false,
    ));
    let mut config = GatewayConfig::new(public_url.clone(), jwt_secret);
    config.key_recheck_interval = Duration::from_secs(serve.key_recheck_secs);
    config.user_token_ttl = Duration::from_secs(serve.user_token_ttl_secs);
    config.mcp_session_ttl = Duration::from_secs(serve.mcp_session_ttl_secs);
    config.console_session_ttl = Duration::from_secs(serve.console_session_ttl_secs);
    config.oauth.access_token_ttl = Duration::from_secs(serve.oauth_access_token_ttl_secs);
    config.oauth.dynamic_registration = serve.oauth_dynamic_registration;
    config.oauth.client_metadata_documents = serve.oauth_client_metadata;
    config.oauth.client_metadata_http = serve.oauth_client_metadata_http;
    config.oauth.single_sign_on = single_sign_on;
    config.audit = audit_config(&serve);
    config.cache_fresh_for = Duration::from_millis(serve.cache_fresh_ms);
    let gateway = Gateway::with_catalog(db.clone(), config, Arc::clone(&slot), executor(&serve)?);

    let created = keys::bootstrap(&gateway, serve.bootstrap_api_key.clone())
        .await
        .context("creating the first API key")?;
    let bootstrap_key = match created {
        Some(created) if serve.bootstrap_api_key.is_none() => Some(created.key),
        Some(created) => {
            tracing::info!(
                key_id = %created.record.id,
                "created the first API key (account 'default', user 'default') from ALLOY_BOOTSTRAP_API_KEY"
            );
            None
        }
        None => None,
    };

    let limiter = limiter(&serve).await?;
    let http = HttpConfig {
        trusted_proxies: serve.trusted_proxies.0.clone(),
        allowed_origins: serve.allowed_origins.clone(),
        public_url: Some(public_url.clone()),
        bound_to_loopback: addr.ip().is_loopback(),
        shutdown_grace: Duration::from_secs(serve.shutdown_grace_secs),
        header_read_timeout: Duration::from_millis(serve.header_read_timeout_ms),
        idle_timeout: Duration::from_millis(serve.idle_timeout_ms),
        body_read_timeout: Duration::from_millis(serve.body_read_timeout_ms),
        max_body_bytes: usize::try_from(serve.max_body_bytes).unwrap_or(usize::MAX),
    };
    let mut state = AppState::new(gateway.clone(), Arc::clone(&limiter), http)
        .with_trace_parent(observability::trace_parent());
    let metrics = observability::metrics_endpoint(db.clone(), serve.metrics_token.clone())?;
    let (stop_side_tasks, side_tasks_stopped) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = side_tasks_stopped.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let metrics_addr = match serve.metrics_bind {
        Some(bind) => {
            let metrics_listener = TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding ALLOY_METRICS_BIND {bind}"))?;
            let metrics_addr = metrics_listener.local_addr()?;
            tokio::spawn(alloy_http::serve_metrics(
                metrics_listener,
                metrics,
                stopped(),
            ));
            Some(metrics_addr)
        }
        None => {
            state = state.with_metrics(metrics);
            None
        }
    };
    tokio::spawn(observability::upkeep(stopped()));
    // Other replicas' changes (PostgreSQL NOTIFY); nothing to follow on SQLite.
    tokio::spawn(alloy_gateway::cache::changes::follow(
        gateway.clone(),
        stopped(),
    ));
    tokio::spawn(
        gateway
            .console_sessions()
            .clone()
            .sweep_periodically(Duration::from_secs(3600), stopped()),
    );
    if gateway.audit().is_enabled() {
        tokio::spawn(alloy_gateway::audit::sweep_periodically(
            db.clone(),
            gateway.config().audit.retention,
            gateway.config().audit.sweep_interval,
            stopped(),
        ));
    }
    let (tx, rx) = oneshot::channel::<()>();
    let serving_db = db.clone();
    let serving_gateway = gateway.clone();
    let task = tokio::spawn(async move {
        alloy_http::run(listener, state, async {
            let _ = rx.await;
        })
        .await
        .context("serving")?;
        let _ = stop_side_tasks.send(true);
        // Events of the last requests are written before the pool closes.
        serving_gateway.audit().flush().await;
        serving_db.close().await.context("closing the database")?;
        tracing::info!("stopped");
        Ok(())
    });
    log_setup(&store, &serve, &gateway, addr, metrics_addr);
    tracing::info!(%addr, %public_url, "listening; loading the connector catalog");
    match catalog_onto(slot.current(), &serve, &db).await {
        Ok(registry) => slot.replace(registry),
        Err(e) => {
            let _ = tx.send(());
            let _ = task.await;
            return Err(e);
        }
    }
    tracing::info!("ready");
    Ok(Running {
        addr,
        metrics_addr,
        public_url,
        bootstrap_key,
        gateway,
        shutdown: tx,
        task,
    })
}
