//! Who is on the other end: the connection's peer (put in each request's extensions by
//! `serve`) and the client's address behind the proxies in front (`TRUSTED_PROXIES`), for the
//! limits on visitors without an account.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppError;

/// The address of the client that sent the request: the peer's, or, when the peer is one of
/// `TRUSTED_PROXIES` (nginx), the last address in `X-Forwarded-For` that is not a trusted
/// proxy (each proxy appends the address it was reached from, so what a client wrote there
/// itself is further left and never believed). For limits per visitor without an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The peer of a request's connection, put in its extensions by `serve`.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// `TRUSTED_PROXIES`, as a state gives them to [`ClientAddress`].
pub struct TrustedProxies(pub Vec<IpNet>);

impl<S> FromRequestParts<S> for ClientAddress
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<Peer>().map(|p| p.0.ip());
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let peer = peer.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ip| ip.to_canonical());
        Ok(Self(client_address(peer, forwarded, &TrustedProxies::from_ref(state).0)))
    }
}

/// See [`ClientAddress`]: `forwarded` are the `X-Forwarded-For` header's values, in order.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    let hops = forwarded.rev().flat_map(|value| value.rsplit(',').map(str::trim).collect::<Vec<_>>());
    for hop in hops {
        if !is_trusted(&client) {
            break;
        }
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip.to_canonical(),
            Err(_) => break, // garbage (or a port): the last trusted hop is what we know
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::client_address;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().expect("net"), "10.0.0.0/8".parse().expect("net")];
        // Straight from a client: the header is whatever it wrote.
        assert_eq!(client_address(ip("203.0.113.7"), ["1.2.3.4"].into_iter(), &trusted), ip("203.0.113.7"));
        // Through nginx: the address nginx appended.
        assert_eq!(client_address(ip("127.0.0.1"), ["203.0.113.7"].into_iter(), &trusted), ip("203.0.113.7"));
        // A client's own entry is further left, behind the one nginx appended.
        let spoofed = ["1.2.3.4, 203.0.113.7"];
        assert_eq!(client_address(ip("127.0.0.1"), spoofed.into_iter(), &trusted), ip("203.0.113.7"));
        // Two trusted proxies in a row, and several header lines.
        let chain = ["1.2.3.4", "203.0.113.9, 10.1.2.3"];
        assert_eq!(client_address(ip("127.0.0.1"), chain.into_iter(), &trusted), ip("203.0.113.9"));
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(client_address(ip("127.0.0.1"), ["nonsense"].into_iter(), &trusted), ip("127.0.0.1"));
        // Nothing trusted: the peer.
        assert_eq!(client_address(ip("127.0.0.1"), ["203.0.113.7"].into_iter(), &[]), ip("127.0.0.1"));
    }
}
