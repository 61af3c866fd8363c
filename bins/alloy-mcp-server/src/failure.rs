//! How a failed command is reported: one line naming what failed, with the value or place
//! involved and each cause once; a hint when we know what to do; and an exit code that says
//! whose move it is — 1 for a failure at run time, 2 for a usage or configuration mistake
//! (clap's own usage errors exit 2 as well). The full error chain and backtrace only with a
//! debug log level (`ALLOY_LOG=debug`).

use std::fmt;
use std::process::ExitCode;

/// A mistake in the configuration: a setting's value, a file or folder it names. Exit code 2.
#[derive(Debug)]
pub struct Misconfigured {
    message: String,
    hint: Option<String>,
}

impl Misconfigured {
    /// A configuration mistake described by `message` (which names the setting).
    pub fn new(message: impl Into<String>) -> Self {
        Misconfigured {
            message: message.into(),
            hint: None,
        }
    }

    /// What to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Misconfigured {}

/// A failure at run time that we know what to do about (exit code 1): a database that refuses
/// the connection, the role or the database name.
#[derive(Debug)]
pub struct Unavailable {
    message: String,
    hint: String,
}

impl Unavailable {
    /// `message` (naming the place) and what to do about it.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Unavailable {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Unavailable {}

/// The error chain as one line, each cause once: a cause whose text the line already holds
/// (drivers often repeat their source in their own message) is left out, and so are the
/// wrappers that add nothing ("database error: Connection Error: error returned from
/// database: …").
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let mut text = cause.to_string();
        for wrapper in [
            "database error: ",
            "Connection Error: ",
            "Execution Error: ",
            "Query Error: ",
            "error returned from database: ",
        ] {
            while let Some(rest) = text.strip_prefix(wrapper) {
                text = rest.to_owned();
            }
        }
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line
}

/// The exit code of `err`: 2 for a configuration mistake anywhere in its chain, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|c| c.is::<Misconfigured>()) {
        2
    } else {
        1
    }
}

/// The hint of `err`, if any cause carries one.
pub fn hint(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|c| {
        if let Some(m) = c.downcast_ref::<Misconfigured>() {
            m.hint.as_deref()
        } else {
            c.downcast_ref::<Unavailable>().map(|u| u.hint.as_str())
        }
    })
}

/// Prints `err` to stderr as described above and gives the exit code.
pub fn report(err: &anyhow::Error, verbose: bool) -> ExitCode {
    eprintln!("error: {}", one_line(err));
    if let Some(hint) = hint(err) {
        eprintln!("hint: {hint}");
    }
    if verbose {
        eprintln!("\n{err:?}");
    }
    ExitCode::from(exit_code(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_says_each_cause_once() {
        let err = anyhow::anyhow!("role \"nosuchuser\" does not exist")
            .context("error returned from database: role \"nosuchuser\" does not exist")
            .context("PostgreSQL at 127.0.0.1:5432/test");
        assert_eq!(
            one_line(&err),
            "PostgreSQL at 127.0.0.1:5432/test: role \"nosuchuser\" does not exist"
        );
        let err = anyhow::anyhow!(
            "database error: Connection Error: error returned from database: (code: 14) unable to open database file"
        )
        .context("opening SQLite file /x/y.db");
        assert_eq!(
            one_line(&err),
            "opening SQLite file /x/y.db: (code: 14) unable to open database file"
        );
    }

    #[test]
    fn configuration_mistakes_exit_2_with_their_hint() {
        let err = anyhow::Error::new(Misconfigured::new("ALLOY_X is bad").hint("fix ALLOY_X"))
            .context("starting");
        assert_eq!(exit_code(&err), 2);
        assert_eq!(hint(&err), Some("fix ALLOY_X"));
        assert_eq!(one_line(&err), "starting: ALLOY_X is bad");
        let err = anyhow::anyhow!("connection refused").context("PostgreSQL at h:1/db");
        assert_eq!(exit_code(&err), 1);
        assert_eq!(hint(&err), None);
    }
}
