//! `GET /api/users`: the users of the caller's account, known by what they hold (servers,
//! credentials, API keys) — there is no table of users.

use serde_json::{Value, json};

use crate::Gateway;
use crate::error::Error;
use crate::identity::Caller;

impl Gateway {
    /// The account's users with how many servers and credentials each holds. A user token
    /// sees only its own user.
    pub async fn account_users(&self, caller: &Caller) -> Result<Value, Error> {
        let mut users = self.db().accounts().users(&caller.account_id).await?;
        if !caller.is_api_key() {
            users.retain(|u| u.user_id == caller.user_id);
        }
        let users: Vec<Value> = users
            .iter()
            .map(|u| {
                json!({
                    "userId": u.user_id,
                    "servers": u.servers,
                    "credentials": u.credentials,
                })
            })
            .collect();
        Ok(json!({ "users": users, "count": users.len() }))
    }
}
