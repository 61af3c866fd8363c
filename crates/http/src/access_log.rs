//! Request logs: method, path with secrets masked, status, latency.

/// The path as it may be logged: the access token of a token URL is masked and the query
/// string (which may carry OAuth codes) is dropped.
pub fn loggable_path(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').collect();
    // ["", "mcp", serverId, token, ...]
    if segments.get(1) == Some(&"mcp") && segments.len() > 3 && !segments[3].is_empty() {
        segments[3] = "[token]";
    }
    segments.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_tokens() {
        assert_eq!(
            loggable_path("/mcp/srv-1/mcp_token_abc"),
            "/mcp/srv-1/[token]"
        );
        assert_eq!(loggable_path("/mcp/srv-1"), "/mcp/srv-1");
        assert_eq!(loggable_path("/api/servers/x"), "/api/servers/x");
    }
}
