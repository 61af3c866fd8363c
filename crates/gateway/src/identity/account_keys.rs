//! `GET/POST /api/keys`, `DELETE /api/keys/:keyId`: the API keys of the caller's account, managed
//! through the API (the `keys` commands of the binary do the same from a shell).
//!
//! Only an API key may manage keys: a user token acts for one end user and must not mint the
//! account's credentials. A key of another account does not exist for the caller (404).

use alloy_domain::{ApiError, ErrorCode, FieldError, coerce};
use alloy_storage::ApiKeyRecord;
use chrono::Utc;
use serde_json::{Value, json};

use super::{ApiKeyService, Caller};
use crate::error::Error;
use crate::servers::timestamp;

/// Longest key name.
const NAME_CHARS: usize = 100;
/// Shortest and longest key lifetime a request may ask for, in days.
const EXPIRY_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

/// The API keys of callers' accounts.
#[derive(Clone)]
pub struct AccountKeys {
    keys: ApiKeyService,
}

fn only_keys(caller: &Caller) -> Result<(), Error> {
    if caller.is_api_key() {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only an API key can manage API keys").into())
    }
}

fn not_found(key_id: &str) -> Error {
    ApiError::not_found(format!("API key '{key_id}' not found"))
        .with_details(json!({ "keyId": key_id }))
        .into()
}

/// A key as listed: everything but the key and its hash.
pub fn key_view(r: &ApiKeyRecord) -> Value {
    json!({
        "keyId": r.id,
        "name": r.name,
        "prefix": r.prefix,
        "userId": r.user_id,
        "createdAt": timestamp(r.created_at),
        "expiresAt": r.expires_at.map(timestamp),
        "revokedAt": r.revoked_at.map(timestamp),
        "active": r.is_active(Utc::now()),
    })
}

impl AccountKeys {
    pub(crate) fn new(keys: ApiKeyService) -> Self {
        AccountKeys { keys }
    }

    /// The account's keys, oldest first (revoked and expired ones too, marked inactive).
    pub async fn list(&self, caller: &Caller) -> Result<Value, Error> {
        only_keys(caller)?;
        let keys: Vec<Value> = self
            .keys
            .list(Some(&caller.account_id))
            .await?
            .iter()
            .map(key_view)
            .collect();
        Ok(json!({ "keys": keys, "count": keys.len(), "total": keys.len() }))
    }

    /// Creates a key of the caller's account: `{"name", "userId"?, "expiresInDays"?}`. The answer
    /// holds the key itself, the only time it is shown.
    pub async fn create(&self, caller: &Caller, body: &Value) -> Result<Value, Error> {
        only_keys(caller)?;
        let obj = coerce::body_object(body)?;
        let name = coerce::string(obj, "name")?.ok_or_else(|| {
            FieldError::new(
                ErrorCode::MissingRequiredField,
                "name",
                "required",
                true,
                "name is required",
            )
        })?;
        validate_name(&name)?;
        let user_id = coerce::string(obj, "userId")?.unwrap_or_else(|| caller.user_id.clone());
        alloy_domain::ids::validate_user_id("userId", &user_id)?;
        let expires_at = match coerce::integer(obj, "expiresInDays")? {
            None => None,
            Some(d) => {
                if let Some(e) = alloy_domain::validation::out_of_range(
                    "expiresInDays",
                    d,
                    &EXPIRY_DAYS,
                    "expiresInDays must be between 1 and 3650",
                ) {
                    return Err(e.into());
                }
                Some(Utc::now() + chrono::Duration::days(d))
            }
        };
        let created = self
            .keys
            .create(&caller.account_id, &user_id, &name, None, expires_at)
            .await?;
        let mut view = key_view(&created.record);
        if let Some(m) = view.as_object_mut() {
            m.insert("key".into(), json!(created.key));
        }
        Ok(view)
    }

    /// Revokes a key of the caller's account: it stops working at once here and within the
    /// key recheck interval on other replicas; its user tokens and console sessions end with it.
    pub async fn revoke(&self, caller: &Caller, key_id: &str) -> Result<Value, Error> {
        only_keys(caller)?;
        match self.keys.get(key_id).await? {
            Some(r) if r.account_id == caller.account_id => {}
            _ => return Err(not_found(key_id)),
        }
        if !self.keys.revoke(key_id).await? {
            return Err(not_found(key_id));
        }
        Ok(json!({ "message": "API key revoked", "keyId": key_id }))
    }
}

fn validate_name(name: &str) -> Result<(), Error> {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        return Err(FieldError::new(
            ErrorCode::ValueTooShort,
            "name",
            "minLength",
            1,
            "name must not be empty",
        )
        .into());
    }
    if chars > NAME_CHARS {
        return Err(FieldError::new(
            ErrorCode::ValueTooLong,
            "name",
            "maxLength",
            NAME_CHARS,
            "name must not exceed 100 characters",
        )
        .into());
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            ErrorCode::InvalidFormat,
            "name",
            "noControlCharacters",
            true,
            "name must not contain control characters",
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(validate_name("ci").is_ok());
        let code = |name: &str| validate_name(name).unwrap_err().to_api_error().code;
        assert_eq!(code(" "), ErrorCode::ValueTooShort);
        assert_eq!(code(&"n".repeat(NAME_CHARS + 1)), ErrorCode::ValueTooLong);
        assert_eq!(code("a\nb"), ErrorCode::InvalidFormat);
    }
}
