//! The MCP protocol revisions this crate speaks, and the rules that differ between them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::jsonrpc::ErrorObject;

/// One revision of the Model Context Protocol.
///
/// The three 2025 revisions are *session-based*: a client opens with `initialize` and the
/// revision is fixed for the session. 2026-07-28 is *stateless*: every request names its
/// revision in `params._meta` and there is no handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// `2025-03-26`: the first Streamable HTTP revision; the only one with JSON-RPC batches.
    V2025_03_26,
    /// `2025-06-18`: adds titles, structured tool output and the `MCP-Protocol-Version` header.
    V2025_06_18,
    /// `2025-11-25`: the last session-based revision.
    V2025_11_25,
    /// `2026-07-28`: stateless, per-request `_meta`, `server/discover`, `resultType`.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every supported revision, newest first (the order advertised to clients).
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2026_07_28,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
    ];

    /// The newest revision supported.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2026_07_28;

    /// The newest session-based revision: the answer to an `initialize` asking for a revision
    /// we cannot serve through a session.
    pub const LATEST_SESSION: ProtocolVersion = ProtocolVersion::V2025_11_25;

    /// The revision a request without an `MCP-Protocol-Version` header is assumed to use:
    /// clients of 2025-03-26 did not send the header, and the later revisions allow a server
    /// to fall back to it.
    pub const HEADERLESS_DEFAULT: ProtocolVersion = ProtocolVersion::V2025_03_26;

    /// Parses the wire form (`"2025-06-18"`); `None` for anything not supported.
    pub fn parse(s: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The wire form, e.g. `"2026-07-28"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// The wire forms of [`ProtocolVersion::ALL`], newest first; this is the `supported` list
    /// of an unsupported-version error and the `supportedVersions` of `server/discover`.
    pub fn supported() -> Vec<&'static str> {
        Self::ALL.into_iter().map(Self::as_str).collect()
    }

    /// True for the revision without sessions (2026-07-28): each request carries its own
    /// `_meta`, `initialize`/`ping`/`logging/setLevel` do not exist, `server/discover` does.
    pub const fn is_stateless(self) -> bool {
        matches!(self, ProtocolVersion::V2026_07_28)
    }

    /// True where a POST body may be a JSON-RPC batch (an array): 2025-03-26 only; 2025-06-18
    /// removed batching.
    pub const fn allows_batches(self) -> bool {
        matches!(self, ProtocolVersion::V2025_03_26)
    }

    /// The revision to answer an `initialize` that asked for `requested`: the same revision
    /// when we serve it through a session, otherwise [`ProtocolVersion::LATEST_SESSION`]
    /// (the client then decides whether it can speak that).
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        match Self::parse(requested) {
            Some(v) if !v.is_stateless() => v,
            _ => Self::LATEST_SESSION,
        }
    }

    /// The revision named by an `MCP-Protocol-Version` header value, for requests that are not
    /// `initialize`. An absent header means [`ProtocolVersion::HEADERLESS_DEFAULT`]; a value we
    /// do not support is answered with [`ErrorObject::unsupported_protocol_version`] (HTTP 400).
    pub fn from_header(value: Option<&str>) -> Result<ProtocolVersion, ErrorObject> {
        match value {
            None => Ok(Self::HEADERLESS_DEFAULT),
            Some(v) => Self::parse(v).ok_or_else(|| ErrorObject::unsupported_protocol_version(v)),
        }
    }

    /// `Implementation.title` and `Tool.title` exist from 2025-06-18 on.
    pub(crate) const fn has_titles(self) -> bool {
        !matches!(self, ProtocolVersion::V2025_03_26)
    }

    /// `Tool.outputSchema` and `CallToolResult.structuredContent` exist from 2025-06-18 on.
    pub(crate) const fn has_structured_output(self) -> bool {
        !matches!(self, ProtocolVersion::V2025_03_26)
    }

    /// Before 2026-07-28, `structuredContent` and `outputSchema` had to be JSON objects.
    pub(crate) const fn structured_output_must_be_object(self) -> bool {
        !self.is_stateless()
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProtocolVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| Error::UnsupportedProtocolVersion(s.to_owned()))
    }
}

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_revision() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(v));
            assert_eq!(v.as_str().parse::<ProtocolVersion>(), Ok(v));
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(ProtocolVersion::parse("2024-11-05"), None);
        assert_eq!(ProtocolVersion::parse(""), None);
        assert_eq!(ProtocolVersion::parse("2025-06-18 "), None);
        assert_eq!(
            "1900-01-01".parse::<ProtocolVersion>(),
            Err(Error::UnsupportedProtocolVersion("1900-01-01".into()))
        );
    }

    #[test]
    fn only_2026_is_stateless_and_only_2025_03_26_batches() {
        let stateless: Vec<_> = ProtocolVersion::ALL
            .into_iter()
            .filter(|v| v.is_stateless())
            .collect();
        assert_eq!(stateless, [ProtocolVersion::V2026_07_28]);
        let batching: Vec<_> = ProtocolVersion::ALL
            .into_iter()
            .filter(|v| v.allows_batches())
            .collect();
        assert_eq!(batching, [ProtocolVersion::V2025_03_26]);
    }

    #[test]
    fn supported_lists_newest_first() {
        assert_eq!(
            ProtocolVersion::supported(),
            ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]
        );
        assert!(ProtocolVersion::ALL.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn negotiate_keeps_session_revisions_and_falls_back_to_latest_session() {
        assert_eq!(
            ProtocolVersion::negotiate("2025-03-26"),
            ProtocolVersion::V2025_03_26
        );
        assert_eq!(
            ProtocolVersion::negotiate("2025-06-18"),
            ProtocolVersion::V2025_06_18
        );
        assert_eq!(
            ProtocolVersion::negotiate("2025-11-25"),
            ProtocolVersion::V2025_11_25
        );
        // 2026-07-28 has no initialize, so a session cannot run it.
        assert_eq!(
            ProtocolVersion::negotiate("2026-07-28"),
            ProtocolVersion::V2025_11_25
        );
        assert_eq!(
            ProtocolVersion::negotiate("2024-11-05"),
            ProtocolVersion::V2025_11_25
        );
        assert_eq!(
            ProtocolVersion::negotiate("garbage"),
            ProtocolVersion::V2025_11_25
        );
    }

    #[test]
    fn from_header_defaults_and_rejects() {
        assert_eq!(
            ProtocolVersion::from_header(None),
            Ok(ProtocolVersion::V2025_03_26)
        );
        assert_eq!(
            ProtocolVersion::from_header(Some("2026-07-28")),
            Ok(ProtocolVersion::V2026_07_28)
        );
        let err = ProtocolVersion::from_header(Some("2099-01-01")).unwrap_err();
        assert_eq!(err.code, ErrorObject::UNSUPPORTED_PROTOCOL_VERSION);
        let data = err.data.unwrap();
        assert_eq!(data["requested"], "2099-01-01");
        assert_eq!(data["supported"][0], "2026-07-28");
    }

    #[test]
    fn serializes_as_wire_string() {
        assert_eq!(
            serde_json::to_value(ProtocolVersion::V2025_06_18).unwrap(),
            serde_json::json!("2025-06-18")
        );
    }
}
