//! `/metrics` after a scripted workload: the families, their counts, the token guard, the
//! separate listener, and bounded label sets.

use alloy_connectors::testing::RecordingServer;
use reqwest::Method;
use serde_json::json;

use super::*;
use crate::support::{BOOTSTRAP_KEY, send as send_json};

/// The value of the sample of `family` whose labels include `labels` (summed over the other
/// labels); 0 when there is none.
pub fn sample(text: &str, family: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name_labels, value) = l.rsplit_once(' ')?;
            let (name, rest) = match name_labels.split_once('{') {
                Some((n, r)) => (n, r),
                None => (name_labels, ""),
            };
            (name == family).then_some(())?;
            labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
                .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// How many series of `family` there are.
fn series(text: &str, family: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(&format!("{family}{{")) || l.starts_with(&format!("{family} ")))
        .count()
}

async fn scrape(server: &TestServer) -> String {
    let resp = server
        .anonymous(Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn a_scripted_workload_shows_in_every_family() {
    let upstream = RecordingServer::start().await.unwrap();
    stripe(&upstream);
    let server = stripe_server(&upstream, &["--rate-limit-per-minute", "30"]).await;
    let before = scrape(&server).await;
    let open = mcp_server(&server, json!({"name": "Metered"})).await;
    let path = open.token_path();
    stripe_credential(&server, &path).await;
    for action in ["GetCustomers", "GetCustomers", "GetCharges"] {
        tool(
            &server,
            &path,
            "execute_action_alloy",
            json!({"connectorId": "stripe", "actionId": action, "parameters": {}}),
        )
        .await;
    }
    tool(
        &server,
        &path,
        "get_action_details_alloy",
        json!({"connectorId": "made-up-connector", "actionId": "x"}),
    )
    .await;
    // Spend the rest of the management budget: some requests are refused.
    for _ in 0..40 {
        server
            .request(Method::GET, "/api/servers")
            .send()
            .await
            .unwrap();
    }
    server.gateway().audit().flush().await;
    let after = scrape(&server).await;
    let delta = |family: &str, labels: &[(&str, &str)]| {
        sample(&after, family, labels) - sample(&before, family, labels)
    };

    assert_eq!(
        delta(
            "alloy_http_requests_total",
            &[
                ("route", "/api/servers"),
                ("method", "POST"),
                ("status", "201")
            ]
        ),
        1.0
    );
    assert!(
        delta(
            "alloy_http_requests_total",
            &[("route", "/api/servers"), ("status", "429")]
        ) >= 1.0
    );
    assert!(
        after.contains(
            "alloy_http_request_duration_seconds_bucket{route=\"/mcp/{serverId}/{accessToken}\""
        ),
        "{after}"
    );
    assert_eq!(
        delta(
            "alloy_mcp_requests_total",
            &[("method", "tools/call"), ("protocol_version", "2026-07-28")]
        ),
        5.0
    );
    assert_eq!(
        delta(
            "alloy_mcp_tool_calls_total",
            &[
                ("tool", "execute_action_alloy"),
                ("connector", "stripe"),
                ("action", "GetCustomers"),
                ("outcome", "ok")
            ]
        ),
        2.0
    );
    assert_eq!(
        delta(
            "alloy_mcp_tool_calls_total",
            &[
                ("tool", "execute_action_alloy"),
                ("action", "GetCharges"),
                ("outcome", "upstream_error")
            ]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "alloy_mcp_tool_calls_total",
            &[
                ("tool", "get_action_details_alloy"),
                ("connector", "unknown"),
                ("action", "unknown")
            ]
        ),
        1.0,
        "made-up IDs share one label value"
    );
    assert!(!after.contains("made-up-connector"));
    assert_eq!(
        delta(
            "alloy_upstream_requests_total",
            &[("connector", "stripe"), ("status", "2xx")]
        ),
        3.0,
        "balance check and two lists"
    );
    assert_eq!(
        delta(
            "alloy_upstream_requests_total",
            &[("connector", "stripe"), ("status", "5xx")]
        ),
        1.0
    );
    assert!(after.contains("alloy_upstream_request_duration_seconds_bucket{connector=\"stripe\""));
    assert!(
        delta(
            "alloy_rate_limit_rejections_total",
            &[("kind", "management")]
        ) >= 1.0
    );
    assert!(delta("alloy_audit_events_written_total", &[]) >= 7.0);
    assert_eq!(sample(&after, "alloy_audit_events_dropped_total", &[]), 0.0);
    assert!(
        sample(&after, "alloy_db_connections", &[("state", "idle")])
            + sample(&after, "alloy_db_connections", &[("state", "in_use")])
            >= 1.0
    );
    assert!(after.contains("alloy_db_query_duration_seconds_bucket{backend=\"sqlite\""));
    assert_eq!(
        sample(
            &after,
            "alloy_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(sample(&after, "alloy_uptime_seconds", &[]) > 0.0);
    assert!(sample(&after, "process_resident_memory_bytes", &[]) > 1e6);
    assert!(after.contains("# HELP alloy_mcp_tool_calls_total"));
    // Nothing identifying: no server ID, token, user or key in any label.
    for secret in [
        open.server_id.as_str(),
        open.token.as_str(),
        BOOTSTRAP_KEY,
        "\"default\"",
    ] {
        assert!(!after.contains(secret), "{secret} in metrics");
    }
}

#[tokio::test]
async fn label_sets_stay_bounded_under_many_users() {
    let server = TestServer::start_with(&["--rate-limit-per-minute", "100000"]).await;
    let public = mcp_server(&server, json!({"name": "Busy", "isPublic": true})).await;
    let call = |user: String| {
        send(
            post_2026(
                &server,
                &format!("/mcp/{}", public.server_id),
                1,
                "tools/call",
                json!({"name": "list_connectors_alloy", "arguments": {"limit": 1}}),
            )
            .bearer_auth(BOOTSTRAP_KEY)
            .header("x-alloy-userid", user),
        )
    };
    call("warm-up".into()).await;
    // The first scrape's own request shows in the second.
    scrape(&server).await;
    let before = scrape(&server).await;
    for chunk in (0..1000).collect::<Vec<_>>().chunks(50) {
        let calls: Vec<_> = chunk.iter().map(|i| call(format!("user-{i}"))).collect();
        for (status, _, _) in futures_util::future::join_all(calls).await {
            assert_eq!(status, 200);
        }
    }
    let after = scrape(&server).await;
    assert_eq!(
        sample(
            &after,
            "alloy_mcp_tool_calls_total",
            &[("tool", "list_connectors_alloy")]
        ) - sample(
            &before,
            "alloy_mcp_tool_calls_total",
            &[("tool", "list_connectors_alloy")]
        ),
        1000.0
    );
    for family in [
        "alloy_mcp_tool_calls_total",
        "alloy_http_requests_total",
        "alloy_mcp_requests_total",
    ] {
        assert_eq!(
            series(&after, family),
            series(&before, family),
            "{family} grew new series"
        );
    }
    assert!(!after.contains("user-1"), "no user ID in a label");
    assert!(
        after.lines().count() < 1000,
        "{} lines",
        after.lines().count()
    );
}

#[tokio::test]
async fn the_token_guard_and_the_separate_listener() {
    let guarded = TestServer::start_with(&["--metrics-token", "scrape-secret-0123"]).await;
    let (status, body) = send_json(guarded.anonymous(Method::GET, "/metrics")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    let (status, _) = send_json(guarded.request_with("wrong", Method::GET, "/metrics")).await;
    assert_eq!(status, 401);
    let (status, _) = send_json(guarded.request(Method::GET, "/metrics")).await;
    assert_eq!(status, 401, "an API key is not the metrics token");
    let resp = guarded
        .request_with("scrape-secret-0123", Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("alloy_build_info"));

    let apart = TestServer::start_with(&["--metrics-bind", "127.0.0.1:0"]).await;
    let (status, _) = send_json(apart.anonymous(Method::GET, "/metrics")).await;
    assert_eq!(status, 404, "not on the main listener");
    let metrics_addr = apart
        .running
        .as_ref()
        .unwrap()
        .metrics_addr
        .expect("metrics address");
    let resp = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("alloy_http_requests_total")
    );
    let resp = reqwest::get(format!("http://{metrics_addr}/api/servers"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "only /metrics there");
}
