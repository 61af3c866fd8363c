//! Results that change only with the revision (`tools/list`, `server/discover`), serialised
//! the first time they are asked for and then sent as the same bytes: no tool definition or
//! input schema is cloned or serialised again per request.

use std::sync::{Arc, OnceLock};

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::version::ProtocolVersion;

/// Which prebuilt result.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prebuilt {
    Discover,
    ListTools,
}

/// One value per protocol revision, each made the first time it is asked for.
pub(crate) struct PerRevision<T> {
    slots: [OnceLock<T>; ProtocolVersion::ALL.len()],
}

impl<T> Default for PerRevision<T> {
    fn default() -> Self {
        PerRevision {
            slots: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

impl<T> std::fmt::Debug for PerRevision<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PerRevision")
    }
}

impl<T> PerRevision<T> {
    /// The slot of `revision`.
    pub(crate) fn slot(&self, revision: ProtocolVersion) -> &OnceLock<T> {
        let at = match revision {
            ProtocolVersion::V2026_07_28 => 0,
            ProtocolVersion::V2025_11_25 => 1,
            ProtocolVersion::V2025_06_18 => 2,
            ProtocolVersion::V2025_03_26 => 3,
        };
        &self.slots[at]
    }
}

/// One slot per result and revision, filled once.
#[derive(Debug, Default)]
pub(crate) struct PrebuiltResults {
    slots: [PerRevision<Option<Arc<RawValue>>>; 2],
}

impl PrebuiltResults {
    /// The result `which` for `revision`, built by `build` the first time. `None` only if it
    /// could not be serialised (it always can: it is a JSON value), and the caller then
    /// answers with the built value instead.
    pub(crate) fn get(
        &self,
        which: Prebuilt,
        revision: ProtocolVersion,
        build: impl FnOnce() -> Map<String, Value>,
    ) -> Option<Arc<RawValue>> {
        self.slots[which as usize]
            .slot(revision)
            .get_or_init(|| {
                serde_json::value::to_raw_value(&Value::Object(build()))
                    .ok()
                    .map(Arc::from)
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_revision_has_its_own_slot() {
        let slots = PerRevision::<ProtocolVersion>::default();
        for v in ProtocolVersion::ALL {
            assert_eq!(*slots.slot(v).get_or_init(|| v), v);
        }
    }

    #[test]
    fn built_once_per_result_and_revision() {
        let results = PrebuiltResults::default();
        let builds = std::cell::Cell::new(0);
        let build = |n: i64| {
            builds.set(builds.get() + 1);
            json!({ "n": n }).as_object().cloned().unwrap_or_default()
        };
        let v26 = ProtocolVersion::V2026_07_28;
        let v06 = ProtocolVersion::V2025_06_18;
        let a = results.get(Prebuilt::ListTools, v26, || build(1)).unwrap();
        let b = results.get(Prebuilt::ListTools, v26, || build(2)).unwrap();
        assert_eq!((a.get(), b.get()), (r#"{"n":1}"#, r#"{"n":1}"#));
        let c = results.get(Prebuilt::ListTools, v06, || build(3)).unwrap();
        let d = results.get(Prebuilt::Discover, v26, || build(4)).unwrap();
        assert_eq!((c.get(), d.get()), (r#"{"n":3}"#, r#"{"n":4}"#));
        assert_eq!(builds.get(), 3);
    }
}
