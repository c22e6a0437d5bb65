//! Who the client is: the TCP peer, or, when the peer is a trusted reverse proxy, the
//! right-most address in the proxy's forwarded header that is not itself a trusted proxy
//! (every hop appends, so everything left of the first untrusted hop may be forged).

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;

/// The header trusted proxies name the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"`.
    Forwarded,
}

/// How to find the client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddressing {
    /// Reverse proxies whose forwarded header is believed.
    pub proxies: Vec<ipnet::IpNet>,
    /// The header they set.
    pub header: ProxyHeader,
}

impl Default for ClientAddressing {
    fn default() -> Self {
        ClientAddressing { proxies: Vec::new(), header: ProxyHeader::XForwardedFor }
    }
}

impl ClientAddressing {
    fn trusted(&self, address: IpAddr) -> bool {
        self.proxies.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the peer's unless the peer is a trusted proxy, then the
    /// right-most untrusted hop of the forwarded header (the left-most hop when every hop
    /// is trusted; the peer when the header is missing or unreadable).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops = self.hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(address) = hop else {
                // An unreadable hop (`unknown`, an obfuscated name): the client is behind it
                // and unknown; the last hop we can name stands for it.
                return Some(client);
            };
            client = canonical(*address);
            if !self.trusted(client) {
                return Some(client);
            }
        }
        Some(client)
    }

    /// The forwarded hops, left to right, in the order the headers came; `None` for a hop
    /// that names no IP address.
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        match self.header {
            ProxyHeader::XForwardedFor => headers
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|hop| parse_node(hop.trim()))
                .collect(),
            ProxyHeader::Forwarded => headers
                .get_all("forwarded")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
                })
                .collect(),
        }
    }
}

/// An address as a forwarded header writes it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`
/// or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    let inner = text.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok()
}

/// IPv4 addresses mapped into IPv6 (`::ffff:192.0.2.1`) as the IPv4 address they are.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The key an address is counted under: an IPv4 address itself, an IPv6 address by its
/// /64 (one subscriber line usually gets a whole /64, so counting single IPv6 addresses
/// would let one client pick a fresh address per request).
pub fn limit_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn addressing(proxies: &[&str], header: ProxyHeader) -> ClientAddressing {
        ClientAddressing { proxies: proxies.iter().map(|p| p.parse().unwrap()).collect(), header }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let a = addressing(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(a.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_right_most_untrusted_hop() {
        let a = addressing(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7"), ("x-forwarded-for", "10.1.1.1")]);
        assert_eq!(a.client(ip("10.0.0.2"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn the_forwarded_header_is_read_with_ports_and_brackets() {
        let a = addressing(&["10.0.0.2/32"], ProxyHeader::Forwarded);
        let h = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(a.client(ip("10.0.0.2"), &h), ip("2001:db8::1"));
        let h = headers(&[("forwarded", "proto=https;for=192.0.2.60:80")]);
        assert_eq!(a.client(ip("10.0.0.2"), &h), ip("192.0.2.60"));
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        let a = addressing(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        assert_eq!(a.client(ip("10.0.0.2"), &HeaderMap::new()), ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_addresses_are_counted_per_64() {
        assert_eq!(limit_key("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_eq!(limit_key("192.0.2.1".parse().unwrap()), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
