//! Tests of the tools through the real tool set, over a real gateway and database.

use alloy_connectors::testing::Reply;
use serde_json::{Value, json};

use super::testing::{Harness, assert_matches_output_schema, call, error_code, ok};
use super::tool_set;

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
    let details = &unknown.structured_content().unwrap()["error"]["details"];
    assert_eq!(details["field"], "category");
    assert!(details["value"].as_array().unwrap().contains(&json!("crm")));
    assert_matches_output_schema(
        "list_connectors_alloy",
        unknown.structured_content().unwrap(),
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
        assert_matches_output_schema(tool, r.structured_content().unwrap());
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
    assert_eq!(r["authTypes"], json!(["apiKey", "oauth2"]));
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
async fn long_connector_lists_are_paged_and_shaped() {
    // 10 generated + widgets: one complete page.
    let h = Harness::with_documents(false, &generated_connectors(10)).await;
    let r = ok(call(&h.ctx(json!({})), "list_connectors_alloy", json!({})).await);
    assert_eq!(
        (r["count"].clone(), r["total"].clone()),
        (json!(11), json!(11))
    );
    assert_eq!(r["hasMore"], false);
    assert_eq!(r["connectors"].as_array().unwrap().len(), 11);

    // 30 generated + widgets: pages of 20 by default.
    let h = Harness::with_documents(false, &generated_connectors(30)).await;
    let ctx = h.ctx(json!({}));
    let r = ok(call(&ctx, "list_connectors_alloy", json!({})).await);
    assert_matches_output_schema("list_connectors_alloy", &r);
    assert_eq!(
        (r["count"].clone(), r["total"].clone()),
        (json!(20), json!(31))
    );
    assert_eq!(r["hasMore"], true);
    let r = ok(call(&ctx, "list_connectors_alloy", json!({"offset": 20})).await);
    assert_eq!(
        (r["count"].clone(), r["hasMore"].clone()),
        (json!(11), json!(false))
    );
    assert_eq!(r["connectors"][10]["id"], "widgets");
    let r = ok(call(&ctx, "list_connectors_alloy", json!({"offset": 99})).await);
    assert_eq!(r["count"], 0);
    // The response tiers apply to one page: 30 on a page is the first 25 with metadata.
    let r = ok(call(&ctx, "list_connectors_alloy", json!({"limit": 30})).await);
    assert_eq!(r["data"].as_array().unwrap().len(), 25);
    assert_eq!(
        r["metadata"],
        json!({"originalCount": 30, "displayedCount": 25, "truncated": true, "paginationHint": "Showing first 25 of 30 items."})
    );
    // Words rank: the connector named by the query comes first.
    let r = ok(call(&ctx, "list_connectors_alloy", json!({"query": "gen 007"})).await);
    assert_eq!(r["connectors"][0]["id"], "gen-007", "{r}");
    assert_eq!(r["query"], "gen 007");
    let r = ok(call(&ctx, "list_connectors_alloy", json!({"query": "zzzz qqqq"})).await);
    assert_eq!(
        (r["count"].clone(), r["total"].clone()),
        (json!(0), json!(0))
    );
    let e = call(&ctx, "list_connectors_alloy", json!({"limit": 0})).await;
    assert_eq!(error_code(&e), "VALIDATION_ERROR");
    // Blocking some leaves fewer to page through.
    let blocked: Vec<String> = (0..10).map(|i| format!("gen-{i:03}")).collect();
    let r = ok(call(
        &h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": blocked}})),
        "list_connectors_alloy",
        json!({"limit": 100}),
    )
    .await);
    assert_eq!(r["count"], 21);

    // 60 generated on one page: refinement advice naming the category argument.
    let h = Harness::with_documents(false, &generated_connectors(60)).await;
    let r = ok(call(
        &h.ctx(json!({})),
        "list_connectors_alloy",
        json!({"limit": 100}),
    )
    .await);
    assert_matches_output_schema("list_connectors_alloy", &r);
    assert_eq!(r["needsRefinement"], true);
    // The management API's view of the same page is whole: its readers page with `limit`.
    let whole = super::answers::list_connectors(
        &h.ctx(json!({})),
        json!({"limit": "100"}).as_object().unwrap().clone(),
    )
    .unwrap();
    assert_eq!(
        (whole["count"].clone(), whole["total"].clone()),
        (json!(61), json!(61))
    );
    assert_eq!(whole["connectors"].as_array().unwrap().len(), 61);
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

/// A connector of 250 actions: 100 in `alpha`, 100 in `beta`, 50 in `gamma`.
fn big_connector() -> Value {
    let mut paths = serde_json::Map::new();
    for i in 0..250 {
        let tag = match i {
            0..100 => "alpha",
            100..200 => "beta",
            _ => "gamma",
        };
        paths.insert(
            format!("/things/{i}"),
            json!({"get": {"operationId": format!("op{i:03}"), "tags": [tag]}}),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Big", "x-alloy-id": "big", "x-alloy-category": "crm"},
        "servers": [{"url": "https://big.example.com"}],
        "tags": [{"name": "beta", "description": "The second hundred."}],
        "paths": paths
    })
}

#[tokio::test]
async fn large_connectors_answer_an_overview_then_one_resource_a_page_at_a_time() {
    let h = Harness::with_documents(false, &[big_connector()]).await;
    let ctx = h.ctx(json!({}));
    let r = ok(call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "big"}),
    )
    .await);
    assert_matches_output_schema("get_connector_resources_alloy", &r);
    assert_eq!(r["actionCount"], 250);
    assert_eq!(
        r["resources"],
        json!([
            {"name": "alpha", "actionCount": 100},
            {"name": "beta", "description": "The second hundred.", "actionCount": 100},
            {"name": "gamma", "actionCount": 50}
        ])
    );
    assert!(
        r["message"].as_str().unwrap().contains("pass `resource`"),
        "{r}"
    );

    let args = json!({"connectorId": "big", "resource": "beta", "limit": 30, "offset": 90});
    let r = ok(call(&ctx, "get_connector_resources_alloy", args).await);
    assert_matches_output_schema("get_connector_resources_alloy", &r);
    let actions = r["resources"][0]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 10);
    assert_eq!(actions[0]["id"], "op190");
    assert_eq!(
        (r["hasMore"].clone(), r["offset"].clone()),
        (json!(false), json!(90))
    );
    assert_eq!(r["resources"][0]["actionCount"], 100);
    let r = ok(call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "big", "resource": "gamma"}),
    )
    .await);
    assert_eq!(r["resources"][0]["actions"].as_array().unwrap().len(), 50);
    assert_eq!(r["hasMore"], false);
    let e = call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "big", "resource": "delta"}),
    )
    .await;
    assert_eq!(error_code(&e), "VALIDATION_ERROR");

    // Under 200 allowed actions, every action is listed as before.
    let blocked: Vec<String> = (200..250).map(|i| format!("big.op{i:03}")).collect();
    let ctx = h.ctx(json!({"actions": {"mode": "blocklist", "blockedActions": blocked}}));
    let r = ok(call(
        &ctx,
        "get_connector_resources_alloy",
        json!({"connectorId": "big"}),
    )
    .await);
    assert_eq!(r["actionCount"], 200);
    assert!(r.get("message").is_none());
    assert_eq!(r["resources"][0]["actions"].as_array().unwrap().len(), 100);
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

#[tokio::test]
async fn discovery_without_a_connector_searches_every_connector() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    for (goal, connector, expected) in [
        (
            "send a message to a slack channel",
            "slack",
            "chat_postMessage",
        ),
        ("create a github issue", "github", "issues/create"),
        ("open a pull request on github", "github", "pulls/create"),
        (
            "send an email with gmail",
            "gmail",
            "gmail.users.messages.send",
        ),
        ("close a zendesk ticket", "zendesk", "UpdateTicket"),
        ("create a jira issue", "jira", "createIssue"),
        ("create a stripe customer", "stripe", "PostCustomers"),
        ("create an asana task", "asana", "createTask"),
        (
            "send a discord message to a channel",
            "discord",
            "create_message",
        ),
        (
            "create a hubspot contact",
            "hubspot",
            "post-/crm/v3/objects/contacts_create",
        ),
        ("send an sms with twilio", "twilio", "CreateMessage"),
        ("create a shopify product", "shopify", "create_product"),
        ("create a notion page", "notion", "createAPage"),
        (
            "create a google calendar event",
            "google-calendar",
            "calendar.events.insert",
        ),
    ] {
        let r = ok(call(&ctx, "discover_action_path_alloy", json!({"goal": goal})).await);
        assert_matches_output_schema("discover_action_path_alloy", &r);
        assert_eq!(
            (r["connectorId"].as_str(), r["recommendedAction"].as_str()),
            (Some(connector), Some(expected)),
            "{goal}\n{r}"
        );
        let candidates = r["candidates"].as_array().unwrap();
        assert!(
            !candidates.is_empty() && candidates[0]["why"].is_string(),
            "{r}"
        );
    }
    // Restrictions apply to every candidate.
    let ctx = h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": ["slack"]}}));
    let r = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"goal": "send a message to a slack channel"}),
    )
    .await);
    assert_ne!(r["connectorId"], "slack", "{r}");
    assert!(
        r["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["connectorId"] != "slack"),
        "{r}"
    );
    // Nothing matches: an empty plan that says what to try.
    let r = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"goal": "zzzz qqqq"}),
    )
    .await);
    assert_eq!(r["recommendedAction"], Value::Null);
    assert!(r["message"].as_str().unwrap().contains("Try other words"));
}

/// A `widgets` list answer with `n` widgets and a cursor.
fn widget_page(n: usize) -> Value {
    let widgets: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("w{i}"), "name": format!("Widget {i}"), "status": "active", "notes": "n".repeat(400)}))
        .collect();
    json!({"widgets": widgets, "next_cursor": "c2"})
}

#[tokio::test]
async fn execute_sends_the_request_with_the_credential_and_shapes_each_tier() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    h.widgets_key("key-123").await;

    // 10 items: unchanged.
    h.upstream.push(Reply::json(200, &widget_page(10)));
    let r = ok(call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets", "parameters": {"limit": 10, "status": "active"}}),
    )
    .await);
    assert_eq!(r, widget_page(10));
    let sent = h.upstream.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path, "/widgets");
    assert_eq!(
        sent[0].query_pairs(),
        [
            ("status".to_owned(), "active".to_owned()),
            ("limit".to_owned(), "10".to_owned())
        ]
    );
    assert_eq!(sent[0].header("x-api-key"), Some("key-123"));

    // 30 items: the first 25, metadata, and the answer's other members.
    h.upstream.push(Reply::json(200, &widget_page(30)));
    let r = ok(call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets"}),
    )
    .await);
    assert_eq!(
        r["data"],
        Value::Array(widget_page(30)["widgets"].as_array().unwrap()[..25].to_vec())
    );
    assert_eq!(
        r["metadata"],
        json!({"originalCount": 30, "displayedCount": 25, "truncated": true, "paginationHint": "Showing first 25 of 30 items."})
    );
    assert_eq!(r["next_cursor"], "c2");
    assert!(r.get("widgets").is_none());

    // 300 items: refinement advice from list_widgets' own parameters.
    h.upstream.push(Reply::json(200, &widget_page(300)));
    let r = ok(call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets"}),
    )
    .await);
    assert_eq!(
        r,
        json!({
            "needsRefinement": true,
            "message": "Found 300 widgets. This is too many to display effectively.",
            "guidance": crate::shaping::GUIDANCE,
            "suggestions": [
                "Try: list_widgets with limit parameter (e.g., { limit: 10 })",
                "Search for specific widgets by query",
                "Filter by status",
                "Page through results with the cursor parameter, a smaller page at a time"
            ],
            "searchInstructions": "You can search using: \n - query (query): Search by widget name \n - status (query): Filter by status (one of: active, retired) \n - limit (query): Widgets per page (e.g., 10)",
            "samples": [
                {"id": "w0", "name": "Widget 0", "status": "active"},
                {"id": "w1", "name": "Widget 1", "status": "active"},
                {"id": "w2", "name": "Widget 2", "status": "active"}
            ]
        })
    );
    assert_eq!(h.upstream.requests().len(), 3);
}

#[tokio::test]
async fn execute_checks_timeout_and_parameters_before_anything_is_sent() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    for timeout in [
        json!(999),
        json!(300_001),
        json!(-5),
        json!("soon"),
        json!(1.5),
    ] {
        let r = call(
            &ctx,
            "execute_action_alloy",
            json!({"connectorId": "widgets", "actionId": "list_widgets", "timeout": timeout}),
        )
        .await;
        assert_eq!(error_code(&r), "VALIDATION_ERROR", "{timeout}");
        assert_eq!(
            r.structured_content().unwrap()["error"]["details"]["field"],
            "timeout"
        );
    }
    // Missing required body field: refused before the (missing) credential is looked up.
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "create_widget", "parameters": {"name": "x"}}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    assert_eq!(
        r.structured_content().unwrap()["error"]["details"]["field"],
        "team_id"
    );
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets", "parameters": {"status": "melted"}}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets", "parameters": [1]}),
    )
    .await;
    assert_eq!(error_code(&r), "VALIDATION_ERROR");
    // Valid, but the user has no credential.
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets", "timeout": "5000"}),
    )
    .await;
    assert_eq!(error_code(&r), "CREDENTIAL_NOT_FOUND");
    assert!(h.upstream.requests().is_empty());

    h.widgets_key("k").await;
    // Parameters sent as JSON text (some clients do) are read as the object they hold.
    ok(call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "get_widget", "parameters": "{\"widget_id\": \"w9\"}"}),
    )
    .await);
    assert_eq!(h.upstream.requests().last().unwrap().path, "/widgets/w9");

    // The timeout is honoured: an upstream slower than it is UPSTREAM_TIMEOUT.
    h.upstream
        .push(Reply::json(200, &json!({})).delayed(std::time::Duration::from_millis(3000)));
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "get_widget", "parameters": {"widget_id": "w1"}, "timeout": 1000}),
    )
    .await;
    assert_eq!(error_code(&r), "UPSTREAM_TIMEOUT");
}

#[tokio::test]
async fn execute_chooses_the_credential_argument_then_the_header_then_the_newest() {
    let h = Harness::new().await;
    let first = h.widgets_key("key-first").await;
    let second = h.widgets_key("key-second").await;
    let run = |ctx: crate::mcp::McpContext, args: Value| async move {
        call(&ctx, "execute_action_alloy", args).await
    };
    let base = json!({"connectorId": "widgets", "actionId": "get_widget", "parameters": {"widget_id": "w 1"}});

    ok(run(h.ctx(json!({})), base.clone()).await);
    let mut with_header = h.ctx(json!({}));
    with_header.credential_id = Some(first.clone());
    ok(run(with_header.clone(), base.clone()).await);
    let mut args = base.clone();
    args["credentialId"] = json!(second);
    ok(run(with_header.clone(), args).await);
    let keys: Vec<String> = h
        .upstream
        .requests()
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["key-second", "key-first", "key-second"]);
    assert_eq!(h.upstream.requests()[0].path, "/widgets/w%201");

    // Unknown credential IDs and other users' credentials are not found.
    let mut args = base.clone();
    args["credentialId"] = json!("0123456789abcdef01234567");
    assert_eq!(
        error_code(&run(h.ctx(json!({})), args).await),
        "CREDENTIAL_NOT_FOUND"
    );
    let mut bob = h.ctx(json!({}));
    bob.caller = super::testing::caller("acct-1", "bob");
    bob.credential_id = Some(first.clone());
    assert_eq!(
        error_code(&run(bob.clone(), base.clone()).await),
        "CREDENTIAL_NOT_FOUND"
    );
    let mut other_account = bob;
    other_account.caller = super::testing::caller("acct-2", "alice");
    assert_eq!(
        error_code(&run(other_account, base.clone()).await),
        "CREDENTIAL_NOT_FOUND"
    );
    assert_eq!(h.upstream.requests().len(), 3);

    // An action that needs no credential runs without one.
    let mut carol = h.ctx(json!({}));
    carol.caller = super::testing::caller("acct-1", "carol");
    ok(run(carol, json!({"connectorId": "widgets", "actionId": "ping"})).await);
    assert_eq!(
        h.upstream.requests().last().unwrap().header("x-api-key"),
        None
    );
}

#[tokio::test]
async fn execute_refuses_blocked_actions_and_maps_upstream_errors() {
    let h = Harness::new().await;
    h.widgets_key("k").await;
    for restrictions in [
        json!({"connectors": {"mode": "blocklist", "blockedIds": ["widgets"]}}),
        json!({"actions": {"mode": "blocklist", "blockedActions": ["widgets.delete_widget"]}}),
        json!({"actions": {"mode": "allowlist", "allowedActions": ["list_widgets"]}}),
    ] {
        let r = call(
            &h.ctx(restrictions),
            "execute_action_alloy",
            json!({"connectorId": "widgets", "actionId": "delete_widget", "parameters": {"widget_id": "w1"}}),
        )
        .await;
        assert_eq!(error_code(&r), "FORBIDDEN");
    }
    assert!(h.upstream.requests().is_empty());
    let ctx = h.ctx(json!({}));
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "ACTION_NOT_FOUND");
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "nope", "actionId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "CONNECTOR_NOT_FOUND");

    h.upstream
        .push(Reply::json(500, &json!({"message": "boom"})));
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "delete_widget", "parameters": {"widget_id": "w1"}}),
    )
    .await;
    assert_eq!(error_code(&r), "UPSTREAM_ERROR");
    let details = &r.structured_content().unwrap()["error"]["details"];
    assert_eq!(details["upstreamStatus"], 500);
    assert_eq!(h.upstream.requests().last().unwrap().method, "DELETE");

    // A rejected API key is CREDENTIAL_INVALID, tried once (no refresh for keys).
    h.upstream.reset();
    h.upstream
        .push(Reply::json(401, &json!({"message": "bad key"})));
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "get_widget", "parameters": {"widget_id": "w1"}}),
    )
    .await;
    assert_eq!(error_code(&r), "CREDENTIAL_INVALID");
    assert_eq!(h.upstream.requests().len(), 1);
    assert!(
        !r.structured_content()
            .unwrap()
            .to_string()
            .contains("\"k\"")
    );
}

#[tokio::test]
async fn execute_refreshes_an_oauth_token_once_after_a_401() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    h.gateway
        .credentials()
        .oauth_apps()
        .put(
            &h.caller,
            "widgets",
            &json!({"clientId": "client-1", "clientSecret": "secret-1"}),
        )
        .await
        .unwrap();
    let credential_id = alloy_domain::ids::generate_credential_id();
    h.db.db
        .credentials()
        .insert(alloy_storage::NewCredential {
            credential_id: credential_id.clone(),
            account_id: "acct-1".into(),
            user_id: "alice".into(),
            connector_id: "widgets".into(),
            auth_type: "oauth2".into(),
            secret: alloy_storage::SecretFields(
                [("accessToken", "old-token"), ("refreshToken", "refresh-1")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            ),
            refreshable: true,
            expires_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        })
        .await
        .unwrap();
    h.upstream.set_handler(|r| match (r.path.as_str(), r.header("authorization")) {
        ("/oauth/token", _) => Reply::json(
            200,
            &json!({"access_token": "new-token", "refresh_token": "refresh-2", "expires_in": 3600, "token_type": "bearer"}),
        ),
        ("/widgets", Some("Bearer new-token")) => Reply::json(200, &widget_page(2)),
        _ => Reply::json(401, &json!({"message": "expired"})),
    });
    let r = ok(call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets"}),
    )
    .await);
    assert_eq!(r, widget_page(2));
    let sent: Vec<(String, Option<String>)> = h
        .upstream
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.header("authorization").map(str::to_owned)))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(
        sent[0],
        ("/widgets".to_owned(), Some("Bearer old-token".to_owned()))
    );
    assert_eq!(sent[1].0, "/oauth/token");
    assert_eq!(
        sent[2],
        ("/widgets".to_owned(), Some("Bearer new-token".to_owned()))
    );
    let token_form = h.upstream.requests()[1].form_pairs();
    assert!(token_form.contains(&("grant_type".to_owned(), "refresh_token".to_owned())));
    assert!(token_form.contains(&("refresh_token".to_owned(), "refresh-1".to_owned())));

    // Still refused after the refresh: one retry only.
    h.upstream.reset();
    h.upstream.set_handler(|r| match r.path.as_str() {
        "/oauth/token" => Reply::json(
            200,
            &json!({"access_token": "newer-token", "expires_in": 3600}),
        ),
        _ => Reply::json(401, &json!({"message": "nope"})),
    });
    let r = call(
        &ctx,
        "execute_action_alloy",
        json!({"connectorId": "widgets", "actionId": "list_widgets", "credentialId": credential_id}),
    )
    .await;
    assert_eq!(error_code(&r), "CREDENTIAL_INVALID");
    let widget_calls = h
        .upstream
        .requests()
        .iter()
        .filter(|r| r.path == "/widgets")
        .count();
    assert_eq!(widget_calls, 2);
}

#[tokio::test]
async fn credential_tools_follow_restrictions_and_headers() {
    let h = Harness::new().await;
    let ctx = h.ctx(json!({}));
    let meta = ok(call(
        &ctx,
        "get_credential_metadata_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await);
    assert_matches_output_schema("get_credential_metadata_alloy", &meta);
    let types: Vec<&str> = meta["authenticationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["apiKey", "oauth2"]);

    let empty = ok(call(
        &ctx,
        "get_credentials_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await);
    assert_matches_output_schema("get_credentials_alloy", &empty);
    assert_eq!(empty["credentials"], json!([]));

    let id = h.widgets_key("secret-value-1").await;
    let listed = ok(call(
        &ctx,
        "get_credentials_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await);
    assert_matches_output_schema("get_credentials_alloy", &listed);
    assert_eq!(listed["credentials"][0]["credentialId"], id);
    assert_eq!(listed["credentials"][0]["type"], "apiKey");
    assert!(!listed.to_string().contains("secret-value-1"));
    // Another user sees none of them.
    let mut bob = h.ctx(json!({}));
    bob.caller = super::testing::caller("acct-1", "bob");
    let r = ok(call(
        &bob,
        "get_credentials_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await);
    assert_eq!(r["credentials"], json!([]));

    let bad = call(
        &ctx,
        "create_credential_alloy",
        json!({"connectorId": "widgets", "authenticationType": "apiKey", "fields": {"nope": "x"}}),
    )
    .await;
    assert_eq!(error_code(&bad), "VALIDATION_ERROR");
    let bad = call(
        &ctx,
        "create_credential_alloy",
        json!({"connectorId": "widgets"}),
    )
    .await;
    assert_eq!(error_code(&bad), "VALIDATION_ERROR");

    // OAuth: the x-redirect-uri header is used when the argument is absent.
    h.gateway
        .credentials()
        .oauth_apps()
        .put(&h.caller, "widgets", &json!({"clientId": "client-1"}))
        .await
        .unwrap();
    let mut with_header = h.ctx(json!({}));
    with_header.redirect_uri = Some("https://app.example.com/done".into());
    let started = ok(call(
        &with_header,
        "create_credential_alloy",
        json!({"connectorId": "widgets", "authenticationType": "oauth2", "fields": {}}),
    )
    .await);
    assert_eq!(started["redirectUri"], "https://app.example.com/done");
    assert!(
        started["authorizationUrl"]
            .as_str()
            .unwrap()
            .contains("client_id=client-1")
    );
    let started = ok(call(
        &with_header,
        "create_credential_alloy",
        json!({"connectorId": "widgets", "authenticationType": "oauth2", "redirectUri": "https://other.example.com/cb"}),
    )
    .await);
    assert_eq!(started["redirectUri"], "https://other.example.com/cb");

    // A blocked connector is forbidden in every credential tool.
    let blocked = h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": ["widgets"]}}));
    for (tool, args) in [
        (
            "get_credential_metadata_alloy",
            json!({"connectorId": "widgets"}),
        ),
        ("get_credentials_alloy", json!({"connectorId": "widgets"})),
        (
            "create_credential_alloy",
            json!({"connectorId": "widgets", "authenticationType": "apiKey", "fields": {"apiKey": "k"}}),
        ),
    ] {
        let r = call(&blocked, tool, args).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{tool}");
        assert_matches_output_schema(tool, r.structured_content().unwrap());
    }
    let r = call(
        &ctx,
        "get_credential_metadata_alloy",
        json!({"connectorId": "nope"}),
    )
    .await;
    assert_eq!(error_code(&r), "CONNECTOR_NOT_FOUND");
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    fn value(&mut self, depth: u32) -> Value {
        let strings = [
            "",
            " ",
            "slack",
            "widgets",
            "list_widgets",
            "chat_postMessage",
            "../../etc/passwd",
            "widgets.delete_widget",
            "💥\u{0}\u{202e}",
            "%00",
            "<script>",
            "0123456789abcdef01234567",
        ];
        match self.next() % if depth == 0 { 6 } else { 8 } {
            0 => Value::Null,
            1 => json!(self.next().is_multiple_of(2)),
            2 => json!(self.next() as i64),
            3 => json!(f64::from(self.next() as u32) / 7.0),
            4 => json!(self.pick(&strings)),
            5 => json!("x".repeat((self.next() % 5000) as usize)),
            6 => Value::Array(
                (0..self.next() % 4)
                    .map(|_| self.value(depth - 1))
                    .collect(),
            ),
            _ => {
                let keys = [
                    "connectorId",
                    "actionId",
                    "parameters",
                    "goal",
                    "category",
                    "timeout",
                    "credentialId",
                    "fields",
                    "redirectUri",
                    "authenticationType",
                    "limit",
                    "widget_id",
                    "body",
                ];
                Value::Object(
                    (0..self.next() % 5)
                        .map(|_| ((*self.pick(&keys)).to_owned(), self.value(depth - 1)))
                        .collect(),
                )
            }
        }
    }
}

#[tokio::test]
async fn hostile_arguments_never_panic_and_always_answer_json() {
    let h = Harness::new().await;
    h.widgets_key("k").await;
    h.upstream.set_fallback(Reply::json(200, &widget_page(60)));
    let set = tool_set();
    let names: Vec<String> = set.definitions().map(|d| d.name.clone()).collect();
    let keys = [
        "connectorId",
        "actionId",
        "parameters",
        "goal",
        "category",
        "timeout",
        "credentialId",
        "fields",
        "redirectUri",
        "authenticationType",
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let restrictions = [
        json!({}),
        json!({"connectors": {"mode": "allowlist", "allowedIds": ["widgets"]}}),
        json!({"actions": {"mode": "blocklist", "blockedActions": ["list_widgets"]}}),
    ];
    for round in 0..600 {
        let tool = &names[round % names.len()];
        let mut args = serde_json::Map::new();
        for _ in 0..noise.next() % 6 {
            args.insert((*noise.pick(&keys)).to_owned(), noise.value(3));
        }
        let ctx = h.ctx(noise.pick(&restrictions).clone());
        let result = super::testing::call_with(&set, &ctx, tool, Value::Object(args.clone())).await;
        let value = super::testing::same_twice(&result);
        if result.is_error() {
            let code = value["error"]["code"].as_str().unwrap_or_default();
            assert!(
                !code.is_empty() && code != "INTERNAL_ERROR",
                "{tool} {args:?}: {value}"
            );
        }
        assert_matches_output_schema(tool, &value);
    }
}
