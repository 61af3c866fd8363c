//! Property tests of OpenAPI loading: no document makes the loader panic or hang, and what it
//! loads keeps its invariants. The inputs are the curated catalog's documents and the test
//! documents (the seeds), each bent by a few random mutations — a subtree replaced by any JSON
//! value, removed, turned into a `$ref` to an ancestor (a cycle) or to nowhere. Bounded (96
//! cases) so that CI time stays fixed.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use alloy_connectors::openapi::{LoadOptions, is_valid_connector_id, load_value};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The seed documents: every curated connector and every engine test document.
static SEEDS: LazyLock<Vec<(String, Value)>> = LazyLock::new(|| {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in [root.join("catalog"), root.join("tests").join("data")] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Ok(doc) = serde_json::from_str(&text) {
                seeds.push((path.display().to_string(), doc));
            }
        }
    }
    assert!(seeds.len() >= 17, "seeds: {}", seeds.len());
    seeds
});

/// Any JSON value, nested up to three levels, with OpenAPI's own keys mixed in.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("$ref".to_owned()),
        Just("type".to_owned()),
        Just("properties".to_owned()),
        Just("items".to_owned()),
        Just("allOf".to_owned()),
        Just("parameters".to_owned()),
        Just("schema".to_owned()),
        Just("in".to_owned()),
        Just("name".to_owned()),
        Just("required".to_owned()),
        Just("servers".to_owned()),
        Just("url".to_owned()),
        "\\PC{0,10}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        prop_oneof![
            Just("#/components/schemas/Nope"),
            Just("#/"),
            Just("#"),
            Just("https://{site}.example.com"),
            Just("object"),
            Just("array"),
            Just("path"),
            Just("query"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    RefToAncestor(usize),
    RefToNowhere,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any_json().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        2 => any::<usize>().prop_map(Mutation::RefToAncestor),
        1 => Just(Mutation::RefToNowhere),
    ]
}

/// The JSON pointer escape of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The top-level member a mutation goes into: mostly where operations and schemas are (the
/// version field and the document's own type are `garbage_never_panics`'s concern).
fn section() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("paths"),
        3 => Just("components"),
        1 => Just("info"),
        1 => Just("servers"),
        1 => Just("security"),
        1 => Just("tags"),
    ]
}

/// Walks from `section` choosing children by `walk`, then applies `m` at the place reached.
fn mutate(doc: &mut Value, section: &str, walk: &[usize], m: &Mutation) {
    let mut pointer = vec![section.to_owned()];
    let Some(mut at) = doc.get(section) else {
        return;
    };
    for step in walk {
        let next = match at {
            Value::Object(map) if !map.is_empty() => map
                .iter()
                .nth(step % map.len())
                .map(|(k, v)| (escape(k), v)),
            Value::Array(items) if !items.is_empty() => {
                let i = step % items.len();
                Some((i.to_string(), &items[i]))
            }
            _ => None,
        };
        match next {
            Some((token, child)) if !child.is_null() => {
                pointer.push(token);
                at = child;
            }
            _ => break,
        }
    }
    let replacement = match m {
        Mutation::Replace(v) => v.clone(),
        Mutation::Remove => Value::Null,
        Mutation::RefToAncestor(n) => {
            let keep = n % (pointer.len() + 1);
            let target: String = pointer[..keep].iter().map(|t| format!("/{t}")).collect();
            serde_json::json!({ "$ref": format!("#{target}") })
        }
        Mutation::RefToNowhere => serde_json::json!({ "$ref": "#/components/schemas/Nowhere" }),
    };
    let place: String = pointer.iter().map(|t| format!("/{t}")).collect();
    if let Some(target) = doc.pointer_mut(&place) {
        *target = replacement;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_document_makes_the_loader_panic_and_what_loads_is_sound(
        seed in any::<usize>(),
        mutations in prop::collection::vec(
            (section(), prop::collection::vec(any::<usize>(), 0..8), mutation()),
            1..5,
        ),
    ) {
        let (name, original) = &SEEDS[seed % SEEDS.len()];
        let mut doc = original.clone();
        for (section, walk, m) in &mutations {
            mutate(&mut doc, section, walk, m);
        }
        let options = || LoadOptions { fallback_id: Some("fallback"), ..LoadOptions::default() };
        let first = load_value(name, &doc, options());
        let again = load_value(name, &doc, options());
        match (first, again) {
            (Ok(loaded), Ok(again)) => {
                let c = &loaded.connector;
                prop_assert!(is_valid_connector_id(&c.id), "connector id {:?}", c.id);
                let mut ids = HashSet::new();
                for action in &c.actions {
                    prop_assert!(!action.id.is_empty(), "an action without an id");
                    prop_assert!(ids.insert(action.id.clone()), "action id {} twice", action.id);
                    prop_assert!(action.path.starts_with('/'), "path {:?}", action.path);
                }
                for action in &c.actions {
                    let listed = c.resources.iter().any(|r| {
                        r.name == action.resource && r.actions.contains(&action.id)
                    });
                    prop_assert!(listed, "action {} is not listed under {}", action.id, action.resource);
                }
                for r in &c.resources {
                    for id in &r.actions {
                        prop_assert!(ids.contains(id), "resource {} lists unknown action {}", r.name, id);
                    }
                }
                // Loading is a function of the document.
                prop_assert_eq!(
                    serde_json::to_value(c).unwrap(),
                    serde_json::to_value(&again.connector).unwrap()
                );
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "loading twice disagreed: {:?} / {:?}", a.is_ok(), b.is_ok()),
        }
    }
}
