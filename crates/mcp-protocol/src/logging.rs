//! MCP logging levels (the RFC 5424 severities), as `logging/setLevel` and the 2026-07-28
//! `io.modelcontextprotocol/logLevel` request field name them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::Error;

/// The severity of a log message, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoggingLevel {
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `notice`
    Notice,
    /// `warning`
    Warning,
    /// `error`
    Error,
    /// `critical`
    Critical,
    /// `alert`
    Alert,
    /// `emergency`
    Emergency,
}

impl LoggingLevel {
    /// All levels, least severe first.
    pub const ALL: [LoggingLevel; 8] = [
        LoggingLevel::Debug,
        LoggingLevel::Info,
        LoggingLevel::Notice,
        LoggingLevel::Warning,
        LoggingLevel::Error,
        LoggingLevel::Critical,
        LoggingLevel::Alert,
        LoggingLevel::Emergency,
    ];

    /// Parses the wire name; names are case-sensitive, as the schema's enum is.
    pub fn parse(s: &str) -> Option<LoggingLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The wire name, e.g. `"warning"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoggingLevel::Debug => "debug",
            LoggingLevel::Info => "info",
            LoggingLevel::Notice => "notice",
            LoggingLevel::Warning => "warning",
            LoggingLevel::Error => "error",
            LoggingLevel::Critical => "critical",
            LoggingLevel::Alert => "alert",
            LoggingLevel::Emergency => "emergency",
        }
    }
}

impl fmt::Display for LoggingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LoggingLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| Error::UnknownLoggingLevel(s.to_owned()))
    }
}

impl Serialize for LoggingLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_round_trips_and_is_ordered_by_severity() {
        for l in LoggingLevel::ALL {
            assert_eq!(LoggingLevel::parse(l.as_str()), Some(l));
            assert_eq!(l.as_str().parse::<LoggingLevel>(), Ok(l));
        }
        assert!(LoggingLevel::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn rejects_unknown_and_wrong_case() {
        assert_eq!(LoggingLevel::parse("WARNING"), None);
        assert_eq!(LoggingLevel::parse("warn"), None);
        assert_eq!(LoggingLevel::parse(""), None);
        assert!("trace".parse::<LoggingLevel>().is_err());
    }
}
