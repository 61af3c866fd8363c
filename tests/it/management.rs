//! The server management API over HTTP.

use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn create_get_list_update_delete() {
    let server = TestServer::start().await;
    let created = server
        .create_server(json!({"name": "My Server", "description": "d", "tokenExpiresInDays": 30}))
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("my-server-") && id.len() == "my-server-".len() + 8,
        "{id}"
    );
    let token = created["accessToken"].as_str().unwrap();
    assert!(token.starts_with("mcp_token_"));
    assert_eq!(created["url"], json!(server.url(&format!("/mcp/{id}"))));
    assert_eq!(
        created["accessUrl"],
        json!(server.url(&format!("/mcp/{id}/{token}")))
    );
    assert_eq!(created["mode"], "connectivity");
    assert_eq!(created["isPublic"], false);
    assert_eq!(created["restrictions"], json!({}));
    assert_eq!(created["hasRestrictions"], false);

    let (status, got) = status_json(
        server
            .request(Method::GET, &format!("/api/servers/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "My Server");
    assert!(got.get("accessToken").is_none(), "token only on create");

    let (status, list) = status_json(
        server
            .request(Method::GET, "/api/servers")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["count"], 1);
    assert_eq!(list["servers"][0]["serverId"], json!(id));

    let (status, updated) = status_json(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .json(&json!({"name": "Updated Server Name", "restrictions": {"connectors": {"mode": "allowlist", "allowedIds": ["slack", "hubspot"]}}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(updated["name"], "Updated Server Name");
    assert_eq!(updated["hasRestrictions"], true);

    let (status, deleted) = status_json(
        server
            .request(Method::DELETE, &format!("/api/servers/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"message": "Server deleted", "serverId": id})
    );
    let (status, err) = status_json(
        server
            .request(Method::GET, &format!("/api/servers/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "NOT_FOUND");
}
