//! The `alloy-mcp-server` command: serve (the default), and API-key administration.
#![forbid(unsafe_code)]

use alloy_gateway::{Gateway, GatewayConfig};
use alloy_mcp_server::settings::{LogSettings, ServeSettings, StoreSettings};
use alloy_mcp_server::{catalog, keys, startup};
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

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
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Import OpenAPI documents as connectors, list and remove them (see docs/connectors.md).
    #[command(subcommand)]
    Connectors(ConnectorsCommand),
    /// Re-seal every stored secret under ALLOY_ENCRYPTION_KEY, opening the old values with
    /// ALLOY_PREVIOUS_ENCRYPTION_KEYS. Servers keep running meanwhile (see docs/credentials.md).
    RotateEncryptionKey,
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

fn init_logging(log: &LogSettings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&log.log).context("ALLOY_LOG")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal; a log file or collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if log.log_format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = parse_cli();
    init_logging(&cli.log)?;
    match cli.command {
        None => serve(cli.store, cli.serve).await,
        Some(Command::Serve(settings)) => serve(cli.store, *settings).await,
        Some(Command::Keys(cmd)) => keys_command(cli.store, cmd).await,
        Some(Command::Connectors(cmd)) => connectors_command(cli.store, cmd).await,
        Some(Command::RotateEncryptionKey) => {
            let report = alloy_mcp_server::rotation::rotate(&cli.store).await?;
            println!(
                "re-sealed {} value(s): {} server token(s), {} credential(s), {} OAuth app                  secret(s), {} pending authorization(s)",
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

async fn serve(store: StoreSettings, settings: ServeSettings) -> anyhow::Result<()> {
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
    running.run_until(shutdown_signal()).await
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
            if !gateway.api_keys().revoke(&key_id).await? {
                anyhow::bail!("no API key with id {key_id}");
            }
            println!("revoked {key_id}");
        }
    }
    db.close().await?;
    Ok(())
}
