//! Property test of restrictions in the tools' answers: whatever a server's restrictions, the
//! listings show exactly the connectors and actions they allow — a blocked one is never listed,
//! and an allowed one is never missing. Restrictions are drawn from the real catalog's IDs
//! (connector IDs, `connector.action` and bare action IDs, in allow and block lists). Bounded (48
//! cases) so that CI time stays fixed.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use super::testing::{Harness, call, error_code, ok};

/// A rule of `kind` over a subset of `ids`, or no rule.
fn rule(kind: &'static str, ids: Vec<String>) -> impl Strategy<Value = Option<Value>> {
    let (allowed, blocked) = match kind {
        "connectors" => ("allowedIds", "blockedIds"),
        _ => ("allowedActions", "blockedActions"),
    };
    let n = ids.len();
    (0..3u8, prop::sample::subsequence(ids, 0..=n.min(12))).prop_map(move |(mode, chosen)| {
        match mode {
            0 => None,
            1 => Some(json!({"mode": "allowlist", allowed: chosen})),
            _ => Some(json!({"mode": "blocklist", blocked: chosen})),
        }
    })
}

async fn check(h: &Harness, restrictions: Value) -> Result<(), TestCaseError> {
    let ctx = h.ctx(restrictions.clone());
    let rules = &ctx.server.restrictions;
    let registry = h.gateway.registry();
    let listed = ok(call(&ctx, "list_connectors_alloy", json!({"limit": 100})).await);
    let listed: BTreeSet<String> = listed["connectors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = registry
        .connectors(None)
        .into_iter()
        .filter(|c| rules.allows_connector(&c.id))
        .map(|c| c.id.clone())
        .collect();
    prop_assert_eq!(&listed, &expected, "connectors under {}", restrictions);
    for connector in registry.connectors(None) {
        let answer = call(
            &ctx,
            "get_connector_resources_alloy",
            json!({"connectorId": connector.id}),
        )
        .await;
        if !rules.allows_connector(&connector.id) {
            prop_assert_eq!(error_code(&answer), "FORBIDDEN");
            continue;
        }
        let answer = ok(answer);
        let shown: BTreeSet<String> = answer["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["actions"].as_array().into_iter().flatten())
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect();
        let allowed: BTreeSet<String> = connector
            .actions
            .iter()
            .filter(|a| rules.allows_action(&connector.id, &a.id))
            .map(|a| a.id.clone())
            .collect();
        prop_assert_eq!(answer["actionCount"].as_u64(), Some(allowed.len() as u64));
        if answer["resources"][0]["actions"].is_array() || allowed.is_empty() {
            prop_assert_eq!(&shown, &allowed, "{} under {}", connector.id, restrictions);
        } else {
            prop_assert!(shown.is_empty(), "an overview lists no action");
        }
    }
    Ok(())
}

#[test]
fn listings_show_exactly_what_the_restrictions_allow() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let h = rt.block_on(Harness::new());
    let registry = h.gateway.registry();
    let connectors: Vec<String> = registry
        .connectors(None)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let mut actions: Vec<String> = Vec::new();
    for c in registry.connectors(None) {
        for a in c.actions.iter().take(4) {
            actions.push(format!("{}.{}", c.id, a.id));
            actions.push(a.id.clone());
        }
    }
    let strategy = (rule("connectors", connectors), rule("actions", actions)).prop_map(
        |(connectors, actions)| {
            let mut r = serde_json::Map::new();
            if let Some(c) = connectors {
                r.insert("connectors".into(), c);
            }
            if let Some(a) = actions {
                r.insert("actions".into(), a);
            }
            Value::Object(r)
        },
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |restrictions| {
        rt.block_on(check(&h, restrictions))
    });
    rt.block_on(async move { drop(h) });
    if let Err(e) = result {
        panic!("{e}");
    }
}
