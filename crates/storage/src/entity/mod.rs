//! SeaORM entities, one module per table. They stay private: repositories return plain records.

pub mod account;
pub mod api_key;
pub mod audit_chunk;
pub mod audit_event;
pub mod catalog_connector;
pub mod console_session;
pub mod credential;
pub mod mcp_session;
pub mod oauth_app;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_grant;
pub mod oauth_refresh_token;
pub mod oauth_sign_in_link;
pub mod oauth_state;
pub mod server;
