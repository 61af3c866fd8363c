//! ConsoleSessionRepository and AccountRepository::users on both backends.

use alloy_storage::{ConsoleSessionRecord, NewApiKey};
use chrono::{Duration, Utc};

use super::*;

fn session(key_id: &str, expires_in: Duration) -> ConsoleSessionRecord {
    ConsoleSessionRecord {
        account_id: "acct".into(),
        user_id: "owner".into(),
        key_id: key_id.into(),
        token_id: None,
        created_at: Utc::now(),
        expires_at: Utc::now() + expires_in,
    }
}

on_both!(sessions_open_end_and_expire, |t: TestDatabase| async move {
    let repo = t.db.console_sessions();
    let stored = repo
        .open("secret-a", &session("k1", Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(stored.key_id, "k1");
    assert_eq!(
        repo.get("secret-a").await.unwrap().unwrap().user_id,
        "owner"
    );
    assert!(
        repo.get("secret-b").await.unwrap().is_none(),
        "found by its secret only"
    );

    repo.open("secret-old", &session("k1", Duration::seconds(-1)))
        .await
        .unwrap();
    assert!(
        repo.get("secret-old").await.unwrap().is_none(),
        "expired is gone"
    );
    assert_eq!(repo.delete_expired(Utc::now()).await.unwrap(), 1);

    repo.open("secret-c", &session("k2", Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(repo.end_for_key("k1").await.unwrap(), 1);
    assert!(
        repo.get("secret-a").await.unwrap().is_none(),
        "the key's sessions end"
    );
    assert!(
        repo.get("secret-c").await.unwrap().is_some(),
        "other keys' stay"
    );
    assert!(repo.end("secret-c").await.unwrap());
    assert!(!repo.end("secret-c").await.unwrap());
    assert!(repo.get("secret-c").await.unwrap().is_none());
});

on_both!(
    users_are_those_holding_something,
    |t: TestDatabase| async move {
        t.db.accounts().create("acct", "Account").await.unwrap();
        t.db.accounts().create("other", "Other").await.unwrap();
        for (account, user) in [("acct", "owner"), ("other", "stranger")] {
            t.db.api_keys()
                .insert(NewApiKey {
                    id: format!("key-{account}"),
                    account_id: account.into(),
                    user_id: user.into(),
                    name: "k".into(),
                    prefix: "alloy_ab".into(),
                    lookup: format!("{account:0>16}"),
                    hash: "$argon2id$fake".into(),
                    expires_at: None,
                })
                .await
                .unwrap();
        }
        for (user, name) in [("alice", "a1"), ("alice", "a2"), ("bob", "b1")] {
            t.db.servers()
                .insert(alloy_storage::NewServerRecord {
                    server_id: format!("srv-{name}"),
                    account_id: "acct".into(),
                    user_id: user.into(),
                    name: name.into(),
                    description: String::new(),
                    mode: "connectivity".into(),
                    is_public: false,
                    require_user_token: false,
                    restrictions: Default::default(),
                    access_token: format!("mcp_token_{name}_0123456789abcdef"),
                    token_expires_at: None,
                })
                .await
                .unwrap();
        }
        let users = t.db.accounts().users("acct").await.unwrap();
        let shown: Vec<(&str, u64, u64)> = users
            .iter()
            .map(|u| (u.user_id.as_str(), u.servers, u.credentials))
            .collect();
        assert_eq!(shown, [("alice", 2, 0), ("bob", 1, 0), ("owner", 0, 0)]);
        let other = t.db.accounts().users("other").await.unwrap();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].user_id, "stranger");
    }
);
