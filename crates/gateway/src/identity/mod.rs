//! Who is calling: API keys, user tokens, and the caller they resolve to.

mod account_keys;
mod api_keys;
mod authenticator;
mod console_sessions;
mod key_hasher;
mod user_tokens;

pub use account_keys::{AccountKeys, key_view};
pub use api_keys::{ApiKeyService, CreatedApiKey};
pub use authenticator::{AuthHeaders, Authenticator, bearer_value};
pub use console_sessions::{ConsoleCredential, ConsoleSession, ConsoleSessions};
pub use user_tokens::{IssuedUserToken, UserTokenClaims, UserTokens};

/// An authenticated caller: one user within one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account every read and write is confined to.
    pub account_id: String,
    /// The acting user (the key's owner, `x-alloy-userid`, or the user token's subject).
    pub user_id: String,
    /// The credential that proved it.
    pub principal: Principal,
}

/// The credential a caller authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An API key (by ID, never the key).
    ApiKey {
        /// Key ID.
        key_id: String,
    },
    /// A server's access token (the token URL of the MCP endpoint).
    AccessToken {
        /// The server the token belongs to.
        server_id: String,
    },
    /// An OAuth access token of the gateway's authorization server (an MCP client signed in).
    OAuthGrant {
        /// The grant.
        grant_id: String,
        /// The API key behind it.
        key_id: String,
    },
    /// A user an external OpenID Connect provider vouched for (single sign-on on the MCP
    /// sign-in page).
    SingleSignOn {
        /// The provider's `sub`.
        subject: String,
    },
    /// A user token issued under an API key.
    UserToken {
        /// The issuing key's ID.
        key_id: String,
        /// The token's unique ID.
        token_id: String,
    },
}

impl Caller {
    /// The rate-limit bucket of this caller's credential.
    pub fn rate_limit_key(&self) -> String {
        match &self.principal {
            Principal::ApiKey { key_id } => format!("key:{key_id}"),
            // All tokens of one subject share a bucket: minting more tokens buys no budget.
            Principal::UserToken { .. } => {
                use sha2::Digest;
                let subject =
                    sha2::Sha256::digest(format!("{}\0{}", self.account_id, self.user_id));
                format!("jwt:{}", hex::encode(&subject[..12]))
            }
            Principal::AccessToken { server_id } => format!("token:{server_id}"),
            Principal::OAuthGrant { grant_id, .. } => format!("grant:{grant_id}"),
            Principal::SingleSignOn { subject } => {
                use sha2::Digest;
                format!("sso:{}", hex::encode(&sha2::Sha256::digest(subject)[..12]))
            }
        }
    }

    /// Whether the caller used an API key (not a user token).
    pub fn is_api_key(&self) -> bool {
        matches!(self.principal, Principal::ApiKey { .. })
    }
}
