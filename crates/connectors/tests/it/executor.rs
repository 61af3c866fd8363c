//! The executor against a local recording server: the exact requests it sends, credential
//! injection, retries, timeouts, error mapping, pagination, size and redirect limits, and path
//! injection attempts.

use std::collections::HashMap;
use std::time::Duration;

use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};
use alloy_connectors::{
    ActionResponse, AuthType, Connector, CredentialMaterial, Error, ExecuteOptions, Executor,
    ExecutorConfig,
};
use alloy_domain::ErrorCode;
use serde_json::{Value, json};

use crate::support::acme;

struct Rig {
    server: RecordingServer,
    executor: Executor,
    acme: Connector,
}

impl Rig {
    async fn new() -> Self {
        Rig::with(|_| {}).await
    }

    async fn with(tune: impl FnOnce(&mut ExecutorConfig)) -> Self {
        let server = RecordingServer::start().await.unwrap();
        let mut config = ExecutorConfig {
            base_url_overrides: HashMap::from([("acme".to_owned(), server.url())]),
            retry_base_delay: Duration::from_millis(1),
            retry_max_delay: Duration::from_millis(5),
            upstream_allow: vec!["127.0.0.0/8".parse().unwrap()],
            ..ExecutorConfig::default()
        };
        tune(&mut config);
        Rig {
            server,
            executor: Executor::new(config).unwrap(),
            acme: acme(),
        }
    }

    async fn call(
        &self,
        action: &str,
        params: Value,
        credential: &CredentialMaterial,
    ) -> Result<ActionResponse, Error> {
        self.call_with(action, params, credential, ExecuteOptions::default())
            .await
    }

    async fn call_with(
        &self,
        action: &str,
        params: Value,
        credential: &CredentialMaterial,
        options: ExecuteOptions,
    ) -> Result<ActionResponse, Error> {
        let action = self.acme.action(action).unwrap();
        self.executor
            .execute(&self.acme, action, &params, credential, options)
            .await
    }

    fn only_request(&self) -> RecordedRequest {
        let requests = self.server.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

fn oauth() -> CredentialMaterial {
    CredentialMaterial::new(AuthType::OAuth2, [("accessToken", "tok-123")])
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn list_request_is_exact() {
    let rig = Rig::new().await;
    rig.server.push(Reply::json(
        200,
        &json!({"items": [{"id": 1}], "meta": {"next": "c2"}}),
    ));
    let response = rig
        .call(
            "items_list",
            json!({"limit": "10", "status": "open", "tags": ["a b", "c&d"]}),
            &oauth(),
        )
        .await
        .unwrap();
    let req = rig.only_request();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/items");
    assert_eq!(
        req.query.as_deref(),
        Some("limit=10&status=open&tags=a+b&tags=c%26d")
    );
    assert_eq!(req.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(
        req.header("host"),
        Some(rig.server.addr().to_string().as_str())
    );
    assert!(
        req.header("user-agent")
            .unwrap()
            .starts_with("alloy-mcp-server/")
    );
    assert!(req.body.is_empty());
    assert_eq!(response.status, 200);
    assert_eq!(response.attempts, 1);
    assert_eq!(
        response.body,
        json!({"items": [{"id": 1}], "meta": {"next": "c2"}})
    );
    assert_eq!(response.list().unwrap().len(), 1);
    assert_eq!(response.next_page, Some(json!({"cursor": "c2"})));
    assert_eq!(
        response.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
}

#[tokio::test]
async fn each_credential_type_is_injected_its_way() {
    let rig = Rig::new().await;
    let cases = [
        (
            CredentialMaterial::new(AuthType::ApiKey, [("apiKey", "k1")]),
            "x-acme-key",
            "Key k1",
        ),
        (
            CredentialMaterial::new(AuthType::Bearer, [("token", "t1")]),
            "authorization",
            "Bearer t1",
        ),
        (
            CredentialMaterial::new(AuthType::Basic, [("username", "ann"), ("password", "pw:1")]),
            "authorization",
            "Basic YW5uOnB3OjE=",
        ),
    ];
    for (cred, header, value) in cases {
        rig.server.reset();
        rig.call("users_me", json!({}), &cred).await.unwrap();
        let req = rig.only_request();
        assert_eq!(req.header(header), Some(value), "{cred:?}");
        if header != "authorization" {
            assert_eq!(req.header("authorization"), None);
        }
    }
    // An operation that names its own scheme: the key goes in the query.
    rig.server.reset();
    let cred = CredentialMaterial::new(AuthType::ApiKey, [("apiKey", "q k")]);
    rig.call("query_key_get", json!({}), &cred).await.unwrap();
    let req = rig.only_request();
    assert_eq!(req.query_pairs(), pairs(&[("api_key", "q k")]));
    assert_eq!(req.header("x-acme-key"), None);
    // `security: []`: nothing is injected.
    rig.server.reset();
    rig.call("status_get", json!({}), &oauth()).await.unwrap();
    assert_eq!(rig.only_request().header("authorization"), None);
}

#[tokio::test]
async fn credential_problems_send_nothing() {
    let rig = Rig::new().await;
    let wrong_type = CredentialMaterial::new(AuthType::Bearer, [("token", "t")]);
    let err = rig
        .call("query_key_get", json!({}), &wrong_type)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::CredentialInvalid);
    let missing = CredentialMaterial::new(AuthType::OAuth2, [("refreshToken", "r")]);
    let err = rig.call("users_me", json!({}), &missing).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CredentialInvalid);
    assert_eq!(err.details(), json!({"field": "accessToken"}));
    let newline = CredentialMaterial::new(AuthType::OAuth2, [("accessToken", "a\r\nX-Evil: 1")]);
    let err = rig.call("users_me", json!({}), &newline).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CredentialInvalid);
    assert!(!err.to_string().contains("X-Evil"), "{err}");
    let err = rig
        .call("items_get", json!({}), &oauth())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ValidationError);
    let err = rig
        .call_with(
            "users_me",
            json!({}),
            &oauth(),
            ExecuteOptions {
                timeout: Duration::from_millis(500),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.parameter(), Some("timeout"));
    assert!(rig.server.requests().is_empty());
}

#[tokio::test]
async fn required_header_defaults_and_path_values() {
    let rig = Rig::new().await;
    rig.call("items_get", json!({"item_id": 42}), &oauth())
        .await
        .unwrap();
    let req = rig.only_request();
    assert_eq!(req.path, "/items/42");
    assert_eq!(req.header("acme-version"), Some("2024-01-01"));
    rig.server.reset();
    rig.call(
        "items_get",
        json!({"item_id": "x", "Acme-Version": "2025-02-02"}),
        &oauth(),
    )
    .await
    .unwrap();
    assert_eq!(
        rig.only_request().header("acme-version"),
        Some("2025-02-02")
    );
    rig.server.reset();
    let err = rig
        .call(
            "items_get",
            json!({"item_id": "x", "Acme-Version": "a\nb"}),
            &oauth(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.parameter(), Some("Acme-Version"));
    assert!(rig.server.requests().is_empty());
}

#[tokio::test]
async fn json_bodies_are_assembled_from_flat_parameters() {
    let rig = Rig::new().await;
    rig.server.push(Reply::json(201, &json!({"id": "i1"})));
    let response = rig
        .call(
            "items_create",
            json!({"name": "widget", "price": "2.5", "dry_run": "true", "parent": {"id": "p"}}),
            &oauth(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 201);
    let req = rig.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path_and_query(), "/items?dry_run=true");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.body_json(),
        Some(json!({"name": "widget", "price": 2.5, "parent": {"id": "p"}}))
    );
}

#[tokio::test]
async fn form_bodies_and_colliding_names() {
    let rig = Rig::new().await;
    rig.call(
        "items_update",
        json!({"item_id": "path-1", "body": {"item_id": "body-1"}, "name": "n",
               "metadata": {"k": "v"}, "labels": ["x", "y"]}),
        &oauth(),
    )
    .await
    .unwrap();
    let req = rig.only_request();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, "/items/path-1");
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.form_pairs(),
        pairs(&[
            ("item_id", "body-1"),
            ("name", "n"),
            ("metadata[k]", "v"),
            ("labels", "x"),
            ("labels", "y")
        ])
    );
}

#[tokio::test]
async fn path_parameters_are_filled_from_the_credential() {
    let rig = Rig::new().await;
    let cred = CredentialMaterial::new(
        AuthType::Basic,
        [("username", "u"), ("password", "p"), ("AccountSid", "AC9")],
    );
    rig.call(
        "calls_create",
        json!({"To": "+15550100", "From": "+15550199"}),
        &cred,
    )
    .await
    .unwrap();
    let req = rig.only_request();
    assert_eq!(req.path, "/accounts/AC9/calls");
    assert_eq!(
        req.form_pairs(),
        pairs(&[("To", "+15550100"), ("From", "+15550199")])
    );
    assert_eq!(
        String::from_utf8(req.body).unwrap(),
        "To=%2B15550100&From=%2B15550199"
    );
}

#[tokio::test]
async fn raw_bodies_and_non_json_answers() {
    let rig = Rig::new().await;
    rig.server.push(Reply::text(200, "accepted 3"));
    let response = rig
        .call("raw_post", json!({"body": [1, 2, 3]}), &oauth())
        .await
        .unwrap();
    assert_eq!(rig.only_request().body_json(), Some(json!([1, 2, 3])));
    assert_eq!(response.body, json!("accepted 3"));
    rig.server.reset();
    rig.server.push(Reply::status(204));
    let response = rig
        .call("items_delete", json!({"item_id": "i1"}), &oauth())
        .await
        .unwrap();
    assert_eq!((response.status, response.body), (204, Value::Null));
    let req = rig.only_request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("DELETE", "/items/i1")
    );
    assert_eq!(req.header("content-type"), None);
}

#[tokio::test]
async fn path_injection_is_encoded_and_the_host_stays() {
    let rig = Rig::new().await;
    let host = rig.server.addr().to_string();
    let cases = [
        ("../admin", "/items/..%2Fadmin"),
        ("../../etc/passwd", "/items/..%2F..%2Fetc%2Fpasswd"),
        ("a/b", "/items/a%2Fb"),
        ("x?admin=1", "/items/x%3Fadmin%3D1"),
        ("x#frag", "/items/x%23frag"),
        ("user@evil.com", "/items/user%40evil.com"),
        ("https://evil.com/x", "/items/https%3A%2F%2Fevil.com%2Fx"),
        ("//evil.com", "/items/%2F%2Fevil.com"),
        ("%2e%2e", "/items/%252e%252e"),
        ("..%2f", "/items/..%252f"),
        ("a\\b", "/items/a%5Cb"),
        ("sp ace", "/items/sp%20ace"),
        ("ünï", "/items/%C3%BCn%C3%AF"),
        ("...", "/items/..."),
    ];
    for (value, path) in cases {
        rig.server.reset();
        rig.call("items_delete", json!({"item_id": value}), &oauth())
            .await
            .unwrap();
        let req = rig.only_request();
        assert_eq!(req.path, path, "value {value:?}");
        assert_eq!(req.query, None, "value {value:?}");
        assert_eq!(req.header("host"), Some(host.as_str()), "value {value:?}");
    }
    for value in [".", ".."] {
        let err = rig
            .call("items_delete", json!({"item_id": value}), &oauth())
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValidationError);
        assert_eq!(err.parameter(), Some("item_id"));
    }
    rig.server.reset();
    let err = rig
        .call("items_delete", json!({"item_id": "."}), &oauth())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ValidationError);
    assert!(rig.server.requests().is_empty());
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_429_and_5xx() {
    let rig = Rig::new().await;
    rig.server
        .push(Reply::json(503, &json!({"message": "busy"})));
    rig.server
        .push(Reply::json(429, &json!({})).header("retry-after", "0"));
    rig.server.push(Reply::json(200, &json!({"id": "me"})));
    let response = rig.call("users_me", json!({}), &oauth()).await.unwrap();
    assert_eq!(response.attempts, 3);
    assert_eq!(response.body, json!({"id": "me"}));
    assert_eq!(rig.server.requests().len(), 3);

    // Out of retries: the last answer is the error.
    rig.server.reset();
    rig.server
        .set_fallback(Reply::json(502, &json!({"message": "bad gateway"})));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpstreamError);
    assert_eq!(err.upstream_status(), Some(502));
    assert_eq!(rig.server.requests().len(), 3, "1 attempt + 2 retries");

    // POST is not idempotent: never retried.
    rig.server.reset();
    let err = rig
        .call("items_create", json!({"name": "x"}), &oauth())
        .await
        .unwrap_err();
    assert_eq!(err.upstream_status(), Some(502));
    assert_eq!(rig.server.requests().len(), 1);

    // A past HTTP date means "now".
    rig.server.reset();
    rig.server
        .push(Reply::status(503).header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"));
    rig.server.set_fallback(Reply::json(200, &json!({})));
    assert_eq!(
        rig.call("users_me", json!({}), &oauth())
            .await
            .unwrap()
            .attempts,
        2
    );

    // 500 is not retried.
    rig.server.reset();
    rig.server.push(Reply::status(500));
    assert!(rig.call("users_me", json!({}), &oauth()).await.is_err());
    assert_eq!(rig.server.requests().len(), 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_timeout_is_not_waited_for() {
    let rig = Rig::new().await;
    rig.server.set_fallback(
        Reply::json(429, &json!({"message": "slow down"})).header("retry-after", "3600"),
    );
    let options = ExecuteOptions::from_timeout_ms(Some(1_000)).unwrap();
    let err = rig
        .call_with("users_me", json!({}), &oauth(), options)
        .await
        .unwrap_err();
    // Had it waited, the outcome would be UPSTREAM_TIMEOUT.
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(err.details()["retryAfterSeconds"], 3600);
    assert_eq!(err.details()["upstreamMessage"], "slow down");
    assert_eq!(rig.server.requests().len(), 1);
}

#[tokio::test]
async fn an_upstream_that_never_answers_times_out() {
    let rig = Rig::new().await;
    rig.server.set_fallback(Reply::hang());
    let options = ExecuteOptions::from_timeout_ms(Some(1_000)).unwrap();
    let err = rig
        .call_with("users_me", json!({}), &oauth(), options)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpstreamTimeout);
    assert_eq!(err.details(), json!({"timeoutMs": 1000}));
}

#[tokio::test]
async fn upstream_statuses_map_to_codes_with_details() {
    let rig = Rig::new().await;
    let cases = [
        (
            Reply::json(400, &json!({"message": "name is invalid"})),
            ErrorCode::UpstreamError,
            "name is invalid",
        ),
        (
            Reply::json(401, &json!({"error": "invalid_token"})),
            ErrorCode::CredentialInvalid,
            "invalid_token",
        ),
        (
            Reply::json(403, &json!({"error": {"message": "missing scope"}})),
            ErrorCode::Forbidden,
            "missing scope",
        ),
        (
            Reply::json(404, &json!({"errors": [{"message": "no such item"}]})),
            ErrorCode::NotFound,
            "no such item",
        ),
        (
            Reply::json(422, &json!({"detail": "unprocessable"})),
            ErrorCode::UpstreamError,
            "unprocessable",
        ),
        (
            Reply::text(500, "stack trace here"),
            ErrorCode::UpstreamError,
            "stack trace here",
        ),
        (
            Reply::status(500),
            ErrorCode::UpstreamError,
            "Internal Server Error",
        ),
    ];
    for (reply, code, message) in cases {
        rig.server.reset();
        let status = reply.status;
        rig.server.push(reply);
        let err = rig
            .call("items_create", json!({"name": "x"}), &oauth())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{status}");
        assert_eq!(err.upstream_status(), Some(status));
        assert_eq!(err.is_upstream_unauthorized(), status == 401);
        let details = err.details();
        assert_eq!(details["upstreamStatus"], status);
        assert_eq!(details["upstreamMessage"], message, "{status}");
        assert!(err.to_string().contains(message), "{err}");
    }
    // Bodies that are too large for details are left out.
    rig.server.reset();
    rig.server.push(Reply::json(
        400,
        &json!({"message": "m", "pad": "x".repeat(10_000)}),
    ));
    let err = rig
        .call("items_create", json!({"name": "x"}), &oauth())
        .await
        .unwrap_err();
    assert!(err.details().get("upstreamBody").is_none());
}

#[tokio::test]
async fn in_body_errors_follow_the_document_convention() {
    let rig = Rig::new().await;
    rig.server.push(Reply::json(
        200,
        &json!({"ok": false, "error": "channel_not_found"}),
    ));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpstreamError);
    assert_eq!(err.details()["upstreamMessage"], "channel_not_found");
    assert_eq!(err.upstream_status(), Some(200));
    rig.server.push(Reply::json(
        200,
        &json!({"ok": false, "error": "invalid_auth"}),
    ));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CredentialInvalid);
    assert!(err.is_upstream_unauthorized());
    rig.server
        .push(Reply::json(200, &json!({"ok": true, "user": "U1"})));
    assert!(rig.call("users_me", json!({}), &oauth()).await.is_ok());
}

#[tokio::test]
async fn next_pages_for_every_style() {
    let rig = Rig::new().await;
    // Cursor: no cursor, no next page.
    rig.server.push(Reply::json(
        200,
        &json!({"items": [], "meta": {"next": ""}}),
    ));
    assert_eq!(
        rig.call("items_list", json!({}), &oauth())
            .await
            .unwrap()
            .next_page,
        None
    );

    // Offset: a full page continues after the items received.
    rig.server
        .push(Reply::json(200, &json!({"results": [1, 2]})));
    let r = rig
        .call(
            "items_search",
            json!({"q": "a", "offset": 4, "limit": 2}),
            &oauth(),
        )
        .await
        .unwrap();
    assert_eq!(r.next_page, Some(json!({"offset": 6})));
    rig.server.push(Reply::json(200, &json!({"results": [1]})));
    let r = rig
        .call(
            "items_search",
            json!({"q": "a", "offset": 4, "limit": 2}),
            &oauth(),
        )
        .await
        .unwrap();
    assert_eq!(r.next_page, None, "a short page is the last");

    // Page: per_page defaults to 2 in the document.
    rig.server.push(Reply::json(200, &json!([1, 2])));
    let r = rig.call("pages_list", json!({}), &oauth()).await.unwrap();
    assert_eq!(r.next_page, Some(json!({"page": 2})));
    rig.server.push(Reply::json(200, &json!([1, 2])));
    let r = rig
        .call("pages_list", json!({"page": 5}), &oauth())
        .await
        .unwrap();
    assert_eq!(r.next_page, Some(json!({"page": 6})));

    // Link header: the next link's declared parameters, typed.
    let base = rig.server.url();
    rig.server.push(Reply::json(200, &json!([1])).header(
        "link",
        &format!("<{base}/linked?page=1>; rel=\"prev\", <{base}/linked?page=3&per_page=2&secret=x>; rel=\"next\""),
    ));
    let r = rig
        .call("linked_list", json!({"page": 2}), &oauth())
        .await
        .unwrap();
    assert_eq!(r.next_page, Some(json!({"page": 3, "per_page": 2})));
    rig.server.push(
        Reply::json(200, &json!([1]))
            .header("link", &format!("<{base}/linked?page=1>; rel=\"prev\"")),
    );
    assert_eq!(
        rig.call("linked_list", json!({}), &oauth())
            .await
            .unwrap()
            .next_page,
        None
    );

    // Stripe: last item's id while has_more.
    rig.server.push(Reply::json(
        200,
        &json!({"data": [{"id": "a"}, {"id": "b"}], "has_more": true}),
    ));
    let r = rig.call("stripe_list", json!({}), &oauth()).await.unwrap();
    assert_eq!(r.next_page, Some(json!({"starting_after": "b"})));
    rig.server.push(Reply::json(
        200,
        &json!({"data": [{"id": "c"}], "has_more": false}),
    ));
    assert_eq!(
        rig.call("stripe_list", json!({}), &oauth())
            .await
            .unwrap()
            .next_page,
        None
    );
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let rig = Rig::with(|c| c.max_response_bytes = 1024).await;
    rig.server.push(Reply::text(200, &"x".repeat(1024)));
    assert_eq!(
        rig.call("users_me", json!({}), &oauth())
            .await
            .unwrap()
            .body,
        json!("x".repeat(1024))
    );
    rig.server.push(Reply::text(200, &"x".repeat(1025)));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024 }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::UpstreamError);
    // Without a Content-Length the stream is cut at the cap.
    rig.server
        .push(Reply::text(200, &"y".repeat(256 * 1024)).chunked());
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let rig = Rig::new().await;
    let other = RecordingServer::start().await.unwrap();
    rig.server
        .push(Reply::status(302).header("location", &format!("{}/steal?token=abc", other.url())));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert!(
        matches!(err, Error::RedirectRefused { status: 302, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::UpstreamError);
    assert!(!err.to_string().contains("token=abc"), "{err}");
    assert!(other.requests().is_empty());

    // Same origin: followed, credential kept.
    rig.server.reset();
    rig.server
        .push(Reply::status(301).header("location", "/users/me/v2"));
    rig.server.push(Reply::json(200, &json!({"id": "me"})));
    let r = rig.call("users_me", json!({}), &oauth()).await.unwrap();
    assert_eq!(r.body, json!({"id": "me"}));
    let requests = rig.server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, "/users/me/v2");
    assert_eq!(requests[1].header("authorization"), Some("Bearer tok-123"));

    // A same-origin loop stops after max_redirects.
    rig.server.reset();
    rig.server
        .set_fallback(Reply::status(302).header("location", "/loop"));
    let err = rig.call("users_me", json!({}), &oauth()).await.unwrap_err();
    assert!(matches!(err, Error::RedirectRefused { .. }), "{err:?}");
    assert_eq!(
        rig.server.requests().len(),
        4,
        "the original request + 3 redirects"
    );
}

#[tokio::test]
async fn base_urls_come_from_overrides_or_the_credential() {
    let executor = Executor::new(ExecutorConfig::default()).unwrap();
    let c = acme();
    let cred =
        CredentialMaterial::new(AuthType::OAuth2, [("accessToken", "t"), ("site", "team-1")]);
    assert_eq!(
        executor.base_url(&c, &cred).unwrap().as_str(),
        "https://team-1.acme.test/api"
    );
    for bad in [
        "evil.com/x",
        "evil.com?",
        "a@b",
        "x#",
        ".evil",
        "a..b",
        "a b",
    ] {
        let cred = CredentialMaterial::new(AuthType::OAuth2, [("accessToken", "t"), ("site", bad)]);
        let err = executor.base_url(&c, &cred).unwrap_err();
        assert_eq!(err.code(), ErrorCode::CredentialInvalid, "{bad}");
    }
    let err = executor.base_url(&c, &oauth()).unwrap_err();
    assert_eq!(err.details(), json!({"field": "site"}));

    let overridden = Executor::new(ExecutorConfig {
        base_url_overrides: HashMap::from([(
            "acme".into(),
            "https://acme.internal:8443/base/".into(),
        )]),
        ..ExecutorConfig::default()
    })
    .unwrap();
    assert_eq!(
        overridden.base_url(&c, &oauth()).unwrap().as_str(),
        "https://acme.internal:8443/base"
    );
    assert!(
        Executor::new(ExecutorConfig {
            base_url_overrides: HashMap::from([("acme".into(), "not a url".into())]),
            ..ExecutorConfig::default()
        })
        .is_err()
    );
}

#[tokio::test]
async fn transport_errors_never_show_query_secrets() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let executor = Executor::new(ExecutorConfig {
        base_url_overrides: HashMap::from([("acme".into(), format!("http://127.0.0.1:{port}"))]),
        retry_base_delay: Duration::from_millis(1),
        upstream_allow: vec!["127.0.0.0/8".parse().unwrap()],
        ..ExecutorConfig::default()
    })
    .unwrap();
    let c = acme();
    let cred = CredentialMaterial::new(AuthType::ApiKey, [("apiKey", "SECRET-KEY-42")]);
    let err = executor
        .execute(
            &c,
            c.action("query_key_get").unwrap(),
            &json!({}),
            &cred,
            ExecuteOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpstreamError);
    let shown = format!("{err} {err:?} {}", err.details());
    assert!(!shown.contains("SECRET-KEY-42"), "{shown}");
}
