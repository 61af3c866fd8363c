//! Settings of the audit trail.

use std::collections::HashSet;
use std::time::Duration;

/// Whose tool-call arguments are recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ArgumentsPolicy {
    /// None (the default: arguments may hold personal data).
    #[default]
    Off,
    /// Every server's.
    All,
    /// Only these servers'.
    Servers(HashSet<String>),
}

impl ArgumentsPolicy {
    /// Parses `off`, `all`, or a comma-separated list of server IDs.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "" | "off" | "none" => ArgumentsPolicy::Off,
            "all" => ArgumentsPolicy::All,
            list => ArgumentsPolicy::Servers(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// Whether calls through `server_id` record their arguments.
    pub fn covers(&self, server_id: &str) -> bool {
        match self {
            ArgumentsPolicy::Off => false,
            ArgumentsPolicy::All => true,
            ArgumentsPolicy::Servers(ids) => ids.contains(server_id),
        }
    }
}

/// Settings of the audit trail.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Whether events are recorded at all.
    pub enabled: bool,
    /// Events waiting to be written at most; beyond that new events are dropped and counted,
    /// so that a slow or absent database never holds up a request or grows memory.
    pub buffer: usize,
    /// Whose tool-call arguments are recorded (redacted).
    pub arguments: ArgumentsPolicy,
    /// How long events are kept.
    pub retention: Duration,
    /// How often old events are swept.
    pub sweep_interval: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            enabled: true,
            buffer: 10_000,
            arguments: ArgumentsPolicy::Off,
            retention: Duration::from_secs(90 * 86_400),
            sweep_interval: Duration::from_secs(3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        assert_eq!(ArgumentsPolicy::parse("off"), ArgumentsPolicy::Off);
        assert_eq!(ArgumentsPolicy::parse(""), ArgumentsPolicy::Off);
        assert!(ArgumentsPolicy::parse("all").covers("x"));
        let some = ArgumentsPolicy::parse("a-1, b-2,");
        assert!(some.covers("a-1") && some.covers("b-2") && !some.covers("c"));
        assert!(!ArgumentsPolicy::Off.covers("a-1"));
    }
}
