//! The audit trail: written in batches by the gateway's audit writer, listed per account,
//! exported by the operator, swept after the retention period.
//!
//! Stored as chunks ([`chunk`]): one row per account per written batch, holding that batch's
//! events encoded against a table of their distinct strings. Storing an event costs a few
//! dozen bytes appended to a row rather than a row and two index entries of its own, which is
//! what lets the trail keep up with an in-memory tool call (see docs/performance.md). Reading
//! decodes the chunks of the account (and period) asked for; a chunk spans at most
//! [`CHUNK_SPAN`], which bounds what an export or a sweep reads around a point in time.

pub(crate) mod chunk;
mod record;

pub use record::{AuditEventRecord, AuditFilter, NewAuditEvent};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use crate::entity::audit_chunk;
use crate::error::Error;

use chunk::{Decoded, Slots};

/// Events per chunk at most: a batch of one account larger than this is stored as several.
pub const EVENTS_PER_CHUNK: usize = 4096;

/// Time between a chunk's oldest and newest event at most, in microseconds (ten minutes): an
/// event at time `t` is in a chunk whose first event is no older than `t - CHUNK_SPAN`.
pub const CHUNK_SPAN: i64 = 10 * 60 * 1_000_000;

/// Chunks read per query while scanning.
const CHUNKS_PER_READ: u64 = 64;

/// Splits events sorted by account, then time, into runs that fit a chunk: one account, at most
/// [`EVENTS_PER_CHUNK`], spanning at most [`CHUNK_SPAN`].
fn runs<'a, 'r>(events: &'a [&'r NewAuditEvent<'r>]) -> Vec<&'a [&'r NewAuditEvent<'r>]> {
    let mut out = Vec::new();
    let mut rest = events;
    while let Some(head) = rest.first() {
        let first = chunk::micros(&head.occurred_at);
        let len = rest
            .iter()
            .take(EVENTS_PER_CHUNK)
            .position(|e| {
                e.account_id != head.account_id
                    || chunk::micros(&e.occurred_at) - first > CHUNK_SPAN
            })
            .unwrap_or(rest.len().min(EVENTS_PER_CHUNK));
        let (run, tail) = rest.split_at(len.max(1));
        out.push(run);
        rest = tail;
    }
    out
}

/// The sort key of an event: newest first is this key descending.
type Key = (i64, Box<str>);

/// A record ordered by its key alone.
struct Keyed(Key, Box<AuditEventRecord>);

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// Per-event filters of a listing, as indices into one chunk's strings.
struct Wanted<'f> {
    fields: Vec<(usize, &'f str)>,
}

impl<'f> Wanted<'f> {
    fn of(filter: &'f AuditFilter) -> Self {
        let mut fields = Vec::new();
        for (field, value) in [
            (chunk::F_USER, &filter.user_id),
            (chunk::F_SERVER, &filter.server_id),
            (chunk::F_CONNECTOR, &filter.connector_id),
            (chunk::F_ACTION, &filter.action_id),
            (chunk::F_TOOL, &filter.tool),
            (chunk::F_OUTCOME, &filter.outcome),
        ] {
            if let Some(v) = value {
                fields.push((field, v.as_str()));
            }
        }
        Wanted { fields }
    }

    /// The slots an event of `chunk` must have; `None` when no event of it can match.
    fn slots(&self, chunk: &Decoded<'_>) -> Option<Vec<(usize, u32)>> {
        self.fields
            .iter()
            .map(|(field, value)| chunk.slot_of(value).map(|slot| (*field, slot)))
            .collect()
    }
}

fn matches(event: &Slots, slots: &[(usize, u32)], from: Option<i64>, to: Option<i64>) -> bool {
    from.is_none_or(|f| event.at >= f)
        && to.is_none_or(|t| event.at < t)
        && slots
            .iter()
            .all(|(field, slot)| event.text[*field] == *slot)
}

/// Reads and writes the audit trail.
#[derive(Debug, Clone)]
pub struct AuditRepository {
    conn: DatabaseConnection,
}

impl AuditRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        AuditRepository { conn }
    }

    /// Stores a batch of events: a chunk per account (more when one account's events exceed
    /// [`EVENTS_PER_CHUNK`] or span more than [`CHUNK_SPAN`]), in one transaction.
    pub async fn insert(&self, events: &[NewAuditEvent<'_>]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        let tx = self.conn.begin().await?;
        Self::insert_on(&tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`insert`](Self::insert) on `conn`, in whatever transaction it is in.
    pub(crate) async fn insert_on<C: ConnectionTrait>(
        conn: &C,
        events: &[NewAuditEvent<'_>],
    ) -> Result<(), Error> {
        // Sorted by reference: the events themselves stay where they are.
        let mut sorted: Vec<&NewAuditEvent<'_>> = events.iter().collect();
        sorted.sort_by(|a, b| {
            a.account_id
                .cmp(b.account_id)
                .then_with(|| chunk::by_time(a, b))
        });
        for run in runs(&sorted) {
            let encoded = chunk::encode(run);
            let row = audit_chunk::ActiveModel {
                account_id: Set(run[0].account_id.to_owned()),
                first_at: Set(encoded.first_at),
                last_at: Set(encoded.last_at),
                events: Set(i32::try_from(encoded.events).unwrap_or(i32::MAX)),
                data: Set(encoded.data),
                ..Default::default()
            };
            audit_chunk::Entity::insert(row)
                .exec_without_returning(conn)
                .await?;
        }
        Ok(())
    }

    /// A page of events matching `filter`, newest first, and how many match in all.
    ///
    /// Reads every chunk of the account in the period (to count), decoding only those that can
    /// hold a match; holds the newest `offset + limit` matches' keys while it does.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<AuditEventRecord>, u64), Error> {
        use audit_chunk::Column as C;
        let from = filter.from.as_ref().map(chunk::micros);
        let to = filter.to.as_ref().map(chunk::micros);
        let want = usize::try_from(offset.saturating_add(limit)).unwrap_or(usize::MAX);
        let wanted = Wanted::of(filter);
        // The newest `want` matches: a min-heap, so that its top is the one to give up.
        let mut best: BinaryHeap<Reverse<(Key, i64, usize)>> = BinaryHeap::new();
        let mut total = 0u64;
        let mut after: Option<(i64, i64)> = None;
        loop {
            let mut q =
                audit_chunk::Entity::find().filter(C::AccountId.eq(filter.account_id.as_str()));
            if let Some(from) = from {
                q = q.filter(C::LastAt.gte(from));
            }
            if let Some(to) = to {
                q = q.filter(C::FirstAt.lt(to));
            }
            if let Some((last_at, id)) = after {
                q = q.filter(
                    sea_orm::Condition::any()
                        .add(C::LastAt.lt(last_at))
                        .add(C::LastAt.eq(last_at).and(C::Id.lt(id))),
                );
            }
            let chunks = q
                .order_by_desc(C::LastAt)
                .order_by_desc(C::Id)
                .limit(CHUNKS_PER_READ)
                .all(&self.conn)
                .await?;
            let Some(last) = chunks.last() else { break };
            after = Some((last.last_at, last.id));
            for c in &chunks {
                let inside =
                    from.is_none_or(|f| c.first_at >= f) && to.is_none_or(|t| c.last_at < t);
                let beaten = best.len() >= want
                    && best
                        .peek()
                        .is_none_or(|Reverse(((at, _), _, _))| c.last_at < *at);
                if inside && wanted.fields.is_empty() && beaten {
                    // Every event counts and none can make the page.
                    total += u64::try_from(c.events).unwrap_or(0);
                    continue;
                }
                let decoded = chunk::decode(&c.data)?;
                let Some(slots) = wanted.slots(&decoded) else {
                    continue;
                };
                for (index, event) in decoded.events.iter().enumerate() {
                    if !matches(event, &slots, from, to) {
                        continue;
                    }
                    total += 1;
                    if want == 0 {
                        continue;
                    }
                    let id = decoded.text(event.text[chunk::F_ID]).unwrap_or_default();
                    let newer = best.len() < want
                        || best.peek().is_some_and(|Reverse(((at, top), _, _))| {
                            (event.at, id) > (*at, &**top)
                        });
                    if newer {
                        if best.len() >= want {
                            best.pop();
                        }
                        best.push(Reverse(((event.at, id.into()), c.id, index)));
                    }
                }
            }
        }
        let mut page: Vec<(Key, i64, usize)> = best.into_iter().map(|Reverse(k)| k).collect();
        page.sort_by(|a, b| b.0.cmp(&a.0));
        page.drain(
            ..usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(page.len()),
        );
        Ok((self.records(&page).await?, total))
    }

    /// The records of `page` (key, chunk, index in the chunk), in that order, read again from
    /// their chunks. A retention sweep may have run since the scan: an event whose chunk is
    /// gone, or no longer holds it, has been deleted and is left out; one whose chunk was
    /// rewritten is found by its key.
    async fn records(&self, page: &[(Key, i64, usize)]) -> Result<Vec<AuditEventRecord>, Error> {
        let mut ids: Vec<i64> = page.iter().map(|(_, chunk, _)| *chunk).collect();
        ids.sort_unstable();
        ids.dedup();
        let chunks: HashMap<i64, Vec<u8>> = audit_chunk::Entity::find()
            .filter(audit_chunk::Column::Id.is_in(ids))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.data))
            .collect();
        let mut decoded = HashMap::new();
        for (id, data) in &chunks {
            decoded.insert(*id, chunk::decode(data)?);
        }
        let mut records = Vec::with_capacity(page.len());
        for ((at, id), chunk, index) in page {
            let Some(d) = decoded.get(chunk) else {
                continue;
            };
            let is_it = |e: &&Slots| e.at == *at && d.text(e.text[chunk::F_ID]) == Some(&**id);
            let event = d
                .events
                .get(*index)
                .filter(is_it)
                .or_else(|| d.events.iter().find(is_it));
            if let Some(event) = event {
                records.push(d.record(event)?);
            }
        }
        Ok(records)
    }

    /// Events of every account in `[from, to)`, oldest first, at most `limit` of them, after
    /// the event `after` (time and ID of the last one of the previous page): the operator's
    /// export, read page by page so that a long period never sits in memory.
    pub async fn export_page(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        after: Option<(DateTime<Utc>, String)>,
        limit: u64,
    ) -> Result<Vec<AuditEventRecord>, Error> {
        use audit_chunk::Column as C;
        let from = from.as_ref().map(chunk::micros);
        let to = to.as_ref().map(chunk::micros);
        let after = after.map(|(at, id)| (chunk::micros(&at), id));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // No event before this can be wanted; chunks holding one start at most CHUNK_SPAN
        // earlier.
        let low = match (&after, from) {
            (Some((at, _)), Some(f)) => Some(Ord::max(*at, f)),
            (Some((at, _)), None) => Some(*at),
            (None, f) => f,
        };
        // The oldest `limit` wanted events: a max-heap, its top the one to give up.
        let mut best: BinaryHeap<Keyed> = BinaryHeap::new();
        let mut cursor: Option<(i64, i64)> = None;
        'scan: loop {
            let mut q = audit_chunk::Entity::find();
            if let Some(low) = low {
                q = q
                    .filter(C::FirstAt.gte(low.saturating_sub(CHUNK_SPAN)))
                    .filter(C::LastAt.gte(low));
            }
            if let Some(to) = to {
                q = q.filter(C::FirstAt.lt(to));
            }
            if let Some((first_at, id)) = cursor {
                q = q.filter(
                    sea_orm::Condition::any()
                        .add(C::FirstAt.gt(first_at))
                        .add(C::FirstAt.eq(first_at).and(C::Id.gt(id))),
                );
            }
            let chunks = q
                .order_by_asc(C::FirstAt)
                .order_by_asc(C::Id)
                .limit(CHUNKS_PER_READ)
                .all(&self.conn)
                .await?;
            let Some(last) = chunks.last() else { break };
            cursor = Some((last.first_at, last.id));
            for c in &chunks {
                if best.len() >= limit
                    && best
                        .peek()
                        .is_some_and(|Keyed((at, _), _)| c.first_at > *at)
                {
                    // This chunk and every later one start after the page's newest event.
                    break 'scan;
                }
                let decoded = chunk::decode(&c.data)?;
                for event in &decoded.events {
                    if !matches(event, &[], from, to) {
                        continue;
                    }
                    let id = decoded.text(event.text[chunk::F_ID]).unwrap_or_default();
                    if after
                        .as_ref()
                        .is_some_and(|(at, last)| (event.at, id) <= (*at, last.as_str()))
                    {
                        continue;
                    }
                    let older = best.len() < limit
                        || best
                            .peek()
                            .is_some_and(|Keyed((at, top), _)| (event.at, id) < (*at, &**top));
                    if older {
                        if best.len() >= limit {
                            best.pop();
                        }
                        best.push(Keyed(
                            (event.at, id.into()),
                            Box::new(decoded.record(event)?),
                        ));
                    }
                }
            }
        }
        Ok(best
            .into_sorted_vec()
            .into_iter()
            .map(|Keyed(_, record)| *record)
            .collect())
    }

    /// Deletes events that happened before `cutoff`; returns how many. Chunks wholly older go
    /// in one statement; a chunk holding events on both sides is written again with the newer
    /// ones.
    pub async fn delete_before(&self, cutoff: DateTime<Utc>) -> Result<u64, Error> {
        use audit_chunk::Column as C;
        let cutoff = chunk::micros(&cutoff);
        let tx = self.conn.begin().await?;
        let backend = tx.get_database_backend();
        let sum = tx
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) AS n FROM audit_chunks \
                         WHERE last_at < $1"
                    }
                    _ => "SELECT COALESCE(SUM(events), 0) AS n FROM audit_chunks WHERE last_at < ?",
                },
                [cutoff.into()],
            ))
            .await?;
        let mut removed = match sum {
            Some(row) => u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0),
            None => 0,
        };
        audit_chunk::Entity::delete_many()
            .filter(C::LastAt.lt(cutoff))
            .exec(&tx)
            .await?;
        let straddling = audit_chunk::Entity::find()
            .filter(C::LastAt.gte(cutoff))
            .filter(C::LastAt.lt(cutoff.saturating_add(CHUNK_SPAN)))
            .filter(C::FirstAt.lt(cutoff))
            .all(&tx)
            .await?;
        for c in straddling {
            let decoded = chunk::decode(&c.data)?;
            let kept = decoded
                .events
                .iter()
                .filter(|e| e.at >= cutoff)
                .map(|e| decoded.record(e))
                .collect::<Result<Vec<_>, _>>()?;
            removed += (decoded.events.len() - kept.len()) as u64;
            let kept: Vec<NewAuditEvent<'_>> = kept.iter().map(AuditEventRecord::as_new).collect();
            let encoded = chunk::encode(&kept.iter().collect::<Vec<_>>());
            audit_chunk::Entity::update_many()
                .col_expr(C::FirstAt, Expr::value(encoded.first_at))
                .col_expr(
                    C::Events,
                    Expr::value(i32::try_from(encoded.events).unwrap_or(i32::MAX)),
                )
                .col_expr(C::Data, Expr::value(encoded.data))
                .filter(C::Id.eq(c.id))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> AuditEventRecord {
        AuditEventRecord {
            id: format!("{seconds:08}"),
            occurred_at: DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap(),
            account_id: "a".into(),
            ..AuditEventRecord::default()
        }
    }

    #[test]
    fn runs_respect_the_span_and_the_size() {
        let span = CHUNK_SPAN / 1_000_000;
        let events: Vec<AuditEventRecord> = [0, 1, span, span + 1, 3 * span]
            .into_iter()
            .map(at)
            .collect();
        let new: Vec<NewAuditEvent<'_>> = events.iter().map(AuditEventRecord::as_new).collect();
        let refs: Vec<&NewAuditEvent<'_>> = new.iter().collect();
        let lens: Vec<usize> = runs(&refs).iter().map(|r| r.len()).collect();
        assert_eq!(lens, [3, 1, 1]);
        let many: Vec<AuditEventRecord> = (0..EVENTS_PER_CHUNK as i64 * 2 + 1)
            .map(|n| AuditEventRecord {
                account_id: if n < 3 { "a" } else { "b" }.into(),
                ..at(5)
            })
            .collect();
        let new: Vec<NewAuditEvent<'_>> = many.iter().map(AuditEventRecord::as_new).collect();
        let refs: Vec<&NewAuditEvent<'_>> = new.iter().collect();
        let lens: Vec<usize> = runs(&refs).iter().map(|r| r.len()).collect();
        assert_eq!(lens, [3, EVENTS_PER_CHUNK, EVENTS_PER_CHUNK - 2]);
        assert!(runs(&[]).is_empty());
    }

    /// A sweep between a listing's scan and its second read: the swept event is left out, the
    /// rewritten chunk's survivor is found by its key, and nothing fails.
    #[tokio::test]
    async fn a_page_read_after_a_sweep_leaves_out_what_went() {
        let t = crate::testing::TestDatabase::sqlite().await;
        let repo = t.db.audit();
        let events: Vec<AuditEventRecord> = [0, 1, 2].into_iter().map(at).collect();
        let new: Vec<NewAuditEvent<'_>> = events.iter().map(AuditEventRecord::as_new).collect();
        repo.insert(&new).await.unwrap();
        let chunk = audit_chunk::Entity::find()
            .one(&repo.conn)
            .await
            .unwrap()
            .unwrap()
            .id;
        let key = |e: &AuditEventRecord| (chunk::micros(&e.occurred_at), e.id.clone().into());
        // Newest first, as the scan found them: indices 2, 1, 0 of the one chunk.
        let page: Vec<(Key, i64, usize)> =
            (0..3).rev().map(|i| (key(&events[i]), chunk, i)).collect();
        assert_eq!(
            repo.records(&page).await.unwrap(),
            [events[2].clone(), events[1].clone(), events[0].clone()]
        );
        // The oldest swept: the chunk is rewritten and its events move down one place.
        assert_eq!(repo.delete_before(events[1].occurred_at).await.unwrap(), 1);
        assert_eq!(
            repo.records(&page).await.unwrap(),
            [events[2].clone(), events[1].clone()]
        );
        // All swept: the chunk is gone.
        assert_eq!(
            repo.delete_before(events[2].occurred_at + chrono::Duration::seconds(1))
                .await
                .unwrap(),
            2
        );
        assert!(repo.records(&page).await.unwrap().is_empty());
    }
}
