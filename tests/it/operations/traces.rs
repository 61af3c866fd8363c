//! OpenTelemetry: the spans of one `execute_action_alloy`, exported over OTLP/HTTP to a
//! stand-in collector, joined to the caller's trace and propagated to the platform.

use std::collections::HashMap;

use alloy_connectors::testing::{RecordingServer, Reply};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};

use super::stripe;
use crate::binary::Spawned;

const KEY: &str = "alloy_trace_test_key_0123456789";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            AnyValue::IntValue(i) => Some(i.to_string()),
            AnyValue::BoolValue(b) => Some(b.to_string()),
            other => Some(format!("{other:?}")),
        }
    })
}

fn spans(collector: &RecordingServer) -> Vec<(Span, Option<String>)> {
    let mut out = Vec::new();
    for req in collector.requests() {
        assert_eq!(req.path, "/v1/traces");
        assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
        let export = ExportTraceServiceRequest::decode(req.body.as_slice()).expect("OTLP protobuf");
        for resource in export.resource_spans {
            let service = resource.resource.as_ref().and_then(|r| {
                r.attributes
                    .iter()
                    .find(|a| a.key == "service.name")
                    .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                        AnyValue::StringValue(s) => Some(s.clone()),
                        _ => None,
                    })
            });
            for scope in resource.scope_spans {
                out.extend(scope.spans.into_iter().map(|s| (s, service.clone())));
            }
        }
    }
    out
}

async fn post(http: &reqwest::Client, url: &str, body: Value, traceparent: Option<&str>) -> Value {
    let method = body["method"].as_str().unwrap().to_owned();
    let name = body["params"]["name"].as_str().map(str::to_owned);
    let mut req = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method)
        .json(&body);
    if let Some(name) = name {
        req = req.header("mcp-name", name);
    }
    if let Some(tp) = traceparent {
        req = req.header("traceparent", tp);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn call(id: i64, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": name, "arguments": arguments, "_meta": crate::mcp::meta_2026()}})
}

#[tokio::test]
async fn one_execute_action_is_one_span_tree_in_the_caller_s_trace() {
    let collector = RecordingServer::start().await.unwrap();
    collector.set_handler(|_| Reply::status(200).header("content-type", "application/x-protobuf"));
    let upstream = RecordingServer::start().await.unwrap();
    stripe(&upstream);
    let dir = tempfile::tempdir().unwrap();
    let overrides = format!("stripe={}", upstream.url());
    let server = Spawned::start(
        dir.path(),
        &[
            ("ALLOY_BOOTSTRAP_API_KEY", KEY),
            ("ALLOY_CONNECTOR_BASE_URLS", &overrides),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let http = reqwest::Client::new();
    let created: Value = http
        .post(server.url("/api/servers"))
        .bearer_auth(KEY)
        .json(&json!({"name": "Traced"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mcp = server.url(&format!(
        "/mcp/{}/{}",
        created["serverId"].as_str().unwrap(),
        created["accessToken"].as_str().unwrap()
    ));
    let answer = post(&http, &mcp, call(1, "create_credential_alloy",
        json!({"connectorId": "stripe", "authenticationType": "bearer", "fields": {"token": "sk_test_trace"}})), None).await;
    assert_ne!(answer["result"]["isError"], true, "{answer}");
    upstream.reset();
    let traceparent = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let answer = post(
        &http,
        &mcp,
        call(
            2,
            "execute_action_alloy",
            json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
        ),
        Some(&traceparent),
    )
    .await;
    assert_ne!(answer["result"]["isError"], true, "{answer}");

    // The batch exporter sends within its schedule delay.
    let mut ours = Vec::new();
    for _ in 0..100 {
        ours = spans(&collector)
            .into_iter()
            .filter(|(s, _)| hex::encode(&s.trace_id) == TRACE_ID)
            .collect();
        if ours.iter().any(|(s, _)| s.name == "GET stripe")
            && ours.iter().any(|(s, _)| {
                s.parent_span_id.len() == 8 && hex::encode(&s.parent_span_id) == PARENT_ID
            })
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let names: Vec<&str> = ours.iter().map(|(s, _)| s.name.as_str()).collect();
    let by_name: HashMap<&str, &Span> = ours.iter().map(|(s, _)| (s.name.as_str(), s)).collect();
    let get = |name: &str| {
        *by_name
            .get(name)
            .unwrap_or_else(|| panic!("no span {name:?} in {names:?}"))
    };

    let root = get("POST /mcp/{serverId}/{accessToken}");
    assert_eq!(
        hex::encode(&root.parent_span_id),
        PARENT_ID,
        "the caller's span is the parent"
    );
    assert_eq!(root.kind, 2, "server span");
    assert_eq!(
        attribute(root, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        attribute(root, "http.route").as_deref(),
        Some("/mcp/{serverId}/{accessToken}")
    );
    assert!(
        !attribute(root, "url.path").unwrap().contains("mcp_token_"),
        "token masked"
    );
    assert!(
        ours.iter()
            .all(|(_, service)| service.as_deref() == Some("alloy-mcp-server"))
    );

    let authorize = get("authorize");
    assert_eq!(authorize.parent_span_id, root.span_id);
    assert_eq!(
        attribute(authorize, "db.system.name").as_deref(),
        Some("sqlite")
    );
    let tool = get("tools/call execute_action_alloy");
    assert_eq!(tool.parent_span_id, root.span_id);
    assert_eq!(
        attribute(tool, "gen_ai.tool.name").as_deref(),
        Some("execute_action_alloy")
    );
    assert_eq!(
        attribute(tool, "mcp.method.name").as_deref(),
        Some("tools/call")
    );
    let lookup = get("credential lookup");
    assert_eq!(lookup.parent_span_id, tool.span_id);
    assert_eq!(
        attribute(lookup, "db.system.name").as_deref(),
        Some("sqlite")
    );
    let call_span = get("GET stripe");
    assert_eq!(call_span.parent_span_id, tool.span_id);
    assert_eq!(call_span.kind, 3, "client span");
    assert_eq!(
        attribute(call_span, "http.response.status_code").as_deref(),
        Some("200")
    );

    // The platform was told the trace and the span of the call.
    let sent = upstream.requests();
    let customers = sent
        .iter()
        .find(|r| r.path == "/v1/customers")
        .expect("customers call");
    let header = customers
        .header("traceparent")
        .expect("traceparent sent upstream");
    assert_eq!(
        header,
        format!("00-{TRACE_ID}-{}-01", hex::encode(&call_span.span_id))
    );
}
