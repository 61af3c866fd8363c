//! An ordered registry of tools: `tools/list` shows them in registration order, and
//! `tools/call` finds them by name.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::call_result::CallToolResult;
use crate::error::Error;
use crate::tool::{Tool, ToolDefinition};

struct Entry<C> {
    definition: ToolDefinition,
    tool: Box<dyn Tool<C>>,
}

/// The tools one server offers, in a fixed order.
pub struct ToolSet<C> {
    entries: Vec<Entry<C>>,
    by_name: HashMap<String, usize>,
}

impl<C: Send + Sync> ToolSet<C> {
    /// An empty set.
    pub fn new() -> Self {
        ToolSet {
            entries: Vec::new(),
            by_name: HashMap::new(),
        }
    }

    /// Adds a tool after those already registered. Its definition is read once, now, and
    /// checked with [`ToolDefinition::validate`]; a name already taken is refused.
    pub fn register(&mut self, tool: impl Tool<C> + 'static) -> Result<(), Error> {
        let definition = tool.definition();
        definition.validate()?;
        if self.by_name.contains_key(&definition.name) {
            return Err(Error::DuplicateTool(definition.name));
        }
        self.by_name
            .insert(definition.name.clone(), self.entries.len());
        self.entries.push(Entry {
            definition,
            tool: Box::new(tool),
        });
        Ok(())
    }

    /// [`ToolSet::register`] in builder style.
    pub fn with(mut self, tool: impl Tool<C> + 'static) -> Result<Self, Error> {
        self.register(tool)?;
        Ok(self)
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no tool is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The definitions, in registration order.
    pub fn definitions(&self) -> impl Iterator<Item = &ToolDefinition> {
        self.entries.iter().map(|e| &e.definition)
    }

    /// The definition of the tool named `name`.
    pub fn definition(&self, name: &str) -> Option<&ToolDefinition> {
        self.by_name.get(name).map(|&i| &self.entries[i].definition)
    }

    /// Calls the tool named `name`; `None` when there is no such tool.
    pub async fn call(
        &self,
        name: &str,
        ctx: &C,
        arguments: Map<String, Value>,
    ) -> Option<CallToolResult> {
        let &i = self.by_name.get(name)?;
        Some(self.entries[i].tool.call(ctx, arguments).await)
    }
}

impl<C: Send + Sync> Default for ToolSet<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for ToolSet<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.definition.name))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use serde_json::json;

    /// Answers with its own name and the arguments it was given, so a test can tell which
    /// tool ran and with what.
    struct Echo(&'static str);

    #[async_trait]
    impl Tool<String> for Echo {
        fn definition(&self) -> ToolDefinition {
            ToolDefinition::new(self.0, json!({"type": "object"}))
        }
        async fn call(&self, ctx: &String, arguments: Map<String, Value>) -> CallToolResult {
            CallToolResult::json(json!({"tool": self.0, "ctx": ctx, "args": arguments}))
        }
    }

    #[tokio::test]
    async fn keeps_order_finds_by_name_and_passes_context() {
        let set = ToolSet::new()
            .with(Echo("zeta"))
            .unwrap()
            .with(Echo("alpha"))
            .unwrap()
            .with(Echo("mid"))
            .unwrap();
        let names: Vec<_> = set.definitions().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
        assert_eq!(set.len(), 3);
        assert!(set.definition("alpha").is_some());
        assert!(set.definition("nope").is_none());

        let mut args = Map::new();
        args.insert("k".into(), json!(1));
        let r = set
            .call("alpha", &"caller-7".to_owned(), args)
            .await
            .unwrap();
        assert_eq!(
            r.structured_content().cloned(),
            Some(json!({"tool": "alpha", "ctx": "caller-7", "args": {"k": 1}}))
        );
        assert!(set.call("nope", &String::new(), Map::new()).await.is_none());
    }

    #[test]
    fn refuses_duplicates_and_invalid_definitions() {
        let mut set = ToolSet::new();
        set.register(Echo("a")).unwrap();
        assert_eq!(
            set.register(Echo("a")),
            Err(Error::DuplicateTool("a".into()))
        );
        assert!(matches!(
            set.register(Echo("bad name")),
            Err(Error::InvalidToolDefinition { .. })
        ));
        assert_eq!(set.len(), 1);
        assert_eq!(format!("{set:?}"), r#"["a"]"#);
        assert!(ToolSet::<String>::default().is_empty());
    }
}
