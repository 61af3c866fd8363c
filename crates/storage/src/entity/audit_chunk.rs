//! `audit_chunks`: the audit trail, a row per account per written batch (see
//! `repo::audit::chunk` for the encoding of `data`).

use sea_orm::entity::prelude::*;

/// A batch of one account's audit events.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chunks")]
pub struct Model {
    /// Row ID.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account of every event in the chunk.
    pub account_id: String,
    /// Time of the oldest event, microseconds since the Unix epoch.
    pub first_at: i64,
    /// Time of the newest event.
    pub last_at: i64,
    /// Number of events.
    pub events: i32,
    /// The encoded events.
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
