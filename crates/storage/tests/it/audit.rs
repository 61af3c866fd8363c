//! AuditRepository on both backends.

use super::*;
use alloy_storage::{AuditEventRecord, AuditFilter, NewAuditEvent};

/// The records as events to store.
fn new(events: &[AuditEventRecord]) -> Vec<NewAuditEvent<'_>> {
    events.iter().map(AuditEventRecord::as_new).collect()
}
use chrono::{Duration, SubsecRound, Utc};

fn event(n: u32, account: &str, user: &str, minutes_ago: i64) -> AuditEventRecord {
    AuditEventRecord {
        id: format!("{n:08}"),
        occurred_at: (Utc::now() - Duration::minutes(minutes_ago)).trunc_subsecs(3),
        account_id: account.to_owned(),
        user_id: Some(user.to_owned()),
        principal_kind: "api_key".to_owned(),
        principal_id: Some("key-1".to_owned()),
        server_id: Some(format!("srv-{}", n % 2)),
        event: "tools/call".to_owned(),
        tool: Some("execute_action_alloy".to_owned()),
        connector_id: Some("slack".to_owned()),
        action_id: Some(if n.is_multiple_of(3) { "a" } else { "b" }.to_owned()),
        outcome: if n.is_multiple_of(4) {
            "upstream_error"
        } else {
            "ok"
        }
        .to_owned(),
        error_code: None,
        upstream_status: Some(200),
        latency_us: Some(1234),
        upstream_latency_us: Some(999),
        credential_id: Some("c".repeat(24)),
        client_ip: Some("203.0.113.9".to_owned()),
        request_id: Some(format!("req-{n}")),
        client_name: None,
        client_version: None,
        details: Some(serde_json::json!({"arguments": {"text": "hi"}})),
    }
}

on_both!(
    audit_insert_list_filter_export_sweep,
    |t: TestDatabase| async move {
        let audit = t.db.audit();
        // 10 events of account A (users alice and a 10,000-character user), 3 of account B.
        let long_user = "u".repeat(10_000);
        let mut batch: Vec<AuditEventRecord> = (0..10)
            .map(|n| {
                let user = if n < 7 { "alice" } else { long_user.as_str() };
                event(n, "acct-a", user, i64::from(n))
            })
            .collect();
        batch.extend((10..13).map(|n| event(n, "acct-b", "alice", 1)));
        audit.insert(&new(&batch)).await.unwrap();
        audit.insert(&[]).await.unwrap();

        let all_a = AuditFilter {
            account_id: "acct-a".to_owned(),
            ..AuditFilter::default()
        };
        let (page, total) = audit.list(&all_a, 4, 0).await.unwrap();
        assert_eq!(total, 10);
        let ids: Vec<&str> = page.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            ["00000000", "00000001", "00000002", "00000003"],
            "newest first"
        );
        assert_eq!(page[0], batch[0], "round trip keeps every field");
        let (page, _) = audit.list(&all_a, 4, 8).await.unwrap();
        assert_eq!(page.len(), 2);

        let by = |f: AuditFilter| {
            let audit = audit.clone();
            async move { audit.list(&f, 100, 0).await.unwrap().1 }
        };
        assert_eq!(
            by(AuditFilter {
                user_id: Some(long_user.clone()),
                ..all_a.clone()
            })
            .await,
            3
        );
        assert_eq!(
            by(AuditFilter {
                user_id: Some("alice".into()),
                ..all_a.clone()
            })
            .await,
            7
        );
        assert_eq!(
            by(AuditFilter {
                server_id: Some("srv-1".into()),
                ..all_a.clone()
            })
            .await,
            5
        );
        assert_eq!(
            by(AuditFilter {
                action_id: Some("a".into()),
                ..all_a.clone()
            })
            .await,
            4
        );
        assert_eq!(
            by(AuditFilter {
                outcome: Some("upstream_error".into()),
                ..all_a.clone()
            })
            .await,
            3
        );
        assert_eq!(
            by(AuditFilter {
                connector_id: Some("github".into()),
                ..all_a.clone()
            })
            .await,
            0
        );
        assert_eq!(
            by(AuditFilter {
                tool: Some("execute_action_alloy".into()),
                ..all_a.clone()
            })
            .await,
            10
        );
        let recent = AuditFilter {
            from: Some(Utc::now() - Duration::seconds(150)),
            ..all_a.clone()
        };
        assert_eq!(by(recent).await, 3, "0, 1 and 2 minutes ago");
        let older = AuditFilter {
            to: Some(Utc::now() - Duration::seconds(330)),
            ..all_a.clone()
        };
        assert_eq!(by(older).await, 4, "6 to 9 minutes ago");
        let other = AuditFilter {
            account_id: "acct-c".to_owned(),
            ..AuditFilter::default()
        };
        assert_eq!(by(other).await, 0);

        // Export pages through every account, oldest first, without repeats.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = audit
                .export_page(None, None, after.clone(), 4)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.occurred_at, last.id.clone()));
            seen.extend(page.into_iter().map(|e| e.id));
        }
        assert_eq!(seen.len(), 13);
        assert_eq!(
            seen.first().map(String::as_str),
            Some("00000009"),
            "oldest first"
        );
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 13);

        // Retention: everything older than 5 minutes and a half goes.
        let removed = audit
            .delete_before(Utc::now() - Duration::seconds(330))
            .await
            .unwrap();
        assert_eq!(removed, 4);
        assert_eq!(audit.list(&all_a, 100, 0).await.unwrap().1, 6);

        // More than one chunk's worth of events of one account, twice.
        let per_round = alloy_storage::EVENTS_PER_CHUNK + 51;
        for round in 0..2u32 {
            let bulk: Vec<AuditEventRecord> = (0..u32::try_from(per_round).unwrap())
                .map(|n| AuditEventRecord {
                    id: format!("bulk-{round}-{n:04}"),
                    ..event(n, "acct-bulk", "alice", 0)
                })
                .collect();
            audit.insert(&new(&bulk)).await.unwrap();
        }
        let bulk = AuditFilter {
            account_id: "acct-bulk".to_owned(),
            ..AuditFilter::default()
        };
        let (page, total) = audit.list(&bulk, 2000, 0).await.unwrap();
        assert_eq!(total, 2 * per_round as u64);
        assert!(
            page.iter()
                .all(|e| e.details.is_some() && e.latency_us == Some(1234))
        );
    }
);

// Events written in batches whose times interleave (as batches of several replicas do), and
// one batch spanning more than a chunk may: listing, paging, export and retention see one
// ordered trail.
on_both!(
    audit_interleaved_batches_read_as_one_trail,
    |t: TestDatabase| async move {
        let audit = t.db.audit();
        let base = Utc::now().trunc_subsecs(3) - Duration::hours(2);
        let at = |n: i64| AuditEventRecord {
            id: format!("ev-{n:05}"),
            occurred_at: base + Duration::seconds(n * 17 % 5_000),
            server_id: Some(format!("srv-{}", n % 3)),
            ..event(0, "acct", "alice", 0)
        };
        // Three batches, each taking every third event: their chunks overlap in time, and each
        // batch spans more than a chunk may (CHUNK_SPAN), so it is stored as several.
        let all: Vec<AuditEventRecord> = (0..600).map(at).collect();
        for k in 0..3 {
            let batch: Vec<AuditEventRecord> = all
                .iter()
                .enumerate()
                .filter(|(n, _)| n % 3 == k)
                .map(|(_, e)| e.clone())
                .collect();
            audit.insert(&new(&batch)).await.unwrap();
        }
        let mut newest_first = all.clone();
        newest_first.sort_by(|a, b| (b.occurred_at, &b.id).cmp(&(a.occurred_at, &a.id)));

        let filter = AuditFilter {
            account_id: "acct".into(),
            ..AuditFilter::default()
        };
        let mut paged = Vec::new();
        for offset in (0..600).step_by(70) {
            let (page, total) = audit.list(&filter, 70, offset).await.unwrap();
            assert_eq!(total, 600);
            paged.extend(page);
        }
        assert_eq!(paged, newest_first, "every event once, newest first");

        let srv1 = AuditFilter {
            server_id: Some("srv-1".into()),
            ..filter.clone()
        };
        let (page, total) = audit.list(&srv1, 5, 3).await.unwrap();
        let expected: Vec<&AuditEventRecord> = newest_first
            .iter()
            .filter(|e| e.server_id.as_deref() == Some("srv-1"))
            .collect();
        assert_eq!(total, expected.len() as u64);
        assert_eq!(page.iter().collect::<Vec<_>>(), expected[3..8]);

        let window = AuditFilter {
            from: Some(base + Duration::seconds(1_000)),
            to: Some(base + Duration::seconds(2_000)),
            ..filter.clone()
        };
        let (_, total) = audit.list(&window, 0, 0).await.unwrap();
        let in_window = all
            .iter()
            .filter(|e| {
                e.occurred_at >= base + Duration::seconds(1_000)
                    && e.occurred_at < base + Duration::seconds(2_000)
            })
            .count();
        assert_eq!(total, in_window as u64);

        // Export, oldest first, in pages of 64 from a point in the middle.
        let mut oldest_first = newest_first.clone();
        oldest_first.reverse();
        let mut exported = Vec::new();
        let mut after = None;
        loop {
            let page = audit
                .export_page(Some(base + Duration::seconds(100)), None, after.clone(), 64)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.occurred_at, last.id.clone()));
            exported.extend(page);
        }
        let expected: Vec<AuditEventRecord> = oldest_first
            .iter()
            .filter(|e| e.occurred_at >= base + Duration::seconds(100))
            .cloned()
            .collect();
        assert_eq!(exported, expected);

        // Retention cuts through chunks: exactly the older events go.
        let cutoff = base + Duration::seconds(2_500);
        let older = all.iter().filter(|e| e.occurred_at < cutoff).count();
        assert_eq!(audit.delete_before(cutoff).await.unwrap(), older as u64);
        let (rest, total) = audit.list(&filter, 1_000, 0).await.unwrap();
        assert_eq!(total, (600 - older) as u64);
        assert!(rest.iter().all(|e| e.occurred_at >= cutoff));
        assert_eq!(audit.delete_before(cutoff).await.unwrap(), 0);
    }
);
