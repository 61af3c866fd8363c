//! The composition root of the application services.

use std::sync::Arc;

use alloy_connectors::{Executor, Registry};
use alloy_mcp_protocol::Dispatcher;
use alloy_storage::Database;

use crate::audit::{AuditLog, AuditWriter};
use crate::authorization::AuthorizationServer;
use crate::cache::AccessCache;
use crate::cache::changes::Announcer;
use crate::catalog::CatalogSlot;
use crate::config::GatewayConfig;
use crate::credentials::CredentialService;
use crate::identity::{AccountKeys, ApiKeyService, Authenticator, ConsoleSessions, UserTokens};
use crate::mcp::McpContext;
use crate::servers::ServerService;

/// Every application service, sharing one database. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    catalog: Arc<CatalogSlot>,
    executor: Executor,
    config: GatewayConfig,
    audit: AuditWriter,
    audit_log: AuditLog,
    access_cache: Arc<AccessCache>,
    announcer: Announcer,
    api_keys: ApiKeyService,
    user_tokens: UserTokens,
    authenticator: Authenticator,
    account_keys: AccountKeys,
    console_sessions: ConsoleSessions,
    authorization: AuthorizationServer,
    servers: ServerService,
    credentials: CredentialService,
    mcp: Dispatcher<McpContext>,
}

impl Gateway {
    /// Builds the services over a migrated database, a connector registry (the whole catalog)
    /// and the executor that calls the platforms.
    pub fn new(
        db: Database,
        config: GatewayConfig,
        registry: Registry,
        executor: Executor,
    ) -> Self {
        Gateway::with_catalog(
            db,
            config,
            Arc::new(CatalogSlot::new(registry, true)),
            executor,
        )
    }

    /// As [`new`](Self::new), over a catalog slot that may still be loading (see
    /// [`CatalogSlot::replace`]). The audit writer's task is spawned on the current runtime.
    pub fn with_catalog(
        db: Database,
        config: GatewayConfig,
        catalog: Arc<CatalogSlot>,
        executor: Executor,
    ) -> Self {
        let audit = AuditWriter::start(db.clone(), config.audit.clone());
        let access_cache = Arc::new(AccessCache::new(config.cache_fresh_for));
        let announcer = Announcer::new(db.clone(), Arc::clone(&access_cache));
        let api_keys = ApiKeyService::new(
            db.clone(),
            config.key_recheck_interval,
            audit.clone(),
            announcer.clone(),
        );
        let user_tokens = UserTokens::new(&config.jwt_secret, config.user_token_ttl);
        let authenticator = Authenticator::new(api_keys.clone(), user_tokens.clone());
        let account_keys = AccountKeys::new(api_keys.clone());
        let authorization = AuthorizationServer::new(
            db.clone(),
            &config,
            api_keys.clone(),
            audit.clone(),
            executor.address_policy(),
            executor.extra_roots(),
        );
        let console_sessions = ConsoleSessions::new(
            db.clone(),
            api_keys.clone(),
            user_tokens.clone(),
            audit.clone(),
            config.console_session_ttl,
        );
        let servers = ServerService::new(
            db.clone(),
            config.public_url.clone(),
            audit.clone(),
            announcer.clone(),
        );
        let credentials = CredentialService::new(
            db.clone(),
            Arc::clone(&catalog),
            executor.clone(),
            &config.public_url,
            audit.clone(),
            announcer.clone(),
            Arc::clone(&access_cache),
        );
        Gateway {
            inner: Arc::new(Inner {
                audit_log: AuditLog::new(db.clone()),
                access_cache,
                announcer: announcer.clone(),
                audit,
                db,
                catalog,
                executor,
                config,
                api_keys,
                user_tokens,
                authenticator,
                account_keys,
                console_sessions,
                authorization,
                servers,
                credentials,
                mcp: crate::mcp::dispatcher(),
            }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    /// The connector registry requests read now (see [`CatalogSlot::current`]).
    pub fn registry(&self) -> Arc<Registry> {
        self.inner.catalog.current()
    }

    /// The catalog slot: the current registry, and whether the whole catalog is loaded.
    pub fn catalog(&self) -> &CatalogSlot {
        &self.inner.catalog
    }

    /// The executor that calls the platforms' APIs.
    pub fn executor(&self) -> &Executor {
        &self.inner.executor
    }

    /// The settings.
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    /// Servers and sessions kept in memory for warm requests.
    pub fn access_cache(&self) -> &AccessCache {
        &self.inner.access_cache
    }

    /// Announces changes to the other replicas.
    pub fn announcer(&self) -> &Announcer {
        &self.inner.announcer
    }

    /// The audit trail's writer.
    pub fn audit(&self) -> &AuditWriter {
        &self.inner.audit
    }

    /// The audit trail as the management API reads it.
    pub fn audit_log(&self) -> &AuditLog {
        &self.inner.audit_log
    }

    /// API keys: creation, verification, revocation.
    pub fn api_keys(&self) -> &ApiKeyService {
        &self.inner.api_keys
    }

    /// User tokens (JWT).
    pub fn user_tokens(&self) -> &UserTokens {
        &self.inner.user_tokens
    }

    /// Turns request credentials into a [`Caller`](crate::Caller).
    pub fn authenticator(&self) -> &Authenticator {
        &self.inner.authenticator
    }

    /// The API keys of callers' accounts, as the management API manages them.
    pub fn account_keys(&self) -> &AccountKeys {
        &self.inner.account_keys
    }

    /// The OAuth authorization server for MCP clients.
    pub fn authorization(&self) -> &AuthorizationServer {
        &self.inner.authorization
    }

    /// Admin-console sessions.
    pub fn console_sessions(&self) -> &ConsoleSessions {
        &self.inner.console_sessions
    }

    /// The MCP dispatcher (tools and protocol methods).
    pub fn mcp(&self) -> &Dispatcher<McpContext> {
        &self.inner.mcp
    }

    /// The server management API.
    pub fn servers(&self) -> &ServerService {
        &self.inner.servers
    }

    /// End users' credentials and the OAuth 2.0 flow.
    pub fn credentials(&self) -> &CredentialService {
        &self.inner.credentials
    }
}
