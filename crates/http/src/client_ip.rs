//! The client's address: the socket peer, or `X-Forwarded-For` when the peer is a trusted proxy.

use std::net::IpAddr;

use hyper::HeaderMap;

/// The address a request is attributed to (rate limits of unauthenticated requests, logs).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    // Walk the chain from the nearest hop back; the first address that is not one of our
    // proxies is the client. Anything a client wrote further left is not believed.
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(s) = value.to_str() else { return peer };
        for part in s.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                Err(_) => return peer,
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn trusts_only_configured_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers("198.51.100.7, 203.0.113.9");
        assert_eq!(
            client_ip(client, &h, &[proxy]),
            client,
            "untrusted peer: XFF ignored"
        );
        assert_eq!(
            client_ip(proxy, &h, &[proxy]),
            client,
            "rightmost untrusted hop"
        );
        assert_eq!(client_ip(proxy, &headers("garbage"), &[proxy]), proxy);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
