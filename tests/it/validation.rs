//! Every rule, limit, example and coercion of the reference's field-limits page, over HTTP.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn create(server: &TestServer, body: Value) -> (u16, Value) {
    send(server.request(Method::POST, "/api/servers").json(&body)).await
}

async fn update(server: &TestServer, id: &str, body: Value) -> (u16, Value) {
    send(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .json(&body),
    )
    .await
}

async fn get(server: &TestServer, id: &str) -> (u16, Value) {
    send(server.request(Method::GET, &format!("/api/servers/{id}"))).await
}

async fn list_names(server: &TestServer) -> Vec<String> {
    let (status, list) = send(server.request(Method::GET, "/api/servers?limit=1000")).await;
    assert_eq!(status, 200);
    list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn valid_name_examples_are_accepted() {
    let server = TestServer::start().await;
    for (name, id_head) in [
        ("My Production Server", "my-production-server-"),
        ("test-server-01", "test-server-01-"),
        ("Customer_Support_Bot", "customer-support-bot-"),
    ] {
        let (status, body) = create(&server, json!({ "name": name })).await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["name"], name);
        let id = body["serverId"].as_str().unwrap();
        assert!(id.starts_with(id_head), "{id}");
        let suffix = &id[id_head.len()..];
        assert!(
            suffix.len() == 8
                && suffix
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{id}"
        );
        // The page's defaults for the optional fields.
        assert_eq!(body["description"], "");
        assert_eq!(body["isPublic"], false);
        assert_eq!(body["tokenExpiresAt"], Value::Null);
        assert_eq!(body["restrictions"], json!({}));
    }
    // Limits: 1 and 100 characters (counted as characters, not bytes).
    for name in ["a".to_owned(), "a".repeat(100), "é".repeat(100)] {
        let (status, body) = create(&server, json!({ "name": name })).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["name"], json!(name));
    }
    // Letters and digits of any script are letters and digits.
    let (status, _) = create(&server, json!({"name": "Serveur Été 2024"})).await;
    assert_eq!(status, 201);
    assert_eq!(list_names(&server).await.len(), 7);
}

#[tokio::test]
async fn invalid_name_examples_are_refused() {
    let server = TestServer::start().await;
    assert_validation(
        &create(&server, json!({"name": ""})).await,
        "VALUE_TOO_SHORT",
        "name",
        "minLength",
        json!(1),
    );
    for blank in [" ", "   ", "\t"] {
        assert_validation(
            &create(&server, json!({ "name": blank })).await,
            "INVALID_FORMAT",
            "name",
            "notBlank",
            json!(true),
        );
    }
    for bad in ["server@123", "a/b", "dot.name", "emoji 🙂", "semi;colon"] {
        assert_validation(
            &create(&server, json!({ "name": bad })).await,
            "INVALID_FORMAT",
            "name",
            "pattern",
            json!("^[\\p{L}\\p{N} _-]+$"),
        );
    }
    assert_validation(
        &create(&server, json!({"name": "my-server-"})).await,
        "INVALID_FORMAT",
        "name",
        "noTrailingHyphen",
        json!(true),
    );
    for padded in [" lead", "trail ", " both "] {
        assert_validation(
            &create(&server, json!({ "name": padded })).await,
            "INVALID_FORMAT",
            "name",
            "noSurroundingWhitespace",
            json!(true),
        );
    }
    let too_long = create(&server, json!({ "name": "a".repeat(101) })).await;
    assert_validation(&too_long, "VALUE_TOO_LONG", "name", "maxLength", json!(100));
    assert_eq!(
        too_long.1["error"]["details"]["message"],
        "Server name must not exceed 100 characters"
    );
    assert_validation(
        &create(&server, json!({ "name": "é".repeat(101) })).await,
        "VALUE_TOO_LONG",
        "name",
        "maxLength",
        json!(100),
    );
    let (status, body) = create(&server, json!({"description": "no name"})).await;
    assert_validation(
        &(status, body),
        "MISSING_REQUIRED_FIELD",
        "name",
        "required",
        json!(true),
    );
    // Nothing was stored by any refused request.
    assert!(list_names(&server).await.is_empty());
}

#[tokio::test]
async fn names_are_unique_per_user() {
    let server = TestServer::start().await;
    let first = server.create_server(json!({"name": "Shared Name"})).await;
    let dup = create(&server, json!({"name": "Shared Name"})).await;
    assert_validation(&dup, "DUPLICATE_VALUE", "name", "unique", json!(true));
    // Another user of the same account may use it.
    let (status, body) = send(
        server
            .request(Method::POST, "/api/servers")
            .header("x-alloy-userid", "alice")
            .json(&json!({"name": "Shared Name"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // Renaming onto a taken name is refused; keeping one's own name is not a duplicate.
    let other = server.create_server(json!({"name": "Other"})).await;
    let other_id = other["serverId"].as_str().unwrap();
    assert_validation(
        &update(&server, other_id, json!({"name": "Shared Name"})).await,
        "DUPLICATE_VALUE",
        "name",
        "unique",
        json!(true),
    );
    let first_id = first["serverId"].as_str().unwrap();
    let (status, body) = update(&server, first_id, json!({"name": "Shared Name"})).await;
    assert_eq!(status, 200, "{body}");
    // Once renamed away, the name is free again.
    let (status, _) = update(&server, first_id, json!({"name": "Renamed"})).await;
    assert_eq!(status, 200);
    let (status, _) = create(&server, json!({"name": "Shared Name"})).await;
    assert_eq!(status, 201);
    let mut names = list_names(&server).await;
    names.sort();
    assert_eq!(names, ["Other", "Renamed", "Shared Name"]);
}

#[tokio::test]
async fn token_expiry_is_one_to_365_days() {
    let server = TestServer::start().await;
    for days in [1, 30, 365] {
        let (status, body) = create(
            &server,
            json!({"name": format!("Days {days}"), "tokenExpiresInDays": days}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let created =
            chrono::DateTime::parse_from_rfc3339(body["createdAt"].as_str().unwrap()).unwrap();
        let expires =
            chrono::DateTime::parse_from_rfc3339(body["tokenExpiresAt"].as_str().unwrap()).unwrap();
        let delta = (expires - created).num_seconds() - days * 86_400;
        assert!(delta.abs() <= 60, "{days} days: {body}");
    }
    assert_validation(
        &create(&server, json!({"name": "Zero", "tokenExpiresInDays": 0})).await,
        "VALIDATION_ERROR",
        "tokenExpiresInDays",
        "min",
        json!(1),
    );
    assert_validation(
        &create(
            &server,
            json!({"name": "Negative", "tokenExpiresInDays": -5}),
        )
        .await,
        "VALIDATION_ERROR",
        "tokenExpiresInDays",
        "min",
        json!(1),
    );
    assert_validation(
        &create(&server, json!({"name": "Long", "tokenExpiresInDays": 366})).await,
        "VALIDATION_ERROR",
        "tokenExpiresInDays",
        "max",
        json!(365),
    );
    // Whole numbers past the 64-bit range are out of the field's range, not of the wrong type.
    for (raw, constraint, limit) in [
        ("18446744073709551616", "max", json!(365)),
        ("1e308", "max", json!(365)),
        ("-1e308", "min", json!(1)),
        ("\"99999999999999999999\"", "max", json!(365)),
    ] {
        let resp = send(
            server
                .request(Method::POST, "/api/servers")
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"name": "Range", "tokenExpiresInDays": {raw}}}"#
                )),
        )
        .await;
        assert_validation(
            &resp,
            "VALIDATION_ERROR",
            "tokenExpiresInDays",
            constraint,
            limit,
        );
    }
    for bad in [
        json!(1.5),
        json!("soon"),
        json!(null),
        json!([30]),
        json!({}),
        // Strings hold integers in plain digits only.
        json!("1e2"),
        json!("30.0"),
        json!(" 30"),
        json!("+30"),
    ] {
        assert_validation(
            &create(&server, json!({"name": "Typed", "tokenExpiresInDays": bad})).await,
            "INVALID_FORMAT",
            "tokenExpiresInDays",
            "type",
            json!("integer"),
        );
    }
}

#[tokio::test]
async fn coercions_are_exactly_the_listed_ones() {
    let server = TestServer::start().await;
    // "100" → 100 (and a whole number written with a fraction is still that number).
    let (status, body) = create(
        &server,
        json!({"name": "Coerced", "tokenExpiresInDays": "100", "isPublic": "true"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["isPublic"], true);
    let created =
        chrono::DateTime::parse_from_rfc3339(body["createdAt"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["tokenExpiresAt"].as_str().unwrap()).unwrap();
    assert!(((expires - created).num_seconds() - 100 * 86_400).abs() <= 60);
    // 123 → "123", for the name and the description.
    let (status, body) = create(&server, json!({"name": 123, "description": 4.5})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "123");
    assert_eq!(body["description"], "4.5");
    // "false" → false.
    let (status, body) = create(&server, json!({"name": "Private", "isPublic": "false"})).await;
    assert_eq!(status, 201);
    assert_eq!(body["isPublic"], false);
    let id = body["serverId"].as_str().unwrap().to_owned();
    let (status, body) = update(&server, &id, json!({"isPublic": "true", "name": 456})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["isPublic"], &body["name"]),
        (&json!(true), &json!("456"))
    );

    // No coercion for arrays, objects and null, nor for other boolean spellings.
    for (field, value, expected) in [
        ("name", json!(["x"]), "string"),
        ("name", json!({"a": 1}), "string"),
        ("name", json!(null), "string"),
        ("name", json!(true), "string"),
        ("description", json!(null), "string"),
        ("description", json!(["d"]), "string"),
        ("isPublic", json!("yes"), "boolean"),
        ("isPublic", json!("TRUE"), "boolean"),
        ("isPublic", json!(1), "boolean"),
        ("isPublic", json!(null), "boolean"),
        ("isPublic", json!([true]), "boolean"),
        ("restrictions", json!(null), "object"),
        ("restrictions", json!("{}"), "object"),
    ] {
        let mut body = json!({"name": "Typed"});
        body[field] = value.clone();
        assert_validation(
            &create(&server, body).await,
            "INVALID_FORMAT",
            field,
            "type",
            json!(expected),
        );
        // The same rules hold on update.
        let mut body = json!({});
        body[field] = value;
        assert_validation(
            &update(&server, &id, body).await,
            "INVALID_FORMAT",
            field,
            "type",
            json!(expected),
        );
    }
}

#[tokio::test]
async fn restrictions_follow_their_schema() {
    let server = TestServer::start().await;
    let full = json!({
        "connectors": {"mode": "allowlist", "allowedIds": ["slack", "hubspot"]},
        "actions": {"mode": "blocklist", "blockedActions": ["chat_delete", "hubspot.crm_delete"]},
        "users": {"mode": "allowlist", "allowedIds": ["682a9d8bf35534170bcb457b", "user_xyz789"]}
    });
    let created = server
        .create_server(json!({"name": "Restricted", "restrictions": full}))
        .await;
    assert_eq!(created["restrictions"], full);
    assert_eq!(created["hasRestrictions"], true);
    let id = created["serverId"].as_str().unwrap().to_owned();
    let (status, got) = get(&server, &id).await;
    assert_eq!(status, 200);
    assert_eq!(got["restrictions"], full);

    // Each refused shape names the field, the rule and the rule's value.
    let cases: Vec<(Value, &str, &str, &str, Value)> = vec![
        (
            json!({"connectors": {"mode": "allowlist", "blockedIds": ["x"]}}),
            "INVALID_FORMAT",
            "restrictions.connectors.blockedIds",
            "modeMismatch",
            json!("allowedIds"),
        ),
        (
            json!({"connectors": {"mode": "blocklist", "allowedIds": ["x"], "blockedIds": ["y"]}}),
            "INVALID_FORMAT",
            "restrictions.connectors.allowedIds",
            "modeMismatch",
            json!("blockedIds"),
        ),
        (
            json!({"actions": {"mode": "allowlist", "blockedActions": ["a"]}}),
            "INVALID_FORMAT",
            "restrictions.actions.blockedActions",
            "modeMismatch",
            json!("allowedActions"),
        ),
        (
            json!({"users": {"mode": "blocklist", "allowedIds": ["u"]}}),
            "INVALID_FORMAT",
            "restrictions.users.allowedIds",
            "modeMismatch",
            json!("blockedIds"),
        ),
        (
            json!({"users": {"mode": "sometimes", "allowedIds": ["u"]}}),
            "INVALID_ENUM_VALUE",
            "restrictions.users.mode",
            "enum",
            json!(["allowlist", "blocklist"]),
        ),
        (
            json!({"connectors": {"mode": "ALLOWLIST", "allowedIds": []}}),
            "INVALID_ENUM_VALUE",
            "restrictions.connectors.mode",
            "enum",
            json!(["allowlist", "blocklist"]),
        ),
        (
            json!({"actions": {"allowedActions": ["a"]}}),
            "MISSING_REQUIRED_FIELD",
            "restrictions.actions.mode",
            "required",
            json!(true),
        ),
        (
            json!({"actions": {"mode": "allowlist", "allowedIds": ["a"]}}),
            "INVALID_FORMAT",
            "restrictions.actions.allowedIds",
            "knownKeys",
            json!(["mode", "allowedActions", "blockedActions"]),
        ),
        (
            json!({"connectors": {"mode": "allowlist", "allowedIds": "slack"}}),
            "INVALID_FORMAT",
            "restrictions.connectors.allowedIds",
            "type",
            json!("array"),
        ),
        (
            json!({"connectors": {"mode": "allowlist", "allowedIds": [["slack"]]}}),
            "INVALID_FORMAT",
            "restrictions.connectors.allowedIds[0]",
            "type",
            json!("string"),
        ),
        (
            json!({"connectors": {"mode": "allowlist", "allowedIds": ["slack", null]}}),
            "INVALID_FORMAT",
            "restrictions.connectors.allowedIds[1]",
            "type",
            json!("string"),
        ),
        (
            json!({"connectors": {"mode": "allowlist", "allowedIds": [""]}}),
            "VALUE_TOO_SHORT",
            "restrictions.connectors.allowedIds[0]",
            "minLength",
            json!(1),
        ),
        (
            json!({"users": {"mode": "allowlist", "allowedIds": ["a".repeat(10_001)]}}),
            "VALUE_TOO_LONG",
            "restrictions.users.allowedIds[0]",
            "maxLength",
            json!(10_000),
        ),
        (
            json!({"connectors": {"mode": "allowlist", "allowedIds": vec!["x"; 1001]}}),
            "VALUE_TOO_LONG",
            "restrictions.connectors.allowedIds",
            "maxItems",
            json!(1000),
        ),
        (
            json!({"connectors": "slack"}),
            "INVALID_FORMAT",
            "restrictions.connectors",
            "type",
            json!("object"),
        ),
        (
            json!({"teams": {"mode": "allowlist"}}),
            "INVALID_FORMAT",
            "restrictions.teams",
            "knownKeys",
            json!(["connectors", "actions", "users"]),
        ),
        (
            json!([]),
            "INVALID_FORMAT",
            "restrictions",
            "type",
            json!("object"),
        ),
    ];
    for (restrictions, code, field, constraint, value) in cases {
        assert_validation(
            &create(
                &server,
                json!({"name": "Bad Restrictions", "restrictions": restrictions.clone()}),
            )
            .await,
            code,
            field,
            constraint,
            value.clone(),
        );
        assert_validation(
            &update(&server, &id, json!({ "restrictions": restrictions })).await,
            code,
            field,
            constraint,
            value,
        );
    }
    // A user ID of exactly 10,000 characters is a valid entry; numbers become strings.
    let long_user = "u".repeat(10_000);
    let (status, body) = update(
        &server,
        &id,
        json!({"restrictions": {"users": {"mode": "blocklist", "blockedIds": [long_user, 42]}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["restrictions"],
        json!({"users": {"mode": "blocklist", "blockedIds": [long_user, "42"]}})
    );
    // An empty list is a valid (if strict) rule.
    let (status, body) = update(
        &server,
        &id,
        json!({"restrictions": {"connectors": {"mode": "allowlist"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["restrictions"],
        json!({"connectors": {"mode": "allowlist", "allowedIds": []}})
    );
}

#[tokio::test]
async fn put_replaces_restrictions_whole_and_keeps_absent_fields() {
    let server = TestServer::start().await;
    let created = server
        .create_server(json!({
            "name": "Replace Me",
            "description": "original",
            "isPublic": true,
            "restrictions": {
                "connectors": {"mode": "allowlist", "allowedIds": ["slack"]},
                "actions": {"mode": "blocklist", "blockedActions": ["chat_delete"]}
            }
        }))
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    // Only `users`: the other two kinds are gone, not merged.
    let users = json!({"users": {"mode": "blocklist", "blockedIds": ["mallory"]}});
    let (status, body) = update(&server, &id, json!({ "restrictions": users })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["restrictions"], users);
    // Fields the update leaves out keep their values, the restrictions included.
    let (status, body) = update(&server, &id, json!({"description": "changed"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["description"], "changed");
    assert_eq!(body["name"], "Replace Me");
    assert_eq!(body["isPublic"], true);
    assert_eq!(body["restrictions"], users);
    assert_eq!(body["accessUrl"], created["accessUrl"], "the token is kept");
    assert!(body["updatedAt"].as_str() >= created["updatedAt"].as_str());
    assert_eq!(body["createdAt"], created["createdAt"]);
    // `{}` clears them.
    let (status, body) = update(&server, &id, json!({"restrictions": {}})).await;
    assert_eq!(status, 200);
    assert_eq!(body["restrictions"], json!({}));
    assert_eq!(body["hasRestrictions"], false);
    let (_, got) = get(&server, &id).await;
    assert_eq!(got["restrictions"], json!({}));
    assert_eq!(got["description"], "changed");
    // The name rules hold on update too; a refused update changes nothing.
    assert_validation(
        &update(
            &server,
            &id,
            json!({"name": "bad@name", "description": "lost"}),
        )
        .await,
        "INVALID_FORMAT",
        "name",
        "pattern",
        json!("^[\\p{L}\\p{N} _-]+$"),
    );
    assert_validation(
        &update(&server, &id, json!({"name": ""})).await,
        "VALUE_TOO_SHORT",
        "name",
        "minLength",
        json!(1),
    );
    let (_, got) = get(&server, &id).await;
    assert_eq!(got["description"], "changed");
    // An empty update is valid and changes nothing but `updatedAt`.
    let (status, body) = update(&server, &id, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "Replace Me");
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let server = TestServer::start().await;
    for (raw, ct) in [
        ("{\"name\": ", Some("application/json")),
        ("{name: 'x'}", Some("application/json")),
        ("", Some("application/json")),
        ("{\"name\": \"x\"} trailing", None),
    ] {
        let mut req = server
            .request(Method::POST, "/api/servers")
            .body(raw.to_owned());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let resp = send(req).await;
        assert_validation(&resp, "INVALID_JSON", "body", "syntax", json!("JSON"));
        let message = resp.1["error"]["details"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Malformed JSON in request body") && message.contains("line 1"),
            "{message}"
        );
    }
    // Malformed JSON on update too.
    let created = server.create_server(json!({"name": "Json"})).await;
    let id = created["serverId"].as_str().unwrap();
    let resp = send(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .header("content-type", "application/json")
            .body("[1,"),
    )
    .await;
    assert_validation(&resp, "INVALID_JSON", "body", "syntax", json!("JSON"));
    // JSON that is not an object.
    for body in [json!([1]), json!("name"), json!(42), json!(null)] {
        assert_validation(
            &create(&server, body.clone()).await,
            "INVALID_FORMAT",
            "body",
            "type",
            json!("object"),
        );
        assert_validation(
            &update(&server, id, body).await,
            "INVALID_FORMAT",
            "body",
            "type",
            json!("object"),
        );
    }
    // A Content-Type, when sent, must be JSON; without one the body is read as JSON.
    let resp = send(
        server
            .request(Method::POST, "/api/servers")
            .header("content-type", "text/plain")
            .body(r#"{"name":"Plain"}"#),
    )
    .await;
    assert_error(&resp, 400, "INVALID_REQUEST");
    let (status, _) = send(
        server
            .request(Method::POST, "/api/servers")
            .body(r#"{"name":"No Content Type"}"#),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        server
            .request(Method::POST, "/api/servers")
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"name":"With Charset"}"#),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn user_id_examples_and_limits() {
    let server = TestServer::start().await;
    // The page's valid examples each name their own user.
    for user in [
        "682a9d8bf35534170bcb457b",
        "user_xyz789",
        "550e8400-e29b-41d4-a716",
    ] {
        let (status, body) = send(
            server
                .request(Method::POST, "/api/servers")
                .header("x-alloy-userid", user)
                .json(&json!({"name": "Per User"})),
        )
        .await;
        assert_eq!(status, 201, "{user}: {body}");
        let (status, list) = send(
            server
                .request(Method::GET, "/api/servers")
                .header("x-alloy-userid", user),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(list["count"], 1, "{user}");
    }
    // 10,000 characters is the longest user ID.
    let longest = "u".repeat(10_000);
    let (status, body) = send(
        server
            .request(Method::POST, "/api/servers")
            .header("x-alloy-userid", &longest)
            .json(&json!({"name": "Longest User"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, list) = send(
        server
            .request(Method::GET, "/api/servers")
            .header("x-alloy-userid", &longest),
    )
    .await;
    assert_eq!((status, list["count"].clone()), (200, json!(1)));
    assert_validation(
        &send(
            server
                .request(Method::GET, "/api/servers")
                .header("x-alloy-userid", "u".repeat(10_001)),
        )
        .await,
        "VALUE_TOO_LONG",
        "x-alloy-userid",
        "maxLength",
        json!(10_000),
    );
    assert_validation(
        &send(
            server
                .request(Method::GET, "/api/servers")
                .header("x-alloy-userid", ""),
        )
        .await,
        "VALUE_TOO_SHORT",
        "x-alloy-userid",
        "minLength",
        json!(1),
    );
    // The same limits apply to the user named in a token request's path.
    let (status, body) = send(server.request(
        Method::POST,
        &format!("/api/users/{}/token", "u".repeat(10_000)),
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_validation(
        &send(server.request(
            Method::POST,
            &format!("/api/users/{}/token", "u".repeat(10_001)),
        ))
        .await,
        "VALUE_TOO_LONG",
        "userId",
        "maxLength",
        json!(10_000),
    );
    // Header values are read as UTF-8, so any user ID can be named; a value that is not UTF-8
    // is refused, never ignored (ignoring it would act as the key's own user).
    let (status, body) = send(
        server
            .request(Method::POST, "/api/servers")
            .header(
                "x-alloy-userid",
                reqwest::header::HeaderValue::from_bytes("Jörg".as_bytes()).unwrap(),
            )
            .json(&json!({"name": "Umlaut User"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (_, issued) = send(server.request(Method::POST, "/api/users/J%C3%B6rg/token")).await;
    assert_eq!(issued["userId"], "Jörg");
    let (_, list) = send(server.request_with(
        issued["token"].as_str().unwrap(),
        Method::GET,
        "/api/servers",
    ))
    .await;
    assert_eq!(list["servers"][0]["name"], "Umlaut User");
    assert_validation(
        &send(
            server
                .request(Method::POST, "/api/servers")
                .header(
                    "x-alloy-userid",
                    reqwest::header::HeaderValue::from_bytes(b"J\xf6rg").unwrap(),
                )
                .json(&json!({"name": "Latin1 User"})),
        )
        .await,
        "INVALID_FORMAT",
        "x-alloy-userid",
        "encoding",
        json!("UTF-8"),
    );
    // The default user (the key's owner) saw none of these servers.
    assert!(list_names(&server).await.is_empty());
}
