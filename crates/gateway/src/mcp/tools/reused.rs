//! Answers of the catalog tools, kept per restriction set. `list_connectors_alloy` and
//! `get_connector_resources_alloy` answer from the catalog, the server's restrictions and the
//! arguments alone, so the same question on any server with the same restrictions gets the
//! kept answer until the catalog is replaced.
//!
//! Memory is bounded: an answer over [`MAX_ANSWER_BYTES`] is not kept, and once the kept
//! answers pass [`MAX_BYTES`] they are all dropped and the tool starts afresh (a flood of
//! distinct queries costs recomputation, never memory).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};

use alloy_domain::Restrictions;
use alloy_mcp_protocol::{CallToolResult, Content, Tool, ToolDefinition};
use async_trait::async_trait;
use dashmap::DashMap;
use serde_json::{Map, Value};

use crate::mcp::McpContext;

/// Largest answer kept, in bytes of its text.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Bytes of kept answers per tool before they are all dropped.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A tool whose answers are kept per (catalog, restrictions, arguments).
pub(crate) struct Reused<T> {
    tool: T,
    answers: DashMap<u64, Kept>,
    kept_bytes: AtomicUsize,
    max_bytes: usize,
    hasher: RandomState,
}

struct Kept {
    generation: u64,
    restrictions: Restrictions,
    arguments: String,
    result: CallToolResult,
    bytes: usize,
}

impl<T> Reused<T> {
    pub(crate) fn new(tool: T) -> Self {
        Reused {
            tool,
            answers: DashMap::new(),
            kept_bytes: AtomicUsize::new(0),
            max_bytes: MAX_BYTES,
            hasher: RandomState::new(),
        }
    }

    /// Keeps an answer. The byte count is approximate under concurrent calls; what bounds
    /// memory is that it is checked before every insertion.
    fn keep(&self, key: u64, kept: Kept) {
        if kept.bytes > MAX_ANSWER_BYTES {
            return;
        }
        if self.kept_bytes.load(Ordering::Acquire) + kept.bytes > self.max_bytes {
            self.answers.clear();
            self.kept_bytes.store(0, Ordering::Release);
        }
        let bytes = kept.bytes;
        let replaced = self.answers.insert(key, kept).map_or(0, |old| old.bytes);
        let _ = self
            .kept_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                Some((b + bytes).saturating_sub(replaced))
            });
    }
}

/// The size an answer occupies, roughly: its text (the structured copy is about as large).
fn size_of(result: &CallToolResult) -> usize {
    let text: usize = result
        .content()
        .iter()
        .map(|c| match c {
            Content::Text(t) => t.len(),
        })
        .sum();
    2 * text
}

#[async_trait]
impl<T: Tool<McpContext>> Tool<McpContext> for Reused<T> {
    fn definition(&self) -> ToolDefinition {
        self.tool.definition()
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        let catalog = ctx.gateway.catalog();
        let generation = catalog.generation();
        let Ok(text) = serde_json::to_string(&arguments) else {
            return self.tool.call(ctx, arguments).await;
        };
        let restrictions = &ctx.server.restrictions;
        let key = self.hasher.hash_one((generation, restrictions, &text));
        if let Some(kept) = self.answers.get(&key)
            && kept.generation == generation
            && kept.restrictions == *restrictions
            && kept.arguments == text
        {
            return kept.result.clone();
        }
        let result = self.tool.call(ctx, arguments).await;
        // Kept only if the catalog stayed the same while the answer was made.
        if catalog.generation() == generation {
            let kept = Kept {
                generation,
                restrictions: restrictions.clone(),
                arguments: text,
                bytes: size_of(&result),
                result: result.clone(),
            };
            self.keep(key, kept);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::mcp::tools::testing::Harness;
    use alloy_connectors::Registry;
    use serde_json::json;

    /// Answers with how many times it ran.
    struct Counting(AtomicUsize);

    #[async_trait]
    impl Tool<McpContext> for Counting {
        fn definition(&self) -> ToolDefinition {
            ToolDefinition::new("counting", json!({"type": "object"}))
        }
        async fn call(&self, _: &McpContext, _: Map<String, Value>) -> CallToolResult {
            CallToolResult::json(json!({"run": self.0.fetch_add(1, Ordering::SeqCst) + 1}))
        }
    }

    fn run(result: &CallToolResult) -> Value {
        result.structured_content().unwrap()["run"].clone()
    }

    #[tokio::test]
    async fn answers_are_kept_per_restrictions_and_arguments_until_the_catalog_changes() {
        let h = Harness::new().await;
        let tool = Reused::new(Counting(AtomicUsize::new(0)));
        let open = h.ctx(json!({}));
        let narrow = h.ctx(json!({"connectors": {"mode": "allowlist", "allowedIds": ["slack"]}}));
        let args = |v: Value| v.as_object().cloned().unwrap();
        assert_eq!(run(&tool.call(&open, args(json!({"limit": 5}))).await), 1);
        assert_eq!(
            run(&tool.call(&open, args(json!({"limit": 5}))).await),
            1,
            "kept"
        );
        // Another server with the same restrictions shares the answer.
        assert_eq!(
            run(&tool
                .call(&h.ctx(json!({})), args(json!({"limit": 5})))
                .await),
            1
        );
        assert_eq!(
            run(&tool.call(&open, args(json!({"limit": 6}))).await),
            2,
            "other arguments"
        );
        assert_eq!(
            run(&tool.call(&narrow, args(json!({"limit": 5}))).await),
            3,
            "other restrictions"
        );
        assert_eq!(run(&tool.call(&narrow, args(json!({"limit": 5}))).await), 3);
        h.gateway.catalog().replace(Registry::empty());
        assert_eq!(
            run(&tool.call(&open, args(json!({"limit": 5}))).await),
            4,
            "catalog replaced"
        );
        assert_eq!(run(&tool.call(&open, args(json!({"limit": 5}))).await), 4);
    }

    #[tokio::test]
    async fn kept_answers_stay_within_their_byte_budget() {
        let h = Harness::new().await;
        let mut tool = Reused::new(Counting(AtomicUsize::new(0)));
        tool.max_bytes = 4096;
        let ctx = h.ctx(json!({}));
        for i in 0..2_000 {
            let args = json!({ "query": format!("q{i}") })
                .as_object()
                .cloned()
                .unwrap();
            tool.call(&ctx, args).await;
        }
        let kept: usize = tool.answers.iter().map(|k| k.bytes).sum();
        assert!(kept <= 4096, "{kept} bytes kept");
        assert!(!tool.answers.is_empty());
    }
}
