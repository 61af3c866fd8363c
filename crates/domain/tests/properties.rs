//! Property tests of request validation and coercion: no input panics, valid bodies round-trip,
//! and a blocked action is never allowed. Bounded (256 cases each) so that CI time stays fixed.

use alloy_domain::coerce;
use alloy_domain::restrictions::Restrictions;
use alloy_domain::server::{NewServer, ServerUpdate};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, nested up to four levels, with the keys the parsers look for mixed in.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("description".to_owned()),
        Just("isPublic".to_owned()),
        Just("requireUserToken".to_owned()),
        Just("tokenExpiresInDays".to_owned()),
        Just("restrictions".to_owned()),
        Just("connectors".to_owned()),
        Just("actions".to_owned()),
        Just("users".to_owned()),
        Just("mode".to_owned()),
        Just("allowedIds".to_owned()),
        Just("blockedIds".to_owned()),
        Just("allowedActions".to_owned()),
        Just("blockedActions".to_owned()),
        "\\PC{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        prop_oneof![
            Just("allowlist"),
            Just("blocklist"),
            Just("true"),
            Just("100")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A name the rules accept: letters, digits, spaces, `-` and `_`, no surrounding whitespace,
/// not ending with `-`, 1 to 100 characters.
fn valid_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 _-]{0,98}[A-Za-z0-9_]?".prop_filter("no trailing space", |s| {
        !s.ends_with(' ') && !s.ends_with('-')
    })
}

fn id() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,15}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_body_makes_the_parsers_panic(body in any_json()) {
        let _ = NewServer::from_json(&body);
        let _ = ServerUpdate::from_json(&body);
        let _ = Restrictions::from_json(&body);
        if let Some(obj) = body.as_object() {
            for field in ["name", "tokenExpiresInDays", "isPublic", "restrictions"] {
                let _ = coerce::string(obj, field);
                let _ = coerce::integer(obj, field);
                let _ = coerce::boolean(obj, field);
                let _ = coerce::string_list(obj, field);
            }
        }
    }

    #[test]
    fn a_valid_server_body_round_trips(
        name in valid_name(),
        description in "\\PC{0,40}",
        public in any::<bool>(),
        require in any::<bool>(),
        days in 1i64..=365,
        allowed in prop::collection::vec(id(), 1..5),
    ) {
        let body = json!({
            "name": name, "description": description, "isPublic": public,
            "requireUserToken": require, "tokenExpiresInDays": days,
            "restrictions": {"connectors": {"mode": "allowlist", "allowedIds": allowed}},
        });
        let server = NewServer::from_json(&body).unwrap();
        prop_assert_eq!(&server.name, &name);
        prop_assert_eq!(&server.description, &description);
        prop_assert_eq!(server.is_public, public);
        prop_assert_eq!(server.require_user_token, require);
        prop_assert_eq!(server.token_expires_in_days, Some(days));
        let again = Restrictions::from_json(&server.restrictions.to_json()).unwrap();
        prop_assert_eq!(again, server.restrictions);
    }

    #[test]
    fn a_blocked_action_is_never_allowed(
        connector in id(),
        action in id(),
        qualified in any::<bool>(),
        others in prop::collection::vec(id(), 0..4),
    ) {
        let entry = if qualified { format!("{connector}.{action}") } else { action.clone() };
        let mut blocked = others;
        blocked.push(entry);
        let r = Restrictions::from_json(
            &json!({"actions": {"mode": "blocklist", "blockedActions": blocked}}),
        )
        .unwrap();
        prop_assert!(!r.allows_action(&connector, &action));
        let allow_only_others = Restrictions::from_json(
            &json!({"actions": {"mode": "allowlist", "allowedActions": [format!("{connector}.{action}x")]}}),
        )
        .unwrap();
        prop_assert!(!allow_only_others.allows_action(&connector, &action));
    }

    #[test]
    fn integer_strings_are_exactly_plain_digits(s in "\\PC{0,24}") {
        let obj: Map<String, Value> = [("n".to_owned(), Value::from(s.clone()))].into_iter().collect();
        let plain = {
            let digits = s.strip_prefix('-').unwrap_or(&s);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        };
        match coerce::integer(&obj, "n") {
            Ok(Some(v)) => {
                prop_assert!(plain, "{s:?} accepted as {v}");
                if let Ok(exact) = s.parse::<i64>() {
                    prop_assert_eq!(v, exact);
                }
            }
            Ok(None) => prop_assert!(false, "a present field read as absent"),
            Err(e) => prop_assert!(!plain, "{s:?} refused: {}", e.message),
        }
    }
}
