//! Tests of the tools through the real tool set, over a real gateway and database.

use serde_json::{Value, json};

use super::testing::{Harness, call, error_code, ok};
use super::tool_set;

/// Validates `value` against the output schema of `tool`.
fn assert_matches_output_schema(tool: &str, value: &Value) {
    let set = tool_set();
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

#[test]
fn definitions_are_valid_and_in_the_reference_order() {
    let set = tool_set();
    let names: Vec<&str> = set.definitions().map(|d| d.name.as_str()).collect();
    let reference = [
        "list_connectors_alloy",
        "get_connector_resources_alloy",
        "get_action_details_alloy",
        "execute_action_alloy",
        "create_credential_alloy",
        "get_credentials_alloy",
        "get_credential_metadata_alloy",
        "discover_action_path_alloy",
    ];
    let expected: Vec<&str> = reference
        .iter()
        .copied()
        .filter(|n| names.contains(n))
        .collect();
    assert_eq!(names, expected);
    for d in set.definitions() {
        d.validate().unwrap();
        assert!(d.title.is_some(), "{}", d.name);
        assert!(
            d.description.as_deref().is_some_and(|t| t.len() > 80),
            "{} needs a description written for a model",
            d.name
        );
        assert!(d.annotations.read_only_hint.is_some(), "{}", d.name);
        assert!(d.annotations.open_world_hint.is_some(), "{}", d.name);
        jsonschema::validator_for(&d.input_schema)
            .unwrap_or_else(|e| panic!("{}: input schema: {e}", d.name));
        assert_eq!(d.input_schema["additionalProperties"], false, "{}", d.name);
        if let Some(out) = &d.output_schema {
            jsonschema::validator_for(out)
                .unwrap_or_else(|e| panic!("{}: output schema: {e}", d.name));
        }
    }
}

#[tokio::test]
async fn list_connectors_lists_the_catalog_and_filters_by_category() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    let all = ok(call(&ctx, "list_connectors_alloy", json!({})).await);
    assert_matches_output_schema("list_connectors_alloy", &all);
    let ids: Vec<&str> = all["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"slack") && ids.contains(&"widgets"),
        "{ids:?}"
    );
    assert_eq!(all["count"], ids.len());
    let slack = all["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "slack")
        .unwrap();
    assert_eq!(slack["category"], "communication");
    assert!(
        slack["authTypes"]
            .as_array()
            .unwrap()
            .contains(&json!("oauth2"))
    );

    let comm = ok(call(
        &ctx,
        "list_connectors_alloy",
        json!({"category": "Communication"}),
    )
    .await);
    let list = comm["connectors"].as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|c| c["category"] == "communication"));
    assert!(list.iter().any(|c| c["id"] == "slack"));

    let unknown = call(
        &ctx,
        "list_connectors_alloy",
        json!({"category": "astrology"}),
    )
    .await;
    assert_eq!(error_code(&unknown), "VALIDATION_ERROR");
    let details = &unknown.structured_content.as_ref().unwrap()["error"]["details"];
    assert_eq!(details["field"], "category");
    assert!(details["value"].as_array().unwrap().contains(&json!("crm")));
    assert_matches_output_schema(
        "list_connectors_alloy",
        unknown.structured_content.as_ref().unwrap(),
    );

    let bad = call(&ctx, "list_connectors_alloy", json!({"category": 7})).await;
    assert_eq!(error_code(&bad), "VALIDATION_ERROR");
    let bad = call(&ctx, "list_connectors_alloy", json!({"categry": "crm"})).await;
    assert_eq!(error_code(&bad), "VALIDATION_ERROR");
}

#[tokio::test]
async fn blocked_connectors_are_absent_and_forbidden() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": ["slack"]}}));
    let all = ok(call(&ctx, "list_connectors_alloy", json!({})).await);
    assert!(!all.to_string().contains("\"slack\""));
    let comm = ok(call(
        &ctx,
        "list_connectors_alloy",
        json!({"category": "communication"}),
    )
    .await);
    assert!(
        comm["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "slack")
    );
    for (tool, args) in [
        (
            "get_connector_resources_alloy",
            json!({"connectorId": "slack"}),
        ),
        (
            "get_action_details_alloy",
            json!({"connectorId": "slack", "actionId": "chat_postMessage"}),
        ),
        (
            "get_action_details_alloy",
            json!({"connectorId": "slack", "actionId": "no_such_action"}),
        ),
        (
            "discover_action_path_alloy",
            json!({"connectorId": "slack", "goal": "send a message"}),
        ),
    ] {
        let r = call(&ctx, tool, args).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{tool}");
        assert_matches_output_schema(tool, r.structured_content.as_ref().unwrap());
    }

    // An allowlist hides every other connector, and its categories.
    let ctx = h.ctx(json!({"connectors": {"mode": "allowlist", "allowedIds": ["widgets"]}}));
    let all = ok(call(&ctx, "list_connectors_alloy", json!({})).await);
    assert_eq!(all["count"], 1);
    assert_eq!(all["connectors"][0]["id"], "widgets");
    assert_eq!(all["categories"], json!(["productivity"]));
    let r = call(
        &ctx,
        "list_connectors_alloy",
        json!({"category": "communication"}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    let r = call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "github"}),
    )
    .await;
    assert_eq!(error_code(&r), "FORBIDDEN");
    // A connector that does not exist is not found, whatever the restrictions.
    let r = call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "CONNECTOR_NOT_FOUND");
}

#[tokio::test]
async fn connector_resources_group_allowed_actions() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    let r = ok(call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await);
    assert_matches_output_schema("get_connector_resources_alloy", &r);
    assert_eq!(r["connectorId"], "widgets");
    assert_eq!(r["authTypes"], json!(["apiKey"]));
    assert_eq!(r["actionCount"], 7);
    assert_eq!(r["resources"][0]["name"], "widgets");
    assert_eq!(r["resources"][0]["description"], "Widgets in stock");
    let first = &r["resources"][0]["actions"][0];
    assert_eq!(
        *first,
        json!({"id": "list_widgets", "name": "List widgets", "description": "Lists the widgets", "method": "GET", "readOnly": true})
    );
    assert_eq!(r["resources"][1]["name"], "teams");
    assert_eq!(r["resources"][1]["actions"][0]["id"], "list_teams");

    for restrictions in [
        json!({"actions": {"mode": "blocklist", "blockedActions": ["delete_widget", "list_teams"]}}),
        json!({"actions": {"mode": "blocklist", "blockedActions": ["widgets.delete_widget", "widgets.list_teams"]}}),
    ] {
        let ctx = h.ctx(restrictions);
        let r = ok(call(
            &ctx,
            "get_connector_resources_alloy",
            json!({"connectorId": "widgets"}),
        )
        .await);
        let text = r.to_string();
        assert!(
            !text.contains("delete_widget") && !text.contains("list_teams"),
            "{text}"
        );
        assert_eq!(r["actionCount"], 5);
        // A resource left without actions disappears.
        assert_eq!(r["resources"].as_array().unwrap().len(), 1);
    }

    let r = call(&ctx, "get_connector_resources_alloy", json!({})).await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    let r = call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "CONNECTOR_NOT_FOUND");
}

#[tokio::test]
async fn action_details_describe_parameters() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    let r = ok(call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "widgets", "actionId": "create_widget"}),
    )
    .await);
    assert_matches_output_schema("get_action_details_alloy", &r);
    assert_eq!(r["method"], "POST");
    assert_eq!(r["readOnly"], false);
    assert_eq!(r["requiredParameters"], json!(["name", "team_id"]));
    assert_eq!(
        r["parametersSchema"]["required"],
        json!(["name", "team_id"])
    );
    assert_eq!(
        r["parametersSchema"]["properties"]["color"]["enum"],
        json!(["red", "blue"])
    );
    assert_eq!(
        r["exampleCall"],
        json!({"connectorId": "widgets", "actionId": "create_widget", "parameters": {"name": "<name>", "team_id": "<team_id>"}})
    );
    let names: Vec<&str> = r["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["name", "team_id", "color"]);
    assert_eq!(r["parameters"][0]["in"], "body");

    let list = ok(call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets"}),
    )
    .await);
    assert_eq!(list["listPath"], "widgets");
    assert_eq!(list["pagination"]["style"], "cursor");

    // A catalog connector whose path parameter comes from the credential (Twilio's AccountSid).
    let twilio = ok(call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "twilio", "actionId": "ListMessage"}),
    )
    .await);
    let sid = twilio["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "AccountSid")
        .unwrap();
    assert_eq!(sid["filledFromCredential"], true);
    assert!(
        !twilio["requiredParameters"]
            .as_array()
            .unwrap()
            .contains(&json!("AccountSid"))
    );

    let r = call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "widgets", "actionId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "ACTION_NOT_FOUND");
    let r = call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "nope", "actionId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "CONNECTOR_NOT_FOUND");
    let r = call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");

    for restrictions in [
        json!({"actions": {"mode": "blocklist", "blockedActions": ["create_widget"]}}),
        json!({"actions": {"mode": "blocklist", "blockedActions": ["widgets.create_widget"]}}),
        json!({"actions": {"mode": "allowlist", "allowedActions": ["widgets.list_widgets"]}}),
    ] {
        let ctx = h.ctx(restrictions);
        let r = call(
            &ctx,
            "get_action_details_alloy",
            json!({"connectorId": "widgets", "actionId": "create_widget"}),
        )
        .await;
        assert_eq!(error_code(&r), "FORBIDDEN");
    }
    // `connectorId.actionId` entries only match their own connector.
    let ctx =
        h.ctx(json!({"actions": {"mode": "blocklist", "blockedActions": ["slack.create_widget"]}}));
    ok(call(
        &ctx,
        "get_action_details_alloy",
        json!({"connectorId": "widgets", "actionId": "create_widget"}),
    )
    .await);
}

#[tokio::test]
async fn discovery_builds_an_ordered_workflow() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    let r = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "slack", "goal": "send message to channel"}),
    )
    .await);
    assert_matches_output_schema("discover_action_path_alloy", &r);
    assert_eq!(r["recommendedAction"], "chat_postMessage");
    let steps = r["steps"].as_array().unwrap();
    let tools: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| {
            (
                s["tool"].as_str().unwrap(),
                s["actionId"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        tools,
        [
            ("get_credentials_alloy", ""),
            ("get_action_details_alloy", "chat_postMessage"),
            ("execute_action_alloy", "conversations_list"),
            ("execute_action_alloy", "chat_postMessage"),
        ]
    );
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["step"], i + 1);
        assert!(!s["why"].as_str().unwrap().is_empty());
    }
    assert_eq!(steps[3]["requiredParameters"], json!(["channel"]));
    assert!(steps[2]["why"].as_str().unwrap().contains("`channel`"));
    assert!(!r["alternatives"].as_array().unwrap().is_empty());

    // Deterministic.
    let again = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "slack", "goal": "send message to channel"}),
    )
    .await);
    assert_eq!(again, r);

    let w = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets", "goal": "add a new red widget"}),
    )
    .await);
    assert_eq!(w["recommendedAction"], "create_widget");
    let ids: Vec<&str> = w["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["actionId"].as_str())
        .collect();
    assert_eq!(ids, ["create_widget", "list_teams", "create_widget"]);

    let d = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets", "goal": "remove widgets"}),
    )
    .await);
    assert_eq!(d["recommendedAction"], "delete_widget");

    // No credential step for an action that needs none.
    let p = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets", "goal": "ping"}),
    )
    .await);
    assert_eq!(p["recommendedAction"], "ping");
    assert_eq!(p["steps"][0]["tool"], "get_action_details_alloy");

    let none = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets", "goal": "zzz qqq"}),
    )
    .await);
    assert_matches_output_schema("discover_action_path_alloy", &none);
    assert_eq!(none["recommendedAction"], Value::Null);
    assert!(
        none["message"]
            .as_str()
            .unwrap()
            .contains("get_connector_resources_alloy")
    );

    let r = call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    let r = call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "widgets", "goal": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
}

#[tokio::test]
async fn discovery_never_suggests_blocked_actions() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({"actions": {"mode": "blocklist", "blockedActions": ["slack.chat_postMessage", "conversations_list"]}}));
    let r = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"connectorId": "slack", "goal": "send message to channel"}),
    )
    .await);
    let mut suggested: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["alternatives"].as_array().unwrap())
        .filter_map(|s| s["actionId"].as_str())
        .collect();
    suggested.push(r["recommendedAction"].as_str().unwrap());
    assert!(suggested.len() > 3, "{r}");
    assert!(
        suggested
            .iter()
            .all(|a| *a != "chat_postMessage" && *a != "conversations_list"),
        "{r}"
    );
}

/// `n` minimal connector documents in category `crm`.
fn generated_connectors(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "openapi": "3.1.0",
                "info": {"title": format!("Gen {i:03}"), "x-alloy-id": format!("gen-{i:03}"), "x-alloy-category": "crm", "description": "A generated connector with a long description. ".repeat(3)},
                "servers": [{"url": "https://gen.example.com"}],
                "paths": {"/x": {"get": {"operationId": "x"}}}
            })
        })
        .collect()
}

#[tokio::test]
async fn long_connector_lists_are_shaped() {
    // 10 generated + widgets: complete.
    let h = Harness::with_documents(false, &generated_connectors(10)).await;
    let r = ok(call(&h.ctx(json!({})), "list_connectors_alloy", json!({})).await);
    assert_eq!(r["count"], 11);
    assert_eq!(r["connectors"].as_array().unwrap().len(), 11);

    // 30 generated + widgets: first 25 with metadata.
    let h = Harness::with_documents(false, &generated_connectors(30)).await;
    let r = ok(call(&h.ctx(json!({})), "list_connectors_alloy", json!({})).await);
    assert_matches_output_schema("list_connectors_alloy", &r);
    assert_eq!(r["data"].as_array().unwrap().len(), 25);
    assert_eq!(
        r["metadata"],
        json!({"originalCount": 31, "displayedCount": 25, "truncated": true, "paginationHint": "Showing first 25 of 31 items."})
    );
    // Blocking some brings it under 25.
    let blocked: Vec<String> = (0..10).map(|i| format!("gen-{i:03}")).collect();
    let r = ok(call(
        &h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": blocked}})),
        "list_connectors_alloy",
        json!({}),
    )
    .await);
    assert_eq!(r["count"], 21);

    // 60 generated: refinement advice naming the category argument.
    let h = Harness::with_documents(false, &generated_connectors(60)).await;
    let r = ok(call(&h.ctx(json!({})), "list_connectors_alloy", json!({})).await);
    assert_matches_output_schema("list_connectors_alloy", &r);
    assert_eq!(r["needsRefinement"], true);
    assert_eq!(
        r["message"],
        "Found 61 connectors. This is too many to display effectively."
    );
    assert_eq!(r["suggestions"], json!(["Filter by category"]));
    assert_eq!(
        r["searchInstructions"],
        "You can search using: \n - category (argument): One of crm, productivity"
    );
    assert_eq!(r["samples"].as_array().unwrap().len(), 3);
    assert_eq!(r["samples"][0]["id"], "gen-000");
}

#[tokio::test]
async fn discovery_finds_the_obvious_action_across_the_catalog() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    for (connector, goal, expected) in [
        ("slack", "list users", "users_list"),
        ("slack", "reply in a thread", "chat_postMessage"),
        ("github", "create an issue", "issues/create"),
        ("github", "open a pull request", "pulls/create"),
        (
            "github",
            "list my repositories",
            "repos/list-for-authenticated-user",
        ),
        ("gmail", "send an email", "gmail.users.messages.send"),
        ("zendesk", "close a ticket", "UpdateTicket"),
        ("jira", "create a ticket", "createIssue"),
        ("stripe", "create a customer", "PostCustomers"),
        ("asana", "create a task in a project", "createTask"),
        ("discord", "send message to channel", "create_message"),
        (
            "hubspot",
            "find a contact by email",
            "post-/crm/v3/objects/contacts/search_doSearch",
        ),
    ] {
        let r = ok(call(
            &ctx,
            "discover_action_path_alloy",
            json!({"connectorId": connector, "goal": goal}),
        )
        .await);
        assert_eq!(r["recommendedAction"], expected, "{connector}: {goal}\n{r}");
    }
}
