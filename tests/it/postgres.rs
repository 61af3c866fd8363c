//! The management API on PostgreSQL (`DATABASE_URL=postgres://…`): the rules that the database
//! enforces (unique names, paging, isolation, persistence) hold there as on SQLite.

use reqwest::Method;
use serde_json::json;

use alloy_storage::testing::TestDatabase;

use crate::support::*;

/// A `DATABASE_URL` confined to a fresh schema of the test PostgreSQL server.
pub(crate) async fn postgres_url() -> (TestDatabase, String) {
    let test_db = TestDatabase::postgres().await;
    let schema = test_db.schema.clone().expect("a PostgreSQL schema");
    let sep = if test_db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}options=-c%20search_path%3D{schema}", test_db.url);
    (test_db, url)
}

#[tokio::test]
async fn management_api_on_postgres() {
    let (test_db, url) = postgres_url().await;
    // Another encryption key than the test database's: the server's own, from its data dir.
    let mut server = TestServer::start_with(&["--database-url", &url]).await;
    let other_key = server.create_key("pg-other", "default").await;
    let created = server
        .create_server(json!({
            "name": "On Postgres",
            "tokenExpiresInDays": "5",
            "restrictions": {"users": {"mode": "allowlist", "allowedIds": ["alice"]}}
        }))
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    assert_validation(
        &send(
            server
                .request(Method::POST, "/api/servers")
                .json(&json!({"name": "On Postgres"})),
        )
        .await,
        "DUPLICATE_VALUE",
        "name",
        "unique",
        json!(true),
    );
    for i in 0..4 {
        server
            .create_server(json!({ "name": format!("Page {i}") }))
            .await;
    }
    let (_, page) = send(server.request(Method::GET, "/api/servers?limit=2&offset=4")).await;
    assert_eq!(
        (&page["count"], &page["total"], &page["hasMore"]),
        (&json!(1), &json!(5), &json!(false))
    );
    let (_, far) =
        send(server.request(Method::GET, "/api/servers?offset=9223372036854775807")).await;
    assert_eq!(far["count"], 0);
    // Isolation: other user 404/403, other account 404.
    let path = format!("/api/servers/{id}");
    let resp = send(
        server
            .request(Method::GET, &path)
            .header("x-alloy-userid", "alice"),
    )
    .await;
    assert_error(&resp, 404, "NOT_FOUND");
    let resp = send(
        server
            .request(Method::DELETE, &path)
            .header("x-alloy-userid", "alice"),
    )
    .await;
    assert_error(&resp, 403, "FORBIDDEN");
    let resp = send(server.request_with(&other_key, Method::DELETE, &path)).await;
    assert_error(&resp, 404, "NOT_FOUND");
    let (status, issued) = send(server.request(Method::POST, "/api/users/pat/token")).await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap().to_owned();

    // Restart on the same database: everything is there, the access token decrypts.
    server.stop().await;
    let dir = server.data_dir.clone();
    let restarted = TestServer::start_in(&dir, &["--database-url", &url]).await;
    let (status, got) = send(restarted.request(Method::GET, &path)).await;
    assert_eq!(status, 200);
    assert_eq!(got["restrictions"], created["restrictions"]);
    assert_eq!(got["tokenExpiresAt"], created["tokenExpiresAt"]);
    assert!(
        got["accessUrl"]
            .as_str()
            .unwrap()
            .ends_with(created["accessToken"].as_str().unwrap())
    );
    let (status, _) = send(restarted.request_with(&token, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200);
    let (status, _) = send(restarted.request_with(&other_key, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200);
    let (status, _) = send(restarted.request(Method::DELETE, &path)).await;
    assert_eq!(status, 200);
    let resp = send(restarted.request(Method::GET, &path)).await;
    assert_error(&resp, 404, "NOT_FOUND");
    // Nothing went to an SQLite file in the data directory.
    assert!(!dir.join("alloy.db").exists());

    // The database losing its tables is a 503 whose body says nothing of the cause.
    let schema = test_db.schema.clone().unwrap();
    let admin = sea_orm::Database::connect(test_db.url.as_str())
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    let resp = restarted
        .request(Method::POST, "/api/servers")
        .json(&json!({"name": "No Tables"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let text = resp.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "The database is unavailable"}})
    );
    assert!(!text.contains(&schema) && !text.to_lowercase().contains("relation"));
    let _ = admin.close().await;
    drop(test_db);
}
