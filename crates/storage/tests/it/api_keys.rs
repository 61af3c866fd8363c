//! ApiKeyRepository and AccountRepository on both backends.

use alloy_storage::NewApiKey;

use super::*;

on_both!(keys_round_trip_and_revoke, |t: TestDatabase| async move {
    assert_eq!(t.db.accounts().count().await.unwrap(), 0);
    t.db.accounts().create("acct", "Account").await.unwrap();
    assert!(t.db.accounts().create("acct", "Again").await.is_err());
    assert_eq!(t.db.accounts().count().await.unwrap(), 1);
    let key = NewApiKey {
        id: "key1".into(),
        account_id: "acct".into(),
        user_id: "owner".into(),
        name: "ci".into(),
        prefix: "alloy_ab".into(),
        lookup: "0123456789abcdef".into(),
        hash: "$argon2id$fake".into(),
        expires_at: None,
    };
    let stored = t.db.api_keys().insert(key.clone()).await.unwrap();
    assert!(stored.is_active(chrono::Utc::now()));
    assert!(t.db.api_keys().insert(key).await.is_err());
    let found = t.db.api_keys().by_lookup("0123456789abcdef").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, "owner");
    assert!(
        t.db.api_keys()
            .by_lookup("ffffffffffffffff")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(t.db.api_keys().list(Some("acct")).await.unwrap().len(), 1);
    assert_eq!(t.db.api_keys().list(Some("other")).await.unwrap().len(), 0);
    assert!(t.db.api_keys().revoke("key1").await.unwrap());
    assert!(!t.db.api_keys().revoke("nope").await.unwrap());
    let revoked = t.db.api_keys().get("key1").await.unwrap().unwrap();
    assert!(!revoked.is_active(chrono::Utc::now()));
    t.db.ping().await.unwrap();
});
