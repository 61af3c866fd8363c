//! Parameter validation: every rule names the parameter, and nothing else gets through.

use alloy_connectors::{Action, Error};
use alloy_domain::ErrorCode;
use serde_json::{Value, json};

use crate::support::acme;

fn refused(action: &Action, params: Value) -> (String, String, Value) {
    match action.validate_parameters(&params) {
        Err(e @ Error::Validation(_)) => {
            assert_eq!(e.code(), ErrorCode::ValidationError);
            let d = e.details();
            assert!(
                e.to_string().contains(d["field"].as_str().unwrap()),
                "message names the parameter: {e}"
            );
            (
                d["field"].as_str().unwrap().to_owned(),
                d["constraint"].as_str().unwrap().to_owned(),
                d["value"].clone(),
            )
        }
        other => panic!("expected a validation error for {params}, got {other:?}"),
    }
}

#[test]
fn valid_parameters_pass() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    list.validate_parameters(&json!({})).unwrap();
    list.validate_parameters(&Value::Null).unwrap();
    list.validate_parameters(
        &json!({"limit": 5, "status": "open", "tags": ["a", "b"], "cursor": "x"}),
    )
    .unwrap();
    let create = c.action("items_create").unwrap();
    create
        .validate_parameters(&json!({"name": "w", "price": 2.5, "kind": "toy", "parent": {"id": "p"}, "dry_run": true}))
        .unwrap();
}

#[test]
fn required_parameters() {
    let c = acme();
    let (p, rule, _) = refused(c.action("items_get").unwrap(), json!({}));
    assert_eq!((p.as_str(), rule.as_str()), ("item_id", "required"));
    let (p, rule, _) = refused(c.action("items_search").unwrap(), json!({"limit": 3}));
    assert_eq!((p.as_str(), rule.as_str()), ("q", "required"));
    // A required body property.
    let (p, rule, _) = refused(c.action("items_create").unwrap(), json!({"price": 1}));
    assert_eq!((p.as_str(), rule.as_str()), ("name", "required"));
    let (p, rule, _) = refused(
        c.action("calls_create").unwrap(),
        json!({"AccountSid": "AC1"}),
    );
    assert_eq!((p.as_str(), rule.as_str()), ("To", "required"));
}

#[test]
fn wrong_types() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    let (p, rule, v) = refused(list, json!({"limit": "ten"}));
    assert_eq!(
        (p.as_str(), rule.as_str(), v),
        ("limit", "type", json!("integer"))
    );
    let (p, rule, _) = refused(list, json!({"tags": "a"}));
    assert_eq!((p.as_str(), rule.as_str()), ("tags", "type"));
    let (p, rule, _) = refused(list, json!({"tags": ["a", 1]}));
    assert_eq!((p.as_str(), rule.as_str()), ("tags[1]", "type"));
    let create = c.action("items_create").unwrap();
    let (p, rule, _) = refused(create, json!({"name": ["x"]}));
    assert_eq!((p.as_str(), rule.as_str()), ("name", "type"));
    let (p, rule, _) = refused(create, json!({"name": "x", "parent": {"id": 5}}));
    assert_eq!((p.as_str(), rule.as_str()), ("parent.id", "type"));
    let (p, rule, _) = refused(c.action("items_get").unwrap(), json!({"item_id": {"a": 1}}));
    assert_eq!((p.as_str(), rule.as_str()), ("item_id", "type"));
    let (p, _, _) = refused(list, json!(["not", "an", "object"]));
    assert_eq!(p, "parameters");
}

#[test]
fn unambiguous_scalars_are_coerced() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    list.validate_parameters(&json!({"limit": "10"})).unwrap();
    let (p, rule, _) = refused(list, json!({"limit": "1000"}));
    assert_eq!((p.as_str(), rule.as_str()), ("limit", "maximum"));
    c.action("items_get")
        .unwrap()
        .validate_parameters(&json!({"item_id": 42}))
        .unwrap();
}

#[test]
fn enums_limits_lengths_patterns() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    let (p, rule, v) = refused(list, json!({"status": "archived"}));
    assert_eq!(
        (p.as_str(), rule.as_str(), v),
        ("status", "enum", json!(["open", "closed"]))
    );
    let (p, rule, v) = refused(list, json!({"limit": 0}));
    assert_eq!(
        (p.as_str(), rule.as_str(), v),
        ("limit", "minimum", json!(1))
    );
    let (p, rule, v) = refused(list, json!({"limit": 101}));
    assert_eq!(
        (p.as_str(), rule.as_str(), v),
        ("limit", "maximum", json!(100))
    );
    let search = c.action("items_search").unwrap();
    let (p, rule, _) = refused(search, json!({"q": ""}));
    assert_eq!((p.as_str(), rule.as_str()), ("q", "minLength"));
    let (p, rule, v) = refused(search, json!({"q": "a".repeat(51)}));
    assert_eq!(
        (p.as_str(), rule.as_str(), v),
        ("q", "maxLength", json!(50))
    );
    let (p, rule, _) = refused(search, json!({"q": "Robert'); DROP"}));
    assert_eq!((p.as_str(), rule.as_str()), ("q", "pattern"));
    let create = c.action("items_create").unwrap();
    let (p, rule, _) = refused(create, json!({"name": "x".repeat(21)}));
    assert_eq!((p.as_str(), rule.as_str()), ("name", "maxLength"));
    let (p, rule, _) = refused(create, json!({"name": "x", "price": -1}));
    assert_eq!((p.as_str(), rule.as_str()), ("price", "minimum"));
    let (p, rule, _) = refused(create, json!({"name": "x", "kind": "food"}));
    assert_eq!((p.as_str(), rule.as_str()), ("kind", "enum"));
}

#[test]
fn unknown_parameters_are_named() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    let err = list
        .validate_parameters(&json!({"limt": 5, "colour": "red"}))
        .unwrap_err();
    assert_eq!(err.parameter(), Some("limt"), "the first one given");
    assert!(
        err.to_string().contains("`limt`") && err.to_string().contains("`colour`"),
        "{err}"
    );
    let (_, rule, known) = refused(list, json!({"limt": 5}));
    assert_eq!(rule, "unknown");
    assert_eq!(known, json!(["limit", "cursor", "status", "tags"]));
    // The body schema says additionalProperties: false.
    let (p, rule, _) = refused(
        c.action("items_create").unwrap(),
        json!({"name": "x", "colour": 1}),
    );
    assert_eq!((p.as_str(), rule.as_str()), ("colour", "unknown"));
}

#[test]
fn dot_segments_and_empty_path_values_are_refused() {
    let c = acme();
    let get = c.action("items_get").unwrap();
    for bad in [".", ".."] {
        let (p, rule, _) = refused(get, json!({"item_id": bad}));
        assert_eq!((p.as_str(), rule.as_str()), ("item_id", "path"));
    }
    let (p, rule, _) = refused(get, json!({"item_id": ""}));
    assert_eq!((p.as_str(), rule.as_str()), ("item_id", "minLength"));
    // Anything else is fine: the executor percent-encodes it.
    get.validate_parameters(&json!({"item_id": "../../admin?x=1#y@evil.com"}))
        .unwrap();
}

#[test]
fn null_optional_values_count_as_absent() {
    let c = acme();
    c.action("items_list")
        .unwrap()
        .validate_parameters(&json!({"limit": null}))
        .unwrap();
    c.action("items_create")
        .unwrap()
        .validate_parameters(&json!({"name": "x", "price": null}))
        .unwrap();
}

#[test]
fn a_required_body_must_be_given() {
    let c = acme();
    let raw = c.action("raw_post").unwrap();
    raw.validate_parameters(&json!({"body": [1, 2]})).unwrap();
    let (p, rule, _) = refused(raw, json!({"body": [1, "x"]}));
    assert_eq!((p.as_str(), rule.as_str()), ("body[1]", "type"));
}
