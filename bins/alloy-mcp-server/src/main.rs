//! The `alloy-mcp-server` command: serve (the default), and API-key administration.
#![forbid(unsafe_code)]

use alloy_gateway::{Gateway, GatewayConfig};
use alloy_mcp_server::settings::{LogSettings, ServeSettings, StoreSettings};
use alloy_mcp_server::{audit_export, catalog, failure, keys, observability, startup};
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: a request allocates and frees many small buffers
/// (JSON, headers, audit events freed on another thread), and glibc's malloc took a third of the
/// server's CPU under load (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hosted, multi-tenant MCP gateway.
///
/// Every setting is a flag and an environment variable (shown in brackets).
#[derive(Debug, Parser)]
#[command(name = "alloy-mcp-server", version)]
struct Cli {
    #[command(flatten)]
    store: StoreSettings,
    /// `serve`'s settings, so that a bare `alloy-mcp-server --bind …` serves.
    #[command(flatten)]
    serve: ServeSettings,
    #[command(flatten)]
    log: LogSettings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve(Box<ServeSettings>),
    /// Check the configuration without serving: settings, data directory, key files, database
    /// and its migrations, Redis, connectors, port. One line per check (ok, warn, fail); exits 1
    /// when a check fails. Changes nothing.
    Doctor(Box<ServeSettings>),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Import OpenAPI documents as connectors, list and remove them (see docs/connectors.md).
    #[command(subcommand)]
    Connectors(ConnectorsCommand),
    /// Re-seal every stored secret under ALLOY_ENCRYPTION_KEY, opening the old values with
    /// ALLOY_PREVIOUS_ENCRYPTION_KEYS. Servers keep running meanwhile (see docs/credentials.md).
    RotateEncryptionKey,
    /// Read the audit trail (see docs/operations.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of the SQLite database to PATH while servers keep running
    /// (for PostgreSQL use pg_dump; see docs/deployment.md).
    Backup {
        /// The file to create (never overwritten).
        path: std::path::PathBuf,
    },
    /// Exit 0 when a running server answers its readiness probe (container health checks:
    /// the image has no curl). Opens no database.
    Healthcheck {
        /// The URL to probe.
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Print audit events of every account, oldest first, for shipping to a SIEM.
    Export {
        /// Only events at or after this time (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Only events before this time (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// `jsonl` (one JSON object per line, as GET /api/audit shows events) or `csv`.
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key and print it once.
    Create {
        /// Account of the key (created if new). Default: the bootstrap account `default`.
        #[arg(long, default_value = keys::BOOTSTRAP_ACCOUNT)]
        account: String,
        /// The key's default user.
        #[arg(long, default_value = keys::BOOTSTRAP_USER)]
        user: String,
        /// A label for listings.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List API keys (never the keys themselves).
    List {
        /// Only this account's keys.
        #[arg(long)]
        account: Option<String>,
    },
    /// Revoke an API key by ID.
    Revoke {
        /// The key ID shown by `keys list`.
        key_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConnectorsCommand {
    /// Import OpenAPI 3.0/3.1 or Swagger 2.0 documents (JSON or YAML; folders are read
    /// recursively) into the database, where every server sharing it finds them at start.
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Print every warning (what was guessed or left out), not only their count.
        #[arg(long)]
        warnings: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// List imported connectors.
    List,
    /// Remove an imported connector by ID.
    Remove {
        /// The connector ID shown by `connectors list`.
        id: String,
    },
}

/// Logs to stderr (text or JSON, filtered by ALLOY_LOG) and, when the standard `OTEL_*`
/// variables ask for it, spans to an OTLP collector; answers the span exporter to flush at exit.
fn init_logging(
    log: &LogSettings,
) -> anyhow::Result<Option<opentelemetry_sdk::trace::SdkTracerProvider>> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_new(&log.log).map_err(|e| {
        failure::Misconfigured::new(format!(
            "ALLOY_LOG (--log) '{}' is not a log filter: {e}",
            log.log
        ))
        .hint("use a level (error, warn, info, debug, trace) or directives like `info,alloy=debug`")
    })?;
    // sea-orm's migrator says "Applying all pending migrations" / "No pending migrations" at
    // INFO on every start and every CLI command; the storage crate logs what it applied.
    let quiet_migrator = !["sea_orm_migration", "debug", "trace"]
        .iter()
        .any(|w| log.log.contains(w));
    let filter = if !quiet_migrator {
        filter
    } else {
        // PostgreSQL's NOTICEs ("relation … already exists, skipping") are noise too.
        filter
            .add_directive("sea_orm_migration=warn".parse()?)
            .add_directive("sqlx::postgres::notice=warn".parse()?)
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal; a log file or collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let fmt = if log.log_format == "json" {
        fmt.json().flatten_event(true).boxed()
    } else {
        fmt.boxed()
    };
    let provider = if observability::tracing_requested() {
        Some(observability::tracer_provider()?)
    } else {
        None
    };
    let otel = provider.as_ref().map(|p| {
        observability::otel_layer(p).with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .init();
    Ok(provider)
}

/// SIGTERM or SIGINT. The handlers are installed when this is called, not when the future is
/// first polled: called before the server announces that it listens, so that a signal sent
/// right after (a supervisor stopping a server it just started) shuts it down gracefully instead
/// of meeting the default action, which ends the process at once.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Parses the command line. Store and log settings may come before or after a command; serve
/// settings before a command other than none are refused rather than silently ignored
/// (`alloy-mcp-server --bind … serve` would otherwise serve on the default address).
fn parse_cli() -> Cli {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if cli.command.is_some() {
        let misplaced: Vec<String> = ServeSettings::augment_args(clap::Command::new("serve"))
            .get_arguments()
            .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
            .map(|a| format!("--{}", a.get_long().unwrap_or(a.get_id().as_str())))
            .collect();
        if !misplaced.is_empty() {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "{} must come after `serve` (or be given without a command)",
                        misplaced.join(", ")
                    ),
                )
                .exit();
        }
    }
    cli
}

fn main() -> std::process::ExitCode {
    // Before the runtime starts its threads: this may replace the process (see allocator.rs).
    alloy_mcp_server::allocator::apply();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(main_async()),
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn main_async() -> std::process::ExitCode {
    let cli = parse_cli();
    // The whole chain and its backtrace only when someone asked for debug output.
    let verbose = cli.log.log.contains("debug") || cli.log.log.contains("trace");
    let traces = match init_logging(&cli.log) {
        Ok(traces) => traces,
        Err(e) => return failure::report(&e, verbose),
    };
    let outcome = run(cli).await;
    if let Some(provider) = traces {
        // Spans still buffered are sent before the process exits.
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => failure::report(&e, verbose),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.store, cli.serve).await,
        Some(Command::Serve(settings)) => serve(cli.store, *settings).await,
        Some(Command::Doctor(settings)) => {
            let findings = alloy_mcp_server::doctor::run(&cli.store, &settings).await;
            for f in &findings {
                println!("{f}");
            }
            let failed = findings
                .iter()
                .filter(|f| f.verdict == alloy_mcp_server::doctor::Verdict::Fail)
                .count();
            anyhow::ensure!(failed == 0, "{failed} check(s) failed");
            Ok(())
        }
        Some(Command::Keys(cmd)) => keys_command(cli.store, cmd).await,
        Some(Command::Connectors(cmd)) => connectors_command(cli.store, cmd).await,
        Some(Command::Audit(AuditCommand::Export { from, to, format })) => {
            let db = startup::open_database(&cli.store).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written =
                audit_export::export(&db, from.as_deref(), to.as_deref(), &format, &mut out).await;
            db.close().await?;
            eprintln!("exported {} audit event(s)", written?);
            Ok(())
        }
        Some(Command::Backup { path }) => {
            let db = startup::open_database(&cli.store).await?;
            let copied = db
                .backup_to(&path)
                .await
                .with_context(|| format!("backing up to {}", path.display()));
            db.close().await?;
            copied?;
            println!(
                "wrote a consistent copy of the database to {}",
                path.display()
            );
            Ok(())
        }
        Some(Command::Healthcheck { url }) => healthcheck(&url).await,
        Some(Command::RotateEncryptionKey) => {
            let report = alloy_mcp_server::rotation::rotate(&cli.store).await?;
            println!(
                "re-sealed {} value(s): {} server token(s), {} credential(s), {} OAuth app secret(s), {} pending authorization(s)",
                report.total(),
                report.server_tokens,
                report.credentials,
                report.oauth_apps,
                report.oauth_states
            );
            Ok(())
        }
    }
}

/// `healthcheck`: 2xx within 4 seconds, or an error saying what came back.
async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(4))
        .build()?;
    let resp = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("{url} did not answer"))?;
    anyhow::ensure!(
        resp.status().is_success(),
        "{url} answered {}",
        resp.status()
    );
    Ok(())
}

async fn serve(store: StoreSettings, settings: ServeSettings) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let running = startup::start(store, settings).await?;
    if let Some(key) = &running.bootstrap_key {
        // Printed once, on stdout, never logged.
        println!(
            "Created the first API key (account 'default', user 'default'); it is shown only once:"
        );
        println!("{key}");
    }
    println!(
        "alloy-mcp-server listening on http://{} (public URL {})",
        running.addr, running.public_url
    );
    if running.bootstrap_key.is_none() {
        // A restart on an existing database: the first key was shown at the first start only.
        println!(
            "API keys are kept in the database; `alloy-mcp-server keys create` makes another, `keys list` lists them"
        );
    }
    running.run_until(shutdown).await
}

async fn connectors_command(store: StoreSettings, cmd: ConnectorsCommand) -> anyhow::Result<()> {
    let db = startup::open_database(&store).await?;
    match cmd {
        ConnectorsCommand::Import {
            paths,
            warnings,
            quiet,
        } => {
            let progress = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let outcome = catalog::import_into(&db, paths, progress).await?;
            print!("{}", catalog::summary(&outcome, warnings));
            if outcome.report.imported.is_empty() {
                db.close().await?;
                anyhow::bail!("no document was imported");
            }
        }
        ConnectorsCommand::List => {
            for c in db.catalog().list().await? {
                println!(
                    "{}\t{}\t{} actions\t{}\t{}",
                    c.id,
                    c.category,
                    c.action_count,
                    c.imported_at.to_rfc3339(),
                    c.source
                );
            }
        }
        ConnectorsCommand::Remove { id } => {
            if !db.catalog().remove(&id).await? {
                db.close().await?;
                anyhow::bail!("no imported connector with ID {id}");
            }
            println!("removed {id}; running servers drop it at their next start");
        }
    }
    db.close().await?;
    Ok(())
}

async fn keys_command(store: StoreSettings, cmd: KeysCommand) -> anyhow::Result<()> {
    let db = startup::open_database(&store).await?;
    // Key administration needs no JWT secret; a throwaway one keeps the gateway whole.
    let gateway = Gateway::new(
        db.clone(),
        GatewayConfig::new("http://localhost", vec![0u8; 32]),
        alloy_connectors::Registry::empty(),
        alloy_connectors::Executor::new(alloy_connectors::ExecutorConfig::default())?,
    );
    match cmd {
        KeysCommand::Create {
            account,
            user,
            name,
        } => {
            let created = keys::create(&gateway, &account, &user, &name, None).await?;
            println!("{}", created.key);
            eprintln!(
                "key id {} (account {account}, user {user}); the key is shown only once",
                created.record.id
            );
        }
        KeysCommand::List { account } => {
            for record in gateway.api_keys().list(account.as_deref()).await? {
                println!("{}", keys::describe(&record));
            }
        }
        KeysCommand::Revoke { key_id } => {
            let existing = db.api_keys().get(&key_id).await?;
            if let Some(revoked_at) = existing.as_ref().and_then(|k| k.revoked_at) {
                anyhow::bail!(
                    "API key {key_id} was already revoked at {}",
                    revoked_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
            if existing.is_none() || !gateway.api_keys().revoke(&key_id).await? {
                anyhow::bail!(
                    "no API key with id {key_id} (`alloy-mcp-server keys list` shows them)"
                );
            }
            println!("revoked {key_id}");
        }
    }
    gateway.audit().flush().await;
    db.close().await?;
    Ok(())
}
