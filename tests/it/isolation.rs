//! Tenancy: users of one account see only their own servers (404 to read another user's,
//! 403 to change it); another account's servers do not exist for anyone (always 404).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// What one caller is: a credential and, optionally, `x-alloy-userid`.
struct As<'a> {
    key: &'a str,
    user: Option<&'a str>,
}

impl As<'_> {
    fn req(&self, server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = server.request_with(self.key, method, path);
        match self.user {
            Some(u) => req.header("x-alloy-userid", u),
            None => req,
        }
    }

    async fn list(&self, server: &TestServer) -> Vec<String> {
        let (status, body) = send(self.req(server, Method::GET, "/api/servers")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], body["count"]);
        body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["serverId"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn create(&self, server: &TestServer, name: &str) -> String {
        let (status, body) = send(
            self.req(server, Method::POST, "/api/servers")
                .json(&json!({ "name": name })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        body["serverId"].as_str().unwrap().to_owned()
    }

    /// GET, PUT and DELETE of `id`: the status each answers.
    async fn probe(&self, server: &TestServer, id: &str) -> [(u16, Value); 3] {
        let path = format!("/api/servers/{id}");
        [
            send(self.req(server, Method::GET, &path)).await,
            send(
                self.req(server, Method::PUT, &path)
                    .json(&json!({"name": "Hijacked", "isPublic": true})),
            )
            .await,
            send(self.req(server, Method::DELETE, &path)).await,
        ]
    }
}

#[tokio::test]
async fn users_and_accounts_are_isolated() {
    let server = TestServer::start().await;
    let other_key = server.create_key("other-account", "default").await;
    let owner = As {
        key: BOOTSTRAP_KEY,
        user: None,
    };
    let owner_explicit = As {
        key: BOOTSTRAP_KEY,
        user: Some("default"),
    };
    let alice = As {
        key: BOOTSTRAP_KEY,
        user: Some("alice"),
    };
    // Same user ID, other account: namespaced, so a stranger.
    let stranger = As {
        key: &other_key,
        user: None,
    };
    let stranger_alice = As {
        key: &other_key,
        user: Some("alice"),
    };

    let id = owner.create(&server, "Owned").await;
    let alice_id = alice.create(&server, "Owned").await;
    let stranger_id = stranger.create(&server, "Owned").await;
    assert_eq!(owner.list(&server).await, std::slice::from_ref(&id));
    assert_eq!(
        owner_explicit.list(&server).await,
        std::slice::from_ref(&id)
    );
    assert_eq!(alice.list(&server).await, std::slice::from_ref(&alice_id));
    assert_eq!(
        stranger.list(&server).await,
        std::slice::from_ref(&stranger_id)
    );
    assert!(stranger_alice.list(&server).await.is_empty());

    // Another user of the same account: 404 on read, 403 on change.
    let [get, put, delete] = alice.probe(&server, &id).await;
    assert_error(&get, 404, "NOT_FOUND");
    assert_error(&put, 403, "FORBIDDEN");
    assert_error(&delete, 403, "FORBIDDEN");
    // Another account: 404 for everything, whatever user it names.
    for who in [&stranger, &stranger_alice] {
        for resp in who.probe(&server, &id).await {
            assert_error(&resp, 404, "NOT_FOUND");
        }
        for resp in who.probe(&server, &alice_id).await {
            assert_error(&resp, 404, "NOT_FOUND");
        }
    }
    for resp in owner.probe(&server, &stranger_id).await {
        assert_error(&resp, 404, "NOT_FOUND");
    }
    // A 404 for a server that exists elsewhere is the same as for one that does not exist.
    let [missing, ..] = owner.probe(&server, "owned-00000000").await;
    let [foreign, ..] = owner.probe(&server, &stranger_id).await;
    assert_eq!(
        missing.1["error"]["message"]
            .as_str()
            .unwrap()
            .replace("owned-00000000", "ID"),
        foreign.1["error"]["message"]
            .as_str()
            .unwrap()
            .replace(&stranger_id, "ID")
    );

    // Nothing was changed or deleted by the refused requests.
    let (status, got) = send(owner.req(&server, Method::GET, &format!("/api/servers/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&got["name"], &got["isPublic"]),
        (&json!("Owned"), &json!(false))
    );
    let (status, got) =
        send(stranger.req(&server, Method::GET, &format!("/api/servers/{stranger_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "Owned");
    assert_eq!(alice.list(&server).await, std::slice::from_ref(&alice_id));

    // Each owner may change and delete their own.
    for (who, own) in [
        (&owner, &id),
        (&alice, &alice_id),
        (&stranger, &stranger_id),
    ] {
        let path = format!("/api/servers/{own}");
        let (status, _) = send(
            who.req(&server, Method::PUT, &path)
                .json(&json!({"description": "mine"})),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = send(who.req(&server, Method::DELETE, &path)).await;
        assert_eq!(status, 200);
        assert!(who.list(&server).await.is_empty());
    }
}

/// A user token reaches exactly the servers of its user: the same answers as `x-alloy-userid`.
#[tokio::test]
async fn user_tokens_are_isolated_like_users() {
    let server = TestServer::start().await;
    let owned = server.create_server(json!({"name": "Key Owner"})).await;
    let id = owned["serverId"].as_str().unwrap();
    let (status, issued) = send(server.request(Method::POST, "/api/users/alice/token")).await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap();
    let alice = As {
        key: token,
        user: None,
    };
    assert!(alice.list(&server).await.is_empty());
    let [get, put, delete] = alice.probe(&server, id).await;
    assert_error(&get, 404, "NOT_FOUND");
    assert_error(&put, 403, "FORBIDDEN");
    assert_error(&delete, 403, "FORBIDDEN");
    let alice_id = alice.create(&server, "Alice").await;
    // The key's own user cannot touch alice's server either.
    let owner = As {
        key: BOOTSTRAP_KEY,
        user: None,
    };
    let [get, put, delete] = owner.probe(&server, &alice_id).await;
    assert_error(&get, 404, "NOT_FOUND");
    assert_error(&put, 403, "FORBIDDEN");
    assert_error(&delete, 403, "FORBIDDEN");
    // Unknown IDs are 404 for writes too.
    let [get, put, delete] = alice.probe(&server, "nope-12345678").await;
    for resp in [get, put, delete] {
        assert_error(&resp, 404, "NOT_FOUND");
    }
}
