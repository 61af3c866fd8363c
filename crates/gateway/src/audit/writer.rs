//! Stores audit events in batches, off the request path.
//!
//! [`AuditWriter::record`] never waits: it puts the event in a bounded queue, or, when the queue
//! is full (the database is slow or down), drops it, counts it in
//! `alloy_audit_events_dropped_total{reason="buffer_full"}` and says so in the log at most once
//! every ten seconds. One task drains the queue, writing what 100 ms have gathered (at most
//! 4,096 events) in one transaction: a row per account of the batch (the storage's chunks).
//! While it gathers, the task is not woken per event (a queued event costs the request a few
//! atomic operations, nothing more); it is woken early only by a flush or a queue half full;
//! a batch the database refuses is dropped and counted (`reason="database"`) rather than
//! retried, so that an outage cannot build up a backlog that outlives it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_storage::{Database, NewAuditEvent};
use tokio::sync::{Notify, mpsc, oneshot};

use super::config::AuditConfig;
use super::event::AuditEvent;

/// Events written per transaction at most: one chunk's worth.
const BATCH: usize = alloy_storage::EVENTS_PER_CHUNK;

/// How long the writer gathers events before writing them.
const GATHER_FOR: Duration = Duration::from_millis(100);

/// Seconds between two "dropped" log lines.
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

enum Message {
    Event(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// Hands audit events to the background writer. Cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    inner: Arc<Inner>,
}

struct Inner {
    tx: Option<mpsc::Sender<Message>>,
    /// Ends the writer's gathering early: a flush, or a queue half full.
    wake: Arc<Notify>,
    config: AuditConfig,
    started: Instant,
    /// Seconds since `started` of the last "dropped" log line, plus one (0: never).
    last_drop_log: AtomicU64,
    /// Events dropped so far, for whatever reason (also in the metrics).
    dropped: Arc<AtomicU64>,
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
        let dropped = Arc::new(AtomicU64::new(0));
        let wake = Arc::new(Notify::new());
        let tx = config.enabled.then(|| {
            let (tx, rx) = mpsc::channel(config.buffer.max(1));
            tokio::spawn(drain(db, rx, Arc::clone(&wake), Arc::clone(&dropped)));
            tx
        });
        AuditWriter {
            inner: Arc::new(Inner {
                tx,
                wake,
                config,
                started: Instant::now(),
                last_drop_log: AtomicU64::new(0),
                dropped,
            }),
        }
    }

    /// A writer that records nothing.
    pub fn disabled() -> Self {
        AuditWriter {
            inner: Arc::new(Inner {
                tx: None,
                wake: Arc::new(Notify::new()),
                config: AuditConfig {
                    enabled: false,
                    ..AuditConfig::default()
                },
                started: Instant::now(),
                last_drop_log: AtomicU64::new(0),
                dropped: Arc::new(AtomicU64::new(0)),
            }),
        }
    }

    /// How many events this writer has dropped (queue full, database failure).
    pub fn dropped_total(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
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
        if event.has_no_account() {
            // Nobody could ever read it: events are listed per account.
            return;
        }
        match tx.try_send(Message::Event(event)) {
            Ok(()) => {
                if tx.capacity() <= tx.max_capacity() / 2 {
                    self.inner.wake.notify_one();
                }
            }
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
            self.inner.wake.notify_one();
            let _ = wait.await;
        }
    }

    fn dropped(&self, n: u64, reason: &'static str) {
        self.inner.dropped.fetch_add(n, Ordering::Relaxed);
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

/// An empty vector of borrowed events with `v`'s allocation, for borrows of another lifetime:
/// collecting an emptied vector's iterator into one of the same layout reuses its allocation.
#[expect(
    clippy::unnecessary_filter_map,
    reason = "the borrows' lifetime changes: no element could be kept"
)]
fn reuse<'a>(mut v: Vec<NewAuditEvent<'_>>) -> Vec<NewAuditEvent<'a>> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

async fn drain(
    db: Database,
    mut rx: mpsc::Receiver<Message>,
    wake: Arc<Notify>,
    dropped: Arc<AtomicU64>,
) {
    let repo = db.audit();
    let mut batch: Vec<AuditEvent> = Vec::with_capacity(BATCH);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut messages: Vec<Message> = Vec::with_capacity(BATCH);
    let mut last_warning: Option<Instant> = None;
    // The borrowed view of a batch the storage takes, its allocation kept from batch to batch
    // (4,096 of them are 1.4 MB, which the allocator would otherwise return and fault in again).
    let mut spare: Vec<NewAuditEvent<'static>> = Vec::new();
    loop {
        // Idle until something is queued.
        if rx.recv_many(&mut messages, BATCH).await == 0 {
            break;
        }
        // Gather for a moment before writing: one transaction for many events costs the
        // database far less than one each, and nobody waits on the trail. The queue is not
        // watched meanwhile (a wake-up per event would cost more than storing it); a flush or a
        // queue half full ends the wait early.
        let flushing = messages.iter().any(|m| matches!(m, Message::Flush(_)));
        if !flushing && messages.len() < BATCH {
            tokio::select! {
                () = tokio::time::sleep(GATHER_FOR) => {}
                () = wake.notified() => {}
            }
        }
        while messages.len() < BATCH {
            match rx.try_recv() {
                Ok(message) => messages.push(message),
                Err(_) => break,
            }
        }
        for message in messages.drain(..) {
            match message {
                Message::Event(e) => batch.push(e),
                Message::Flush(done) => waiting.push(done),
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            let started = Instant::now();
            let written = {
                let mut new = reuse(std::mem::take(&mut spare));
                new.extend(batch.iter().map(AuditEvent::as_new));
                let written = repo.insert(&new).await;
                spare = reuse(new);
                written
            };
            for event in batch.drain(..) {
                event.recycle();
            }
            match written {
                Ok(()) => {
                    metrics::counter!("alloy_audit_events_written_total").increment(n);
                    metrics::histogram!("alloy_audit_batch_duration_seconds")
                        .record(started.elapsed().as_secs_f64());
                }
                Err(e) => {
                    dropped.fetch_add(n, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Outcome;
    use alloy_storage::AuditFilter;
    use alloy_storage::testing::TestDatabase;

    fn event(n: u32) -> AuditEvent {
        AuditEvent::new("tools/call", Outcome::Ok)
            .in_account("acct", Some("u"), "none")
            .details(serde_json::json!({ "n": n }))
    }

    /// On a single-threaded runtime the writer's task cannot run while this test records:
    /// everything past the queue's capacity is dropped at once, counted, and never blocks.
    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let t = TestDatabase::sqlite().await;
        let writer = AuditWriter::start(
            t.db.clone(),
            AuditConfig {
                buffer: 4,
                ..AuditConfig::default()
            },
        );
        for n in 0..100 {
            writer.record(event(n));
        }
        assert_eq!(writer.dropped_total(), 96);
        writer.flush().await;
        let filter = AuditFilter {
            account_id: "acct".into(),
            ..AuditFilter::default()
        };
        let (stored, total) = t.db.audit().list(&filter, 100, 0).await.unwrap();
        assert_eq!(total, 4);
        let kept: Vec<u64> = stored
            .iter()
            .filter_map(|e| e.details.as_ref()?.get("n")?.as_u64())
            .collect();
        assert!(
            kept.iter().all(|n| *n < 4),
            "the first four were kept: {kept:?}"
        );
        // Room again once written.
        writer.record(event(100));
        writer.flush().await;
        assert_eq!(t.db.audit().list(&filter, 100, 0).await.unwrap().1, 5);
        assert_eq!(writer.dropped_total(), 96);
    }

    #[test]
    fn a_batchs_view_is_built_in_the_previous_ones_allocation() {
        let spare: Vec<NewAuditEvent<'static>> = Vec::with_capacity(BATCH);
        let at = spare.as_ptr() as usize;
        let event = event(1);
        let mut new = reuse(spare);
        new.push(event.as_new());
        assert_eq!((new.as_ptr() as usize, new.capacity()), (at, BATCH));
        let again = reuse(new);
        assert!(again.is_empty());
        assert_eq!((again.as_ptr() as usize, again.capacity()), (at, BATCH));
    }

    #[tokio::test]
    async fn a_failing_database_drops_the_batch_and_counts_it() {
        let t = TestDatabase::sqlite().await;
        let writer = AuditWriter::start(t.db.clone(), AuditConfig::default());
        t.db.clone().close().await.unwrap();
        for n in 0..3 {
            writer.record(event(n));
        }
        writer.flush().await;
        assert_eq!(writer.dropped_total(), 3);
    }

    #[tokio::test]
    async fn a_disabled_writer_and_events_without_an_account_record_nothing() {
        let t = TestDatabase::sqlite().await;
        let off = AuditWriter::start(
            t.db.clone(),
            AuditConfig {
                enabled: false,
                ..AuditConfig::default()
            },
        );
        off.record(event(1));
        off.flush().await;
        let on = AuditWriter::start(t.db.clone(), AuditConfig::default());
        on.record(AuditEvent::new("access.refused", Outcome::Refused));
        on.flush().await;
        let (_, total) =
            t.db.audit()
                .list(
                    &AuditFilter {
                        account_id: "acct".into(),
                        ..AuditFilter::default()
                    },
                    10,
                    0,
                )
                .await
                .unwrap();
        assert_eq!(total, 0);
        assert_eq!(on.dropped_total() + off.dropped_total(), 0);
    }
}
