//! The stored form of a batch of one account's audit events: a string table and the events as
//! varints that point into it.
//!
//! Events of a batch repeat most of their text (account, user, server, tool, connector, outcome,
//! client), so a chunk stores each distinct string once and every event as a few bytes: about
//! 80 bytes an event instead of a row of 23 columns and two index entries. Reading filters on
//! string *indices*: a filter value the chunk's table lacks rules the whole chunk out without
//! looking at an event, and a matching event is turned into an [`AuditEventRecord`] only when
//! it is returned.
//!
//! Layout (format 1), all integers LEB128 varints:
//! `1`, string count, each string as length and UTF-8 bytes, event count, the first event's time
//! (microseconds since the epoch, zigzag), then per event: time since the previous event (events
//! are sorted by time and ID), the [`TEXT_FIELDS`] as string index plus one (zero: none), and
//! the [`NUMBER_FIELDS`] as value plus one (zero: none).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{AuditEventRecord, NewAuditEvent};
use crate::error::Error;

const FORMAT: u8 = 1;

/// Text fields in stored order (`details` as JSON text).
const TEXT_FIELDS: usize = 18;
/// Number fields in stored order: upstream status, latency, upstream latency.
const NUMBER_FIELDS: usize = 3;

/// Text fields that differ from event to event (their strings are not looked up for reuse).
const UNIQUE: [bool; TEXT_FIELDS] = {
    let mut u = [false; TEXT_FIELDS];
    u[F_ID] = true;
    u[F_REQUEST_ID] = true;
    u[F_DETAILS] = true;
    u
};

pub(super) const F_ID: usize = 0;
pub(super) const F_ACCOUNT: usize = 1;
pub(super) const F_USER: usize = 2;
const F_PRINCIPAL_KIND: usize = 3;
const F_PRINCIPAL_ID: usize = 4;
pub(super) const F_SERVER: usize = 5;
const F_EVENT: usize = 6;
pub(super) const F_TOOL: usize = 7;
pub(super) const F_CONNECTOR: usize = 8;
pub(super) const F_ACTION: usize = 9;
pub(super) const F_OUTCOME: usize = 10;
const F_ERROR_CODE: usize = 11;
const F_CREDENTIAL: usize = 12;
const F_CLIENT_IP: usize = 13;
const F_REQUEST_ID: usize = 14;
const F_CLIENT_NAME: usize = 15;
const F_CLIENT_VERSION: usize = 16;
const F_DETAILS: usize = 17;

/// A chunk ready to store.
#[derive(Debug)]
pub(super) struct Encoded {
    /// Time of the oldest event, microseconds since the epoch.
    pub first_at: i64,
    /// Time of the newest event.
    pub last_at: i64,
    /// Number of events.
    pub events: u32,
    /// The encoded events.
    pub data: Vec<u8>,
}

/// The time of an event in stored form.
pub(super) fn micros(at: &DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The order of events in a chunk: by time, then ID.
pub(super) fn by_time(a: &NewAuditEvent<'_>, b: &NewAuditEvent<'_>) -> std::cmp::Ordering {
    (a.occurred_at, a.id).cmp(&(b.occurred_at, b.id))
}

/// Encodes `events` (of one account, at most `u32::MAX`, in [`by_time`] order).
pub(super) fn encode(events: &[&NewAuditEvent<'_>]) -> Encoded {
    debug_assert!(events.is_sorted_by(|a, b| by_time(a, b).is_le()));
    let details: Vec<Option<String>> = events
        .iter()
        .map(|e| e.details.map(Value::to_string))
        .collect();
    // Sized for the usual batch (two unique strings an event, a few dozen repeated ones, about
    // 30 bytes of slots and numbers an event), so that a batch is not built by regrowing.
    let mut strings: Vec<&str> = Vec::with_capacity(events.len() * 2 + 64);
    let mut index: HashMap<&str, u64> = HashMap::with_capacity(64);
    // The previous event's string per field: most fields repeat it.
    let mut previous: [Option<(&str, u64)>; TEXT_FIELDS] = [None; TEXT_FIELDS];
    let mut body = Vec::with_capacity(events.len() * 40);
    let mut last = events.first().map_or(0, |e| micros(&e.occurred_at));
    let first_at = last;
    for (e, details) in events.iter().zip(&details) {
        let at = micros(&e.occurred_at);
        put(&mut body, u64::try_from(at - last).unwrap_or(0));
        last = at;
        for (field, text) in texts(e, details.as_deref()).into_iter().enumerate() {
            let Some(text) = text else {
                body.push(0);
                continue;
            };
            let slot = match previous[field] {
                Some((p, slot)) if p == text => slot,
                _ => {
                    let slot = if UNIQUE[field] {
                        strings.push(text);
                        strings.len() as u64
                    } else {
                        *index.entry(text).or_insert_with(|| {
                            strings.push(text);
                            strings.len() as u64
                        })
                    };
                    previous[field] = Some((text, slot));
                    slot
                }
            };
            put(&mut body, slot);
        }
        for number in [
            e.upstream_status.map(u64::from),
            e.latency_us,
            e.upstream_latency_us,
        ] {
            put(&mut body, number.map_or(0, |n| n.saturating_add(1)));
        }
    }
    let text_bytes: usize = strings.iter().map(|s| s.len() + 2).sum();
    let mut data = Vec::with_capacity(16 + text_bytes + body.len());
    data.push(FORMAT);
    put(&mut data, strings.len() as u64);
    for s in &strings {
        put(&mut data, s.len() as u64);
        data.extend_from_slice(s.as_bytes());
    }
    put(&mut data, events.len() as u64);
    put(&mut data, zigzag(first_at));
    data.extend_from_slice(&body);
    Encoded {
        first_at,
        last_at: last,
        events: u32::try_from(events.len()).unwrap_or(u32::MAX),
        data,
    }
}

fn texts<'a>(e: &NewAuditEvent<'a>, details: Option<&'a str>) -> [Option<&'a str>; TEXT_FIELDS] {
    [
        Some(e.id),
        Some(e.account_id),
        e.user_id,
        Some(e.principal_kind),
        e.principal_id,
        e.server_id,
        Some(e.event),
        e.tool,
        e.connector_id,
        e.action_id,
        Some(e.outcome),
        e.error_code,
        e.credential_id,
        e.client_ip,
        e.request_id,
        e.client_name,
        e.client_version,
        details,
    ]
}

/// One event of a decoded chunk: indices into the chunk's strings (plus one; zero: none).
#[derive(Debug, Clone, Copy)]
pub(super) struct Slots {
    /// Microseconds since the epoch.
    pub at: i64,
    pub text: [u32; TEXT_FIELDS],
    number: [u64; NUMBER_FIELDS],
}

/// A chunk read back: its strings (borrowed from the stored bytes) and events.
#[derive(Debug)]
pub(super) struct Decoded<'a> {
    strings: Vec<&'a str>,
    /// The events, oldest first.
    pub events: Vec<Slots>,
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("audit chunk: {what}"))
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self.data.get(self.at).ok_or_else(|| corrupt("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| corrupt("truncated"))?;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }
}

/// Reads a chunk written by [`encode`].
pub(super) fn decode(data: &[u8]) -> Result<Decoded<'_>, Error> {
    let mut r = Reader { data, at: 0 };
    if r.byte()? != FORMAT {
        return Err(corrupt("unknown format"));
    }
    let count = usize::try_from(r.varint()?).map_err(|_| corrupt("string count"))?;
    // Every string takes at least one byte: a count beyond the data is corrupt, not a reason to
    // reserve memory.
    if count > data.len() {
        return Err(corrupt("string count"));
    }
    let mut strings = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::try_from(r.varint()?).map_err(|_| corrupt("string length"))?;
        let bytes = r.bytes(len)?;
        strings.push(std::str::from_utf8(bytes).map_err(|_| corrupt("string not UTF-8"))?);
    }
    let n = usize::try_from(r.varint()?).map_err(|_| corrupt("event count"))?;
    if n > data.len() {
        return Err(corrupt("event count"));
    }
    let mut at = unzigzag(r.varint()?);
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let delta = i64::try_from(r.varint()?).map_err(|_| corrupt("time"))?;
        at = at.checked_add(delta).ok_or_else(|| corrupt("time"))?;
        let mut text = [0u32; TEXT_FIELDS];
        for slot in &mut text {
            let v = r.varint()?;
            if v > count as u64 {
                return Err(corrupt("string index"));
            }
            *slot = v as u32;
        }
        let mut number = [0u64; NUMBER_FIELDS];
        for slot in &mut number {
            *slot = r.varint()?;
        }
        events.push(Slots { at, text, number });
    }
    Ok(Decoded { strings, events })
}

impl<'a> Decoded<'a> {
    /// The index (plus one) of `text` in this chunk's strings; `None` when no event has it.
    pub fn slot_of(&self, text: &str) -> Option<u32> {
        self.strings
            .iter()
            .position(|s| *s == text)
            .map(|i| i as u32 + 1)
    }

    /// The string of a slot.
    pub fn text(&self, slot: u32) -> Option<&'a str> {
        slot.checked_sub(1)
            .and_then(|i| self.strings.get(i as usize))
            .copied()
    }

    /// The full record of `event`.
    pub fn record(&self, event: &Slots) -> Result<AuditEventRecord, Error> {
        let t = |field: usize| self.text(event.text[field]).map(str::to_owned);
        let required = |field: usize| t(field).ok_or_else(|| corrupt("missing field"));
        let number = |field: usize| event.number[field].checked_sub(1);
        let details = match self.text(event.text[F_DETAILS]) {
            Some(json) => Some(serde_json::from_str(json).map_err(|_| corrupt("details"))?),
            None => None,
        };
        Ok(AuditEventRecord {
            id: required(F_ID)?,
            occurred_at: DateTime::from_timestamp_micros(event.at)
                .ok_or_else(|| corrupt("time"))?,
            account_id: required(F_ACCOUNT)?,
            user_id: t(F_USER),
            principal_kind: required(F_PRINCIPAL_KIND)?,
            principal_id: t(F_PRINCIPAL_ID),
            server_id: t(F_SERVER),
            event: required(F_EVENT)?,
            tool: t(F_TOOL),
            connector_id: t(F_CONNECTOR),
            action_id: t(F_ACTION),
            outcome: required(F_OUTCOME)?,
            error_code: t(F_ERROR_CODE),
            upstream_status: number(0).and_then(|v| u16::try_from(v).ok()),
            latency_us: number(1),
            upstream_latency_us: number(2),
            credential_id: t(F_CREDENTIAL),
            client_ip: t(F_CLIENT_IP),
            request_id: t(F_REQUEST_ID),
            client_name: t(F_CLIENT_NAME),
            client_version: t(F_CLIENT_VERSION),
            details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, SubsecRound};

    fn event(n: u32) -> AuditEventRecord {
        AuditEventRecord {
            id: format!("{n:032x}"),
            occurred_at: (Utc::now() - Duration::seconds(i64::from(n % 7))).trunc_subsecs(3),
            account_id: "acct".into(),
            user_id: Some(if n.is_multiple_of(2) { "alice" } else { "bob" }.into()),
            principal_kind: "access_token".into(),
            principal_id: Some("srv".into()),
            server_id: Some("srv".into()),
            event: "tools/call".into(),
            tool: Some("list_connectors_alloy".into()),
            connector_id: n.is_multiple_of(3).then(|| "github".into()),
            action_id: None,
            outcome: "ok".into(),
            error_code: None,
            upstream_status: n.is_multiple_of(5).then_some(201),
            latency_us: Some(u64::from(n) * 1000),
            upstream_latency_us: (n == 3).then_some(u64::MAX - 1),
            credential_id: None,
            client_ip: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{n}")),
            client_name: Some("é ünïcode".into()),
            client_version: Some(String::new()),
            details: n
                .is_multiple_of(4)
                .then(|| serde_json::json!({"arguments": {"n": n}})),
        }
    }

    #[test]
    fn events_round_trip_sorted_and_strings_are_stored_once() {
        let mut events: Vec<AuditEventRecord> = (0..50).map(event).collect();
        let original = events.clone();
        events.sort_by(|a, b| by_time(&a.as_new(), &b.as_new()));
        let new: Vec<NewAuditEvent<'_>> = events.iter().map(AuditEventRecord::as_new).collect();
        let encoded = encode(&new.iter().collect::<Vec<_>>());
        assert_eq!(encoded.events, 50);
        let decoded = decode(&encoded.data).unwrap();
        let back: Vec<AuditEventRecord> = decoded
            .events
            .iter()
            .map(|e| decoded.record(e).unwrap())
            .collect();
        assert_eq!(back, events, "every field kept, in order");
        assert_ne!(
            back, original,
            "the test's events are not in time order to begin with"
        );
        assert_eq!(encoded.first_at, micros(&back[0].occurred_at));
        assert_eq!(encoded.last_at, micros(&back[49].occurred_at));
        assert_eq!(
            decoded.strings.iter().filter(|s| **s == "alice").count(),
            1,
            "a repeated string is stored once"
        );
        assert!(decoded.slot_of("github").is_some());
        assert!(decoded.slot_of("gitlab").is_none());
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let mut events: Vec<AuditEventRecord> = (0..5).map(event).collect();
        events.sort_by(|a, b| by_time(&a.as_new(), &b.as_new()));
        let new: Vec<NewAuditEvent<'_>> = events.iter().map(AuditEventRecord::as_new).collect();
        let data = encode(&new.iter().collect::<Vec<_>>()).data;
        for cut in 0..data.len() {
            if let Ok(d) = decode(&data[..cut]) {
                for e in &d.events {
                    let _ = d.record(e);
                }
            }
        }
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0xff;
            if let Ok(d) = decode(&bad) {
                for e in &d.events {
                    let _ = d.record(e);
                }
            }
        }
        assert!(decode(&[]).is_err());
        assert!(decode(&[2]).is_err());
        assert!(
            decode(&[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .is_err()
        );
    }

    #[test]
    fn an_empty_chunk_round_trips() {
        let encoded = encode(&[]);
        assert_eq!(encoded.events, 0);
        assert!(decode(&encoded.data).unwrap().events.is_empty());
    }
}
