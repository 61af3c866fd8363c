//! Connectors never reach private, loopback or link-local addresses unless the operator
//! allows their network (`ALLOY_UPSTREAM_ALLOW`): by IP literal or by a name resolving to one.

use alloy_connectors::testing::RecordingServer;
use serde_json::json;

use crate::mcp::McpServer;
use crate::operations::{stripe, stripe_credential};
use crate::support::TestServer;

/// A server whose Stripe connector points at `base` (the loopback stand-in, by address or
/// by name) and that allows only a network the stand-in is not in.
async fn guarded(base: &str) -> (TestServer, String) {
    let arg = format!("stripe={base}");
    let server = TestServer::start_with(&[
        "--connector-base-urls",
        arg.as_str(),
        "--upstream-allow",
        "10.255.255.0/24",
    ])
    .await;
    let path = McpServer::create(&server, json!({"name": "Guarded"}))
        .await
        .token_path();
    (server, path)
}

#[tokio::test]
async fn loopback_upstreams_are_refused_by_address_and_by_name() {
    let upstream = RecordingServer::start().await.unwrap();
    stripe(&upstream);
    let port = upstream.url().rsplit(':').next().unwrap().to_owned();
    for base in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
    ] {
        let (server, path) = guarded(&base).await;
        // The credential's check cannot reach the platform: stored unverified, saying why.
        let (is_error, created) = crate::mcp::tools::tool(
            &server,
            &path,
            "create_credential_alloy",
            json!({"connectorId": "stripe", "authenticationType": "bearer",
                   "fields": {"token": "sk_test_guard"}}),
        )
        .await;
        assert!(!is_error, "{base}: {created}");
        assert_eq!(created["verified"], false, "{base}: {created}");
        assert!(
            created["message"].as_str().unwrap().contains("FORBIDDEN"),
            "{base}: {created}"
        );
        // The call is refused before anything is sent, and the answer says what to do.
        let (is_error, answer) = crate::mcp::tools::tool(
            &server,
            &path,
            "execute_action_alloy",
            json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
        )
        .await;
        assert!(is_error, "{base}: {answer}");
        assert_eq!(answer["error"]["code"], "FORBIDDEN", "{base}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("ALLOY_UPSTREAM_ALLOW") && message.contains("127.0.0.1"),
            "{base}: {answer}"
        );
        assert!(
            upstream.requests().is_empty(),
            "{base}: nothing reached the stand-in"
        );
    }

    // Allowed: the same stand-in is reached.
    let arg = format!("stripe={}", upstream.url());
    let server = TestServer::start_with(&["--connector-base-urls", arg.as_str()]).await;
    let path = McpServer::create(&server, json!({"name": "Allowed"}))
        .await
        .token_path();
    stripe_credential(&server, &path).await;
    assert!(!upstream.requests().is_empty());
}
