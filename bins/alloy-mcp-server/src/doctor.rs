//! `alloy-mcp-server doctor`: checks a configuration without serving — settings, data
//! directory, key files, database and its migrations, Redis, the connector catalog, the port —
//! and prints one line per check (`ok`, `warn` or `fail`). Changes nothing: no migration runs,
//! no key file is created, a SQLite database is opened read-only.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_connectors::Registry;
use alloy_ratelimit::{Quota, RedisOptions, RedisRateLimiter};
use alloy_storage::Database;

use crate::secrets;
use crate::settings::{ServeSettings, StoreSettings};
use crate::startup::{describe_database, sqlite_path};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Works, but probably not what is wanted.
    Warn,
    /// The server would not start, or not work as configured.
    Fail,
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Finding {
    /// How it went.
    pub verdict: Verdict,
    /// What was checked (`database`, `port`, …).
    pub check: &'static str,
    /// What was found, naming the value or place.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        };
        write!(f, "{verdict:<5}{:<12}{}", self.check, self.detail)
    }
}

fn finding(verdict: Verdict, check: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        verdict,
        check,
        detail: detail.into(),
    }
}

/// Runs every check, in the order a start-up meets them.
pub async fn run(store: &StoreSettings, serve: &ServeSettings) -> Vec<Finding> {
    let mut findings = vec![urls(serve), proxies(serve)];
    findings.push(data_dir(store));
    findings.extend(key_files(store, serve));
    findings.extend(database(store).await);
    if let Some(url) = &serve.redis_url {
        findings.push(redis(url, serve).await);
    }
    findings.push(catalog(serve));
    findings.push(port(serve).await);
    findings
}

/// The public URL parses, and agrees with where the server listens.
fn urls(serve: &ServeSettings) -> Finding {
    let bind = serve.bind;
    let Some(public) = &serve.public_url else {
        let verdict = if bind.ip().is_loopback() {
            Verdict::Ok
        } else {
            Verdict::Warn
        };
        let detail = if verdict == Verdict::Ok {
            format!("listening on {bind}; URLs handed to clients use http://{bind}")
        } else {
            format!(
                "listening on {bind} without ALLOY_PUBLIC_URL: clients get URLs naming {bind}; set the address they reach"
            )
        };
        return finding(verdict, "public URL", detail);
    };
    let parsed = match url::Url::parse(public) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => {
            return finding(
                Verdict::Fail,
                "public URL",
                format!("ALLOY_PUBLIC_URL '{public}' is not an absolute http(s) URL"),
            );
        }
    };
    let public_is_loopback = match parsed.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if bind.ip().is_loopback() && !public_is_loopback {
        return finding(
            Verdict::Warn,
            "public URL",
            format!(
                "{public} is served from {bind} (loopback only): a proxy on this host must forward to it"
            ),
        );
    }
    finding(
        Verdict::Ok,
        "public URL",
        format!("{public}, listening on {bind}"),
    )
}

/// Trusted proxies name proxies, not the internet: a network holding public addresses lets any
/// client there choose its own address (rate limits, logs) with `X-Forwarded-For`.
fn proxies(serve: &ServeSettings) -> Finding {
    let networks = &serve.trusted_proxies.0;
    if networks.is_empty() {
        return finding(
            Verdict::Ok,
            "proxies",
            "none trusted: client addresses are the connecting peers'",
        );
    }
    let public: [IpAddr; 2] = [
        IpAddr::from([8, 8, 8, 8]),
        IpAddr::from([0x2001, 0x4860, 0, 0, 0, 0, 0, 0x8888]),
    ];
    match public
        .iter()
        .find(|ip| networks.iter().any(|n| n.contains(**ip)))
    {
        Some(ip) => finding(
            Verdict::Warn,
            "proxies",
            format!(
                "ALLOY_TRUSTED_PROXIES covers public addresses ({ip} is trusted): any client there can set its own address with X-Forwarded-For; list only your proxies"
            ),
        ),
        None => finding(
            Verdict::Ok,
            "proxies",
            format!("{} network(s) trusted for X-Forwarded-For", networks.len()),
        ),
    }
}

/// The data directory exists (or can be made) and takes files.
fn data_dir(store: &StoreSettings) -> Finding {
    let dir = &store.data_dir;
    if !dir.exists() {
        let parent_ok = dir
            .parent()
            .map(|p| p.as_os_str().is_empty() || p.is_dir())
            .unwrap_or(true);
        return if parent_ok {
            finding(
                Verdict::Ok,
                "data dir",
                format!(
                    "{} does not exist yet; the first start creates it",
                    dir.display()
                ),
            )
        } else {
            finding(
                Verdict::Fail,
                "data dir",
                format!(
                    "{} cannot be created: its parent folder does not exist",
                    dir.display()
                ),
            )
        };
    }
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            finding(
                Verdict::Ok,
                "data dir",
                format!("{} is writable", dir.display()),
            )
        }
        Err(e) => finding(
            Verdict::Fail,
            "data dir",
            format!("{} is not writable: {e}", dir.display()),
        ),
    }
}

/// The encryption key and JWT secret: set and well-formed, or present in the data directory
/// and private, or to be generated at the first start.
fn key_files(store: &StoreSettings, serve: &ServeSettings) -> Vec<Finding> {
    let shared_database = !store.is_sqlite();
    let mut out = Vec::new();
    match &store.encryption_key {
        Some(k) => out.push(match secrets::decode_key(k) {
            Ok(_) => finding(Verdict::Ok, "encryption", "from ALLOY_ENCRYPTION_KEY"),
            Err(e) => finding(
                Verdict::Fail,
                "encryption",
                format!("ALLOY_ENCRYPTION_KEY: {e}"),
            ),
        }),
        None => out.push(key_file(
            "encryption",
            &store.data_dir.join("encryption.key"),
            "ALLOY_ENCRYPTION_KEY",
            shared_database,
        )),
    }
    match &serve.jwt_secret {
        Some(s) if s.len() < 32 => out.push(finding(
            Verdict::Fail,
            "jwt secret",
            "ALLOY_JWT_SECRET must be at least 32 bytes",
        )),
        Some(_) => out.push(finding(Verdict::Ok, "jwt secret", "from ALLOY_JWT_SECRET")),
        None => out.push(key_file(
            "jwt secret",
            &store.data_dir.join("jwt.secret"),
            "ALLOY_JWT_SECRET",
            shared_database,
        )),
    }
    out
}

fn key_file(check: &'static str, path: &Path, setting: &str, shared_database: bool) -> Finding {
    if !path.exists() {
        let (verdict, why) = if shared_database {
            (
                Verdict::Warn,
                format!("; replicas sharing the database need the same value: set {setting}"),
            )
        } else {
            (Verdict::Ok, String::new())
        };
        return finding(
            verdict,
            check,
            format!(
                "{} will be generated at the first start{why}",
                path.display()
            ),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            return finding(
                Verdict::Warn,
                check,
                format!(
                    "{} is readable by others (mode {:o}); chmod 600 it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ),
            );
        }
    }
    finding(Verdict::Ok, check, format!("{} (private)", path.display()))
}

/// The database answers, and which migrations a start would run.
async fn database(store: &StoreSettings) -> Vec<Finding> {
    let url = store.database_url();
    let described = describe_database(&url);
    if store.is_sqlite() {
        let path = Path::new(sqlite_path(&url).unwrap_or_default());
        if !path.exists() {
            let folder_ok = path
                .parent()
                .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir() || p == store.data_dir);
            return vec![if folder_ok {
                finding(
                    Verdict::Ok,
                    "database",
                    format!(
                        "{described} does not exist yet; the first start creates and migrates it"
                    ),
                )
            } else {
                finding(
                    Verdict::Fail,
                    "database",
                    format!("{described}: its folder does not exist"),
                )
            }];
        }
    } else if !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
        return vec![finding(
            Verdict::Fail,
            "database",
            "DATABASE_URL must start with sqlite:// or postgres://",
        )];
    } else if let Err(e) = Database::probe(&url, Duration::from_secs(5)).await {
        return vec![finding(
            Verdict::Fail,
            "database",
            format!("{described}: {e}"),
        )];
    }
    match Database::pending_migrations(&url).await {
        Ok(pending) if pending.is_empty() => vec![finding(
            Verdict::Ok,
            "database",
            format!("{described} answers; its schema is up to date"),
        )],
        Ok(pending) => vec![finding(
            Verdict::Ok,
            "database",
            format!(
                "{described} answers; the next start applies {} migration(s): {}",
                pending.len(),
                pending.join(", ")
            ),
        )],
        Err(e) => vec![finding(
            Verdict::Fail,
            "database",
            format!("{described}: {e}"),
        )],
    }
}

/// Redis answers (the rate limiter would otherwise fall back to per-replica buckets).
async fn redis(url: &str, serve: &ServeSettings) -> Finding {
    let timeout = Duration::from_millis(serve.redis_timeout_ms);
    let options = RedisOptions {
        connection_timeout: timeout,
        response_timeout: timeout,
        ..RedisOptions::default()
    };
    let quota = Quota::new(serve.rate_limit_per_minute);
    let shown = redacted(url);
    match RedisRateLimiter::connect(url, quota, options).await {
        Err(e) => finding(Verdict::Fail, "redis", format!("REDIS_URL: {e}")),
        Ok(limiter) if limiter.is_using_fallback() => finding(
            Verdict::Fail,
            "redis",
            format!(
                "{shown} does not answer within {} ms: replicas would each count their own rate limits",
                serve.redis_timeout_ms
            ),
        ),
        Ok(_) => finding(Verdict::Ok, "redis", format!("{shown} answers")),
    }
}

/// A Redis URL without its password.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "REDIS_URL".to_owned(),
    }
}

/// The built-in catalog and `ALLOY_CONNECTORS_PATH` load (the imported catalog is in the
/// database, read at start).
fn catalog(serve: &ServeSettings) -> Finding {
    let paths: Vec<PathBuf> = serve
        .connectors_path
        .iter()
        .flat_map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let (registry, errors) = Registry::load(true, &paths);
    let count = registry.connectors(None).len();
    if errors.is_empty() {
        return finding(
            Verdict::Ok,
            "connectors",
            format!("{count} connectors load (built-in and ALLOY_CONNECTORS_PATH)"),
        );
    }
    let shown: Vec<String> = errors.iter().take(3).map(ToString::to_string).collect();
    finding(
        Verdict::Fail,
        "connectors",
        format!(
            "{count} connectors load; {} document(s) of ALLOY_CONNECTORS_PATH do not: {}{}",
            errors.len(),
            shown.join("; "),
            if errors.len() > 3 { "; …" } else { "" }
        ),
    )
}

/// The listening address is free.
async fn port(serve: &ServeSettings) -> Finding {
    match tokio::net::TcpListener::bind(serve.bind).await {
        Ok(listener) => {
            drop(listener);
            finding(Verdict::Ok, "port", format!("{} is free", serve.bind))
        }
        Err(e) => finding(
            Verdict::Fail,
            "port",
            format!("{} (ALLOY_BIND): {e}", serve.bind),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_and_redacted_urls() {
        assert_eq!(
            sqlite_path("sqlite:///srv/alloy/alloy.db?mode=rwc"),
            Some("/srv/alloy/alloy.db")
        );
        assert_eq!(sqlite_path("sqlite://data/alloy.db"), Some("data/alloy.db"));
        assert_eq!(sqlite_path("postgres://h/db"), None);
        assert_eq!(
            redacted("redis://user:hunter2@cache:6379/0"),
            "redis://user:***@cache:6379/0"
        );
        assert_eq!(redacted("not a url"), "REDIS_URL");
    }
}
