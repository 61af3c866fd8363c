//! SeaORM entities, one module per table. They stay private: repositories return plain records.

pub mod account;
pub mod api_key;
pub mod audit_event;
pub mod catalog_connector;
pub mod console_session;
pub mod credential;
pub mod mcp_session;
pub mod oauth_app;
pub mod oauth_state;
pub mod server;
