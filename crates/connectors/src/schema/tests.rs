//! Compiling and checking schemas.

use super::*;
use alloy_domain::ErrorCode;
use serde_json::json;

use crate::error::Error;

fn check(schema: Value, value: Value) -> Result<(), (String, String)> {
    Schema::compile(&schema)
        .validate(&value, "p")
        .map_err(|e| match e {
            Error::Validation(p) => (p.parameter, p.constraint),
            other => panic!("unexpected {other:?}"),
        })
}

#[test]
fn types_and_nullable() {
    assert!(check(json!({"type":"integer"}), json!(3)).is_ok());
    assert!(check(json!({"type":"integer"}), json!(3.0)).is_ok());
    assert_eq!(
        check(json!({"type":"integer"}), json!(3.5)),
        Err(("p".into(), "type".into()))
    );
    assert!(check(json!({"type":"string"}), json!(null)).is_err());
    assert!(check(json!({"type":"string","nullable":true}), json!(null)).is_ok());
    assert!(check(json!({"type":["string","null"]}), json!(null)).is_ok());
    assert!(check(json!({}), json!({"any": 1})).is_ok());
}

#[test]
fn limits() {
    let s = json!({"type":"integer","minimum":1,"maximum":1000});
    assert_eq!(
        check(s.clone(), json!(0)),
        Err(("p".into(), "minimum".into()))
    );
    assert_eq!(
        check(s.clone(), json!(1001)),
        Err(("p".into(), "maximum".into()))
    );
    assert!(check(s, json!(1000)).is_ok());
    let ex30 = json!({"type":"number","minimum":0,"exclusiveMinimum":true});
    assert!(check(ex30, json!(0)).is_err());
    let ex31 = json!({"type":"number","exclusiveMaximum":10});
    assert!(check(ex31.clone(), json!(10)).is_err());
    assert!(check(ex31, json!(9.5)).is_ok());
    let s = json!({"type":"string","minLength":2,"maxLength":3,"pattern":"^[a-z]+$"});
    assert_eq!(
        check(s.clone(), json!("a")),
        Err(("p".into(), "minLength".into()))
    );
    assert_eq!(
        check(s.clone(), json!("abcd")),
        Err(("p".into(), "maxLength".into()))
    );
    assert_eq!(
        check(s.clone(), json!("AB")),
        Err(("p".into(), "pattern".into()))
    );
    // Length counts characters, not bytes.
    assert!(check(s, json!("éé")).is_err());
    let long = json!({"type":"string","maxLength":2});
    assert!(check(long, json!("éé")).is_ok());
}

#[test]
fn unsupported_patterns_are_not_enforced() {
    assert!(check(json!({"type":"string","pattern":"^(?!x)"}), json!("xyz")).is_ok());
}

#[test]
fn enums_and_nested_objects() {
    let s = json!({"type":"string","enum":["a","b"]});
    assert_eq!(check(s, json!("c")), Err(("p".into(), "enum".into())));
    let obj = json!({
        "type":"object","required":["name"],"additionalProperties":false,
        "properties":{"name":{"type":"string"},"tags":{"type":"array","maxItems":1,"items":{"type":"string"}}}
    });
    assert_eq!(
        check(obj.clone(), json!({})),
        Err(("p.name".into(), "required".into()))
    );
    assert_eq!(
        check(obj.clone(), json!({"name":"x","tags":[1]})),
        Err(("p.tags[0]".into(), "type".into()))
    );
    assert_eq!(
        check(obj.clone(), json!({"name":"x","tags":["a","b"]})),
        Err(("p.tags".into(), "maxItems".into()))
    );
    assert_eq!(
        check(obj, json!({"name":"x","other":1})),
        Err(("p.other".into(), "unknown".into()))
    );
}

#[test]
fn any_of_accepts_one_match() {
    let s = json!({"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]});
    assert!(check(s.clone(), json!("x")).is_ok());
    assert!(check(s.clone(), json!(7)).is_ok());
    assert_eq!(check(s, json!(1)), Err(("p".into(), "anyOf".into())));
}

#[test]
fn coercion_is_only_for_unambiguous_scalars() {
    let int = Schema::compile(&json!({"type":"integer"}));
    assert_eq!(int.coerce_scalar(&json!("10")), Some(json!(10)));
    assert_eq!(int.coerce_scalar(&json!("ten")), None);
    assert_eq!(int.coerce_scalar(&json!(10)), None);
    let s = Schema::compile(&json!({"type":"string"}));
    assert_eq!(s.coerce_scalar(&json!(5)), Some(json!("5")));
    assert_eq!(s.coerce_scalar(&json!([5])), None);
    let b = Schema::compile(&json!({"type":"boolean"}));
    assert_eq!(b.coerce_scalar(&json!("true")), Some(json!(true)));
    let e = Error::validation("x", "type", "string", "m");
    assert_eq!(e.code(), ErrorCode::ValidationError);
}
