//! The client's address: the socket peer, or `X-Forwarded-For` when the peer is a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use hyper::HeaderMap;

use alloy_domain::ip_network::IpNetwork;

/// The address a request is attributed to (rate limits of unauthenticated requests, logs).
///
/// `X-Forwarded-For` is read only when the socket peer is one of `trusted`, and then only from
/// the right: each trusted proxy appends the address it received the request from, so the
/// first entry from the right that is not a trusted proxy is the client, and everything to its
/// left was written by that client and is not believed. An entry that is not an address
/// (written by a trusted proxy, since nothing further left is looked at) leaves the peer as the
/// client. IPv4 addresses seen through a dual-stack socket (`::ffff:a.b.c.d`) count as IPv4.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNetwork]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Several header lines form one list, in order. The bytes are split before they are
    // decoded, so that a client's undecodable entry cannot hide the ones proxies appended.
    let values: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let hops = values
        .iter()
        .flat_map(|value| value.split(|b| *b == b','))
        .rev();
    for hop in hops {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

/// One `X-Forwarded-For` entry: an address, also in the `1.2.3.4:port` and `[v6]:port` forms
/// some proxies write.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(hop).ok()?.trim();
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                hyper::header::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusts_only_configured_proxies() {
        let proxy = ip("10.0.0.1");
        let client = ip("203.0.113.9");
        let h = headers(&[b"198.51.100.7, 203.0.113.9"]);
        assert_eq!(
            client_ip(client, &h, &[proxy.into()]),
            client,
            "untrusted peer: XFF ignored"
        );
        assert_eq!(
            client_ip(proxy, &h, &[proxy.into()]),
            client,
            "rightmost untrusted hop"
        );
        assert_eq!(
            client_ip(proxy, &headers(&[b"garbage"]), &[proxy.into()]),
            proxy
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy.into()]), proxy);
    }

    #[test]
    fn a_client_cannot_escape_its_address_with_a_bad_entry() {
        let proxy = ip("10.0.0.1");
        // The client wrote the left entries; the proxy appended 203.0.113.9.
        for spoof in [
            &b"garbage, 203.0.113.9"[..],
            b"unknown,203.0.113.9",
            b"\xff\xfe, 203.0.113.9",
            b", 203.0.113.9",
        ] {
            assert_eq!(
                client_ip(proxy, &headers(&[spoof]), &[proxy.into()]),
                ip("203.0.113.9"),
                "{spoof:?}"
            );
        }
        // The same with the client's header on its own line.
        assert_eq!(
            client_ip(proxy, &headers(&[b"\xff", b"203.0.113.9"]), &[proxy.into()]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked_from_the_right() {
        let (edge, inner) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let h = headers(&[b"198.51.100.7, 203.0.113.9", b"10.0.0.1"]);
        assert_eq!(
            client_ip(inner, &h, &[edge.into(), inner.into()]),
            ip("203.0.113.9")
        );
        // Only trusted entries: the leftmost proxy's peer is unknown, keep the socket peer.
        let h = headers(&[b"10.0.0.1"]);
        assert_eq!(client_ip(inner, &h, &[edge.into(), inner.into()]), inner);
    }

    #[test]
    fn ports_and_mapped_addresses() {
        let proxy = ip("10.0.0.1");
        let h = headers(&[b"203.0.113.9:51234"]);
        assert_eq!(client_ip(proxy, &h, &[proxy.into()]), ip("203.0.113.9"));
        let h = headers(&[b"[2001:db8::1]:443"]);
        assert_eq!(client_ip(proxy, &h, &[proxy.into()]), ip("2001:db8::1"));
        // A trusted IPv4 proxy reaching a dual-stack socket.
        let mapped = ip("::ffff:10.0.0.1");
        let h = headers(&[b"203.0.113.9"]);
        assert_eq!(client_ip(mapped, &h, &[proxy.into()]), ip("203.0.113.9"));
        // An untrusted mapped peer is reported as IPv4.
        assert_eq!(
            client_ip(ip("::ffff:198.51.100.7"), &h, &[proxy.into()]),
            ip("198.51.100.7")
        );
    }
}
