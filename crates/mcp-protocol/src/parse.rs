//! Turns a raw POST body into a [`Message`], or into the JSON-RPC error that answers it.
//!
//! Bad JSON is `-32700`; JSON that is not a JSON-RPC 2.0 message is `-32600`. Inside a batch,
//! each bad element becomes its own `-32600` entry, as JSON-RPC 2.0 prescribes. Nothing here
//! panics, whatever the input: serde_json bounds nesting depth, and every shape is checked
//! before it is used.

use serde_json::{Map, Value};

use crate::jsonrpc::{
    BatchEntry, ErrorObject, Id, JSONRPC_VERSION, Message, Notification, Payload, Request, Response,
};

/// Most entries accepted in one batch. A batch is one HTTP request, so without a bound one
/// POST could start an unbounded number of tool calls past a per-request rate limit.
pub const MAX_BATCH_ENTRIES: usize = 100;

/// Parses a POST body.
///
/// `Err` holds the complete error response to send: `-32700` when the bytes are not JSON,
/// `-32600` when the JSON is not a JSON-RPC message (carrying the request's id when it could
/// be read, `null` otherwise). An empty array and an array longer than [`MAX_BATCH_ENTRIES`]
/// are `-32600` too.
pub fn parse(body: &[u8]) -> Result<Message, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Response::error(None, ErrorObject::parse_error(e)))?;
    parse_value(value)
}

/// Like [`parse`], for a body already decoded as JSON.
pub fn parse_value(value: Value) -> Result<Message, Response> {
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(Response::error(
                    None,
                    ErrorObject::invalid_request("empty batch"),
                ));
            }
            if items.len() > MAX_BATCH_ENTRIES {
                return Err(Response::error(
                    None,
                    ErrorObject::invalid_request(format!(
                        "a batch may hold at most {MAX_BATCH_ENTRIES} messages"
                    )),
                ));
            }
            let entries = items
                .into_iter()
                .map(|item| match single(item) {
                    Ok(Single::Request(r)) => BatchEntry::Request(r),
                    Ok(Single::Notification(n)) => BatchEntry::Notification(n),
                    Ok(Single::Response(r)) => BatchEntry::Response(r),
                    Err(e) => BatchEntry::Invalid(e),
                })
                .collect();
            Ok(Message::Batch(entries))
        }
        other => single(other).map(|m| match m {
            Single::Request(r) => Message::Request(r),
            Single::Notification(n) => Message::Notification(n),
            Single::Response(r) => Message::Response(r),
        }),
    }
}

/// One message that is not a batch.
enum Single {
    Request(Request),
    Notification(Notification),
    Response(Response),
}

/// Classifies one JSON value as a request, notification or response.
fn single(value: Value) -> Result<Single, Response> {
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "a message must be a JSON object"));
    };
    // Read the id first so that shape errors can still be answered to the right request.
    let id_member = obj.remove("id");
    let id = id_member.as_ref().and_then(Id::from_value);

    if obj.get("jsonrpc").and_then(Value::as_str) != Some(JSONRPC_VERSION) {
        return Err(invalid(id, "\"jsonrpc\" must be \"2.0\""));
    }

    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return Err(invalid(id, "\"method\" must be a string"));
        };
        let params = take_params(&mut obj).map_err(|msg| invalid(id.clone(), msg))?;
        return match id_member {
            None => Ok(Single::Notification(Notification { method, params })),
            Some(Value::Null) => Err(invalid(None, "\"id\" must not be null")),
            Some(_) => match id {
                Some(id) => Ok(Single::Request(Request { id, method, params })),
                None => Err(invalid(None, "\"id\" must be a string or an integer")),
            },
        };
    }

    let result = obj.remove("result");
    let error = obj.remove("error");
    match (result, error) {
        (Some(_), Some(_)) => Err(invalid(
            id,
            "a response has \"result\" or \"error\", not both",
        )),
        (Some(result), None) => match id {
            Some(id) => Ok(Single::Response(Response {
                id: Some(id),
                payload: Payload::Result(result),
            })),
            None => Err(invalid(
                None,
                "a result response needs a string or integer \"id\"",
            )),
        },
        (None, Some(error)) => {
            let error = error_object(error).ok_or_else(|| {
                invalid(
                    id.clone(),
                    "\"error\" must be an object with an integer \"code\" and a string \"message\"",
                )
            })?;
            match (&id_member, id) {
                (None | Some(Value::Null), _) => Ok(Single::Response(Response::error(None, error))),
                (Some(_), Some(id)) => Ok(Single::Response(Response::error(Some(id), error))),
                (Some(_), None) => {
                    Err(invalid(None, "\"id\" must be a string, an integer or null"))
                }
            }
        }
        (None, None) => Err(invalid(
            id,
            "a message needs \"method\", \"result\" or \"error\"",
        )),
    }
}

/// `params` must be a structured value when present; `null` is read as absent because some
/// clients send it for "no params".
fn take_params(obj: &mut Map<String, Value>) -> Result<Option<Value>, &'static str> {
    match obj.remove("params") {
        None | Some(Value::Null) => Ok(None),
        Some(p @ (Value::Object(_) | Value::Array(_))) => Ok(Some(p)),
        Some(_) => Err("\"params\" must be an object or an array"),
    }
}

fn error_object(value: Value) -> Option<ErrorObject> {
    let Value::Object(mut obj) = value else {
        return None;
    };
    let code = obj.get("code")?.as_i64()?;
    let Value::String(message) = obj.remove("message")? else {
        return None;
    };
    Some(ErrorObject {
        code,
        message,
        data: obj.remove("data"),
    })
}

fn invalid(id: Option<Id>, detail: impl std::fmt::Display) -> Response {
    Response::error(id, ErrorObject::invalid_request(detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(r: &Response) -> i64 {
        r.error_object().map(|e| e.code).unwrap_or(0)
    }

    #[test]
    fn parses_a_request() {
        let m =
            parse(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":null}}"#)
                .unwrap();
        let Message::Request(r) = m else {
            panic!("not a request: {m:?}")
        };
        assert_eq!(r.id, Id::Number(1));
        assert_eq!(r.method, "tools/list");
        assert_eq!(r.params, Some(json!({"cursor": null})));
    }

    #[test]
    fn parses_string_ids_and_null_params() {
        let m = parse(br#"{"jsonrpc":"2.0","id":"abc","method":"ping","params":null}"#).unwrap();
        assert_eq!(m, Message::Request(Request::new("abc", "ping", None)));
    }

    #[test]
    fn parses_a_notification() {
        let m = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(
            m,
            Message::Notification(Notification::new("notifications/initialized", None))
        );
    }

    #[test]
    fn parses_responses() {
        let m = parse(br#"{"jsonrpc":"2.0","id":5,"result":{}}"#).unwrap();
        assert_eq!(
            m,
            Message::Response(Response::result(Id::Number(5), json!({})))
        );
        let m =
            parse(br#"{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x","data":[1]}}"#)
                .unwrap();
        let Message::Response(r) = m else { panic!() };
        assert_eq!(r.id, None);
        assert_eq!(r.error_object().unwrap().data, Some(json!([1])));
    }

    #[test]
    fn bad_json_is_parse_error_with_null_id() {
        for body in [
            &b""[..],
            b"{",
            b"{\"jsonrpc\":\"2.0\",}",
            b"\xff\xfe",
            b"{} trailing",
            b"nul",
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(code(&e), ErrorObject::PARSE_ERROR, "{body:?}");
            assert_eq!(e.id, None);
        }
    }

    #[test]
    fn wrong_shapes_are_invalid_request() {
        let cases: &[(&str, Option<Id>)] = &[
            (r#"42"#, None),
            (r#""hello""#, None),
            (r#"null"#, None),
            (r#"{}"#, None),
            (r#"{"id":1,"method":"ping"}"#, Some(Id::Number(1))),
            (
                r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                Some(Id::Number(1)),
            ),
            (
                r#"{"jsonrpc":2.0,"id":"a","method":"ping"}"#,
                Some(Id::from("a")),
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
                Some(Id::Number(1)),
            ),
            (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, None),
            (r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, None),
            (r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, None),
            (r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, None),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
                Some(Id::Number(1)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":3}"#,
                Some(Id::Number(1)),
            ),
            (r#"{"jsonrpc":"2.0","id":1}"#, Some(Id::Number(1))),
            (
                r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}"#,
                Some(Id::Number(1)),
            ),
            (r#"{"jsonrpc":"2.0","result":{}}"#, None),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#,
                Some(Id::Number(1)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#,
                Some(Id::Number(1)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":"boom"}"#,
                Some(Id::Number(1)),
            ),
            (r#"[]"#, None),
        ];
        for (body, id) in cases {
            let e = parse(body.as_bytes()).unwrap_err();
            assert_eq!(code(&e), ErrorObject::INVALID_REQUEST, "{body}");
            assert_eq!(&e.id, id, "{body}");
        }
    }

    #[test]
    fn batches_keep_order_and_mark_bad_entries() {
        let m = parse(
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"},
                 {"jsonrpc":"2.0","method":"notifications/initialized"},
                 1,
                 [],
                 {"jsonrpc":"2.0","id":"r","result":{}},
                 {"jsonrpc":"2.0","id":9,"method":7}]"#,
        )
        .unwrap();
        let Message::Batch(entries) = m else { panic!() };
        assert_eq!(entries.len(), 6);
        assert!(matches!(entries[0], BatchEntry::Request(_)));
        assert!(matches!(entries[1], BatchEntry::Notification(_)));
        assert!(
            matches!(&entries[2], BatchEntry::Invalid(r) if r.id.is_none() && code(r) == -32600)
        );
        assert!(matches!(&entries[3], BatchEntry::Invalid(r) if code(r) == -32600));
        assert!(matches!(entries[4], BatchEntry::Response(_)));
        assert!(matches!(&entries[5], BatchEntry::Invalid(r) if r.id == Some(Id::Number(9))));
    }

    #[test]
    fn oversized_batches_are_refused() {
        let one = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        let ok = Value::Array(vec![one.clone(); MAX_BATCH_ENTRIES]);
        assert!(parse_value(ok).is_ok());
        let too_many = Value::Array(vec![one; MAX_BATCH_ENTRIES + 1]);
        assert_eq!(code(&parse_value(too_many).unwrap_err()), -32600);
    }

    #[test]
    fn deep_nesting_is_a_parse_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code(&parse(deep.as_bytes()).unwrap_err()), -32700);
        let deep_obj = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{}1{}}}"#,
            r#"{"a":"#.repeat(50_000),
            "}".repeat(50_000)
        );
        assert_eq!(code(&parse(deep_obj.as_bytes()).unwrap_err()), -32700);
    }

    /// xorshift64*: a fixed-seed generator, so a failure reproduces.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_garbage_and_always_answers_with_a_jsonrpc_error() {
        let seeds: &[&[u8]] = &[
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[1,2,{"b":null}]}}}"#,
            br#"[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"n"}]"#,
            br#"{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"m","data":{"x":1e300}}}"#,
        ];
        let alphabet = br#"{}[]":,0123456789.-+eE truefalsn\u"jsonrpc2.0idmethodparamsresulterror"#;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0usize;
        for round in 0..20_000 {
            let mut input: Vec<u8> = seeds[round % seeds.len()].to_vec();
            match round % 4 {
                // Pure noise.
                0 => {
                    input = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                }
                // Noise from JSON's own alphabet, more likely to get deep into the parser.
                1 => {
                    input = (0..rng.below(96))
                        .map(|_| alphabet[rng.below(alphabet.len())])
                        .collect();
                }
                // Byte flips, deletions and insertions in a valid message.
                _ => {
                    for _ in 0..1 + rng.below(4) {
                        if input.is_empty() {
                            break;
                        }
                        let at = rng.below(input.len());
                        match rng.below(3) {
                            0 => input[at] = alphabet[rng.below(alphabet.len())],
                            1 => {
                                input.remove(at);
                            }
                            _ => input.insert(at, rng.next() as u8),
                        }
                    }
                }
            }
            match parse(&input) {
                Ok(_) => accepted += 1,
                Err(resp) => {
                    let c = code(&resp);
                    assert!(
                        c == -32700 || c == -32600,
                        "unexpected code {c} for {input:?}"
                    );
                    // The error must itself serialise to a JSON-RPC response.
                    let wire = serde_json::to_value(&resp).unwrap();
                    assert_eq!(wire["jsonrpc"], "2.0");
                }
            }
        }
        // Mutations leave some messages valid; if none were, the generator is not exercising
        // the classification code at all.
        assert!(accepted > 100, "only {accepted} inputs parsed");
    }
}
