//! SeaORM entities, one module per table. They stay private: repositories return plain records.

pub mod account;
pub mod api_key;
pub mod server;
