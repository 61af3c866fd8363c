//! What a newcomer sees when a command fails: one `error:` line naming the setting, value or
//! place and the cause once, a `hint:` where we know what to do, no backtrace (even with
//! RUST_BACKTRACE=1, as many machines set it), exit code 2 for a configuration mistake and 1
//! for a failure at run time; and CLI commands that print only their result.

use std::process::Output;

use crate::binary::{command, run, text};

/// The stderr lines of a failed command, after checking its exit code and that no backtrace
/// or multi-line error chain was printed.
#[track_caller]
fn failure(out: &Output, code: i32) -> Vec<String> {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {stderr}");
    for noise in ["backtrace", "Caused by", "Error: ", "   0: "] {
        assert!(!stderr.contains(noise), "{noise:?} in {stderr}");
    }
    let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
    assert!(
        lines.first().is_some_and(|l| l.starts_with("error: ")),
        "{stderr}"
    );
    lines
}

fn with_backtraces(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env("RUST_BACKTRACE", "1")
}

#[test]
fn a_bootstrap_key_that_breaks_the_rule_names_the_rule_not_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(with_backtraces(&mut command())
        .env("ALLOY_DATA_DIR", dir.path())
        .env("ALLOY_BIND", "127.0.0.1:0")
        .env("ALLOY_BOOTSTRAP_API_KEY", "s3cr3t"));
    let lines = failure(&out, 2);
    assert_eq!(
        lines[0],
        "error: ALLOY_BOOTSTRAP_API_KEY (--bootstrap-api-key) must be at least 16 characters of \
         letters, digits, '_' and '-'; it has 6"
    );
    assert!(lines[1].starts_with("hint: "), "{lines:?}");
    assert!(
        !text(&out.stderr).contains("s3cr3t"),
        "the value is a secret"
    );
    let out = run(command()
        .env("ALLOY_DATA_DIR", dir.path())
        .env("ALLOY_BIND", "127.0.0.1:0")
        .env("ALLOY_BOOTSTRAP_API_KEY", "0123456789abcdef!"));
    assert!(failure(&out, 2)[0].ends_with("; it holds other characters"));
}

#[test]
fn a_sqlite_file_in_a_missing_folder_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing").join("alloy.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let out = run(with_backtraces(&mut command())
        .env("ALLOY_DATA_DIR", dir.path())
        .env("DATABASE_URL", &url)
        .args(["keys", "list"]));
    let lines = failure(&out, 2);
    assert_eq!(
        lines[0],
        format!(
            "error: the folder of the SQLite database {} does not exist (DATABASE_URL)",
            db.display()
        )
    );
    assert!(lines[1].starts_with("hint: create "), "{lines:?}");
    let out = run(command()
        .env("ALLOY_DATA_DIR", dir.path())
        .env("DATABASE_URL", "mysql://localhost/db")
        .args(["keys", "list"]));
    assert_eq!(
        failure(&out, 2)[0],
        "error: DATABASE_URL (--database-url) must start with sqlite:// or postgres://"
    );
}

#[test]
fn postgresql_refusals_say_the_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    for (url, first, hint) in [
        (
            "postgres://nosuchuser@127.0.0.1:5432/test",
            "error: PostgreSQL at 127.0.0.1:5432/test: role \"nosuchuser\" does not exist",
            "hint: create the role (createuser), or correct the user in DATABASE_URL",
        ),
        (
            "postgres://postgres@127.0.0.1:5432/no_such_database",
            "error: PostgreSQL at 127.0.0.1:5432/no_such_database: database \"no_such_database\" does not exist",
            "hint: create the database (createdb), or correct its name in DATABASE_URL",
        ),
        (
            "postgres://postgres@127.0.0.1:1/test",
            "error: PostgreSQL at 127.0.0.1:1/test: connection refused",
            "hint: start PostgreSQL, or correct the host and port in DATABASE_URL",
        ),
    ] {
        let out = run(with_backtraces(&mut command())
            .env("ALLOY_DATA_DIR", dir.path())
            .env("DATABASE_URL", url)
            .args(["keys", "list"]));
        let lines = failure(&out, 1);
        assert_eq!(lines, [first, hint], "{url}");
    }
}

#[test]
fn a_bad_log_filter_is_a_configuration_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(command()
        .env("ALLOY_DATA_DIR", dir.path())
        .env("ALLOY_LOG", "info,[unclosed")
        .args(["keys", "list"]));
    let lines = failure(&out, 2);
    assert!(
        lines[0].starts_with("error: ALLOY_LOG (--log) 'info,[unclosed' is not a log filter"),
        "{lines:?}"
    );
}

#[test]
fn keys_commands_print_only_their_result_and_refuse_a_second_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // The first command creates the database: that is worth a line.
    let out = run(command().args(["--data-dir", data, "keys", "create"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("database migrations applied"));
    // Later ones change nothing and say nothing but their result.
    let out = run(command().args(["--data-dir", data, "keys", "list"]));
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "", "keys list says only its result");
    let id = text(&out.stdout).split('\t').next().unwrap().to_owned();
    let out = run(command().args(["--data-dir", data, "keys", "revoke", &id]));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), format!("revoked {id}\n"));
    assert_eq!(text(&out.stderr), "");
    let out =
        run(with_backtraces(&mut command()).args(["--data-dir", data, "keys", "revoke", &id]));
    let lines = failure(&out, 1);
    assert!(
        lines[0].starts_with(&format!("error: API key {id} was already revoked at ")),
        "{lines:?}"
    );
    let out = run(command().args(["--data-dir", data, "keys", "revoke", "nope"]));
    assert_eq!(
        failure(&out, 1)[0],
        "error: no API key with id nope (`alloy-mcp-server keys list` shows them)"
    );
}

/// `doctor` on a fresh data directory: every check passes (or warns), nothing is created.
#[test]
fn doctor_passes_a_good_configuration_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(command()
        .env("ALLOY_DATA_DIR", &data)
        .args(["doctor", "--bind", "127.0.0.1:0"]));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for check in [
        "public URL",
        "data dir",
        "encryption",
        "jwt secret",
        "database",
        "connectors",
        "port",
    ] {
        let line = stdout
            .lines()
            .find(|l| l[5..].starts_with(check))
            .unwrap_or_else(|| panic!("no {check} line in {stdout}"));
        assert!(
            line.starts_with("ok ") || line.starts_with("warn "),
            "{line}"
        );
    }
    assert!(!data.exists(), "doctor created {}", data.display());
    // On an existing, migrated database it says the schema is up to date.
    let made = run(command()
        .env("ALLOY_DATA_DIR", &data)
        .args(["keys", "list"]));
    assert!(made.status.success());
    let out = run(command()
        .env("ALLOY_DATA_DIR", &data)
        .args(["doctor", "--bind", "127.0.0.1:0"]));
    assert!(
        text(&out.stdout).contains("its schema is up to date"),
        "{}",
        text(&out.stdout)
    );
}

/// Each broken piece is one `fail` line naming it, and the command exits 1.
#[test]
fn doctor_names_what_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    // (check, environment, arguments after `doctor`, what its line says)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, Vec<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "database",
            vec![(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/test".to_owned(),
            )],
            vec!["--bind", "127.0.0.1:0"],
            "PostgreSQL at 127.0.0.1:1/test: connection refused",
        ),
        (
            "database",
            vec![("DATABASE_URL", "mysql://root@127.0.0.1/alloy".to_owned())],
            vec!["--bind", "127.0.0.1:0"],
            "DATABASE_URL must start with sqlite:// or postgres://",
        ),
        (
            "redis",
            vec![("REDIS_URL", "redis://:hunter2@127.0.0.1:1".to_owned())],
            vec!["--bind", "127.0.0.1:0", "--redis-timeout-ms", "300"],
            "does not answer within 300 ms",
        ),
        (
            "connectors",
            vec![("ALLOY_CONNECTORS_PATH", broken.display().to_string())],
            vec!["--bind", "127.0.0.1:0"],
            "broken.json",
        ),
        ("port", vec![], vec!["--bind", &taken_addr], "(ALLOY_BIND)"),
    ];
    for (check, envs, args, says) in cases {
        let mut cmd = command();
        cmd.env("ALLOY_DATA_DIR", dir.path().join("data"))
            .arg("doctor")
            .args(&args);
        for (k, v) in &envs {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{check}: {stdout}");
        let line = stdout
            .lines()
            .find(|l| l.starts_with("fail ") && l[5..].starts_with(check))
            .unwrap_or_else(|| panic!("no failed {check} line in {stdout}"));
        assert!(line.contains(says), "{line}");
        assert!(!stdout.contains("hunter2"), "no password shown");
        assert_eq!(
            stdout.lines().filter(|l| l.starts_with("fail ")).count(),
            1,
            "only {check} fails: {stdout}"
        );
        // (A log line may come first: the rate limiter's warning about Redis.)
        assert!(
            text(&out.stderr)
                .lines()
                .any(|l| l == "error: 1 check(s) failed"),
            "{}",
            text(&out.stderr)
        );
    }
    drop(taken);
}
