//! The connector registry the services read, replaceable while they run: a server starts
//! serving with the built-in catalog and says "not ready" until the whole catalog (operator
//! documents, the imported catalog, the search index) is loaded, then swaps it in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use alloy_connectors::Registry;

/// The current registry and whether the whole catalog is in it.
#[derive(Debug)]
pub struct CatalogSlot {
    current: RwLock<Arc<Registry>>,
    ready: AtomicBool,
}

impl CatalogSlot {
    /// A slot holding `registry`; `ready` says whether it is the whole catalog.
    pub fn new(registry: Registry, ready: bool) -> Self {
        CatalogSlot {
            current: RwLock::new(Arc::new(registry)),
            ready: AtomicBool::new(ready),
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
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
        self.ready.store(true, Ordering::Release);
    }

    /// Whether the whole catalog is loaded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}
