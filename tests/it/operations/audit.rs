//! The audit trail end to end: every outcome of a tool call, refusals, management writes,
//! filters and paging, arguments (off by default, redacted when on), tenancy, retention, and
//! an audit store that fails without holding up requests.

use alloy_connectors::testing::RecordingServer;
use reqwest::Method;
use serde_json::{Value, json};

use super::*;
use crate::mcp::{initialize, post};
use crate::support::{BOOTSTRAP_KEY, send as send_json};

/// `GET /api/audit` with the bootstrap key, after every queued event is written.
async fn audit(server: &TestServer, query: &str) -> Value {
    audit_as(server, BOOTSTRAP_KEY, query).await.1
}

async fn audit_as(server: &TestServer, key: &str, query: &str) -> (u16, Value) {
    server.gateway().audit().flush().await;
    send_json(server.request_with(key, Method::GET, &format!("/api/audit{query}"))).await
}

fn events(listing: &Value) -> &Vec<Value> {
    listing["events"].as_array().expect("events")
}

/// The one event matching `pred`; fails with the whole listing otherwise.
fn one<'a>(listing: &'a Value, what: &str, pred: impl Fn(&Value) -> bool) -> &'a Value {
    let found: Vec<&Value> = events(listing).iter().filter(|e| pred(e)).collect();
    assert_eq!(found.len(), 1, "{what}: {listing:#}");
    found[0]
}

#[tokio::test]
async fn tool_calls_refusals_and_writes_are_audited_with_filters() {
    let upstream = RecordingServer::start().await.unwrap();
    stripe(&upstream);
    let server = stripe_server(&upstream, &[]).await;
    let open = mcp_server(&server, json!({"name": "Open"})).await;
    let blocked = mcp_server(
        &server,
        json!({"name": "No Stripe", "restrictions": {"connectors": {"mode": "blocklist", "blockedIds": ["stripe"]}}}),
    )
    .await;
    let path = open.token_path();

    // initialize (a session revision) records the client's name and version.
    initialize(&server, &path, "2025-11-25").await;
    let credential = stripe_credential(&server, &path).await;
    let (is_error, _) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
    )
    .await;
    assert!(!is_error);
    let (is_error, failed) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCharges", "parameters": {}}),
    )
    .await;
    assert!(
        is_error && failed["error"]["code"] == "UPSTREAM_ERROR",
        "{failed}"
    );
    let (is_error, _) = tool(
        &server,
        &path,
        "get_action_details_alloy",
        json!({"connectorId": "stripe", "actionId": "NoSuchAction"}),
    )
    .await;
    assert!(is_error);
    let (is_error, _) = tool(
        &server,
        &blocked.token_path(),
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers"}),
    )
    .await;
    assert!(is_error);
    // A wrong token on a real server is refused and recorded for the server's owner.
    let (status, _, _) = send(post(
        &server,
        &format!("/mcp/{}/mcp_token_wrong", open.server_id),
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    ))
    .await;
    assert_eq!(status, 401);
    // Management writes.
    let (status, _) = send_json(
        server
            .request(Method::PUT, &format!("/api/servers/{}", blocked.server_id))
            .json(&json!({"isPublic": true, "restrictions": {}})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send_json(server.request(
        Method::DELETE,
        &format!("/api/servers/{}", blocked.server_id),
    ))
    .await;
    assert_eq!(status, 200);

    let all = audit(&server, "?limit=100").await;
    let text = all.to_string();
    assert!(
        !text.contains("sk_test_audit_secret_value"),
        "no credential secret"
    );
    assert!(!text.contains(&open.token), "no access token");
    assert!(!text.contains(BOOTSTRAP_KEY), "no API key");

    let init = one(&all, "initialize", |e| e["event"] == "initialize");
    assert_eq!(init["clientName"], "it");
    assert_eq!(init["clientVersion"], "1");
    assert_eq!(init["serverId"], open.server_id.as_str());
    assert_eq!(
        init["principal"],
        json!({"kind": "access_token", "id": open.server_id})
    );
    assert_eq!(init["userId"], "default");
    assert_eq!(init["clientIp"], "127.0.0.1");
    assert_eq!(init["details"]["protocolVersion"], "2025-11-25");

    let ok = one(&all, "execute ok", |e| {
        e["tool"] == "execute_action_alloy" && e["outcome"] == "ok"
    });
    assert_eq!(ok["event"], "tools/call");
    assert_eq!(ok["connectorId"], "stripe");
    assert_eq!(ok["actionId"], "GetCustomers");
    assert_eq!(ok["upstreamStatus"], 200);
    assert_eq!(ok["credentialId"], credential.as_str());
    assert!(ok["latencyUs"].as_u64().unwrap() >= ok["upstreamLatencyUs"].as_u64().unwrap());
    assert!(ok["requestId"].as_str().is_some_and(|r| r.len() == 32));
    assert_eq!(ok["details"], Value::Null, "arguments are off by default");

    let upstream_error = one(&all, "upstream error", |e| e["outcome"] == "upstream_error");
    assert_eq!(upstream_error["upstreamStatus"], 500);
    assert_eq!(upstream_error["errorCode"], "UPSTREAM_ERROR");
    assert_eq!(upstream_error["actionId"], "GetCharges");

    let tool_error = one(&all, "tool error", |e| e["outcome"] == "tool_error");
    assert_eq!(tool_error["errorCode"], "ACTION_NOT_FOUND");
    assert_eq!(tool_error["tool"], "get_action_details_alloy");

    let restricted = one(&all, "restricted", |e| e["outcome"] == "restricted");
    assert_eq!(restricted["serverId"], blocked.server_id.as_str());
    assert_eq!(restricted["errorCode"], "FORBIDDEN");

    let refused = one(&all, "refused", |e| e["event"] == "access.refused");
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["errorCode"], "UNAUTHORIZED");
    assert_eq!(refused["details"]["status"], 401);
    assert!(
        refused["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("token")
    );

    let created = one(&all, "credential created", |e| {
        e["event"] == "credential.created"
    });
    assert_eq!(created["credentialId"], credential.as_str());
    assert_eq!(created["connectorId"], "stripe");
    let updated = one(&all, "server updated", |e| e["event"] == "server.updated");
    assert_eq!(updated["principal"]["kind"], "api_key");
    assert_eq!(
        updated["details"]["changes"]["isPublic"],
        json!({"from": false, "to": true})
    );
    assert_eq!(
        updated["details"]["changes"]["restrictions"]["from"]["connectors"]["blockedIds"],
        json!(["stripe"])
    );
    assert!(
        updated["details"]["changes"].get("name").is_none(),
        "unchanged fields are left out"
    );
    one(&all, "server deleted", |e| e["event"] == "server.deleted");
    assert_eq!(
        events(&all)
            .iter()
            .filter(|e| e["event"] == "server.created")
            .count(),
        2
    );

    // Newest first.
    let times: Vec<&str> = events(&all)
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);

    // Filters and paging.
    let total = all["total"].as_u64().unwrap();
    let page = audit(&server, "?limit=2&offset=1").await;
    assert_eq!(
        (
            page["count"].as_u64(),
            page["limit"].as_u64(),
            page["offset"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(page["total"].as_u64(), Some(total));
    assert_eq!(page["hasMore"], true);
    assert_eq!(events(&page)[0], events(&all)[1]);
    let calls = audit(&server, "?tool=execute_action_alloy").await;
    assert_eq!(calls["total"], 3, "{calls:#}");
    let stripe_ok = audit(
        &server,
        "?connectorId=stripe&actionId=GetCustomers&outcome=ok",
    )
    .await;
    assert_eq!(stripe_ok["total"], 1);
    let on_blocked = audit(&server, &format!("?serverId={}", blocked.server_id)).await;
    assert!(
        events(&on_blocked)
            .iter()
            .all(|e| e["serverId"] == blocked.server_id.as_str())
    );
    assert_eq!(
        on_blocked["total"], 4,
        "created, restricted call, updated, deleted: {on_blocked:#}"
    );
    let first = events(&all).last().unwrap()["time"]
        .as_str()
        .unwrap()
        .to_owned();
    let later = audit(&server, &format!("?from={}", first.replace('+', "%2B"))).await;
    assert_eq!(later["total"].as_u64(), Some(total));
    let before = audit(&server, &format!("?to={}", first.replace('+', "%2B"))).await;
    assert_eq!(before["total"], 0);
    assert_eq!(audit(&server, "?userId=someone-else").await["total"], 0);
    assert_eq!(
        audit(&server, "?userId=default").await["total"].as_u64(),
        Some(total - 1),
        "the refusal has no user"
    );
    for bad in [
        "?outcome=great",
        "?from=yesterday",
        "?limit=0",
        "?serverId=",
    ] {
        let (status, body) = audit_as(&server, BOOTSTRAP_KEY, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    let (status, _) = send_json(server.anonymous(Method::GET, "/api/audit")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn arguments_are_recorded_only_when_asked_and_redacted() {
    let upstream = RecordingServer::start().await.unwrap();
    stripe(&upstream);
    let server = stripe_server(&upstream, &["--audit-arguments", "all"]).await;
    let open = mcp_server(&server, json!({"name": "Args"})).await;
    let path = open.token_path();
    stripe_credential(&server, &path).await;
    tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers",
               "parameters": {"email": "a@example.com", "api_key": "abc123", "starting_after": "sk_live_zzz"}}),
    )
    .await;
    let all = audit(&server, "?tool=execute_action_alloy").await;
    let call = &events(&all)[0];
    let arguments = &call["details"]["arguments"];
    assert_eq!(arguments["connectorId"], "stripe");
    assert_eq!(arguments["parameters"]["email"], "a@example.com");
    assert_eq!(arguments["parameters"]["api_key"], "[redacted]");
    assert_eq!(arguments["parameters"]["starting_after"], "[redacted]");
    let created = audit(&server, "?tool=create_credential_alloy").await;
    let fields = &events(&created)[0]["details"]["arguments"]["fields"];
    assert_eq!(fields["token"], "[redacted]");
    assert!(!created.to_string().contains("sk_test_audit_secret_value"));

    // Only the servers named: another server's calls keep no arguments.
    let server2 = stripe_server(&upstream, &["--audit-arguments", "srv-none"]).await;
    let other = mcp_server(&server2, json!({"name": "NoArgs"})).await;
    tool(
        &server2,
        &other.token_path(),
        "list_connectors_alloy",
        json!({"query": "stripe"}),
    )
    .await;
    let listed = audit(&server2, "?tool=list_connectors_alloy").await;
    assert_eq!(events(&listed)[0]["details"], Value::Null);
}

#[tokio::test]
async fn the_trail_is_confined_to_the_account_and_to_a_token_s_user() {
    let server = TestServer::start().await;
    let open = mcp_server(&server, json!({"name": "Mine", "isPublic": true})).await;
    // Calls by two users of the default account through the public server, with the API key.
    for user in ["alice", "bob"] {
        let (status, _, _) = send(
            post_2026(
                &server,
                &format!("/mcp/{}", open.server_id),
                1,
                "tools/call",
                json!({"name": "list_connectors_alloy", "arguments": {}}),
            )
            .bearer_auth(BOOTSTRAP_KEY)
            .header("x-alloy-userid", user),
        )
        .await;
        assert_eq!(status, 200);
    }
    let account_view = audit(&server, "?tool=list_connectors_alloy").await;
    assert_eq!(account_view["total"], 2);

    // Another account sees nothing of this one, whatever it filters by.
    let other_key = server.create_key("other-account", "default").await;
    for query in [
        "",
        "?userId=alice",
        &format!("?serverId={}", open.server_id),
    ] {
        let (status, listing) = audit_as(&server, &other_key, query).await;
        assert_eq!(status, 200);
        assert!(
            events(&listing)
                .iter()
                .all(|e| e["accountId"] == "other-account"),
            "{query}: {listing:#}"
        );
        assert!(!listing.to_string().contains(&open.server_id), "{query}");
    }

    // A user token sees its own user's events only, and may not ask for another user's.
    let (status, issued) = send_json(server.request(Method::POST, "/api/users/alice/token")).await;
    assert_eq!(status, 201);
    let alice = issued["token"].as_str().unwrap();
    let (status, own) = audit_as(&server, alice, "").await;
    assert_eq!(status, 200);
    assert!(own["total"].as_u64().unwrap() >= 1);
    assert!(
        events(&own).iter().all(|e| e["userId"] == "alice"),
        "{own:#}"
    );
    let (status, body) = audit_as(&server, alice, "?userId=bob").await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn old_events_are_swept() {
    let server =
        TestServer::start_with(&["--audit-retention-days", "1", "--audit-sweep-secs", "1"]).await;
    let old = alloy_storage::AuditEventRecord {
        id: "old-event".into(),
        occurred_at: chrono::Utc::now() - chrono::Duration::days(2),
        account_id: "default".into(),
        principal_kind: "none".into(),
        event: "tools/call".into(),
        outcome: "ok".into(),
        ..Default::default()
    };
    let recent = alloy_storage::AuditEventRecord {
        id: "recent-event".into(),
        occurred_at: chrono::Utc::now() - chrono::Duration::hours(23),
        ..old.clone()
    };
    server
        .gateway()
        .db()
        .audit()
        .insert(&[old.as_new(), recent.as_new()])
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..50 {
        let all = audit(&server, "?limit=1000").await;
        ids = events(&all)
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        if !ids.contains(&"old-event".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        !ids.contains(&"old-event".to_owned()),
        "swept within 5 s: {ids:?}"
    );
    assert!(ids.contains(&"recent-event".to_owned()));
}

#[tokio::test]
async fn a_failing_audit_store_never_holds_up_requests_and_counts_what_it_dropped() {
    // PostgreSQL, with the audit table renamed away mid-run: every insert fails.
    let test_db = alloy_storage::testing::TestDatabase::postgres().await;
    let schema = test_db.schema.clone().unwrap();
    let sep = if test_db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}options=-c%20search_path%3D{schema}", test_db.url);
    let server = TestServer::start_with(&["--database-url", &url]).await;
    let open = mcp_server(&server, json!({"name": "Outage"})).await;
    let admin = sea_orm::Database::connect(test_db.url.as_str())
        .await
        .unwrap();
    let exec = |sql: String| {
        let admin = admin.clone();
        async move {
            sea_orm::ConnectionTrait::execute_unprepared(&admin, &sql)
                .await
                .unwrap()
        }
    };
    exec(format!(
        "ALTER TABLE {schema}.audit_chunks RENAME TO audit_chunks_away"
    ))
    .await;
    let started = std::time::Instant::now();
    for i in 0..20 {
        let (status, _, body) = send(post_2026(
            &server,
            &open.token_path(),
            i,
            "tools/call",
            json!({"name": "list_connectors_alloy", "arguments": {"limit": 1}}),
        ))
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let took = started.elapsed();
    server.gateway().audit().flush().await;
    let metrics = send_json(server.anonymous(Method::GET, "/metrics")).await.1;
    let metrics = metrics.as_str().unwrap().to_owned();
    let dropped = super::metrics::sample(
        &metrics,
        "alloy_audit_events_dropped_total",
        &[("reason", "database")],
    );
    assert!(
        dropped >= 20.0,
        "dropped events are counted: {dropped}\n{metrics}"
    );
    assert!(
        took < std::time::Duration::from_secs(10),
        "requests were not held up: {took:?}"
    );

    // Once the table is back, events are stored again.
    exec(format!(
        "ALTER TABLE {schema}.audit_chunks_away RENAME TO audit_chunks"
    ))
    .await;
    let (status, _, _) = send(post_2026(
        &server,
        &open.token_path(),
        99,
        "tools/call",
        json!({"name": "list_connectors_alloy", "arguments": {"limit": 1}}),
    ))
    .await;
    assert_eq!(status, 200);
    let after = audit(&server, "?tool=list_connectors_alloy").await;
    assert_eq!(
        after["total"], 1,
        "only the call after the outage: {after:#}"
    );
}
