//! The dispatcher's rules per method and revision, one test per rule.

use super::*;
use crate::CacheScope;
use crate::call_result::CallToolResult;
use crate::jsonrpc::Id;
use crate::jsonrpc::Payload;
use crate::meta::{CLIENT_CAPABILITIES_KEY, PROTOCOL_VERSION_KEY};
use crate::parse::parse;
use crate::tool::{Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;

const V03: ProtocolVersion = ProtocolVersion::V2025_03_26;
const V06: ProtocolVersion = ProtocolVersion::V2025_06_18;
const V11: ProtocolVersion = ProtocolVersion::V2025_11_25;
const V26: ProtocolVersion = ProtocolVersion::V2026_07_28;

/// The caller context of these tests: who is calling.
struct Caller(&'static str);

/// Adds two integers; refuses non-integers with an error result.
struct Add;

#[async_trait]
impl Tool<Caller> for Add {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "add",
            json!({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}),
        )
        .with_title("Add")
        .with_description("Adds a and b.")
        .with_annotations(ToolAnnotations::read_only(false))
    }
    async fn call(&self, ctx: &Caller, args: Map<String, Value>) -> CallToolResult {
        match (
            args.get("a").and_then(Value::as_i64),
            args.get("b").and_then(Value::as_i64),
        ) {
            (Some(a), Some(b)) => CallToolResult::json(json!({"sum": a + b, "caller": ctx.0})),
            _ => CallToolResult::error(
                json!({"error": {"code": "INVALID_REQUEST", "message": "a and b must be integers"}}),
            ),
        }
    }
}

/// Reports how many arguments it got.
struct Count;

#[async_trait]
impl Tool<Caller> for Count {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new("count", json!({"type":"object"}))
    }
    async fn call(&self, _: &Caller, args: Map<String, Value>) -> CallToolResult {
        CallToolResult::json(json!({"arguments": args.len()}))
    }
}

fn dispatcher() -> Dispatcher<Caller> {
    let tools = ToolSet::new().with(Add).unwrap().with(Count).unwrap();
    Dispatcher::new(
        Implementation::new("alloy", "0.1.0").with_title("Alloy"),
        tools,
    )
    .with_instructions("Use the tools.")
}

fn meta() -> Value {
    json!({PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}})
}

/// Params for a 2026 request: `extra` plus the required `_meta`.
fn modern(extra: Value) -> Option<Value> {
    let mut p = extra.as_object().cloned().unwrap_or_default();
    p.insert("_meta".into(), meta());
    Some(Value::Object(p))
}

async fn ask(
    d: &Dispatcher<Caller>,
    method: &str,
    params: Option<Value>,
    v: ProtocolVersion,
) -> Response {
    d.handle_request(Request::new(1, method, params), v, &Caller("alice"))
        .await
}

fn err_code(r: &Response) -> i64 {
    r.error_object().map(|e| e.code).unwrap_or(0)
}

#[tokio::test]
async fn initialize_negotiates_and_describes_the_server() {
    let d = dispatcher();
    let r = ask(&d, "initialize", Some(json!({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}})), V03).await;
    assert_eq!(
        r.result_value().as_deref().unwrap(),
        &json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {"listChanged": false}, "logging": {}},
            "serverInfo": {"name": "alloy", "title": "Alloy", "version": "0.1.0"},
            "instructions": "Use the tools."
        })
    );
    let r = ask(
        &d,
        "initialize",
        Some(json!({"protocolVersion":"2026-07-28"})),
        V03,
    )
    .await;
    assert_eq!(
        r.result_value().as_deref().unwrap()["protocolVersion"],
        "2025-11-25"
    );
    let r = ask(
        &d,
        "initialize",
        Some(json!({"protocolVersion":"2025-03-26"})),
        V03,
    )
    .await;
    assert_eq!(
        r.result_value().as_deref().unwrap()["serverInfo"],
        json!({"name":"alloy","version":"0.1.0"})
    );
    let r = ask(&d, "initialize", Some(json!({})), V03).await;
    assert_eq!(err_code(&r), -32602);
}

#[tokio::test]
async fn session_methods_do_not_exist_in_2026_and_discover_not_before() {
    let d = dispatcher();
    for m in ["initialize", "ping", "logging/setLevel"] {
        assert_eq!(
            err_code(
                &ask(
                    &d,
                    m,
                    modern(json!({"level":"info","protocolVersion":"2025-11-25"})),
                    V26
                )
                .await
            ),
            -32601,
            "{m}"
        );
    }
    for v in [V03, V06, V11] {
        assert_eq!(err_code(&ask(&d, "server/discover", None, v).await), -32601);
        assert_eq!(
            ask(&d, "ping", None, v).await.result_value().as_deref(),
            Some(&json!({}))
        );
    }
    for v in ProtocolVersion::ALL {
        let r = ask(&d, "resources/list", modern(json!({})), v).await;
        assert_eq!(err_code(&r), -32601);
        assert_eq!(
            r.error_object().unwrap().message,
            "Method not found: resources/list"
        );
    }
}

#[tokio::test]
async fn set_level_validates_the_level() {
    let d = dispatcher();
    assert_eq!(
        ask(&d, "logging/setLevel", Some(json!({"level":"debug"})), V11)
            .await
            .result_value()
            .as_deref(),
        Some(&json!({}))
    );
    for bad in [json!({"level":"loud"}), json!({"level":3}), json!({})] {
        assert_eq!(
            err_code(&ask(&d, "logging/setLevel", Some(bad), V11).await),
            -32602
        );
    }
    assert_eq!(
        err_code(&ask(&d, "logging/setLevel", None, V11).await),
        -32602
    );
}

#[tokio::test]
async fn tools_list_and_discover_are_served_as_bytes_built_once_per_revision() {
    let d = dispatcher();
    for (method, params, v) in [
        ("tools/list", None, V06),
        ("tools/list", modern(json!({})), V26),
        ("server/discover", modern(json!({})), V26),
    ] {
        let first = ask(&d, method, params.clone(), v).await;
        let again = ask(&d, method, params, v).await;
        let (Payload::Prebuilt(a), Payload::Prebuilt(b)) = (&first.payload, &again.payload) else {
            panic!("{method} {v}: not prebuilt: {first:?}");
        };
        assert!(std::sync::Arc::ptr_eq(a, b), "{method} {v}: built twice");
        // The bytes are those the built value serialises to.
        let built = match method {
            "tools/list" => d.complete(d.list_tools(v), v),
            _ => d.complete(d.discover(), v),
        };
        assert_eq!(a.get(), serde_json::to_string(&built).unwrap());
    }
    // Another revision, another answer; a builder call forgets what was built.
    let v11 = ask(&d, "tools/list", None, V11).await;
    assert_ne!(
        v11.payload,
        ask(&d, "tools/list", modern(json!({})), V26).await.payload
    );
    let d = d.with_instructions("Other instructions.");
    let r = ask(&d, "server/discover", modern(json!({})), V26).await;
    assert_eq!(
        r.result_value().unwrap()["instructions"],
        "Other instructions."
    );
}

#[tokio::test]
async fn tools_list_in_registration_order_with_cache_hints_only_in_2026() {
    let d = dispatcher();
    let r = ask(&d, "tools/list", None, V11).await;
    let result = r.result_value().unwrap();
    let names: Vec<_> = result["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["add", "count"]);
    assert!(
        result.get("ttlMs").is_none()
            && result.get("resultType").is_none()
            && result.get("_meta").is_none()
    );

    let d = d.with_cache_policy(CachePolicy {
        ttl_ms: 60_000,
        scope: CacheScope::Public,
    });
    let r = ask(&d, "tools/list", modern(json!({})), V26).await;
    let result = r.result_value().unwrap();
    assert_eq!(result["ttlMs"], 60_000);
    assert_eq!(result["cacheScope"], "public");
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["_meta"][SERVER_INFO_KEY],
        json!({"name":"alloy","title":"Alloy","version":"0.1.0"})
    );
    assert_eq!(result["tools"][0]["title"], "Add");
}

#[tokio::test]
async fn tools_list_refuses_cursors_it_never_issued() {
    let d = dispatcher();
    assert_eq!(
        err_code(&ask(&d, "tools/list", Some(json!({"cursor":"abc"})), V06).await),
        -32602
    );
    assert_eq!(
        err_code(&ask(&d, "tools/list", modern(json!({"cursor":"abc"})), V26).await),
        -32602
    );
    assert_eq!(
        err_code(&ask(&d, "tools/list", Some(json!([1])), V06).await),
        -32602
    );
    assert!(
        ask(&d, "tools/list", Some(json!({"cursor":null})), V06)
            .await
            .result_value()
            .as_deref()
            .is_some()
    );
}

#[tokio::test]
async fn tools_call_runs_the_tool_with_the_callers_context() {
    let d = dispatcher();
    let r = ask(
        &d,
        "tools/call",
        Some(json!({"name":"add","arguments":{"a":2,"b":40}})),
        V06,
    )
    .await;
    assert_eq!(
        r.result_value().as_deref().unwrap(),
        &json!({"content":[{"type":"text","text":"{\"sum\":42,\"caller\":\"alice\"}"}],
                "structuredContent":{"sum":42,"caller":"alice"},"isError":false})
    );
    let r = ask(
        &d,
        "tools/call",
        modern(json!({"name":"add","arguments":{"a":1,"b":1}})),
        V26,
    )
    .await;
    let result = r.result_value().unwrap();
    assert_eq!(result["structuredContent"]["sum"], 2);
    assert_eq!(result["resultType"], "complete");
    assert!(result["_meta"][SERVER_INFO_KEY].is_object());
}

#[tokio::test]
async fn tool_failures_are_results_and_protocol_failures_are_errors() {
    let d = dispatcher();
    let r = ask(
        &d,
        "tools/call",
        Some(json!({"name":"add","arguments":{"a":"x"}})),
        V11,
    )
    .await;
    let result = r.result_value().unwrap();
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["structuredContent"]["error"]["code"],
        "INVALID_REQUEST"
    );

    let r = ask(&d, "tools/call", Some(json!({"name":"nope"})), V11).await;
    assert_eq!(err_code(&r), -32602);
    assert_eq!(r.error_object().unwrap().message, "Unknown tool: nope");
    for bad in [
        json!({"name":"add","arguments":[1]}),
        json!({"name":"add","arguments":"x"}),
        json!({"arguments":{}}),
        json!({"name":5}),
        json!([]),
    ] {
        assert_eq!(
            err_code(&ask(&d, "tools/call", Some(bad.clone()), V11).await),
            -32602,
            "{bad}"
        );
    }
    assert_eq!(err_code(&ask(&d, "tools/call", None, V11).await), -32602);
}

#[tokio::test]
async fn absent_or_null_arguments_are_an_empty_object() {
    let d = dispatcher();
    for params in [
        json!({"name":"count"}),
        json!({"name":"count","arguments":null}),
    ] {
        let r = ask(&d, "tools/call", Some(params), V11).await;
        assert_eq!(
            r.result_value().as_deref().unwrap()["structuredContent"],
            json!({"arguments": 0})
        );
    }
}

#[tokio::test]
async fn stateless_requests_need_valid_meta_and_2026() {
    let d = dispatcher();
    let r = ask(&d, "tools/list", None, V26).await;
    assert_eq!(err_code(&r), -32602);
    assert!(r.error_object().unwrap().message.contains("_meta"));
    let old = json!({"_meta": {PROTOCOL_VERSION_KEY: "2025-11-25", CLIENT_CAPABILITIES_KEY: {}}});
    assert_eq!(
        err_code(&ask(&d, "tools/list", Some(old), V26).await),
        -32022
    );
    // Session revisions ignore `_meta` altogether.
    assert!(
        ask(&d, "tools/list", Some(json!({"_meta": {"x": 1}})), V11)
            .await
            .result_value()
            .as_deref()
            .is_some()
    );
}

#[tokio::test]
async fn discover_lists_versions_capabilities_and_cache_hints() {
    let d = dispatcher();
    let r = ask(&d, "server/discover", modern(json!({})), V26).await;
    assert_eq!(
        r.result_value().as_deref().unwrap(),
        &json!({
            "supportedVersions": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"],
            "capabilities": {"tools": {"listChanged": false}},
            "instructions": "Use the tools.",
            "ttlMs": 300_000,
            "cacheScope": "private",
            "resultType": "complete",
            "_meta": {SERVER_INFO_KEY: {"name": "alloy", "title": "Alloy", "version": "0.1.0"}}
        })
    );
}

#[tokio::test]
async fn dispatch_answers_requests_only() {
    let d = dispatcher();
    let ctx = Caller("bob");
    let note = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
    assert_eq!(d.dispatch(note, V11, &ctx).await, None);
    let resp = parse(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#).unwrap();
    assert_eq!(d.dispatch(resp, V11, &ctx).await, None);
    let req = parse(br#"{"jsonrpc":"2.0","id":"x","method":"ping"}"#).unwrap();
    assert_eq!(
        d.dispatch(req, V11, &ctx).await,
        Some(Reply::Single(Response::result(Id::from("x"), json!({}))))
    );
}

#[tokio::test]
async fn batches_only_in_2025_03_26() {
    let d = dispatcher();
    let ctx = Caller("bob");
    let body = br#"[{"jsonrpc":"2.0","id":1,"method":"ping"},
                    {"jsonrpc":"2.0","method":"notifications/initialized"},
                    {"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-03-26"}},
                    {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}},
                    17]"#;
    let Some(Reply::Batch(rs)) = d.dispatch(parse(body).unwrap(), V03, &ctx).await else {
        panic!("no batch reply")
    };
    assert_eq!(rs.len(), 4);
    assert_eq!(rs[0], Response::result(Id::Number(1), json!({})));
    assert_eq!(
        (rs[1].id.clone(), err_code(&rs[1])),
        (Some(Id::Number(2)), -32600)
    );
    // 2025-03-26 has no structuredContent: the text block carries the JSON.
    assert_eq!(
        rs[2].result_value().as_deref().unwrap()["content"][0]["text"],
        r#"{"sum":3,"caller":"bob"}"#
    );
    assert!(
        rs[2]
            .result_value()
            .as_deref()
            .unwrap()
            .get("structuredContent")
            .is_none()
    );
    assert_eq!((rs[3].id.clone(), err_code(&rs[3])), (None, -32600));

    let only_notes = br#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#;
    assert_eq!(
        d.dispatch(parse(only_notes).unwrap(), V03, &ctx).await,
        None
    );

    for v in [V06, V11, V26] {
        let Some(Reply::Single(r)) = d.dispatch(parse(body).unwrap(), v, &ctx).await else {
            panic!()
        };
        assert_eq!((r.id, err_code_of(&r.payload)), (None, -32600));
    }
}

fn err_code_of(p: &crate::jsonrpc::Payload) -> i64 {
    match p {
        crate::jsonrpc::Payload::Error(e) => e.code,
        crate::jsonrpc::Payload::Result(_) | crate::jsonrpc::Payload::Prebuilt(_) => 0,
    }
}

#[test]
fn reply_serializes_as_object_or_array() {
    let one = Response::result(Id::Number(1), json!({}));
    assert!(
        serde_json::to_value(Reply::Single(one.clone()))
            .unwrap()
            .is_object()
    );
    assert_eq!(
        serde_json::to_value(Reply::Batch(vec![one]))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn dispatch_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let d = dispatcher();
    let ctx = Caller("x");
    let fut = d.dispatch(Message::Request(Request::new(1, "ping", None)), V11, &ctx);
    assert_send(&fut);
}

#[test]
fn negotiated_revision_reads_initialize_params() {
    let r = Request::new(
        1,
        "initialize",
        Some(json!({"protocolVersion":"2025-06-18"})),
    );
    assert_eq!(negotiated_revision(&r), Ok(V06));
    let r = Request::new(
        1,
        "initialize",
        Some(json!({"protocolVersion":"1999-01-01"})),
    );
    assert_eq!(negotiated_revision(&r), Ok(V11));
    let r = Request::new(1, "initialize", Some(json!({"protocolVersion":1})));
    assert_eq!(negotiated_revision(&r).map_err(|e| e.code), Err(-32602));
}
