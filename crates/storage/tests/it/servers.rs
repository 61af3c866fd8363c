//! ServerRepository on both backends.

use alloy_domain::Restrictions;
use alloy_storage::{Error, NewServerRecord, ServerChanges};
use serde_json::json;

use super::*;

fn new_server(account: &str, user: &str, name: &str) -> NewServerRecord {
    NewServerRecord {
        server_id: alloy_domain::ids::server_id_for(name),
        account_id: account.to_owned(),
        user_id: user.to_owned(),
        name: name.to_owned(),
        description: "d".to_owned(),
        mode: "connectivity".to_owned(),
        is_public: false,
        require_user_token: false,
        restrictions: Restrictions::default(),
        access_token: alloy_domain::ids::generate_access_token(),
        token_expires_at: None,
    }
}

async fn accounts(t: &TestDatabase) {
    t.db.accounts().create("acct-a", "A").await.unwrap();
    t.db.accounts().create("acct-b", "B").await.unwrap();
}

on_both!(crud_round_trip, |t: TestDatabase| async move {
    accounts(&t).await;
    let repo = t.db.servers();
    let mut n = new_server("acct-a", "alice", "My Server");
    n.restrictions = Restrictions::from_json(
        &json!({"connectors": {"mode": "allowlist", "allowedIds": ["slack"]}}),
    )
    .unwrap();
    let token = n.access_token.clone();
    let created = repo.insert(n.clone()).await.unwrap();
    assert_eq!(created.access_token, token);
    assert_eq!(created.restrictions, n.restrictions);
    let got = repo.get(&created.server_id).await.unwrap().unwrap();
    assert_eq!(got, created);
    assert_eq!(
        repo.by_access_token(&token)
            .await
            .unwrap()
            .unwrap()
            .server_id,
        created.server_id
    );
    assert!(
        repo.by_access_token("mcp_token_wrong")
            .await
            .unwrap()
            .is_none()
    );

    let updated = repo
        .update(
            &created.server_id,
            ServerChanges {
                name: Some("Renamed".into()),
                restrictions: Some(Restrictions::default()),
                require_user_token: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert!(
        updated.restrictions.is_empty(),
        "restrictions replaced whole"
    );
    assert_eq!(updated.description, "d", "untouched fields kept");
    assert!(!created.require_user_token);
    assert!(updated.require_user_token);
    assert!(
        repo.get(&created.server_id)
            .await
            .unwrap()
            .unwrap()
            .require_user_token,
        "stored"
    );
    assert!(updated.updated_at >= created.updated_at);

    assert!(repo.delete(&created.server_id).await.unwrap());
    assert!(!repo.delete(&created.server_id).await.unwrap());
    assert!(repo.get(&created.server_id).await.unwrap().is_none());
    assert!(repo.by_access_token(&token).await.unwrap().is_none());
});

on_both!(
    rotating_the_token_replaces_it,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let repo = t.db.servers();
        let created = repo
            .insert(new_server("acct-a", "alice", "Rotating"))
            .await
            .unwrap();
        let old = created.access_token.clone();
        let expires = chrono::Utc::now() + chrono::Duration::days(3);
        let rotated = repo
            .update(
                &created.server_id,
                ServerChanges {
                    access_token: Some(("mcp_token_rotated_0123456789".into(), Some(expires))),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rotated.access_token, "mcp_token_rotated_0123456789");
        assert!(rotated.token_expires_at.is_some());
        assert!(
            repo.by_access_token(&old).await.unwrap().is_none(),
            "old token gone"
        );
        let found = repo
            .by_access_token("mcp_token_rotated_0123456789")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.server_id, created.server_id);
        assert_eq!(
            found.access_token, "mcp_token_rotated_0123456789",
            "sealed and opened"
        );
        assert_eq!(found.name, "Rotating", "other fields kept");
    }
);

on_both!(names_unique_per_user, |t: TestDatabase| async move {
    accounts(&t).await;
    let repo = t.db.servers();
    repo.insert(new_server("acct-a", "alice", "Same"))
        .await
        .unwrap();
    assert!(matches!(
        repo.insert(new_server("acct-a", "alice", "Same")).await,
        Err(Error::Duplicate("server name"))
    ));
    repo.insert(new_server("acct-a", "bob", "Same"))
        .await
        .unwrap();
    repo.insert(new_server("acct-b", "alice", "Same"))
        .await
        .unwrap();
    let other = repo
        .insert(new_server("acct-a", "alice", "Other"))
        .await
        .unwrap();
    let clash = repo
        .update(
            &other.server_id,
            ServerChanges {
                name: Some("Same".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(clash, Err(Error::Duplicate("server name"))));
    // Renaming to its own name is not a clash.
    repo.update(
        &other.server_id,
        ServerChanges {
            name: Some("Other".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
});

on_both!(
    listing_is_per_owner_and_paged,
    |t: TestDatabase| async move {
        accounts(&t).await;
        let repo = t.db.servers();
        for i in 0..7 {
            repo.insert(new_server("acct-a", "alice", &format!("S{i}")))
                .await
                .unwrap();
        }
        repo.insert(new_server("acct-a", "bob", "Bob's"))
            .await
            .unwrap();
        repo.insert(new_server("acct-b", "alice", "Elsewhere"))
            .await
            .unwrap();
        let (page, total) = repo.list("acct-a", "alice", 3, 0).await.unwrap();
        assert_eq!(total, 7);
        assert_eq!(
            page.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["S0", "S1", "S2"]
        );
        let (page, _) = repo.list("acct-a", "alice", 3, 6).await.unwrap();
        assert_eq!(page.len(), 1);
        let (page, total) = repo.list("acct-b", "alice", 50, 0).await.unwrap();
        assert_eq!((page.len(), total), (1, 1));
        assert_eq!(page[0].name, "Elsewhere");
    }
);

on_both!(long_user_ids_and_reopen, |t: TestDatabase| async move {
    accounts(&t).await;
    let user = "u".repeat(10_000);
    let created =
        t.db.servers()
            .insert(new_server("acct-a", &user, "Long"))
            .await
            .unwrap();
    let again = t.reopen().await;
    let got = again
        .servers()
        .get(&created.server_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.user_id, user);
    assert_eq!(got.access_token, created.access_token);
    let (list, total) = again.servers().list("acct-a", &user, 10, 0).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
});

on_both!(tokens_are_sealed_at_rest, |t: TestDatabase| async move {
    use sea_orm::{ConnectionTrait, Statement};
    accounts(&t).await;
    let n = new_server("acct-a", "alice", "Sealed");
    let token = n.access_token.clone();
    t.db.servers().insert(n).await.unwrap();
    let conn = match &t.schema {
        None => sea_orm::Database::connect(t.url.as_str()).await.unwrap(),
        Some(schema) => {
            let mut o = sea_orm::ConnectOptions::new(t.url.clone());
            o.set_schema_search_path(schema.clone());
            sea_orm::Database::connect(o).await.unwrap()
        }
    };
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT token_sealed, token_digest, restrictions, name FROM servers",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    for col in ["token_sealed", "token_digest"] {
        let v: String = rows[0].try_get("", col).unwrap();
        assert!(!v.contains(&token[10..]), "{col} holds the token");
    }
    // Opened with another key, the sealed token does not open.
    let wrong = alloy_storage::Database::connect_in_schema(
        &t.url,
        t.schema.as_deref(),
        alloy_storage::SecretBox::new(&alloy_storage::SecretBox::generate_key(), &[]).unwrap(),
    )
    .await
    .unwrap();
    assert!(matches!(
        wrong.servers().by_access_token(&token).await,
        Err(Error::Corrupt(_))
    ));
});
