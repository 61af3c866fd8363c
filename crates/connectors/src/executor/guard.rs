//! Which addresses upstream calls may reach: never a private, loopback, link-local or cloud
//! metadata address, unless the operator allows its network.
//!
//! A connector's server URL can come from an operator's document or, through server variables,
//! from a credential field; without this guard a tool call could make the gateway reach its own
//! network (a database's admin port, `169.254.169.254`'s cloud credentials). The check is made on
//! the addresses a host name actually resolves to, by the resolver the connection uses, so a name
//! that resolves to a private address (or starts to, DNS rebinding) is refused as surely as an
//! IP literal; redirects go through the same resolver.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use alloy_domain::ip_network::IpNetwork;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Networks upstream calls never reach unless allowed: "this network", RFC 1918 private
/// networks, carrier-grade NAT, loopback, link-local (with the metadata address
/// 169.254.169.254), and IPv6's unspecified, loopback, unique-local and link-local addresses.
/// IPv4-mapped IPv6 addresses count as their IPv4 address.
pub const BLOCKED_NETWORKS: [&str; 11] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// Which addresses may be called.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    blocked: Vec<IpNetwork>,
    allowed: Vec<IpNetwork>,
}

impl AddressPolicy {
    /// The blocked networks, minus addresses inside `allowed` (`ALLOY_UPSTREAM_ALLOW`).
    pub fn new(allowed: Vec<IpNetwork>) -> Self {
        let blocked = BLOCKED_NETWORKS
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect();
        AddressPolicy { blocked, allowed }
    }

    /// Whether an upstream call may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        !self.blocked.iter().any(|n| n.contains(ip)) || self.allowed.iter().any(|n| n.contains(ip))
    }

    /// The address a URL names literally, when the policy refuses it. (Names are checked when
    /// they are resolved, by [`resolver`](Self::resolver).)
    pub fn refused_literal(&self, url: &url::Url) -> Option<RefusedAddress> {
        let ip = match url.host()? {
            url::Host::Ipv4(ip) => IpAddr::V4(ip),
            url::Host::Ipv6(ip) => IpAddr::V6(ip),
            url::Host::Domain(_) => return None,
        };
        (!self.permits(ip)).then(|| RefusedAddress {
            host: ip.to_string(),
            address: ip,
        })
    }

    /// A resolver applying this policy, for other HTTP clients that call addresses named by
    /// documents or settings (OAuth token endpoints).
    pub fn resolver(self: &Arc<Self>) -> Arc<dyn Resolve> {
        Arc::new(GuardedResolver {
            policy: Arc::clone(self),
        })
    }
}

impl Default for AddressPolicy {
    fn default() -> Self {
        AddressPolicy::new(Vec::new())
    }
}

/// A host the policy refused, and the address it is or resolves to: the error a guarded
/// resolver fails with (find it in a client error's sources); the executor turns it into
/// [`Error::AddressRefused`](crate::Error::AddressRefused).
#[derive(Debug, Clone)]
pub struct RefusedAddress {
    /// The host as named.
    pub host: String,
    /// The address it is or resolves to.
    pub address: IpAddr,
}

impl RefusedAddress {
    /// The refusal among an error's sources, if it is one.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a RefusedAddress> {
        let mut source = Some(error);
        while let Some(s) = source {
            if let Some(refused) = s.downcast_ref::<RefusedAddress>() {
                return Some(refused);
            }
            source = s.source();
        }
        None
    }
}

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}, a private, loopback or link-local address; an operator can allow its \
             network with ALLOY_UPSTREAM_ALLOW",
            self.host, self.address
        )
    }
}

impl std::error::Error for RefusedAddress {}

/// Resolves names with the system resolver and keeps only the addresses the policy permits.
pub(super) struct GuardedResolver {
    pub(super) policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            match (permitted.is_empty(), found.first()) {
                (true, Some(first)) => Err(Box::new(RefusedAddress {
                    host,
                    address: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(permitted.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        let policy = AddressPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!policy.permits(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "203.0.113.9",
            "8.8.8.8",
            "172.32.0.1",
            "2001:db8::1",
            "100.128.0.1",
        ] {
            assert!(policy.permits(ip.parse().unwrap()), "{ip}");
        }
        let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(policy.permits("127.0.0.1".parse().unwrap()));
        assert!(policy.permits("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!policy.permits("10.0.0.1".parse().unwrap()));
    }
}
