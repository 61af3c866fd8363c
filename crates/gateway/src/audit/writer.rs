//! Stores audit events in batches, off the request path.
//!
//! [`AuditWriter::record`] never waits: it puts the event in a bounded queue, or, when the queue
//! is full (the database is slow or down), drops it, counts it in
//! `alloy_audit_events_dropped_total{reason="buffer_full"}` and says so in the log at most once
//! every ten seconds. One task drains the queue, writing what has accumulated in one statement;
//! a batch the database refuses is dropped and counted (`reason="database"`) rather than
//! retried, so that an outage cannot build up a backlog that outlives it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_storage::{AuditEventRecord, Database};
use tokio::sync::{mpsc, oneshot};

use super::config::AuditConfig;
use super::event::AuditEvent;

/// Events written per statement at most.
const BATCH: usize = 500;

/// Seconds between two "dropped" log lines.
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

enum Message {
    Event(Box<AuditEventRecord>),
    Flush(oneshot::Sender<()>),
}

/// Hands audit events to the background writer. Cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    inner: Arc<Inner>,
}

struct Inner {
    tx: Option<mpsc::Sender<Message>>,
    config: AuditConfig,
    started: Instant,
    /// Seconds since `started` of the last "dropped" log line, plus one (0: never).
    last_drop_log: AtomicU64,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter")
            .field("enabled", &self.inner.tx.is_some())
            .finish_non_exhaustive()
    }
}

impl AuditWriter {
    /// A writer storing into `db`, with its background task spawned on the current runtime;
    /// a writer that records nothing when the trail is turned off.
    pub fn start(db: Database, config: AuditConfig) -> Self {
        let tx = config.enabled.then(|| {
            let (tx, rx) = mpsc::channel(config.buffer.max(1));
            tokio::spawn(drain(db, rx));
            tx
        });
        AuditWriter {
            inner: Arc::new(Inner {
                tx,
                config,
                started: Instant::now(),
                last_drop_log: AtomicU64::new(0),
            }),
        }
    }

    /// A writer that records nothing.
    pub fn disabled() -> Self {
        AuditWriter {
            inner: Arc::new(Inner {
                tx: None,
                config: AuditConfig {
                    enabled: false,
                    ..AuditConfig::default()
                },
                started: Instant::now(),
                last_drop_log: AtomicU64::new(0),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &AuditConfig {
        &self.inner.config
    }

    /// Whether events are recorded.
    pub fn is_enabled(&self) -> bool {
        self.inner.tx.is_some()
    }

    /// Queues an event; never waits (see the module's documentation).
    pub fn record(&self, event: AuditEvent) {
        let Some(tx) = &self.inner.tx else {
            return;
        };
        let record = event.into_record();
        if record.account_id.is_empty() {
            // Nobody could ever read it: events are listed per account.
            return;
        }
        match tx.try_send(Message::Event(Box::new(record))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.dropped(1, "buffer_full"),
            Err(mpsc::error::TrySendError::Closed(_)) => self.dropped(1, "closed"),
        }
    }

    /// Waits until every event queued before this call is written (or dropped): at shutdown,
    /// and by tests that read the trail right after acting.
    pub async fn flush(&self) {
        let Some(tx) = &self.inner.tx else {
            return;
        };
        let (done, wait) = oneshot::channel();
        if tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    fn dropped(&self, n: u64, reason: &'static str) {
        metrics::counter!("alloy_audit_events_dropped_total", "reason" => reason).increment(n);
        let now = self.inner.started.elapsed().as_secs() + 1;
        let last = self.inner.last_drop_log.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= DROP_LOG_EVERY.as_secs())
            && self
                .inner
                .last_drop_log
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                reason,
                "audit events dropped (see alloy_audit_events_dropped_total); requests are not held up"
            );
        }
    }
}

async fn drain(db: Database, mut rx: mpsc::Receiver<Message>) {
    let repo = db.audit();
    let mut batch: Vec<AuditEventRecord> = Vec::with_capacity(BATCH);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut last_warning: Option<Instant> = None;
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Event(e) => batch.push(*e),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            let started = Instant::now();
            match repo.insert(std::mem::take(&mut batch)).await {
                Ok(()) => {
                    metrics::counter!("alloy_audit_events_written_total").increment(n);
                    metrics::histogram!("alloy_audit_batch_duration_seconds")
                        .record(started.elapsed().as_secs_f64());
                }
                Err(e) => {
                    metrics::counter!("alloy_audit_events_dropped_total", "reason" => "database")
                        .increment(n);
                    if last_warning.is_none_or(|t| t.elapsed() >= DROP_LOG_EVERY) {
                        last_warning = Some(Instant::now());
                        tracing::warn!(
                            error = %e,
                            events = n,
                            "audit events could not be stored; dropped (counted in alloy_audit_events_dropped_total)"
                        );
                    }
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
