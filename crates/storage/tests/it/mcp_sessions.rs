//! McpSessionRepository on both backends.

use super::*;

async fn server_row(t: &TestDatabase, name: &str) -> String {
    t.db.accounts()
        .create(&format!("acct-{name}"), "A")
        .await
        .ok();
    let record = alloy_storage::NewServerRecord {
        server_id: alloy_domain::ids::server_id_for(name),
        account_id: format!("acct-{name}"),
        user_id: "alice".to_owned(),
        name: name.to_owned(),
        description: String::new(),
        mode: "connectivity".to_owned(),
        is_public: false,
        require_user_token: false,
        restrictions: alloy_domain::Restrictions::default(),
        access_token: alloy_domain::ids::generate_access_token(),
        token_expires_at: None,
    };
    t.db.servers().insert(record).await.unwrap().server_id
}

on_both!(sessions_open_end_and_expire, |t: TestDatabase| async move {
    let server = server_row(&t, "Sessions").await;
    let sessions = t.db.mcp_sessions();
    sessions
        .open("s-old", &server, "alice", "2025-11-25")
        .await
        .unwrap();
    sessions
        .open("s-ended", &server, "alice", "2025-11-25")
        .await
        .unwrap();
    let cutoff = chrono::Utc::now() + chrono::Duration::milliseconds(5);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    sessions
        .open("s-new", &server, "alice", "2025-06-18")
        .await
        .unwrap();
    assert!(sessions.end("s-ended").await.unwrap());
    assert!(!sessions.end("s-ended").await.unwrap(), "ending twice");
    let got = sessions.get("s-new").await.unwrap().unwrap();
    assert_eq!(
        (got.protocol_version.as_str(), got.ended_at),
        ("2025-06-18", None)
    );
    assert_eq!(
        got.user_key,
        alloy_storage::McpSessionRepository::user_key("alice")
    );

    // Opened before the cutoff, or ended: gone. The fresh open one stays.
    assert_eq!(sessions.delete_expired(cutoff).await.unwrap(), 2);
    assert!(sessions.get("s-old").await.unwrap().is_none());
    assert!(sessions.get("s-ended").await.unwrap().is_none());
    assert!(sessions.get("s-new").await.unwrap().is_some());

    // Deleting the server takes its sessions along.
    assert!(t.db.servers().delete(&server).await.unwrap());
    assert!(sessions.get("s-new").await.unwrap().is_none());
});
