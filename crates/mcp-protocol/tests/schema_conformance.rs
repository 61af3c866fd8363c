//! Checks the messages this crate produces against the official MCP JSON Schemas of every
//! revision in which each message exists (vendored in `tests/schema/`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use alloy_mcp_protocol::{
    CachePolicy, CacheScope, CallToolResult, Dispatcher, ErrorObject, Id, Implementation, Message,
    ProtocolVersion, Reply, Request, Response, Tool, ToolAnnotations, ToolDefinition, ToolSet,
    check_mirrored_headers, meta, parse,
};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

const LEGACY: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];
const MODERN: &str = "2026-07-28";

/// The schema documents, read once.
fn document(revision: &str) -> Value {
    static DOCS: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut docs = docs.lock().unwrap();
    docs.entry(revision.to_owned())
        .or_insert_with(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/schema")
                .join(format!("{revision}.schema.json"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            serde_json::from_str(&text).unwrap()
        })
        .clone()
}

/// Errors of `instance` against definition `def` of `revision`'s schema.
fn errors(revision: &str, def: &str, instance: &Value) -> Vec<String> {
    let doc = document(revision);
    // 2025-03-26 and 2025-06-18 are draft-07 (`definitions`); later ones 2020-12 (`$defs`).
    let (key, prefix) = if doc.get("$defs").is_some() {
        ("$defs", "#/$defs/")
    } else {
        ("definitions", "#/definitions/")
    };
    assert!(doc[key].get(def).is_some(), "{revision} defines no {def}");
    // `allOf` rather than a bare `$ref`: draft-07 ignores the siblings of `$ref`.
    let schema = json!({
        "$schema": doc["$schema"],
        key: doc[key],
        "allOf": [{"$ref": format!("{prefix}{def}")}],
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect()
}

#[track_caller]
fn assert_valid(revision: &str, def: &str, instance: &Value) {
    let errs = errors(revision, def, instance);
    assert!(errs.is_empty(), "{revision} {def}: {errs:#?}\n{instance:#}");
}

#[track_caller]
fn assert_invalid(revision: &str, def: &str, instance: &Value) {
    assert!(
        !errors(revision, def, instance).is_empty(),
        "{revision} {def} accepted\n{instance:#}"
    );
}

/// Who is calling, as the gateway would pass it.
struct Caller;

/// Looks a record up: an object result, with an object output schema.
struct Lookup;

#[async_trait]
impl Tool<Caller> for Lookup {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "lookup_alloy",
            json!({"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}),
        )
        .with_title("Look up a record")
        .with_description("Finds one record by id.")
        .with_output_schema(json!({"type":"object","properties":{"id":{"type":"string"}}}))
        .with_annotations(ToolAnnotations {
            read_only_hint: Some(true),
            destructive_hint: Some(false),
            idempotent_hint: Some(true),
            open_world_hint: Some(true),
        })
    }
    async fn call(&self, _: &Caller, args: Map<String, Value>) -> CallToolResult {
        match args.get("id").and_then(Value::as_str) {
            Some(id) => CallToolResult::json(json!({"id": id, "name": "Record"})),
            None => CallToolResult::error(
                json!({"error":{"code":"INVALID_REQUEST","message":"id is required","details":{"field":"id"}}}),
            ),
        }
    }
}

/// Lists records: an array result, with an array output schema.
struct Records;

#[async_trait]
impl Tool<Caller> for Records {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new("records_alloy", json!({"type":"object"}))
            .with_output_schema(json!({"type":"array","items":{"type":"object"}}))
    }
    async fn call(&self, _: &Caller, _: Map<String, Value>) -> CallToolResult {
        CallToolResult::json(json!([{"id": "1"}, {"id": "2"}]))
    }
}

fn dispatcher() -> Dispatcher<Caller> {
    let tools = ToolSet::new().with(Lookup).unwrap().with(Records).unwrap();
    Dispatcher::new(
        Implementation::new("alloy-mcp-server", "0.1.0").with_title("Alloy MCP"),
        tools,
    )
    .with_instructions("Call list tools before executing actions.")
    .with_cache_policy(CachePolicy {
        ttl_ms: 60_000,
        scope: CacheScope::Public,
    })
}

fn modern_meta() -> Value {
    json!({
        meta::PROTOCOL_VERSION_KEY: MODERN,
        meta::CLIENT_CAPABILITIES_KEY: {},
        meta::CLIENT_INFO_KEY: {"name": "schema-test", "version": "1.0.0"},
    })
}

/// Builds a request body, checks it against the revision's request definition (so the test
/// feeds only what a conforming client sends), and returns the dispatcher's reply as JSON.
async fn exchange(revision: &str, request_def: &str, method: &str, params: Option<Value>) -> Value {
    let mut body = json!({"jsonrpc": "2.0", "id": 7, "method": method});
    if let Some(p) = params {
        body["params"] = p;
    }
    assert_valid(revision, request_def, &body);
    let message = parse(body.to_string().as_bytes()).unwrap();
    let version = ProtocolVersion::parse(revision).unwrap();
    let reply = dispatcher()
        .dispatch(message, version, &Caller)
        .await
        .unwrap();
    serde_json::to_value(reply).unwrap()
}

fn with_meta(mut params: Value) -> Value {
    params["_meta"] = modern_meta();
    params
}

/// `JSONRPCResponse` was renamed `JSONRPCResultResponse` in 2025-11-25.
fn result_response_def(revision: &str) -> &'static str {
    if revision == "2025-11-25" || revision == MODERN {
        "JSONRPCResultResponse"
    } else {
        "JSONRPCResponse"
    }
}

/// `JSONRPCError` was renamed `JSONRPCErrorResponse` in 2025-11-25.
fn error_response_def(revision: &str) -> &'static str {
    if revision == "2025-11-25" || revision == MODERN {
        "JSONRPCErrorResponse"
    } else {
        "JSONRPCError"
    }
}

#[tokio::test]
async fn initialize_result_matches_every_session_revision() {
    for rev in LEGACY {
        let params = json!({
            "protocolVersion": rev,
            "capabilities": {},
            "clientInfo": {"name": "schema-test", "version": "1.0.0"}
        });
        let response = exchange(rev, "InitializeRequest", "initialize", Some(params)).await;
        assert_eq!(response["result"]["protocolVersion"], rev);
        assert_valid(rev, result_response_def(rev), &response);
        assert_valid(rev, "InitializeResult", &response["result"]);
        assert_valid(rev, "JSONRPCMessage", &response);
    }
}

#[tokio::test]
async fn ping_and_set_level_results_are_empty_results() {
    for rev in LEGACY {
        let ping = exchange(rev, "PingRequest", "ping", None).await;
        assert_valid(rev, "EmptyResult", &ping["result"]);
        assert_valid(rev, result_response_def(rev), &ping);
        let set = exchange(
            rev,
            "SetLevelRequest",
            "logging/setLevel",
            Some(json!({"level": "warning"})),
        )
        .await;
        assert_valid(rev, "EmptyResult", &set["result"]);
    }
}

#[tokio::test]
async fn tools_list_result_matches_every_revision() {
    for rev in LEGACY {
        let response = exchange(rev, "ListToolsRequest", "tools/list", None).await;
        assert_valid(rev, "ListToolsResult", &response["result"]);
        assert_valid(rev, result_response_def(rev), &response);
        for tool in response["result"]["tools"].as_array().unwrap() {
            assert_valid(rev, "Tool", tool);
        }
    }
    let response = exchange(
        MODERN,
        "ListToolsRequest",
        "tools/list",
        Some(with_meta(json!({}))),
    )
    .await;
    assert_valid(MODERN, "ListToolsResultResponse", &response);
    assert_valid(MODERN, "ListToolsResult", &response["result"]);
    assert_valid(MODERN, "CacheableResult", &response["result"]);
    assert_valid(MODERN, "JSONRPCMessage", &response);
    assert_valid(
        MODERN,
        "Implementation",
        &response["result"]["_meta"][meta::SERVER_INFO_KEY],
    );
}

#[tokio::test]
async fn tools_call_results_match_every_revision() {
    let calls = [
        json!({"name": "lookup_alloy", "arguments": {"id": "r1"}}),
        json!({"name": "lookup_alloy", "arguments": {}}),
        json!({"name": "records_alloy"}),
    ];
    for rev in LEGACY {
        for params in &calls {
            let response =
                exchange(rev, "CallToolRequest", "tools/call", Some(params.clone())).await;
            assert_valid(rev, "CallToolResult", &response["result"]);
            assert_valid(rev, result_response_def(rev), &response);
        }
    }
    for params in &calls {
        let response = exchange(
            MODERN,
            "CallToolRequest",
            "tools/call",
            Some(with_meta(params.clone())),
        )
        .await;
        assert_valid(MODERN, "CallToolResultResponse", &response);
        // The response's `result` is `InputRequiredResult | CallToolResult`, and the first
        // accepts anything with `resultType`: check the second on its own.
        assert_valid(MODERN, "CallToolResult", &response["result"]);
    }
}

#[tokio::test]
async fn discover_result_matches_2026() {
    let response = exchange(
        MODERN,
        "DiscoverRequest",
        "server/discover",
        Some(with_meta(json!({}))),
    )
    .await;
    assert_valid(MODERN, "DiscoverResultResponse", &response);
    assert_valid(MODERN, "DiscoverResult", &response["result"]);
    assert_valid(MODERN, "JSONRPCMessage", &response);
}

#[tokio::test]
async fn error_responses_match_every_revision() {
    let version_of = |rev: &str| ProtocolVersion::parse(rev).unwrap();
    for rev in LEGACY.into_iter().chain([MODERN]) {
        let modern = rev == MODERN;
        let params = |p: Value| if modern { with_meta(p) } else { p };
        let cases = [
            (
                "nope/nothing",
                Some(params(json!({}))),
                ErrorObject::METHOD_NOT_FOUND,
                "MethodNotFoundError",
            ),
            (
                "tools/call",
                Some(params(json!({"name": "missing_tool"}))),
                ErrorObject::INVALID_PARAMS,
                "InvalidParamsError",
            ),
            (
                "tools/list",
                Some(params(json!({"cursor": "never-issued"}))),
                ErrorObject::INVALID_PARAMS,
                "InvalidParamsError",
            ),
        ];
        for (method, p, code, error_def) in cases {
            let request = Request::new(9, method, p);
            let response = dispatcher()
                .dispatch(Message::Request(request), version_of(rev), &Caller)
                .await
                .unwrap();
            let response = serde_json::to_value(response).unwrap();
            assert_eq!(response["error"]["code"], code, "{rev} {method}");
            assert_valid(rev, error_response_def(rev), &response);
            assert_valid(rev, "JSONRPCMessage", &response);
            if modern {
                assert_valid(rev, error_def, &response["error"]);
            }
        }
        // A shape error on a message whose id could be read keeps the id.
        let bad =
            parse(br#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":"x"}"#).unwrap_err();
        let bad = serde_json::to_value(bad).unwrap();
        assert_valid(rev, error_response_def(rev), &bad);
    }
}

#[test]
fn modern_protocol_errors_match_their_2026_definitions() {
    let id = Some(Id::Number(3));
    let unsupported = Response::error(
        id.clone(),
        ErrorObject::unsupported_protocol_version("1900-01-01"),
    );
    assert_valid(
        MODERN,
        "UnsupportedProtocolVersionError",
        &serde_json::to_value(&unsupported).unwrap(),
    );

    let request = Request::new(
        3,
        "tools/call",
        Some(with_meta(json!({"name": "lookup_alloy"}))),
    );
    let headers = alloy_mcp_protocol::MirroredHeaders {
        protocol_version: Some(MODERN.as_bytes()),
        method: Some(b"tools/call"),
        name: Some(b"other_tool"),
    };
    let mismatch = check_mirrored_headers(&request, &headers).unwrap_err();
    let mismatch = Response::error(id, mismatch);
    assert_valid(
        MODERN,
        "HeaderMismatchError",
        &serde_json::to_value(&mismatch).unwrap(),
    );

    let missing_meta = parse(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).unwrap();
    let Message::Request(missing_meta) = missing_meta else {
        panic!()
    };
    let e = alloy_mcp_protocol::RequestMeta::from_request(&missing_meta).unwrap_err();
    assert_valid(
        MODERN,
        "InvalidParamsError",
        &serde_json::to_value(&e).unwrap(),
    );

    let parse_error = parse(b"{oops").unwrap_err();
    assert_valid(
        MODERN,
        "ParseError",
        &serde_json::to_value(parse_error.error_object()).unwrap(),
    );
    let invalid = parse(b"[]").unwrap_err();
    assert_valid(
        MODERN,
        "InvalidRequestError",
        &serde_json::to_value(invalid.error_object()).unwrap(),
    );
    assert_valid(
        MODERN,
        "InternalError",
        &serde_json::to_value(ErrorObject::internal_error()).unwrap(),
    );
}

#[test]
fn error_objects_without_a_readable_id_are_valid_errors() {
    // JSON-RPC 2.0 (and the product's rate-limit answer) put `"id": null` on these; the MCP
    // schemas type the id as string|integer, so only the error object is checked here.
    for error in [
        ErrorObject::rate_limited(),
        ErrorObject::parse_error("x"),
        ErrorObject::invalid_request("x"),
    ] {
        let wire = serde_json::to_value(Response::error(None, error)).unwrap();
        assert!(wire["id"].is_null());
        for rev in ["2025-11-25", MODERN] {
            assert_valid(rev, "Error", &wire["error"]);
        }
    }
}

#[tokio::test]
async fn batch_reply_matches_2025_03_26() {
    let body = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "missing"}},
    ]);
    assert_valid("2025-03-26", "JSONRPCBatchRequest", &body);
    let message = parse(body.to_string().as_bytes()).unwrap();
    let reply = dispatcher()
        .dispatch(message, ProtocolVersion::V2025_03_26, &Caller)
        .await
        .unwrap();
    assert!(matches!(reply, Reply::Batch(ref r) if r.len() == 2));
    let wire = serde_json::to_value(reply).unwrap();
    assert_valid("2025-03-26", "JSONRPCBatchResponse", &wire);
    assert_valid("2025-03-26", "JSONRPCMessage", &wire);
}

/// The validation above must be able to fail: messages with a required member removed, or
/// with a shape an older revision does not allow, are refused.
#[tokio::test]
async fn the_schemas_refuse_what_this_crate_avoids() {
    let mut list = exchange(
        MODERN,
        "ListToolsRequest",
        "tools/list",
        Some(with_meta(json!({}))),
    )
    .await;
    list["result"].as_object_mut().unwrap().remove("ttlMs");
    assert_invalid(MODERN, "ListToolsResultResponse", &list);

    let mut discover = exchange(
        MODERN,
        "DiscoverRequest",
        "server/discover",
        Some(with_meta(json!({}))),
    )
    .await;
    discover["result"]
        .as_object_mut()
        .unwrap()
        .remove("resultType");
    assert_invalid(MODERN, "DiscoverResult", &discover["result"]);

    let mut init = exchange(
        "2025-06-18",
        "InitializeRequest",
        "initialize",
        Some(json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}})),
    )
    .await;
    init["result"].as_object_mut().unwrap().remove("serverInfo");
    assert_invalid("2025-06-18", "InitializeResult", &init["result"]);

    // Why array results lose `structuredContent` before 2026-07-28.
    let array_result = json!({"content": [], "structuredContent": [1, 2]});
    assert_invalid("2025-06-18", "CallToolResult", &array_result);
    assert_invalid("2025-11-25", "CallToolResult", &array_result);
    assert_invalid(MODERN, "CallToolResult", &array_result); // no resultType
    assert_valid(
        MODERN,
        "CallToolResult",
        &json!({"content": [], "structuredContent": [1, 2], "resultType": "complete"}),
    );

    // Why a request id of `null` is refused by the parser.
    assert_invalid(
        MODERN,
        "JSONRPCRequest",
        &json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
    );
}
