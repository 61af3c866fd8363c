//! What only `get_action_details` and `execute_action` need, kept out of the hot memory: each
//! operation and each shared component of a document as a separately addressable piece of
//! JSON, compressed. Loading one action parses its operation and the components it refers to
//! (transitively), never the whole document, and resolves them with its own budget.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::model::{Action, Connector};
use crate::openapi::{ACTION_EXPANSION_BUDGET, Detail, Loader};

/// Most shared components pulled in for one action.
const MAX_PIECES: usize = 4_000;
/// Component kinds an operation may refer to (responses, examples, links and callbacks are
/// never read by the engine).
const COMPONENT_KINDS: &[&str] = &[
    "schemas",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "pathItems",
];

/// The pieces of one document, decompressed: the text and where each piece is in it.
#[derive(Debug)]
pub struct DetailBlob {
    text: String,
    index: HashMap<String, (u32, u32)>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    /// `(key, offset, length)` of each piece in the text after the header line.
    pieces: Vec<(String, u32, u32)>,
}

/// Why details could not be read.
#[derive(Debug, thiserror::Error)]
#[error("stored action details are unreadable: {0}")]
pub struct DetailError(String);

/// Builds the compressed pieces of `doc` for the actions of `connector` (loaded from it).
pub fn build(doc: &Value, connector: &Connector) -> Vec<u8> {
    let mut text = String::new();
    let mut pieces: Vec<(String, u32, u32)> = Vec::new();
    let mut push = |key: String, value: &Value| {
        let start = text.len();
        // Serialising a `Value` cannot fail.
        text.push_str(&value.to_string());
        pieces.push((key, offset(start), offset(text.len() - start)));
    };
    let paths = doc.get("paths").and_then(Value::as_object);
    for action in &connector.actions {
        let method = action.method.as_str().to_ascii_lowercase();
        let Some(item) = paths.and_then(|p| p.get(&action.path)) else {
            continue;
        };
        let item = follow_local(doc, item);
        let Some(op) = item.get(&method) else {
            continue;
        };
        let mut op = op.clone();
        if let Value::Object(o) = &mut op {
            o.remove("responses");
            o.remove("callbacks");
        }
        let piece = json!({
            "path": action.path,
            "method": method,
            "parameters": item.get("parameters").cloned().unwrap_or(Value::Null),
            "operation": op,
        });
        push(format!("op:{}", action.id), &piece);
    }
    if let Some(components) = doc.get("components").and_then(Value::as_object) {
        for kind in COMPONENT_KINDS {
            if let Some(Value::Object(entries)) = components.get(*kind) {
                for (name, value) in entries {
                    push(format!("/components/{kind}/{}", escape(name)), value);
                }
            }
        }
    }
    // Some documents keep Swagger's `definitions` next to `components`.
    if let Some(Value::Object(entries)) = doc.get("definitions") {
        for (name, value) in entries {
            push(format!("/definitions/{}", escape(name)), value);
        }
    }
    let header = serde_json::to_string(&Header { pieces }).unwrap_or_default();
    let mut whole = String::with_capacity(header.len() + 1 + text.len());
    whole.push_str(&header);
    whole.push('\n');
    whole.push_str(&text);
    lz4_flex::compress_prepend_size(whole.as_bytes())
}

impl DetailBlob {
    /// Decompresses what [`build`] made.
    pub fn open(compressed: &[u8]) -> Result<Self, DetailError> {
        let bytes = lz4_flex::decompress_size_prepended(compressed)
            .map_err(|e| DetailError(e.to_string()))?;
        let whole = String::from_utf8(bytes).map_err(|e| DetailError(e.to_string()))?;
        let newline = whole
            .find('\n')
            .ok_or_else(|| DetailError("no header".into()))?;
        let header: Header =
            serde_json::from_str(&whole[..newline]).map_err(|e| DetailError(e.to_string()))?;
        let text = whole[newline + 1..].to_owned();
        let index = header
            .pieces
            .into_iter()
            .map(|(k, o, l)| (k, (o, l)))
            .collect();
        Ok(DetailBlob { text, index })
    }

    /// Bytes held (for cache weights).
    pub fn size(&self) -> usize {
        self.text.len() + self.index.len() * 48
    }

    fn piece(&self, key: &str) -> Option<Value> {
        let &(start, len) = self.index.get(key)?;
        let start = start as usize;
        let text = self.text.get(start..start + len as usize)?;
        serde_json::from_str(text).ok()
    }

    /// The full action `action_id` of `connector` (a summary loaded from the same document):
    /// schemas resolved within [`ACTION_EXPANSION_BUDGET`] nodes. `None` when the blob does not
    /// hold it.
    pub fn action(&self, connector: &Connector, action_id: &str) -> Option<Arc<Action>> {
        let piece = self.piece(&format!("op:{action_id}"))?;
        let path = piece.get("path")?.as_str()?.to_owned();
        let method = piece.get("method")?.as_str()?.to_owned();
        let mut item = Map::new();
        if let Some(p) = piece.get("parameters").filter(|p| !p.is_null()) {
            item.insert("parameters".into(), p.clone());
        }
        item.insert(method, piece.get("operation")?.clone());
        let mut root = json!({
            "openapi": "3.1.0",
            "info": {"title": connector.name},
            "paths": {},
            "components": {},
        });
        self.pull_components(&Value::Object(item.clone()), &mut root);
        if let Some(p) = root.get_mut("paths").and_then(Value::as_object_mut) {
            p.insert(path.clone(), Value::Object(item));
        }
        let mut loader = Loader::new(&root, Detail::Full, ACTION_EXPANSION_BUDGET).degrading();
        loader.declare_schemes(connector.auth_schemes.iter().map(|s| s.name.clone()));
        let item = root.get("paths")?.get(&path)?;
        let mut action = loader
            .path_item(&path, item, &connector.auth_schemes)
            .into_iter()
            .next()?;
        // The summary may have renamed a repeated operation ID.
        action.id = action_id.to_owned();
        Some(Arc::new(action))
    }

    /// Copies into `root` every component `value` refers to, transitively.
    fn pull_components(&self, value: &Value, root: &mut Value) {
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue: Vec<Value> = vec![value.clone()];
        while let Some(next) = queue.pop() {
            let mut refs = Vec::new();
            collect_refs(&next, &mut refs);
            for reference in refs {
                let Some(key) = piece_key(&reference) else {
                    continue;
                };
                if seen.len() >= MAX_PIECES || !seen.insert(key.clone()) {
                    continue;
                }
                let Some(piece) = self.piece(&key) else {
                    continue;
                };
                insert_at(root, &key, piece.clone());
                queue.push(piece);
            }
        }
    }
}

/// Where a piece starts or how long it is; documents are far below 4 GiB.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn follow_local<'a>(doc: &'a Value, item: &'a Value) -> &'a Value {
    match item.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or(item),
        None => item,
    }
}

/// JSON-pointer escaping of one segment.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Every local `$ref` in `value`, outside literal values.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(r) = v.as_str() {
                        out.push(r.to_owned());
                    }
                } else if !matches!(
                    k.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The piece holding what `reference` points into: `#/components/schemas/A/properties/b` →
/// `/components/schemas/A`.
fn piece_key(reference: &str) -> Option<String> {
    let pointer = reference.strip_prefix('#')?;
    let pointer = percent_encoding::percent_decode_str(pointer)
        .decode_utf8()
        .ok()?;
    let mut parts = pointer.split('/').skip(1);
    match parts.next()? {
        "components" => {
            let kind = parts.next()?;
            let name = parts.next()?;
            Some(format!("/components/{kind}/{name}"))
        }
        "definitions" => Some(format!("/definitions/{}", parts.next()?)),
        _ => None,
    }
}

/// Puts `piece` into `root` where `key` (a pointer of two or three segments) says.
fn insert_at(root: &mut Value, key: &str, piece: Value) {
    let segments: Vec<String> = key.split('/').skip(1).map(unescape).collect();
    let mut at = root;
    for (i, segment) in segments.iter().enumerate() {
        let Some(obj) = at.as_object_mut() else {
            return;
        };
        if i + 1 == segments.len() {
            obj.insert(segment.clone(), piece);
            return;
        }
        at = obj
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
