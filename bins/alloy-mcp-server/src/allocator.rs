//! The allocator's settings for a long-running server, which mimalloc reads only from the
//! environment when the process starts: the binary re-executes itself once with them.
//!
//! mimalloc keeps the pages a program frees for a second and returns them to the system only when
//! a later allocation or a thread's exit gets round to it, which an idle server may not do for a
//! long time: the 7 MiB of an argon2 hash, the buffers of parsing the catalog at start, stayed
//! resident (about 6 MiB of a 35 MiB idle server, measured in docs/performance.md#memory). With
//! `MIMALLOC_PURGE_DELAY=0` freed pages go back at once, and with
//! `MIMALLOC_ARENA_EAGER_COMMIT=0` its arenas are committed as they are used; throughput under
//! load changed by less than the noise of the measurement with the audit trail off, and by about
//! a point with it on (its writer frees and allocates per batch; it reuses what it can). Setting
//! them from inside the process would need an `unsafe` call into mimalloc (`mi_option_set`),
//! which this code base forbids; an `exec` of the same binary with the variables added costs
//! about 2 ms at start.
//!
//! A variable the operator set is left as it is, and when every one of them is already set
//! (by the operator, or by the first execution) nothing is re-executed. When the binary cannot
//! be executed again (it was replaced or deleted since it started), the process goes on with
//! mimalloc's own defaults.

#[cfg(unix)]
use std::ffi::OsString;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
#[cfg(unix)]
use std::process::Command;

/// The settings, each applied unless the environment already names it.
pub const SETTINGS: [(&str, &str); 2] = [
    ("MIMALLOC_PURGE_DELAY", "0"),
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
];

/// The settings missing from an environment in which `is_set` tells which variables are present.
pub fn missing(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    SETTINGS
        .into_iter()
        .filter(|(name, _)| !is_set(name))
        .collect()
}

/// Re-executes the running binary with the missing settings in its environment; returns (and
/// the process carries on as it is) when none is missing or the binary cannot be executed.
/// Call it first in `main`, before any thread is started. (Unix only: elsewhere the process
/// carries on with mimalloc's defaults.)
#[cfg(unix)]
pub fn apply() {
    let missing = missing(|name| std::env::var_os(name).is_some());
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args
        .next()
        .unwrap_or_else(|| OsString::from("alloy-mcp-server"));
    // Only returns when the exec failed.
    let _ = Command::new(exe).arg0(arg0).args(args).envs(missing).exec();
}

/// Without `exec`, nothing to do.
#[cfg(not(unix))]
pub fn apply() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operators_setting_is_kept_and_a_complete_environment_needs_nothing() {
        assert_eq!(missing(|_| false), SETTINGS.to_vec());
        assert_eq!(
            missing(|name| name == "MIMALLOC_PURGE_DELAY"),
            vec![("MIMALLOC_ARENA_EAGER_COMMIT", "0")]
        );
        assert!(missing(|_| true).is_empty());
    }
}
