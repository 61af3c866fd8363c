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
            self.reseal_servers(&mut report).await?;
            self.reseal_credentials(&mut report).await?;
            self.reseal_oauth_apps(&mut report).await?;
            self.reseal_oauth_states(&mut report).await?;
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

    async fn reseal_servers(&self, report: &mut ResealReport) -> Result<(), Error> {
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String)> = server::Entity::find()
                .select_only()
                .column(server::Column::Id)
                .column(server::Column::TokenSealed)
                .filter(server::Column::Id.gt(after.clone()))
                .filter(server::Column::TokenSealed.not_like(current_pattern(self)))
                .order_by_asc(server::Column::Id)
                .limit(BATCH)
                .into_tuple()
                .all(self.connection())
                .await?;
            let Some((last, _)) = rows.last() else {
                return Ok(());
            };
            after = last.clone();
            for (id, old) in rows {
                let Some(new) = self.reseal(report, &format!("servers {id}"), &old, &id)? else {
                    continue;
                };
                let res = server::Entity::update_many()
                    .col_expr(server::Column::TokenSealed, Expr::value(new))
                    .filter(server::Column::Id.eq(id))
                    .filter(server::Column::TokenSealed.eq(old))
                    .exec(self.connection())
                    .await?;
                report.server_tokens += res.rows_affected;
            }
        }
    }

    async fn reseal_credentials(&self, report: &mut ResealReport) -> Result<(), Error> {
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String)> = credential::Entity::find()
                .select_only()
                .column(credential::Column::Id)
                .column(credential::Column::SecretSealed)
                .filter(credential::Column::Id.gt(after.clone()))
                .filter(credential::Column::SecretSealed.not_like(current_pattern(self)))
                .order_by_asc(credential::Column::Id)
                .limit(BATCH)
                .into_tuple()
                .all(self.connection())
                .await?;
            let Some((last, _)) = rows.last() else {
                return Ok(());
            };
            after = last.clone();
            for (id, old) in rows {
                let Some(new) = self.reseal(report, &format!("credentials {id}"), &old, &id)?
                else {
                    continue;
                };
                // The version is left alone: the secret's content did not change.
                let res = credential::Entity::update_many()
                    .col_expr(credential::Column::SecretSealed, Expr::value(new))
                    .filter(credential::Column::Id.eq(id))
                    .filter(credential::Column::SecretSealed.eq(old))
                    .exec(self.connection())
                    .await?;
                report.credentials += res.rows_affected;
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

    async fn reseal_oauth_states(&self, report: &mut ResealReport) -> Result<(), Error> {
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String)> = oauth_state::Entity::find()
                .select_only()
                .column(oauth_state::Column::StateDigest)
                .column(oauth_state::Column::PayloadSealed)
                .filter(oauth_state::Column::StateDigest.gt(after.clone()))
                .filter(oauth_state::Column::PayloadSealed.not_like(current_pattern(self)))
                .order_by_asc(oauth_state::Column::StateDigest)
                .limit(BATCH)
                .into_tuple()
                .all(self.connection())
                .await?;
            let Some((last, _)) = rows.last() else {
                return Ok(());
            };
            after = last.clone();
            for (digest, old) in rows {
                let what = format!("oauth_states {}", &digest[..digest.len().min(12)]);
                let Some(new) = self.reseal(report, &what, &old, &digest)? else {
                    continue;
                };
                let res = oauth_state::Entity::update_many()
                    .col_expr(oauth_state::Column::PayloadSealed, Expr::value(new))
                    .filter(oauth_state::Column::StateDigest.eq(digest))
                    .filter(oauth_state::Column::PayloadSealed.eq(old))
                    .exec(self.connection())
                    .await?;
                report.oauth_states += res.rows_affected;
            }
        }
    }
}
