//! Property tests of JSON-RPC/MCP parsing: no body makes the parser panic, every error it
//! answers is a JSON-RPC 2.0 error, and every well-formed request parses as one. Bounded
//! (256 cases each) so that CI time stays fixed.

use alloy_mcp_protocol::{Message, parse};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("jsonrpc".to_owned()),
        Just("id".to_owned()),
        Just("method".to_owned()),
        Just("params".to_owned()),
        Just("result".to_owned()),
        Just("error".to_owned()),
        Just("_meta".to_owned()),
        "\\PC{0,10}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from("2.0")),
        Just(Value::from("tools/call")),
        "\\PC{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_bytes_make_the_parser_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(response) = parse(&body) {
            let v = serde_json::to_value(&response).unwrap();
            prop_assert_eq!(&v["jsonrpc"], "2.0");
            prop_assert!(v["error"]["code"].is_i64());
        }
    }

    #[test]
    fn no_json_makes_the_parser_panic(value in any_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Err(response) = parse(&bytes) {
            let v = serde_json::to_value(&response).unwrap();
            prop_assert_eq!(&v["jsonrpc"], "2.0");
            let code = v["error"]["code"].as_i64().unwrap();
            prop_assert!(code == -32600 || code == -32700, "code {code}");
        }
    }

    #[test]
    fn a_well_formed_request_parses_as_one(
        id in prop_oneof![any::<i64>().prop_map(Value::from), "[a-z0-9-]{1,20}".prop_map(Value::from)],
        method in "[a-z]{1,12}(/[a-zA-Z]{1,12})?",
        arguments in prop::collection::vec(("[a-z]{1,8}", any::<i64>()), 0..4),
    ) {
        let args: Map<String, Value> = arguments.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {"arguments": args}});
        match parse(&serde_json::to_vec(&body).unwrap()) {
            Ok(Message::Request(r)) => prop_assert_eq!(r.method, method),
            other => prop_assert!(false, "{body} parsed as {other:?}"),
        }
    }
}
