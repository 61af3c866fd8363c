//! The caching hints of 2026-07-28 `tools/list` and `server/discover` results.

/// Who may reuse a cached `tools/list` or `server/discover` result (2026-07-28 `cacheScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheScope {
    /// `"public"`: the same for every caller; shared caches may serve it to anyone.
    Public,
    /// `"private"`: reusable only under the same authorization.
    Private,
}

impl CacheScope {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

/// The caching hints (`ttlMs`, `cacheScope`) of cacheable 2026-07-28 results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// How long a client may treat the result as fresh, in milliseconds.
    pub ttl_ms: u64,
    /// Who may share a cached copy.
    pub scope: CacheScope,
}

impl Default for CachePolicy {
    /// Five minutes, private: the crate cannot know whether the embedding application shows
    /// every caller the same tools, so it does not let shared caches mix callers by default.
    fn default() -> Self {
        CachePolicy {
            ttl_ms: 300_000,
            scope: CacheScope::Private,
        }
    }
}
