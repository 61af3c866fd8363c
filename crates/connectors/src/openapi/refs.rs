//! Local `$ref` resolution: bounded in nodes and depth, cut at cycles, tolerant of references
//! that lead nowhere.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::{EXPANSION_BUDGET, Loader, MAX_DEPTH};

impl<'a> Loader<'a> {
    /// `value` with every local `$ref` replaced by its target; errors name `at`.
    pub(super) fn resolve_at(&mut self, value: &Value, at: &str) -> Result<Value, String> {
        let mut stack = Vec::new();
        self.resolve(value, &mut stack, 0).map_err(|e| {
            if at.is_empty() {
                e
            } else {
                format!("{at}: {e}")
            }
        })
    }

    fn resolve(
        &mut self,
        value: &Value,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Result<Value, String> {
        if self.budget == 0 {
            if self.degrade {
                return Ok(Value::Object(Map::new()));
            }
            self.exhausted = true;
            return Err(format!(
                "`$ref` expansion exceeds {EXPANSION_BUDGET} nodes; simplify the document"
            ));
        }
        self.budget -= 1;
        if depth > MAX_DEPTH {
            return Ok(Value::Object(Map::new()));
        }
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let reference = reference.as_str().ok_or("`$ref` must be a string")?;
                    if stack.iter().any(|r| r == reference) {
                        // A recursive schema: stop here with "anything goes".
                        return Ok(Value::Object(Map::new()));
                    }
                    if self.degrade && self.budget < super::ACTION_EXPANSION_BUDGET / 4 {
                        // Running short: name the shared component instead of expanding it.
                        return Ok(unexpanded(reference));
                    }
                    let Some(target) = self.lookup_or_warn(reference) else {
                        return Ok(Value::Object(Map::new()));
                    };
                    stack.push(reference.to_owned());
                    let mut resolved = self.resolve(target, stack, depth + 1)?;
                    stack.pop();
                    // 3.1 allows keywords beside `$ref` (description, summary): they win.
                    if map.len() > 1
                        && let Value::Object(obj) = &mut resolved
                    {
                        for (k, v) in map.iter().filter(|(k, _)| *k != "$ref") {
                            let v = self.resolve(v, stack, depth + 1)?;
                            obj.insert(k.clone(), v);
                        }
                    }
                    return Ok(resolved);
                }
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    // Literal values: a `$ref` key inside an example is data, not a reference.
                    let v = if matches!(
                        k.as_str(),
                        "example" | "examples" | "default" | "enum" | "const"
                    ) {
                        v.clone()
                    } else {
                        self.resolve(v, stack, depth + 1)?
                    };
                    out.insert(k.clone(), v);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .map(|v| self.resolve(v, stack, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// `value`, or what its `$ref` chain ends at; nothing inside is resolved (that happens where
    /// the parts are read, so errors can name the exact place). A reference that leads nowhere
    /// ends at `{}` with a warning.
    pub(super) fn follow(&mut self, mut value: &'a Value) -> Result<&'a Value, String> {
        for _ in 0..32 {
            match value.get("$ref") {
                Some(Value::String(reference)) => match self.lookup_or_warn(reference) {
                    Some(target) => value = target,
                    None => return Ok(&EMPTY),
                },
                Some(_) => return Err("`$ref` must be a string".into()),
                None => return Ok(value),
            }
        }
        Err("`$ref` chain is too long or cyclic".into())
    }

    fn lookup_or_warn(&mut self, reference: &str) -> Option<&'a Value> {
        match self.lookup(reference) {
            Ok(v) => Some(v),
            Err(e) => {
                self.warn(format!("{e}; treated as an empty schema"));
                None
            }
        }
    }

    fn lookup(&self, reference: &str) -> Result<&'a Value, String> {
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(format!(
                "external `$ref` `{reference}` is not supported (only local `#/...` references)"
            ));
        };
        let pointer = percent_decode_str(pointer)
            .decode_utf8()
            .map_err(|_| format!("`$ref` `{reference}` is not valid UTF-8"))?;
        self.root
            .pointer(&pointer)
            .ok_or(format!("`$ref` `{reference}` points to nothing"))
    }
}

/// What a reference that leads nowhere stands for.
static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::Object(Map::new()));

/// A shared component shown by name rather than expanded (one action's schemas ran past their
/// budget).
fn unexpanded(reference: &str) -> Value {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    let mut obj = Map::new();
    obj.insert("title".into(), Value::String(name.to_owned()));
    obj.insert(
        "description".into(),
        Value::String(format!(
            "`{name}` (not expanded here: the schema is too large; the platform checks it)"
        )),
    );
    Value::Object(obj)
}
