//! Unit tests of goal reading and look-up entities.

use std::collections::BTreeSet;

use super::goal::{Goal, Intent, words};
use super::lookups::referenced_entity;

#[test]
fn words_split_humps_and_punctuation_and_drop_plurals() {
    assert_eq!(words("chat_postMessage"), ["chat", "post", "message"]);
    assert_eq!(
        words("repos/list-for-authenticated-user"),
        ["repo", "list", "for", "authenticated", "user"]
    );
    assert_eq!(words("Companies status"), ["company", "status"]);
    assert_eq!(words("ÉTÉ été"), ["été", "été"]);
    assert!(words("").is_empty());
}

#[test]
fn goals_separate_intents_from_terms() {
    let g = Goal::parse("Please send a DM to the #general room");
    assert_eq!(g.intents, BTreeSet::from([Intent::Send]));
    let terms: Vec<(&str, &str)> = g
        .terms
        .iter()
        .map(|t| (t.literal.as_str(), t.canonical.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            ("dm", "message"),
            ("general", "general"),
            ("room", "channel")
        ]
    );
    assert!(!g.terms[0].context && g.terms[2].context);
    let g = Goal::parse("list my repositories");
    assert_eq!(g.verbs, ["list"]);
    assert_eq!(
        g.terms
            .iter()
            .map(|t| t.canonical.as_str())
            .collect::<Vec<_>>(),
        ["my", "repo"]
    );
}

#[test]
fn referenced_entities() {
    assert_eq!(referenced_entity("channel").as_deref(), Some("channel"));
    assert_eq!(referenced_entity("owner_id").as_deref(), Some("user"));
    assert_eq!(referenced_entity("projectGid").as_deref(), Some("project"));
    assert_eq!(referenced_entity("text"), None);
    assert_eq!(referenced_entity("id"), None);
}
