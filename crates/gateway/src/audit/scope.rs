//! What a request knows about itself, reachable from anywhere in its task: its ID and client
//! address (for audit events), and notes for its one access-log line.

use std::cell::RefCell;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

tokio::task_local! {
    static REQUEST: Arc<RequestScope>;
    static CALL: RefCell<CallNotes>;
}

/// What the access-log line of a request says beyond method, path and status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestNotes {
    /// The MCP method (`tools/call`, `initialize`, …).
    pub mcp_method: Option<String>,
    /// The tool called.
    pub tool: Option<String>,
    /// The connector named.
    pub connector: Option<String>,
    /// The action named.
    pub action: Option<String>,
    /// The acting user.
    pub user: Option<String>,
    /// How it ended ([`Outcome`](super::Outcome) names).
    pub outcome: Option<&'static str>,
    /// The error code of a failure.
    pub error_code: Option<String>,
    /// Why access was refused (`Invalid or expired server access token`, …).
    pub reason: Option<String>,
    /// The MCP protocol revision.
    pub protocol_version: Option<String>,
}

/// One request's identity and notes.
#[derive(Debug)]
pub struct RequestScope {
    request_id: String,
    client_ip: Option<IpAddr>,
    notes: Mutex<RequestNotes>,
}

impl RequestScope {
    /// A scope for a request with this ID from this address.
    pub fn new(request_id: String, client_ip: Option<IpAddr>) -> Arc<Self> {
        Arc::new(RequestScope {
            request_id,
            client_ip,
            notes: Mutex::new(RequestNotes::default()),
        })
    }

    /// Runs `future` inside this scope.
    pub async fn run<F: Future>(self: Arc<Self>, future: F) -> F::Output {
        REQUEST.scope(self, future).await
    }

    /// The scope of the current request, if the caller runs inside one.
    pub fn current() -> Option<Arc<RequestScope>> {
        REQUEST.try_with(Arc::clone).ok()
    }

    /// Adds to the current request's notes (nothing outside a request).
    pub fn note(f: impl FnOnce(&mut RequestNotes)) {
        if let Some(scope) = Self::current() {
            f(&mut scope.notes.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// Notes why the current request was refused: outcome `refused`, the error's code and
    /// message.
    pub fn note_refusal(error: &alloy_domain::ApiError) {
        Self::note(|n| {
            n.outcome = Some(super::Outcome::Refused.as_str());
            n.error_code = Some(error.code.as_str().to_owned());
            n.reason = Some(error.message.clone());
        });
    }

    /// The request's ID.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The client's address.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }

    /// The notes so far.
    pub fn notes(&self) -> RequestNotes {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What one tool call learnt on its way (filled by the services it calls).
#[derive(Debug, Clone, Default)]
pub(crate) struct CallNotes {
    pub upstream_status: Option<u16>,
    pub upstream_latency: Option<Duration>,
    pub credential_id: Option<String>,
}

impl CallNotes {
    /// Runs one tool call with fresh notes; answers its output and what it noted.
    pub(crate) async fn collect<F: Future>(future: F) -> (F::Output, CallNotes) {
        CALL.scope(RefCell::new(CallNotes::default()), async {
            let out = future.await;
            (out, CALL.with(|c| c.take()))
        })
        .await
    }

    pub(crate) fn note(f: impl FnOnce(&mut CallNotes)) {
        let _ = CALL.try_with(|c| f(&mut c.borrow_mut()));
    }
}
