//! One audit event, built where it happens.

use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;

use alloy_storage::{AuditEventRecord, NewAuditEvent};
use chrono::{DateTime, SubsecRound, Utc};
use crossbeam_queue::ArrayQueue;
use serde_json::Value;

use super::event_id::event_id;
use super::scope::RequestScope;
use crate::identity::{Caller, Principal};

/// How an audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Ok,
    /// A tool answered with an error of ours (`VALIDATION_ERROR`, `CREDENTIAL_NOT_FOUND`, …).
    ToolError,
    /// The platform answered with an error (`UPSTREAM_ERROR`, with its status).
    UpstreamError,
    /// The server's restrictions refused it (`FORBIDDEN`).
    Restricted,
    /// The rate limit refused it.
    RateLimited,
    /// Access was refused (401/403/404 before anything ran).
    Refused,
    /// Something of ours failed (an internal error, a refresh the provider refused).
    Failed,
}

impl Outcome {
    /// The stored and filterable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::UpstreamError => "upstream_error",
            Outcome::Restricted => "restricted",
            Outcome::RateLimited => "rate_limited",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    /// Every outcome, for validating filters and pre-registering metrics.
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::ToolError,
        Outcome::UpstreamError,
        Outcome::Restricted,
        Outcome::RateLimited,
        Outcome::Refused,
        Outcome::Failed,
    ];

    /// The outcome of a tool error with this code.
    pub fn of_error_code(code: &str) -> Outcome {
        match code {
            "UPSTREAM_ERROR" => Outcome::UpstreamError,
            "FORBIDDEN" => Outcome::Restricted,
            "RATE_LIMITED" | "RATE_LIMIT_EXCEEDED" => Outcome::RateLimited,
            "INTERNAL_ERROR" => Outcome::Failed,
            _ => Outcome::ToolError,
        }
    }
}

/// An audit event under construction; [`AuditWriter::record`](super::AuditWriter::record)
/// takes it. The request's ID and client address come from the current [`RequestScope`].
///
/// Built on a request's path, so built cheaply: its text fields are copied into one buffer
/// (one allocation for all of them instead of one each), its ID is 32 hex digits inline, and
/// the whole is boxed from the start (the builder's methods move it, the writer's queue takes
/// it boxed). The writer stores it as a borrowed [`NewAuditEvent`] without copying it again.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    inner: Box<Pending>,
}

/// A text field: a range of [`Pending::text`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Debug, Clone)]
struct Pending {
    /// Every text field, one after the other.
    text: String,
    /// The event ID, a UUIDv7 in lowercase hex.
    id: [u8; 32],
    occurred_at: DateTime<Utc>,
    event: Option<Span>,
    outcome: Outcome,
    account_id: Option<Span>,
    user_id: Option<Span>,
    principal_kind: Option<Span>,
    principal_id: Option<Span>,
    server_id: Option<Span>,
    tool: Option<Span>,
    connector_id: Option<Span>,
    action_id: Option<Span>,
    error_code: Option<Span>,
    upstream_status: Option<u16>,
    latency_us: Option<u64>,
    upstream_latency_us: Option<u64>,
    credential_id: Option<Span>,
    client_ip: Option<Span>,
    request_id: Option<Span>,
    client_name: Option<Span>,
    client_version: Option<Span>,
    details: Option<Value>,
}

/// Text bytes an event's buffer starts with: room for the usual event's fields.
const TEXT_CAPACITY: usize = 192;

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Events of spent allocations the writer hands back after storing them, for the next events to
/// reuse: a busy server would otherwise allocate two blocks per event on its request threads and
/// free them in bulk on the writer's, and with the allocator returning freed pages at once
/// (`allocator.rs` in the binary) each batch cost it thousands of page faults (measured: 21,000
/// a second under `list_connectors_alloy` load, against 1,800 with the trail off). Bounded by
/// one batch; what does not fit is freed.
static SPARE: LazyLock<ArrayQueue<Box<Pending>>> =
    LazyLock::new(|| ArrayQueue::new(alloy_storage::EVENTS_PER_CHUNK));

/// A spent event's text buffer is reused only up to this capacity (a rare long one is freed).
const REUSED_TEXT_CAPACITY: usize = 4 * TEXT_CAPACITY;

impl Pending {
    fn new(id: [u8; 32], occurred_at: DateTime<Utc>, outcome: Outcome) -> Self {
        Pending::with_text(
            String::with_capacity(TEXT_CAPACITY),
            id,
            occurred_at,
            outcome,
        )
    }

    fn with_text(text: String, id: [u8; 32], occurred_at: DateTime<Utc>, outcome: Outcome) -> Self {
        Pending {
            text,
            id,
            occurred_at,
            event: None,
            outcome,
            account_id: None,
            user_id: None,
            principal_kind: None,
            principal_id: None,
            server_id: None,
            tool: None,
            connector_id: None,
            action_id: None,
            error_code: None,
            upstream_status: None,
            latency_us: None,
            upstream_latency_us: None,
            credential_id: None,
            client_ip: None,
            request_id: None,
            client_name: None,
            client_version: None,
            details: None,
        }
    }

    /// As [`new`](Self::new), in a spent event's allocation (its text buffer kept).
    fn reset(&mut self, id: [u8; 32], occurred_at: DateTime<Utc>, outcome: Outcome) {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        *self = Pending::with_text(text, id, occurred_at, outcome);
    }

    /// The span of what `write` appends to the text buffer.
    fn put_with(&mut self, write: impl FnOnce(&mut String)) -> Option<Span> {
        let start = u32::try_from(self.text.len()).ok()?;
        write(&mut self.text);
        let end = u32::try_from(self.text.len()).ok()?;
        Some(Span { start, end })
    }

    fn put(&mut self, s: &str) -> Option<Span> {
        self.put_with(|text| text.push_str(s))
    }

    /// The address as `Display` writes it; an IPv4 one without the formatting machinery, which
    /// cost more than the rest of the event (one per tool call).
    fn put_ip(&mut self, ip: IpAddr) -> Option<Span> {
        self.put_with(|text| match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        text.push('.');
                    }
                    if octet >= 100 {
                        text.push(char::from(b'0' + octet / 100));
                    }
                    if octet >= 10 {
                        text.push(char::from(b'0' + octet / 10 % 10));
                    }
                    text.push(char::from(b'0' + octet % 10));
                }
            }
            IpAddr::V6(v6) => {
                use std::fmt::Write;
                let _ = write!(text, "{v6}");
            }
        })
    }

    fn get(&self, span: Option<Span>) -> Option<&str> {
        let span = span?;
        self.text.get(span.start as usize..span.end as usize)
    }
}

impl AuditEvent {
    /// An event of kind `event` (`tools/call`, `server.created`, …) that ended with `outcome`.
    pub fn new(event: &str, outcome: Outcome) -> Self {
        let occurred_at = Utc::now().trunc_subsecs(3);
        let id = event_id(u64::try_from(occurred_at.timestamp_millis()).unwrap_or(0));
        let mut p = match SPARE.pop() {
            Some(mut spare) => {
                spare.reset(id, occurred_at, outcome);
                spare
            }
            None => Box::new(Pending::new(id, occurred_at, outcome)),
        };
        p.event = p.put(event);
        if let Some(scope) = RequestScope::current() {
            p.request_id = p.put(scope.request_id());
            if let Some(ip) = scope.client_ip() {
                p.client_ip = p.put_ip(ip);
            }
        }
        AuditEvent { inner: p }
    }

    /// Done by `caller`: its account, user and principal.
    pub fn by(mut self, caller: &Caller) -> Self {
        let p = &mut self.inner;
        p.account_id = p.put(&caller.account_id);
        p.user_id = p.put(&caller.user_id);
        let (kind, id) = match &caller.principal {
            Principal::ApiKey { key_id } => ("api_key", key_id.as_str()),
            Principal::UserToken { .. } => ("user_token", caller.user_id.as_str()),
            Principal::AccessToken { server_id } => ("access_token", server_id.as_str()),
            Principal::OAuthGrant { grant_id, .. } => ("oauth_grant", grant_id.as_str()),
            Principal::SingleSignOn { .. } => ("sso", caller.user_id.as_str()),
        };
        p.principal_kind = p.put(kind);
        p.principal_id = p.put(id);
        self
    }

    /// In `account_id`, for `user_id`, with no authenticated principal (a refused request, the
    /// OAuth callback) or the operator's command line (`principal` `cli`).
    pub fn in_account(mut self, account_id: &str, user_id: Option<&str>, principal: &str) -> Self {
        let p = &mut self.inner;
        p.account_id = p.put(account_id);
        p.user_id = user_id.and_then(|u| p.put(u));
        p.principal_kind = p.put(principal);
        self
    }

    /// Through this MCP server.
    pub fn server(mut self, server_id: &str) -> Self {
        let p = &mut self.inner;
        p.server_id = p.put(server_id);
        self
    }

    /// The MCP tool called.
    pub fn tool(mut self, tool: &str) -> Self {
        let p = &mut self.inner;
        p.tool = p.put(tool);
        self
    }

    /// The connector and action involved, when known.
    pub fn target(mut self, connector_id: Option<&str>, action_id: Option<&str>) -> Self {
        let p = &mut self.inner;
        p.connector_id = connector_id.and_then(|c| p.put(c));
        p.action_id = action_id.and_then(|a| p.put(a));
        self
    }

    /// The error code of a failure.
    pub fn error_code(mut self, code: Option<&str>) -> Self {
        let p = &mut self.inner;
        p.error_code = code.and_then(|c| p.put(c));
        self
    }

    /// The platform's status and how long it took.
    pub fn upstream(mut self, status: Option<u16>, latency: Option<Duration>) -> Self {
        self.inner.upstream_status = status;
        self.inner.upstream_latency_us = latency.map(micros);
        self
    }

    /// How long the operation took.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.inner.latency_us = Some(micros(latency));
        self
    }

    /// The credential used (its ID, never its secret).
    pub fn credential(mut self, credential_id: Option<&str>) -> Self {
        let p = &mut self.inner;
        p.credential_id = credential_id.and_then(|c| p.put(c));
        self
    }

    /// The MCP client's `clientInfo`.
    pub fn client(mut self, name: Option<&str>, version: Option<&str>) -> Self {
        fn clip(s: &str) -> &str {
            match s.char_indices().nth(200) {
                Some((end, _)) => &s[..end],
                None => s,
            }
        }
        let p = &mut self.inner;
        p.client_name = name.and_then(|n| p.put(clip(n)));
        p.client_version = version.and_then(|v| p.put(clip(v)));
        self
    }

    /// Anything else, as a JSON object (a refusal's reason, a restriction diff, arguments).
    pub fn details(mut self, details: Value) -> Self {
        self.inner.details = Some(details);
        self
    }

    /// Hands the event's allocation back for a later event to reuse (the writer, once stored).
    pub(crate) fn recycle(self) {
        if self.inner.text.capacity() <= REUSED_TEXT_CAPACITY {
            // Full: this one is freed.
            let _ = SPARE.push(self.inner);
        }
    }

    /// Whether the event names no account (nobody could ever list it).
    pub(crate) fn has_no_account(&self) -> bool {
        self.inner
            .get(self.inner.account_id)
            .is_none_or(str::is_empty)
    }

    /// The event as the storage takes it.
    pub fn as_new(&self) -> NewAuditEvent<'_> {
        let p = &self.inner;
        NewAuditEvent {
            id: std::str::from_utf8(&p.id).unwrap_or_default(),
            occurred_at: p.occurred_at,
            account_id: p.get(p.account_id).unwrap_or_default(),
            user_id: p.get(p.user_id),
            principal_kind: p.get(p.principal_kind).unwrap_or("none"),
            principal_id: p.get(p.principal_id),
            server_id: p.get(p.server_id),
            event: p.get(p.event).unwrap_or_default(),
            tool: p.get(p.tool),
            connector_id: p.get(p.connector_id),
            action_id: p.get(p.action_id),
            outcome: p.outcome.as_str(),
            error_code: p.get(p.error_code),
            upstream_status: p.upstream_status,
            latency_us: p.latency_us,
            upstream_latency_us: p.upstream_latency_us,
            credential_id: p.get(p.credential_id),
            client_ip: p.get(p.client_ip),
            request_id: p.get(p.request_id),
            client_name: p.get(p.client_name),
            client_version: p.get(p.client_version),
            details: p.details.as_ref(),
        }
    }

    /// The event as stored.
    pub fn into_record(self) -> AuditEventRecord {
        self.as_new().to_record()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_allocation_keeps_nothing_of_the_spent_event() {
        let took = Duration::from_millis(7);
        let spent = AuditEvent::new("tools/call", Outcome::ToolError)
            .in_account("acct", Some("user"), "api_key")
            .server("server-1")
            .tool("execute_action_alloy")
            .target(Some("github"), Some("issues/create"))
            .error_code(Some("UPSTREAM_ERROR"))
            .upstream(Some(502), Some(took))
            .latency(took)
            .credential(Some("cred-1"))
            .client(Some("client"), Some("1.0"))
            .details(serde_json::json!({ "arguments": { "a": 1 } }));
        let buffer = spent.inner.text.as_ptr() as usize;
        // (nextest runs each test in a process of its own: nothing else touches the spares.)
        let spares = SPARE.len();
        spent.recycle();
        assert_eq!(SPARE.len(), spares + 1, "the spent event is kept");
        let next =
            AuditEvent::new("server.created", Outcome::Ok).in_account("acct-2", None, "none");
        assert_eq!(SPARE.len(), spares, "and taken by the next one");
        assert_eq!(
            next.inner.text.as_ptr() as usize,
            buffer,
            "with its text buffer"
        );
        let new = next.as_new();
        assert_eq!(
            (new.event, new.outcome, new.account_id),
            ("server.created", "ok", "acct-2")
        );
        assert_eq!(new.user_id, None);
        assert_eq!(
            (
                new.server_id,
                new.tool,
                new.connector_id,
                new.action_id,
                new.error_code
            ),
            (None, None, None, None, None)
        );
        assert_eq!(
            (new.upstream_status, new.latency_us, new.upstream_latency_us),
            (None, None, None)
        );
        assert_eq!(
            (
                new.credential_id,
                new.client_name,
                new.client_version,
                new.details
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn client_addresses_are_written_as_display_writes_them() {
        for ip in [
            "0.0.0.0",
            "10.0.0.1",
            "127.0.0.1",
            "192.168.100.255",
            "8.8.8.8",
            "::1",
            "2001:db8::7",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut p = Pending::new([b'0'; 32], Utc::now(), Outcome::Ok);
            let span = p.put_ip(ip);
            assert_eq!(p.get(span), Some(ip.to_string().as_str()));
        }
    }

    #[test]
    fn every_field_lands_where_it_belongs() {
        let caller = Caller {
            account_id: "acct".into(),
            user_id: "alice@example.com".into(),
            principal: Principal::ApiKey {
                key_id: "key-1".into(),
            },
        };
        let e = AuditEvent::new("tools/call", Outcome::UpstreamError)
            .by(&caller)
            .server("srv")
            .tool("execute_action_alloy")
            .target(Some("github"), Some("issues/create"))
            .error_code(Some("UPSTREAM_ERROR"))
            .upstream(Some(502), Some(Duration::from_micros(800)))
            .latency(Duration::from_micros(1_200))
            .credential(Some("cred-1"))
            .client(Some(&"n".repeat(300)), Some("1.0"))
            .details(serde_json::json!({"k": "v"}));
        assert!(!e.has_no_account());
        let r = e.into_record();
        assert_eq!(r.id.len(), 32);
        assert!(r.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            (r.account_id.as_str(), r.user_id.as_deref()),
            ("acct", Some("alice@example.com"))
        );
        assert_eq!(
            (r.principal_kind.as_str(), r.principal_id.as_deref()),
            ("api_key", Some("key-1"))
        );
        assert_eq!(r.server_id.as_deref(), Some("srv"));
        assert_eq!(r.event, "tools/call");
        assert_eq!(r.tool.as_deref(), Some("execute_action_alloy"));
        assert_eq!(r.connector_id.as_deref(), Some("github"));
        assert_eq!(r.action_id.as_deref(), Some("issues/create"));
        assert_eq!(r.outcome, "upstream_error");
        assert_eq!(r.error_code.as_deref(), Some("UPSTREAM_ERROR"));
        assert_eq!(r.upstream_status, Some(502));
        assert_eq!(r.upstream_latency_us, Some(800));
        assert_eq!(r.latency_us, Some(1_200));
        assert_eq!(r.credential_id.as_deref(), Some("cred-1"));
        assert_eq!(r.client_name.map(|n| n.len()), Some(200), "clipped");
        assert_eq!(r.client_version.as_deref(), Some("1.0"));
        assert_eq!(r.details, Some(serde_json::json!({"k": "v"})));
        assert_eq!(
            (r.request_id, r.client_ip),
            (None, None),
            "outside a request"
        );

        let bare = AuditEvent::new("access.refused", Outcome::Refused);
        assert!(bare.has_no_account());
        let r = bare.into_record();
        assert_eq!(r.principal_kind, "none");
        assert_eq!(r.user_id, None);
    }

    #[tokio::test]
    async fn the_request_scope_gives_the_request_id_and_client_address() {
        let scope = RequestScope::new("req-7".into(), Some("203.0.113.9".parse().unwrap()));
        let r = scope
            .run(async { AuditEvent::new("initialize", Outcome::Ok).into_record() })
            .await;
        assert_eq!(r.request_id.as_deref(), Some("req-7"));
        assert_eq!(r.client_ip.as_deref(), Some("203.0.113.9"));
    }
}
