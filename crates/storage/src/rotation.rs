//! Key rotation: re-sealing every sealed value under the current key of the ring.
//!
//! The ring opens values sealed under any of its keys, so servers keep working while this runs;
//! each value is replaced only if it is still the one that was read (compare-and-swap), so a
//! value a server rewrote meanwhile (an OAuth refresh) is never overwritten with stale data.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::database::Database;
use crate::entity::{credential, oauth_app, oauth_state, server};
use crate::error::Error;
use crate::repo::oauth::app_aad;

/// Rows read per query.
const BATCH: u64 = 200;
/// Passes over the tables; a later pass picks up values rewritten during an earlier one.
const PASSES: usize = 3;

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Values re-sealed under the current key, per table.
    pub server_tokens: u64,
    /// Credential secrets re-sealed.
    pub credentials: u64,
    /// OAuth client secrets re-sealed.
    pub oauth_apps: u64,
    /// Pending OAuth authorizations re-sealed.
    pub oauth_states: u64,
    /// Values that no key of the ring opens (`table id: reason`); they are left as they are.
    pub failed: Vec<String>,
}

impl ResealReport {
    /// Every value re-sealed.
    pub fn total(&self) -> u64 {
        self.server_tokens + self.credentials + self.oauth_apps + self.oauth_states
    }
}

/// The `LIKE` pattern of values sealed under the current key (their key ID is their second part).
fn current_pattern(db: &Database) -> String {
    format!("v1.{}.%", db.secrets().current_key_id())
}

impl Database {
    /// Re-seals every sealed value (server access tokens, credential secrets, OAuth client
    /// secrets, pending OAuth authorizations) that is not sealed under the current key.
    pub async fn reseal_all(&self) -> Result<ResealReport, Error> {
        let mut report = ResealReport::default();
        for _ in 0..PASSES {
            let before = report.total();
            report.failed.clear();
            report.server_tokens += self
                .reseal_keyed::<server::Entity>(
                    &mut report,
                    "servers",
                    server::Column::Id,
                    server::Column::TokenSealed,
                )
                .await?;
            report.credentials += self
                .reseal_keyed::<credential::Entity>(
                    &mut report,
                    "credentials",
                    credential::Column::Id,
                    credential::Column::SecretSealed,
                )
                .await?;
            self.reseal_oauth_apps(&mut report).await?;
            report.oauth_states += self
                .reseal_keyed::<oauth_state::Entity>(
                    &mut report,
                    "oauth_states",
                    oauth_state::Column::StateDigest,
                    oauth_state::Column::PayloadSealed,
                )
                .await?;
            if report.total() == before {
                break;
            }
        }
        Ok(report)
    }

    /// Opens `sealed` and seals it again under the current key; `None` (and a note in the
    /// report) when no key opens it.
    fn reseal(
        &self,
        report: &mut ResealReport,
        what: &str,
        sealed: &str,
        aad: &str,
    ) -> Result<Option<String>, Error> {
        match self.secrets().open(sealed, aad) {
            Ok(plain) => Ok(Some(self.secrets().seal(&plain, aad)?)),
            Err(e) => {
                report.failed.push(format!("{what}: {e}"));
                Ok(None)
            }
        }
    }

    /// Re-seals one sealed column of a table keyed by a string ID that is also the value's
    /// associated data, a batch at a time in key order; returns how many values it replaced.
    async fn reseal_keyed<E>(
        &self,
        report: &mut ResealReport,
        table: &str,
        key: E::Column,
        sealed: E::Column,
    ) -> Result<u64, Error>
    where
        E: EntityTrait,
    {
        let mut replaced = 0;
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String)> = E::find()
                .select_only()
                .column(key)
                .column(sealed)
                .filter(key.gt(after.clone()))
                .filter(sealed.not_like(current_pattern(self)))
                .order_by_asc(key)
                .limit(BATCH)
                .into_tuple()
                .all(self.connection())
                .await?;
            let Some((last, _)) = rows.last() else {
                return Ok(replaced);
            };
            after = last.clone();
            for (id, old) in rows {
                // Digests of OAuth states are long and mean nothing to a reader: a prefix will do.
                let what = format!("{table} {}", &id[..id.len().min(24)]);
                let Some(new) = self.reseal(report, &what, &old, &id)? else {
                    continue;
                };
                // Compare-and-swap; a credential's version is left alone, its content is unchanged.
                let res = E::update_many()
                    .col_expr(sealed, Expr::value(new))
                    .filter(key.eq(id))
                    .filter(sealed.eq(old))
                    .exec(self.connection())
                    .await?;
                replaced += res.rows_affected;
            }
        }
    }

    async fn reseal_oauth_apps(&self, report: &mut ResealReport) -> Result<(), Error> {
        // One row per account and connector: few enough to read at once.
        let rows: Vec<(String, String, Option<String>)> = oauth_app::Entity::find()
            .select_only()
            .column(oauth_app::Column::AccountId)
            .column(oauth_app::Column::ConnectorId)
            .column(oauth_app::Column::ClientSecretSealed)
            .filter(oauth_app::Column::ClientSecretSealed.is_not_null())
            .filter(oauth_app::Column::ClientSecretSealed.not_like(current_pattern(self)))
            .into_tuple()
            .all(self.connection())
            .await?;
        for (account, connector, old) in rows {
            let Some(old) = old else { continue };
            let what = format!("oauth_apps {connector} of account {account}");
            let Some(new) = self.reseal(report, &what, &old, &app_aad(&account, &connector))?
            else {
                continue;
            };
            let res = oauth_app::Entity::update_many()
                .col_expr(
                    oauth_app::Column::ClientSecretSealed,
                    Expr::value(Some(new)),
                )
                .filter(oauth_app::Column::AccountId.eq(account))
                .filter(oauth_app::Column::ConnectorId.eq(connector))
                .filter(oauth_app::Column::ClientSecretSealed.eq(old))
                .exec(self.connection())
                .await?;
            report.oauth_apps += res.rows_affected;
        }
        Ok(())
    }
}
