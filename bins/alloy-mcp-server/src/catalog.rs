//! The imported connector catalog: `connectors import/list/remove`, and loading what was
//! imported at start-up (summaries now, each connector's details from the database when an
//! action is first described or executed).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_connectors::DetailStore;
use alloy_connectors::Registry;
use alloy_connectors::catalog::import::{DocumentFile, ImportReport, document_files, import_files};
use alloy_storage::{Database, NewCatalogConnector};
use anyhow::Context;

/// Documents stored per transaction.
const BATCH: usize = 100;

/// Reads each imported connector's details from the database.
#[derive(Debug, Clone)]
pub struct DatabaseDetails(pub Database);

#[async_trait::async_trait]
impl DetailStore for DatabaseDetails {
    async fn details(&self, connector_id: &str) -> Result<Option<Vec<u8>>, String> {
        self.0
            .catalog()
            .details(connector_id)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Adds the stored catalog to `registry` (connectors whose ID is taken are logged and
/// skipped); returns how many were added.
pub async fn load_stored(db: &Database, registry: &mut Registry) -> anyhow::Result<usize> {
    let started = Instant::now();
    let summaries = db
        .catalog()
        .summaries()
        .await
        .context("reading the imported catalog")?;
    let errors = registry.add_stored_all(&summaries);
    for e in &errors {
        tracing::error!(error = %e, "imported connector not loaded");
    }
    let added = summaries.len() - errors.len();
    registry.set_detail_store(Arc::new(DatabaseDetails(db.clone())));
    if !summaries.is_empty() {
        tracing::info!(
            connectors = added,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imported catalog loaded"
        );
    }
    Ok(added)
}

/// What `connectors import` reports.
#[derive(Debug)]
pub struct ImportOutcome {
    /// The import itself.
    pub report: ImportReport,
    /// How long it took, parsing and storing.
    pub elapsed: Duration,
}

/// Imports the documents at `paths` into the database, showing a progress bar on standard
/// error when `progress` is set.
pub async fn import_into(
    db: &Database,
    paths: Vec<PathBuf>,
    progress: bool,
) -> anyhow::Result<ImportOutcome> {
    let started = Instant::now();
    let (files, unreadable) = document_files(&paths);
    let sources: HashSet<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    // IDs held by built-ins and by documents of other imports are taken; those of the
    // documents being imported again are not, so a re-import gives the same IDs.
    let mut reserved: HashSet<String> = Registry::builtin()
        .map(|r| r.connectors(None).iter().map(|c| c.id.clone()).collect())
        .unwrap_or_default();
    for listing in db.catalog().list().await? {
        if !sources.contains(&listing.source) {
            reserved.insert(listing.id);
        }
    }
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} documents {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let report = {
        let bar = bar.clone();
        tokio::task::spawn_blocking(move || {
            let tick = |file: &DocumentFile, _total: usize| {
                if let Some(bar) = &bar {
                    bar.set_message(file.relative.display().to_string());
                    bar.inc(1);
                }
            };
            import_files(&files, unreadable, &reserved, threads, &tick)
        })
        .await
        .context("the import thread")?
    };
    if let Some(bar) = &bar {
        bar.set_message("storing");
    }
    let mut report = report;
    // The compressed bytes move into the rows; the report keeps what the summary prints.
    let rows: Vec<NewCatalogConnector> = report
        .imported
        .iter_mut()
        .map(|c| NewCatalogConnector {
            id: c.id.clone(),
            source: c.source.clone(),
            category: c.category.clone(),
            action_count: u32::try_from(c.action_count).unwrap_or(u32::MAX),
            summary: std::mem::take(&mut c.summary),
            details: std::mem::take(&mut c.detail),
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<NewCatalogConnector> = rows.by_ref().take(BATCH).collect();
        db.catalog()
            .put(batch)
            .await
            .context("storing imported connectors")?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(ImportOutcome {
        report,
        elapsed: started.elapsed(),
    })
}

/// The summary `connectors import` prints: totals, then each refused document with its reason
/// (and each warning when `warnings` is set).
pub fn summary(outcome: &ImportOutcome, warnings: bool) -> String {
    let report = &outcome.report;
    let with_warnings = report
        .imported
        .iter()
        .filter(|c| !c.warnings.is_empty())
        .count();
    let mut out = format!(
        "imported {} connector(s) with {} action(s) in {:.1} s: {} loaded cleanly, {} with \
         warnings; {} refused\n",
        report.imported.len(),
        report.action_count(),
        outcome.elapsed.as_secs_f64(),
        report.imported.len() - with_warnings,
        with_warnings,
        report.refused.len()
    );
    for r in &report.refused {
        out.push_str(&format!("refused  {}: {}\n", r.source, r.reason));
    }
    for c in &report.imported {
        if let Some(wanted) = &c.wanted_id {
            out.push_str(&format!(
                "renamed  {}: `{wanted}` was taken; imported as `{}`\n",
                c.source, c.id
            ));
        }
        if warnings {
            for w in &c.warnings {
                out.push_str(&format!("warning  {} ({}): {w}\n", c.source, c.id));
            }
        }
    }
    if !warnings && with_warnings > 0 {
        out.push_str("(run with --warnings to see what was guessed or left out per document)\n");
    }
    out
}
