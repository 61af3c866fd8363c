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
}

impl Default for AddressPolicy {
    fn default() -> Self {
        AddressPolicy::new(Vec::new())
    }
}

/// The error a refused address resolves to; the executor turns it into
/// [`Error::AddressRefused`](crate::Error::AddressRefused).
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) host: String,
    pub(super) address: IpAddr,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to {}, a private address",
            self.host, self.address
        )
    }
}

impl std::error::Error for Refused {}

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
                (true, Some(first)) => Err(Box::new(Refused {
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
