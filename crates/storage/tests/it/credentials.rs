//! CredentialRepository, OAuth apps and states, and key rotation on both backends.

use std::collections::BTreeMap;

use alloy_storage::{
    ConsumedState, Database, Error, NewCredential, NewOAuthApp, NewOAuthState, RefreshedSecret,
    SecretBox, SecretFields,
};
use chrono::{Duration, Utc};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};
use serde_json::json;

use super::*;

fn fields(pairs: &[(&str, &str)]) -> SecretFields {
    SecretFields(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn new_credential(account: &str, user: &str, connector: &str, key: &str) -> NewCredential {
    NewCredential {
        credential_id: alloy_domain::ids::generate_credential_id(),
        account_id: account.to_owned(),
        user_id: user.to_owned(),
        connector_id: connector.to_owned(),
        auth_type: "apiKey".to_owned(),
        secret: fields(&[("apiKey", key)]),
        refreshable: false,
        expires_at: None,
    }
}

async fn accounts(t: &TestDatabase) {
    t.db.accounts().create("acct-a", "A").await.unwrap();
    t.db.accounts().create("acct-b", "B").await.unwrap();
}

/// A second, raw connection to the same database (to read and damage rows behind the
/// repositories' back).
async fn raw(t: &TestDatabase) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(t.url.clone());
    opts.sqlx_logging(false);
    if let Some(schema) = &t.schema {
        opts.set_schema_search_path(schema.clone());
    }
    sea_orm::Database::connect(opts).await.unwrap()
}

async fn raw_text(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    conn.query_all_raw(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|row| row.try_get_by_index::<String>(0).unwrap())
    .collect()
}

on_both!(round_trip_and_scoping, |t: TestDatabase| async move {
    accounts(&t).await;
    let repo = t.db.credentials();
    let created = repo
        .insert(new_credential("acct-a", "alice", "stripe", "sk_test_first"))
        .await
        .unwrap();
    assert_eq!(created.auth_type, "apiKey");
    assert_eq!(created.status.as_str(), "active");
    assert_eq!(created.version, 1);
    let (record, secret) = repo
        .get_with_secret("acct-a", "alice", &created.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record, created);
    assert_eq!(secret.get("apiKey"), Some("sk_test_first"));
    assert!(
        !format!("{secret:?}").contains("sk_test_first"),
        "Debug hides values"
    );

    // Another user of the account and the same user ID in another account see nothing.
    for (account, user) in [("acct-a", "bob"), ("acct-b", "alice")] {
        assert!(
            repo.get(account, user, &created.credential_id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            repo.get_with_secret(account, user, &created.credential_id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            repo.newest_usable(account, user, "stripe")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(repo.list(account, user, None, 50, 0).await.unwrap().1, 0);
        assert!(
            !repo
                .delete(account, user, &created.credential_id)
                .await
                .unwrap()
        );
    }

    // Newest first; filter by connector.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let newer = repo
        .insert(new_credential(
            "acct-a",
            "alice",
            "stripe",
            "sk_test_second",
        ))
        .await
        .unwrap();
    repo.insert(new_credential("acct-a", "alice", "github", "ghp_x"))
        .await
        .unwrap();
    let (all, total) = repo.list("acct-a", "alice", None, 50, 0).await.unwrap();
    assert_eq!((all.len(), total), (3, 3));
    let (stripe, total) = repo
        .list("acct-a", "alice", Some("stripe"), 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(stripe[0].credential_id, newer.credential_id);
    let (usable, secret) = repo
        .newest_usable("acct-a", "alice", "stripe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usable.credential_id, newer.credential_id);
    assert_eq!(secret.get("apiKey"), Some("sk_test_second"));

    // A credential needing re-authorization is skipped by the default choice.
    assert!(
        repo.set_status(
            &newer.credential_id,
            newer.version,
            alloy_storage::CredentialStatus::NeedsReauthorization
        )
        .await
        .unwrap()
    );
    let (usable, _) = repo
        .newest_usable("acct-a", "alice", "stripe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usable.credential_id, created.credential_id);

    assert!(
        repo.delete("acct-a", "alice", &created.credential_id)
            .await
            .unwrap()
    );
    assert!(
        !repo
            .delete("acct-a", "alice", &created.credential_id)
            .await
            .unwrap()
    );
    assert_eq!(repo.delete_all_of_user("acct-a", "alice").await.unwrap(), 2);
    assert_eq!(
        repo.list("acct-a", "alice", None, 50, 0).await.unwrap().1,
        0
    );
});

on_both!(
    expired_tokens_and_refresh_compare_and_swap,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let repo = t.db.credentials();
        let mut expired = new_credential("acct-a", "alice", "slack", "unused");
        expired.auth_type = "oauth2".into();
        expired.secret = fields(&[("accessToken", "at-1")]);
        expired.expires_at = Some(Utc::now() - Duration::minutes(1));
        let expired = repo.insert(expired).await.unwrap();
        assert!(
            repo.newest_usable("acct-a", "alice", "slack")
                .await
                .unwrap()
                .is_none(),
            "an expired token without a refresh token is not usable"
        );

        let mut refreshable = new_credential("acct-a", "alice", "slack", "unused");
        refreshable.auth_type = "oauth2".into();
        refreshable.secret = fields(&[("accessToken", "at-2"), ("refreshToken", "rt-2")]);
        refreshable.refreshable = true;
        refreshable.expires_at = Some(Utc::now() - Duration::minutes(1));
        let refreshable = repo.insert(refreshable).await.unwrap();
        let (found, _) = repo
            .newest_usable("acct-a", "alice", "slack")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.credential_id, refreshable.credential_id);

        let new_expiry = Utc::now() + Duration::hours(1);
        let refreshed = RefreshedSecret {
            secret: fields(&[("accessToken", "at-3"), ("refreshToken", "rt-3")]),
            refreshable: true,
            expires_at: Some(new_expiry),
        };
        assert!(
            repo.replace_secret(
                &refreshable.credential_id,
                refreshable.version,
                refreshed.clone()
            )
            .await
            .unwrap()
        );
        assert!(
            !repo
                .replace_secret(&refreshable.credential_id, refreshable.version, refreshed)
                .await
                .unwrap(),
            "a stale version loses"
        );
        let (after, secret) = repo
            .get_with_secret("acct-a", "alice", &refreshable.credential_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.version, refreshable.version + 1);
        assert!(after.refreshed_at.is_some());
        assert_eq!(secret.get("accessToken"), Some("at-3"));
        assert!(
            !repo
                .set_status(
                    &expired.credential_id,
                    expired.version + 5,
                    alloy_storage::CredentialStatus::NeedsReauthorization
                )
                .await
                .unwrap()
        );
    }
);

on_both!(
    tampered_or_moved_secrets_do_not_open,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let repo = t.db.credentials();
        let a = repo
            .insert(new_credential("acct-a", "alice", "stripe", "sk_live_a"))
            .await
            .unwrap();
        let b = repo
            .insert(new_credential("acct-a", "alice", "stripe", "sk_live_b"))
            .await
            .unwrap();
        let conn = raw(&t).await;
        let sealed = raw_text(
            &conn,
            &format!(
                "SELECT secret_sealed FROM credentials WHERE id = '{}'",
                a.credential_id
            ),
        )
        .await
        .remove(0);
        assert!(!sealed.contains("sk_live_a"));
        // Flip one character of the ciphertext.
        let mut bytes = sealed.clone().into_bytes();
        let i = bytes.len() - 5;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        conn.execute_unprepared(&format!(
            "UPDATE credentials SET secret_sealed = '{tampered}' WHERE id = '{}'",
            a.credential_id
        ))
        .await
        .unwrap();
        assert!(matches!(
            repo.get_with_secret("acct-a", "alice", &a.credential_id)
                .await,
            Err(Error::Corrupt(_))
        ));
        // A's intact ciphertext copied into B's row does not open either: it is bound to A's ID.
        conn.execute_unprepared(&format!(
            "UPDATE credentials SET secret_sealed = '{sealed}' WHERE id = '{}'",
            b.credential_id
        ))
        .await
        .unwrap();
        assert!(matches!(
            repo.get_with_secret("acct-a", "alice", &b.credential_id)
                .await,
            Err(Error::Corrupt(_))
        ));
        // Listing needs no secret and still works.
        assert_eq!(
            repo.list("acct-a", "alice", None, 10, 0).await.unwrap().1,
            2
        );
    }
);

on_both!(
    oauth_apps_keep_their_secret_sealed,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let apps = t.db.oauth_apps();
        let app = NewOAuthApp {
            account_id: "acct-a".into(),
            connector_id: "slack".into(),
            client_id: "client-1".into(),
            client_secret: Some("client-secret-one".into()),
            settings: json!({"scopes": ["chat:write"]}),
        };
        let stored = apps.put(app.clone()).await.unwrap();
        assert_eq!(stored.client_secret.as_deref(), Some("client-secret-one"));
        assert!(!format!("{stored:?}").contains("client-secret-one"));
        let replaced = apps
            .put(NewOAuthApp {
                client_secret: Some("client-secret-two".into()),
                ..app.clone()
            })
            .await
            .unwrap();
        assert_eq!(replaced.created_at, stored.created_at);
        assert_eq!(
            apps.get("acct-a", "slack")
                .await
                .unwrap()
                .unwrap()
                .client_secret
                .as_deref(),
            Some("client-secret-two")
        );
        assert!(apps.get("acct-b", "slack").await.unwrap().is_none());
        apps.put(NewOAuthApp {
            account_id: "acct-a".into(),
            connector_id: "github".into(),
            client_id: "public".into(),
            client_secret: None,
            settings: json!({}),
        })
        .await
        .unwrap();
        let listed = apps.list("acct-a").await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|a| a.connector_id.as_str())
                .collect::<Vec<_>>(),
            ["github", "slack"]
        );
        let conn = raw(&t).await;
        let stored = raw_text(
            &conn,
            "SELECT client_secret_sealed FROM oauth_apps WHERE connector_id = 'slack'",
        )
        .await;
        assert!(!stored[0].contains("client-secret"));
        assert!(apps.delete("acct-a", "slack").await.unwrap());
        assert!(!apps.delete("acct-a", "slack").await.unwrap());
    }
);

on_both!(
    oauth_states_are_single_use_and_expire,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let states = t.db.oauth_states();
        let new = |state: &str, expires_in: Duration| NewOAuthState {
            state: state.to_owned(),
            account_id: "acct-a".into(),
            user_id: "alice".into(),
            connector_id: "slack".into(),
            redirect_uri: Some("https://app.example/done".into()),
            payload: json!({"codeVerifier": "verifier-value-0123456789"}),
            expires_at: Utc::now() + expires_in,
        };
        states
            .insert(new("state-live", Duration::minutes(10)))
            .await
            .unwrap();
        states
            .insert(new("state-old", Duration::seconds(-1)))
            .await
            .unwrap();
        let conn = raw(&t).await;
        let stored = raw_text(
            &conn,
            "SELECT state_digest || payload_sealed FROM oauth_states",
        )
        .await;
        assert!(
            stored
                .iter()
                .all(|s| !s.contains("state-live") && !s.contains("verifier-value"))
        );

        // Eight concurrent consumers of one state: exactly one wins.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let states = states.clone();
            tasks.push(tokio::spawn(async move {
                states.consume("state-live").await.unwrap()
            }));
        }
        let mut valid = 0;
        for task in tasks {
            match task.await.unwrap() {
                ConsumedState::Valid(record) => {
                    valid += 1;
                    assert_eq!(record.user_id, "alice");
                    assert_eq!(
                        record.redirect_uri.as_deref(),
                        Some("https://app.example/done")
                    );
                    assert_eq!(record.payload["codeVerifier"], "verifier-value-0123456789");
                }
                ConsumedState::Unknown => {}
                ConsumedState::Expired(_) => panic!("not expired"),
            }
        }
        assert_eq!(valid, 1);
        assert!(matches!(
            states.consume("state-old").await.unwrap(),
            ConsumedState::Expired(_)
        ));
        assert_eq!(
            states.consume("state-old").await.unwrap(),
            ConsumedState::Unknown
        );
        assert_eq!(
            states.consume("never-issued").await.unwrap(),
            ConsumedState::Unknown
        );

        states
            .insert(new("stale", Duration::seconds(-120)))
            .await
            .unwrap();
        states
            .insert(new("fresh", Duration::minutes(5)))
            .await
            .unwrap();
        assert_eq!(states.purge_expired(Utc::now()).await.unwrap(), 1);
        assert_eq!(
            states.delete_all_of_user("acct-a", "alice").await.unwrap(),
            1
        );
    }
);

on_both!(
    rotation_reseals_everything_under_the_new_key,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let old_key = t.key;
        // Values of every kind under the old key.
        let server =
            t.db.servers()
                .insert(alloy_storage::NewServerRecord {
                    server_id: "srv-00000001".into(),
                    account_id: "acct-a".into(),
                    user_id: "alice".into(),
                    name: "S".into(),
                    description: String::new(),
                    mode: "connectivity".into(),
                    is_public: false,
                    require_user_token: false,
                    restrictions: alloy_domain::Restrictions::default(),
                    access_token: "mcp_token_rotation_test_value".into(),
                    token_expires_at: None,
                })
                .await
                .unwrap();
        let mut credential_ids = Vec::new();
        for i in 0..5 {
            let c =
                t.db.credentials()
                    .insert(new_credential(
                        "acct-a",
                        "alice",
                        "stripe",
                        &format!("sk_{i}"),
                    ))
                    .await
                    .unwrap();
            credential_ids.push(c.credential_id);
        }
        t.db.oauth_apps()
            .put(NewOAuthApp {
                account_id: "acct-a".into(),
                connector_id: "slack".into(),
                client_id: "cid".into(),
                client_secret: Some("csecret".into()),
                settings: json!({}),
            })
            .await
            .unwrap();
        t.db.oauth_states()
            .insert(NewOAuthState {
                state: "pending".into(),
                account_id: "acct-a".into(),
                user_id: "alice".into(),
                connector_id: "slack".into(),
                redirect_uri: None,
                payload: json!({"codeVerifier": "v"}),
                expires_at: Utc::now() + Duration::minutes(10),
            })
            .await
            .unwrap();

        // The new key seals, the old one still opens: the server keeps working during rotation.
        let new_key = SecretBox::generate_key();
        let ring = Database::connect_in_schema(
            &t.url,
            t.schema.as_deref(),
            SecretBox::new(&new_key, &[old_key.to_vec()]).unwrap(),
        )
        .await
        .unwrap();
        let report = ring.reseal_all().await.unwrap();
        assert_eq!(report.server_tokens, 1);
        assert_eq!(report.credentials, 5);
        assert_eq!(report.oauth_apps, 1);
        assert_eq!(report.oauth_states, 1);
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(
            ring.reseal_all().await.unwrap().total(),
            0,
            "nothing left to do"
        );

        // The new key alone opens everything; the old key alone opens nothing.
        let new_only = Database::connect_in_schema(
            &t.url,
            t.schema.as_deref(),
            SecretBox::new(&new_key, &[]).unwrap(),
        )
        .await
        .unwrap();
        let s = new_only
            .servers()
            .get(&server.server_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.access_token, "mcp_token_rotation_test_value");
        for (i, id) in credential_ids.iter().enumerate() {
            let (_, secret) = new_only
                .credentials()
                .get_with_secret("acct-a", "alice", id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(secret.get("apiKey"), Some(format!("sk_{i}").as_str()));
        }
        assert_eq!(
            new_only
                .oauth_apps()
                .get("acct-a", "slack")
                .await
                .unwrap()
                .unwrap()
                .client_secret
                .as_deref(),
            Some("csecret")
        );
        assert!(matches!(
            new_only.oauth_states().consume("pending").await.unwrap(),
            ConsumedState::Valid(_)
        ));
        let old_only = t.reopen().await;
        assert!(old_only.servers().get(&server.server_id).await.is_err());
        assert!(
            old_only
                .credentials()
                .get_with_secret("acct-a", "alice", &credential_ids[0])
                .await
                .is_err()
        );
    }
);
