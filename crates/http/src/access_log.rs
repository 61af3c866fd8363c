//! Request logs: method, path with secrets masked, status, latency.

use alloy_domain::ids::{ACCESS_TOKEN_PREFIX, API_KEY_PREFIX, looks_like_jwt};

/// What a masked segment is logged as.
const MASK: &str = "[token]";

/// The path as it may be logged, at every level: the query string (which may carry OAuth
/// codes) is dropped, and a segment is masked when it may be a secret — anything after the
/// server ID of an MCP path (`/mcp/<id>/<token>`, in any case, behind any prefix, after empty
/// segments), anything shaped like an access token, an API key or a JWT, and any long
/// mixed-case run of letters and digits (an operator's key of another shape). Clients put
/// tokens in the wrong place; the log must not keep them.
pub fn loggable_path(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').collect();
    let mut after_server_id = false;
    let mut mcp_at = None;
    for (i, segment) in segments.iter_mut().enumerate() {
        if mcp_at.is_some_and(|at| i >= at + 2) && !segment.is_empty() {
            after_server_id = true;
        }
        if segment.eq_ignore_ascii_case("mcp") && mcp_at.is_none() {
            mcp_at = Some(i);
        }
        if after_server_id || may_be_secret(segment) {
            *segment = MASK;
        }
    }
    segments.join("/")
}

/// Whether a path segment, as sent or percent-decoded, may be a token or key.
fn may_be_secret(segment: &str) -> bool {
    shaped_like_secret(segment)
        || crate::request::decode_segment(segment).is_some_and(|d| shaped_like_secret(&d))
}

fn shaped_like_secret(segment: &str) -> bool {
    if segment.len() < 16 {
        return false;
    }
    let lower = segment.to_ascii_lowercase();
    if lower.contains(ACCESS_TOKEN_PREFIX)
        || lower.starts_with(API_KEY_PREFIX)
        || lower.starts_with(alloy_gateway::authorization::LINK_PREFIX)
        || looks_like_jwt(segment)
    {
        return true;
    }
    // Random base62 of some length: upper and lower case and digits together. Our own IDs
    // (server slugs, hex credential IDs, UUIDs) are lower-case and are kept.
    let bytes = segment.as_bytes();
    segment.len() >= 24
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.iter().any(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "mcp_token_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd";
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlX2J5dGVz";

    #[test]
    fn masks_sign_in_links() {
        assert_eq!(
            loggable_path("/oauth/sign-in/asl_abcdefghijklmnopqrstuvwxyz0123456789-_abc"),
            "/oauth/sign-in/[token]"
        );
    }

    #[test]
    fn masks_tokens_in_token_urls() {
        assert_eq!(
            loggable_path("/mcp/srv-1/mcp_token_abc"),
            "/mcp/srv-1/[token]"
        );
        assert_eq!(loggable_path("/mcp/srv-1"), "/mcp/srv-1");
        assert_eq!(loggable_path("/mcp/srv-1/"), "/mcp/srv-1/");
        assert_eq!(loggable_path("/api/servers/x"), "/api/servers/x");
    }

    #[test]
    fn masks_tokens_wherever_a_client_puts_them() {
        for (path, logged) in [
            (format!("/MCP/srv-1/{TOKEN}"), "/MCP/srv-1/[token]"),
            (format!("/mcp/srv-1//{TOKEN}"), "/mcp/srv-1//[token]"),
            (
                format!("/prefix/mcp/srv-1/{TOKEN}"),
                "/prefix/mcp/srv-1/[token]",
            ),
            (
                format!("/mcp/srv-1/x/{TOKEN}"),
                "/mcp/srv-1/[token]/[token]",
            ),
            (format!("/api/servers/{TOKEN}"), "/api/servers/[token]"),
            (format!("/nope/{TOKEN}/more"), "/nope/[token]/more"),
            (format!("/api/user/{JWT}"), "/api/user/[token]"),
            (
                format!("/api/user/{}", JWT.replace('.', "%2E")),
                "/api/user/[token]",
            ),
            (
                "/api/servers/alloy_test_bootstrap_key_0123456789".to_owned(),
                "/api/servers/[token]",
            ),
            (
                "/nope/Zq81mXr0PaK2vL9sWd4tYb7nEc3".to_owned(),
                "/nope/[token]",
            ),
        ] {
            assert_eq!(loggable_path(&path), logged, "{path}");
        }
    }

    #[test]
    fn keeps_our_own_ids() {
        for path in [
            "/api/servers/weekly-report-bot-0a1b2c3d",
            "/api/credentials/0123456789abcdef01234567",
            "/api/audit",
            "/api/user/user-42@example.com/data",
            "/api/credentials/0123456789abcdef01234567/metadata",
        ] {
            assert_eq!(loggable_path(path), path);
        }
    }
}
