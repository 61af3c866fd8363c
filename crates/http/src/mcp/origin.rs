//! DNS-rebinding protection: `Origin` against an allow list, and `Host` when bound to loopback.

use hyper::HeaderMap;
use url::Url;

use crate::config::HttpConfig;

/// `scheme://host[:port]` of a URL, lower-case, default ports left out.
fn origin_of(url: &str) -> Option<String> {
    let u = Url::parse(url.trim()).ok()?;
    match u.origin() {
        url::Origin::Tuple(..) => Some(u.origin().ascii_serialization().to_ascii_lowercase()),
        url::Origin::Opaque(_) => None,
    }
}

fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8080
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    })
}

fn is_loopback_host(host: &str) -> bool {
    let h = host_without_port(host).to_ascii_lowercase();
    h == "localhost"
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `Origin` is present and not accepted.
    Origin,
    /// `Host` names a host this loopback-bound server does not answer for.
    Host,
}

/// The origin and host rules of a configuration, parsed once (not on every MCP request).
#[derive(Debug, Clone)]
pub struct OriginRules {
    bound_to_loopback: bool,
    /// The public URL's origin.
    public_origin: Option<String>,
    /// The public URL's host, lower-case, without brackets.
    public_host: Option<String>,
    /// `ALLOY_ALLOWED_ORIGINS`, as origins.
    allowed: Vec<String>,
}

impl OriginRules {
    /// The rules `config` sets.
    pub fn new(config: &HttpConfig) -> Self {
        let public_host = config
            .public_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned());
        OriginRules {
            bound_to_loopback: config.bound_to_loopback,
            public_origin: config.public_url.as_deref().and_then(origin_of),
            public_host,
            allowed: config
                .allowed_origins
                .iter()
                .filter_map(|o| origin_of(o))
                .collect(),
        }
    }

    /// Checks `Origin` and, when bound to loopback, `Host`.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if self.bound_to_loopback {
            let host = headers
                .get(hyper::header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let ok = is_loopback_host(host)
                || self
                    .public_host
                    .as_deref()
                    .is_some_and(|p| host_without_port(host).eq_ignore_ascii_case(p));
            if !ok {
                return Err(Refusal::Host);
            }
        }
        let Some(origin) = headers.get(hyper::header::ORIGIN) else {
            return Ok(());
        };
        let Some(origin) = origin.to_str().ok().and_then(origin_of) else {
            return Err(Refusal::Origin);
        };
        let allowed = self.public_origin.as_deref() == Some(origin.as_str())
            || self.allowed.contains(&origin);
        if allowed {
            Ok(())
        } else {
            Err(Refusal::Origin)
        }
    }
}

#[cfg(test)]
mod tests {
    fn check(headers: &HeaderMap, config: &HttpConfig) -> Result<(), Refusal> {
        OriginRules::new(config).check(headers)
    }

    use super::*;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(hyper::header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(hyper::header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    fn config(public: &str, allowed: &[&str], loopback: bool) -> HttpConfig {
        HttpConfig {
            public_url: Some(public.to_owned()),
            allowed_origins: allowed.iter().map(|s| (*s).to_owned()).collect(),
            bound_to_loopback: loopback,
            ..HttpConfig::default()
        }
    }

    #[test]
    fn rebinding_is_refused() {
        let c = config("http://127.0.0.1:8080", &[], true);
        assert_eq!(check(&headers("127.0.0.1:8080", None), &c), Ok(()));
        assert_eq!(check(&headers("localhost:8080", None), &c), Ok(()));
        assert_eq!(check(&headers("[::1]:8080", None), &c), Ok(()));
        assert_eq!(
            check(
                &headers("127.0.0.1:8080", Some("http://127.0.0.1:8080")),
                &c
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &headers("evil.example.com", Some("http://evil.example.com")),
                &c
            ),
            Err(Refusal::Host)
        );
        assert_eq!(
            check(
                &headers("127.0.0.1:8080", Some("http://evil.example.com")),
                &c
            ),
            Err(Refusal::Origin)
        );
        assert_eq!(
            check(&headers("127.0.0.1:8080", Some("null")), &c),
            Err(Refusal::Origin)
        );
    }

    #[test]
    fn allow_list_and_public_hosts() {
        let c = config(
            "https://mcp.example.com",
            &["https://app.example.com"],
            false,
        );
        assert_eq!(
            check(
                &headers("mcp.example.com", Some("https://app.example.com")),
                &c
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &headers("mcp.example.com", Some("https://mcp.example.com")),
                &c
            ),
            Ok(())
        );
        assert_eq!(
            check(&headers("anything", None), &c),
            Ok(()),
            "no Host check off loopback"
        );
        assert_eq!(
            check(
                &headers("mcp.example.com", Some("https://other.example.com")),
                &c
            ),
            Err(Refusal::Origin)
        );
        let c = config("http://mcp.internal:8080", &[], true);
        assert_eq!(check(&headers("mcp.internal:8080", None), &c), Ok(()));
    }
}
