//! Resolving the authentication headers of a request to a [`Caller`].

use alloy_domain::ApiError;
use alloy_domain::ids::{looks_like_jwt, validate_user_id};

use super::{ApiKeyService, Caller, Principal, UserTokens};
use crate::error::Error;

/// The authentication headers of one request, as sent.
#[derive(Default, Clone)]
pub struct AuthHeaders<'a> {
    /// `Authorization`.
    pub authorization: Option<&'a str>,
    /// `x-alloy-userid`.
    pub user_id: Option<&'a str>,
    /// `x-alloy-user-token`.
    pub user_token: Option<&'a str>,
}

/// Turns credentials into callers.
#[derive(Clone)]
pub struct Authenticator {
    keys: ApiKeyService,
    tokens: UserTokens,
}

fn unauthorized(message: &str) -> Error {
    ApiError::unauthorized(message).into()
}

impl Authenticator {
    pub(crate) fn new(keys: ApiKeyService, tokens: UserTokens) -> Self {
        Authenticator { keys, tokens }
    }

    /// Authenticates a request.
    ///
    /// `Authorization: Bearer` carries an API key or a user token; `x-alloy-user-token` carries a
    /// user token, alone or beside an API key of the same account, and then names the user.
    /// `x-alloy-userid` picks a user of the key's account; beside a user token it must name the
    /// token's own user.
    pub async fn authenticate(&self, headers: &AuthHeaders<'_>) -> Result<Caller, Error> {
        let bearer = match headers.authorization {
            None => None,
            Some(value) => Some(bearer_value(value).ok_or_else(|| {
                unauthorized("Authorization must be 'Bearer <API key or user token>'")
            })?),
        };
        let mut caller = match bearer {
            Some(b) if looks_like_jwt(b) => Some(self.caller_of_user_token(b).await?),
            Some(b) => {
                let id = self.keys.verify(b).await?;
                Some(Caller {
                    account_id: id.account_id,
                    user_id: id.user_id,
                    principal: Principal::ApiKey { key_id: id.key_id },
                })
            }
            None => None,
        };
        if let Some(token) = headers.user_token {
            let from_token = self.caller_of_user_token(token.trim()).await?;
            if let Some(c) = &caller
                && c.account_id != from_token.account_id
            {
                return Err(unauthorized("The user token belongs to another account"));
            }
            // An API key beside a user token still rate-limits as the key.
            caller = Some(match caller {
                Some(c) if c.is_api_key() => Caller {
                    user_id: from_token.user_id,
                    ..c
                },
                _ => from_token,
            });
        }
        let caller = caller.ok_or_else(|| unauthorized("Invalid or missing authentication"))?;
        let pinned = headers.user_token.is_some() || !caller.is_api_key();
        act_as(caller, headers.user_id, pinned)
    }

    async fn caller_of_user_token(&self, token: &str) -> Result<Caller, Error> {
        let claims = self
            .tokens
            .verify(token)
            .ok_or_else(|| unauthorized("Invalid or expired user token"))?;
        if !self.keys.is_active(&claims.kid).await? {
            return Err(unauthorized("The user token's API key has been revoked"));
        }
        Ok(Caller {
            account_id: claims.acct,
            user_id: claims.sub,
            principal: Principal::UserToken {
                key_id: claims.kid,
                token_id: claims.jti,
            },
        })
    }
}

/// Applies `x-alloy-userid`: an API key may act as any user of its account; a caller `pinned`
/// to one user (a user token) may only name that user.
pub(crate) fn act_as(
    mut caller: Caller,
    user_id: Option<&str>,
    pinned: bool,
) -> Result<Caller, Error> {
    if let Some(user_id) = user_id {
        validate_user_id("x-alloy-userid", user_id)?;
        if pinned && caller.user_id != user_id {
            return Err(ApiError::forbidden("x-alloy-userid does not match the user token").into());
        }
        caller.user_id = user_id.to_owned();
    }
    Ok(caller)
}

/// The credential of an `Authorization: Bearer <value>` header (scheme case-insensitive).
pub fn bearer_value(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let value = rest.trim();
    (!value.is_empty()).then_some(value)
}
