//! Every route, given malformed input, answers its 4xx with the reference error object:
//! `{"error": {"code": "UPPER_SNAKE", "message": "…", "details"?: {…}}}` and a JSON content
//! type; validation errors carry "Validation failed" and the four detail fields.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestServer;

/// Asserts the reference error object with a 4xx status.
#[track_caller]
fn assert_error_object(case: &str, status: u16, content_type: &str, body: &str) {
    assert!(
        (400..500).contains(&status),
        "{case}: status {status}: {body}"
    );
    assert!(
        content_type.starts_with("application/json"),
        "{case}: content type {content_type:?}"
    );
    let v: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{case}: not JSON ({e}): {body}"));
    let err = &v["error"];
    let code = err["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: no code: {v}"));
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
        "{case}: code {code:?}"
    );
    let message = err["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{case}: no message: {v}");
    let keys: Vec<&str> = err
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.iter()
            .all(|k| ["code", "message", "details"].contains(k)),
        "{case}: unexpected keys {keys:?}"
    );
    if message == "Validation failed" {
        let d = &err["details"];
        for field in ["field", "constraint", "value", "message"] {
            assert!(
                d.get(field).is_some(),
                "{case}: details.{field} missing: {v}"
            );
        }
    } else if let Some(d) = err.get("details") {
        assert!(d.is_object() || d.is_null(), "{case}: details {d}");
    }
}

#[tokio::test]
async fn every_route_answers_malformed_input_with_the_error_object() {
    let server = TestServer::start().await;
    let created = server.create_server(json!({"name": "Shapes"})).await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    let not_json = "{not json";
    let cases: Vec<(&str, Method, String, Option<&str>, bool)> = vec![
        // (case, method, path, raw body, authenticated)
        ("unknown route", Method::GET, "/nope".into(), None, true),
        (
            "method on health",
            Method::POST,
            "/healthz".into(),
            None,
            false,
        ),
        (
            "method on readiness",
            Method::DELETE,
            "/readyz".into(),
            None,
            false,
        ),
        (
            "servers unauthenticated",
            Method::GET,
            "/api/servers".into(),
            None,
            false,
        ),
        (
            "servers bad JSON",
            Method::POST,
            "/api/servers".into(),
            Some(not_json),
            true,
        ),
        (
            "servers array body",
            Method::POST,
            "/api/servers".into(),
            Some("[1]"),
            true,
        ),
        (
            "servers null name",
            Method::POST,
            "/api/servers".into(),
            Some(r#"{"name":null}"#),
            true,
        ),
        (
            "servers bad limit",
            Method::GET,
            "/api/servers?limit=abc".into(),
            None,
            true,
        ),
        (
            "server unknown",
            Method::GET,
            "/api/servers/nope-00000000".into(),
            None,
            true,
        ),
        (
            "server bad update",
            Method::PUT,
            format!("/api/servers/{id}"),
            Some(r#"{"isPublic":"maybe"}"#),
            true,
        ),
        (
            "server delete unknown",
            Method::DELETE,
            "/api/servers/nope-00000000".into(),
            None,
            true,
        ),
        (
            "server method",
            Method::PATCH,
            format!("/api/servers/{id}"),
            None,
            true,
        ),
        (
            "user token bad body",
            Method::POST,
            "/api/users/alice/token".into(),
            Some(r#"{"expiresInSeconds":"soon"}"#),
            true,
        ),
        (
            "user token method",
            Method::GET,
            "/api/users/alice/token".into(),
            None,
            true,
        ),
        (
            "user data method",
            Method::GET,
            "/api/users/alice".into(),
            None,
            true,
        ),
        (
            "credentials bad JSON",
            Method::POST,
            "/api/credentials".into(),
            Some(not_json),
            true,
        ),
        (
            "credentials missing connector",
            Method::POST,
            "/api/credentials".into(),
            Some(r#"{"authenticationType":"bearer"}"#),
            true,
        ),
        (
            "credentials unknown connector",
            Method::POST,
            "/api/credentials".into(),
            Some(r#"{"connectorId":"nope","authenticationType":"bearer","fields":{}}"#),
            true,
        ),
        (
            "credentials bad limit",
            Method::GET,
            "/api/credentials?limit=0".into(),
            None,
            true,
        ),
        (
            "credential bad id",
            Method::GET,
            "/api/credentials/xyz".into(),
            None,
            true,
        ),
        (
            "credential unknown",
            Method::GET,
            "/api/credentials/0123456789abcdef01234567".into(),
            None,
            true,
        ),
        (
            "credential delete unknown",
            Method::DELETE,
            "/api/credentials/0123456789abcdef01234567".into(),
            None,
            true,
        ),
        (
            "credential metadata unknown",
            Method::GET,
            "/api/connectors/nope/credential-metadata".into(),
            None,
            true,
        ),
        (
            "oauth apps method",
            Method::POST,
            "/api/oauth-apps".into(),
            None,
            true,
        ),
        (
            "oauth app unknown connector",
            Method::PUT,
            "/api/oauth-apps/nope".into(),
            Some(r#"{"clientId":"x"}"#),
            true,
        ),
        (
            "oauth app bad body",
            Method::PUT,
            "/api/oauth-apps/github".into(),
            Some(r#"{"clientId":5}"#),
            true,
        ),
        (
            "oauth app missing",
            Method::GET,
            "/api/oauth-apps/github".into(),
            None,
            true,
        ),
        (
            "oauth callback without state",
            Method::GET,
            "/oauth/callback".into(),
            None,
            false,
        ),
        (
            "audit bad filter",
            Method::GET,
            "/api/audit?outcome=maybe".into(),
            None,
            true,
        ),
        (
            "audit bad limit",
            Method::GET,
            "/api/audit?limit=-1".into(),
            None,
            true,
        ),
        (
            "audit unauthenticated",
            Method::GET,
            "/api/audit".into(),
            None,
            false,
        ),
        (
            "metrics unknown here",
            Method::POST,
            "/metrics".into(),
            None,
            false,
        ),
    ];
    for (case, method, path, body, authenticated) in cases {
        let mut req = if authenticated {
            server.request(method, &path)
        } else {
            server.anonymous(method, &path)
        };
        // The OAuth callback answers a browser with a page, a JSON client with the object.
        req = req.header("accept", "application/json");
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap();
        assert_error_object(case, status, &content_type, &text);
    }
}
