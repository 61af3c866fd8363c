//! Test fixtures for the tools: a gateway over a fresh SQLite database whose registry holds
//! the built-in catalog plus a small `widgets` connector served by a recording stand-in.

use std::collections::HashMap;

use alloy_connectors::testing::RecordingServer;
use alloy_connectors::{Executor, ExecutorConfig, Registry};
use alloy_domain::Restrictions;
use alloy_mcp_protocol::{CallToolResult, Content, ToolSet};
use alloy_storage::ServerRecord;
use alloy_storage::testing::TestDatabase;
use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::Gateway;
use crate::config::GatewayConfig;
use crate::identity::{Caller, Principal};
use crate::mcp::McpContext;
use crate::mcp::tools::tool_set;

/// The `widgets` test connector: an API key in a header or OAuth 2.0 (token endpoint on
/// `platform`); list, get, create, update and delete widgets; list teams (a look-up for
/// `team_id`); a ping that needs no credential.
pub(crate) fn widgets_document(platform: &str) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Widgets",
            "description": "Widget inventory for tests.",
            "x-alloy-id": "widgets",
            "x-alloy-category": "productivity"
        },
        "servers": [{"url": "https://widgets.example.com/api"}],
        "components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "oauth": {"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": format!("{platform}/oauth/authorize"),
                "tokenUrl": format!("{platform}/oauth/token"),
                "scopes": {"widgets": "Widgets"}
            }}}
        }},
        "security": [{"key": []}, {"oauth": []}],
        "tags": [{"name": "widgets", "description": "Widgets in stock"}, {"name": "teams"}],
        "paths": {
            "/widgets": {
                "get": {
                    "operationId": "list_widgets",
                    "summary": "List widgets",
                    "description": "Lists the widgets. Paginated with cursor.",
                    "tags": ["widgets"],
                    "parameters": [
                        {"name": "query", "in": "query", "description": "Search by widget name.", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "retired"]}},
                        {"name": "limit", "in": "query", "description": "Widgets per page.", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}}
                    ],
                    "x-alloy-list-path": "widgets",
                    "x-alloy-pagination": {"style": "cursor", "cursorParam": "cursor", "nextCursorPath": "next_cursor", "limitParam": "limit"}
                },
                "post": {
                    "operationId": "create_widget",
                    "summary": "Create widget",
                    "description": "Creates a widget owned by a team.",
                    "tags": ["widgets"],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["name", "team_id"],
                        "properties": {
                            "name": {"type": "string", "description": "Widget name."},
                            "team_id": {"type": "string", "description": "Owning team."},
                            "color": {"type": "string", "enum": ["red", "blue"]}
                        }
                    }}}}
                }
            },
            "/widgets/{widget_id}": {
                "parameters": [{"name": "widget_id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"operationId": "get_widget", "summary": "Get widget", "tags": ["widgets"]},
                "patch": {"operationId": "update_widget", "summary": "Update widget", "tags": ["widgets"],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"color": {"type": "string"}}}}}}},
                "delete": {"operationId": "delete_widget", "summary": "Delete widget", "description": "Removes a widget for good.", "tags": ["widgets"]}
            },
            "/teams": {
                "get": {"operationId": "list_teams", "summary": "List teams", "tags": ["teams"], "x-alloy-list-path": "teams"}
            },
            "/ping": {
                "get": {"operationId": "ping", "summary": "Ping", "tags": ["widgets"], "security": []}
            }
        }
    })
}

/// A gateway with the built-in catalog, `widgets` (sent to a recording stand-in) and any
/// `extra` documents.
pub(crate) struct Harness {
    pub gateway: Gateway,
    pub upstream: RecordingServer,
    pub caller: Caller,
    pub db: TestDatabase,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_documents(true, &[]).await
    }

    /// A harness whose registry holds the built-in catalog (when `builtin`), `widgets` and
    /// `extra` documents.
    pub async fn with_documents(builtin: bool, extra: &[Value]) -> Self {
        let upstream = RecordingServer::start().await.unwrap();
        let (mut registry, errors) = Registry::load(builtin, &[]);
        assert!(errors.is_empty(), "{errors:?}");
        registry
            .add_document(
                "widgets.json",
                &widgets_document(&upstream.url()).to_string(),
                None,
            )
            .unwrap();
        for (i, doc) in extra.iter().enumerate() {
            registry
                .add_document(&format!("extra-{i}.json"), &doc.to_string(), None)
                .unwrap();
        }
        Self::with_registry(registry, upstream).await
    }

    /// A harness over `registry`, its `widgets` connector (if any) pointed at `upstream`.
    pub async fn with_registry(registry: Registry, upstream: RecordingServer) -> Self {
        let db = TestDatabase::sqlite().await;
        for account in ["acct-1", "acct-2"] {
            db.db.accounts().create(account, account).await.unwrap();
        }
        let executor = Executor::new(ExecutorConfig {
            base_url_overrides: HashMap::from([("widgets".to_owned(), upstream.url())]),
            max_retries: 0,
            upstream_allow: vec!["127.0.0.0/8".parse().unwrap()],
            ..ExecutorConfig::default()
        })
        .unwrap();
        let gateway = Gateway::new(
            db.db.clone(),
            GatewayConfig::new(
                "http://mcp.test",
                b"test-secret-test-secret-test-secret".to_vec(),
            ),
            registry,
            executor,
        );
        Harness {
            gateway,
            upstream,
            caller: caller("acct-1", "alice"),
            db,
        }
    }

    /// A context for the harness's caller on a server with these restrictions.
    pub fn ctx(&self, restrictions: Value) -> McpContext {
        McpContext {
            gateway: self.gateway.clone(),
            caller: self.caller.clone(),
            server: std::sync::Arc::new(server(&self.caller, restrictions)),
            credential_id: None,
            redirect_uri: None,
        }
    }
}

impl Harness {
    /// Stores an API-key credential for `widgets` for the harness's caller; its ID.
    pub async fn widgets_key(&self, key: &str) -> String {
        let r = ok(call(
            &self.ctx(json!({})),
            "create_credential_alloy",
            json!({"connectorId": "widgets", "authenticationType": "apiKey", "fields": {"apiKey": key}}),
        )
        .await);
        r["credentialId"].as_str().unwrap().to_owned()
    }
}

/// A caller authenticated with an API key.
pub(crate) fn caller(account: &str, user: &str) -> Caller {
    Caller {
        account_id: account.to_owned(),
        user_id: user.to_owned(),
        principal: Principal::ApiKey {
            key_id: format!("key-{account}"),
        },
    }
}

/// A server owned by `owner` with `restrictions` (the wire shape).
pub(crate) fn server(owner: &Caller, restrictions: Value) -> ServerRecord {
    let now = Utc::now();
    ServerRecord {
        server_id: "test-server-0a1b2c3d".to_owned(),
        account_id: owner.account_id.clone(),
        user_id: owner.user_id.clone(),
        name: "Test server".to_owned(),
        description: String::new(),
        mode: "connectivity".to_owned(),
        is_public: false,
        require_user_token: false,
        restrictions: Restrictions::from_json(&restrictions).unwrap(),
        access_token: "mcp_token_test".to_owned(),
        token_expires_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Calls `tool` through the real tool set.
pub(crate) async fn call(ctx: &McpContext, tool: &str, arguments: Value) -> CallToolResult {
    call_with(&tool_set(), ctx, tool, arguments).await
}

/// Calls `tool` of `set`; `arguments` must be an object.
pub(crate) async fn call_with(
    set: &ToolSet<McpContext>,
    ctx: &McpContext,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let arguments: Map<String, Value> = match arguments {
        Value::Object(m) => m,
        other => panic!("arguments must be an object, not {other}"),
    };
    set.call(tool, ctx, arguments)
        .await
        .unwrap_or_else(|| panic!("no tool named {tool}"))
}

/// The structured value of a successful result; panics on a failure.
pub(crate) fn ok(result: CallToolResult) -> Value {
    assert!(
        !result.is_error(),
        "tool failed: {:?}",
        result.structured_content()
    );
    same_twice(&result)
}

/// The error code of a failed result; panics on a success.
pub(crate) fn error_code(result: &CallToolResult) -> String {
    assert!(
        result.is_error(),
        "expected a failure: {:?}",
        result.structured_content()
    );
    let value = same_twice(result);
    value["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {value}"))
        .to_owned()
}

/// The structured content, after checking that the text block carries the same JSON.
pub(crate) fn same_twice(result: &CallToolResult) -> Value {
    let structured = result
        .structured_content()
        .cloned()
        .expect("structured content");
    let Content::Text(text) = &result.content()[0];
    let parsed: Value = serde_json::from_str(text).expect("text content is JSON");
    assert_eq!(parsed, structured);
    structured
}

/// Validates `value` against the output schema of `tool`.
pub(crate) fn assert_matches_output_schema(tool: &str, value: &Value) {
    let set = super::tool_set();
    let Some(schema) = set.definition(tool).and_then(|d| d.output_schema.clone()) else {
        return;
    };
    let validator = jsonschema::validator_for(&schema).expect("output schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{tool}: {errors:?}\n{value}");
}
