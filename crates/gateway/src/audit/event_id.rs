//! Event IDs: UUIDv7s, time-ordered and increasing within the process, made without a lock.

use std::sync::atomic::{AtomicU64, Ordering};

/// The last UUIDv7 time stamp handed out: milliseconds since the epoch shifted left by 12, plus
/// a counter within the millisecond (RFC 9562, section 6.2, method 1).
static LAST_STAMP: AtomicU64 = AtomicU64::new(0);

/// A UUIDv7 in lowercase hex for an event of `millis`: time-ordered, and increasing within this
/// process even within one millisecond (events of one chunk sort by time, then ID). Built here
/// rather than by `Uuid::now_v7`, which reads the clock again and takes a global lock.
pub(super) fn event_id(millis: u64) -> [u8; 32] {
    let wanted = millis << 12;
    let mut last = LAST_STAMP.load(Ordering::Relaxed);
    let stamp = loop {
        // A clock that went back, or a 4,097th event in a millisecond, counts on from the last.
        let next = if wanted > last { wanted } else { last + 1 };
        match LAST_STAMP.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(seen) => last = seen,
        }
    };
    let random: u64 = rand::random();
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&(stamp >> 12).to_be_bytes()[2..]);
    let counter = stamp & 0xfff;
    bytes[6] = 0x70 | ((counter >> 8) as u8 & 0x0f);
    bytes[7] = counter as u8;
    bytes[8..].copy_from_slice(&random.to_be_bytes());
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    let mut id = [0u8; 32];
    uuid::Uuid::from_bytes(bytes).simple().encode_lower(&mut id);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_uuids_increasing_within_a_millisecond() {
        let ids: Vec<String> = (0..5000)
            .map(|_| String::from_utf8(event_id(1_765_000_000_000).to_vec()).unwrap())
            .collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
        let parsed = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        let (secs, _) = parsed.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_765_000_000);
        // A later millisecond starts from its own time stamp again.
        let later =
            uuid::Uuid::parse_str(std::str::from_utf8(&event_id(1_765_000_100_000)).unwrap())
                .unwrap();
        assert_eq!(later.get_timestamp().unwrap().to_unix().0, 1_765_000_100);
    }
}
