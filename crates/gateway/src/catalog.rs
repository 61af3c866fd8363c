//! The connector registry the services read, replaceable while they run: a server starts
//! serving with the built-in catalog and says "not ready" until the whole catalog (operator
//! documents, the imported catalog, the search index) is loaded, then swaps it in.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use alloy_connectors::Registry;

/// The current registry and whether the whole catalog is in it.
#[derive(Debug)]
pub struct CatalogSlot {
    current: RwLock<Arc<Registry>>,
    ready: AtomicBool,
    /// Bumped by every replacement, so that what was derived from one registry is never
    /// taken for what the next would give.
    generation: AtomicU64,
}

impl CatalogSlot {
    /// A slot holding `registry`; `ready` says whether it is the whole catalog.
    pub fn new(registry: Registry, ready: bool) -> Self {
        CatalogSlot {
            current: RwLock::new(Arc::new(registry)),
            ready: AtomicBool::new(ready),
            generation: AtomicU64::new(0),
        }
    }

    /// The registry requests read now. A request keeps the one it started with, even if the
    /// catalog is replaced meanwhile.
    pub fn current(&self) -> Arc<Registry> {
        // A poisoned lock still holds a whole registry: a panic elsewhere cannot half-replace it.
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts the whole catalog in place and marks the slot ready.
    pub fn replace(&self, registry: Registry) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        *current = Arc::new(registry);
        // Under the lock: a reader that sees the new generation reads the new registry.
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(current);
        self.ready.store(true, Ordering::Release);
    }

    /// Which registry is current: changes with every [`replace`](Self::replace). Read it
    /// before and after deriving something from the registry; if it did not change, what was
    /// derived belongs to this generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether the whole catalog is loaded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}
