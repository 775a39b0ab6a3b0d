//! Where a push may go. An endpoint is a URL a client chose and the server will POST to: only
//! `https`, and only to public addresses, checked when it is subscribed and again on every
//! send after DNS resolution (the sender connects to the address checked here, so a name
//! that resolves elsewhere the second time cannot swap it). `STUDYHUB_PUSH_ALLOW_INSECURE`
//! (tests) lifts both rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The longest a push endpoint's name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an endpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotAUrl,
    NotHttps,
    /// The host is, or resolves only to, an address inside a network (loopback, private, …).
    Internal,
    /// The name does not resolve.
    Unresolved,
}

impl Refused {
    pub fn reason(&self) -> &'static str {
        match self {
            Refused::NotAUrl => "an absolute https URL",
            Refused::NotHttps => "an https URL",
            Refused::Internal => "a public address (not loopback, private or link-local)",
            Refused::Unresolved => "a host name that resolves",
        }
    }
}

/// An endpoint's parts the sender needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub uri: http::Uri,
    /// `scheme://host[:port]`: the VAPID token's audience.
    pub origin: String,
    /// The host as a name or an address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

/// Parses an endpoint and checks what can be checked without DNS (the scheme, a literal
/// address). Length and characters are the caller's to limit first.
pub fn parse(endpoint: &str, allow_insecure: bool) -> Result<Endpoint, Refused> {
    let uri: http::Uri = endpoint.parse().map_err(|_| Refused::NotAUrl)?;
    let scheme = uri
        .scheme_str()
        .ok_or(Refused::NotAUrl)?
        .to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" if allow_insecure => 80,
        "http" => return Err(Refused::NotHttps),
        _ => return Err(Refused::NotHttps),
    };
    let authority = uri.authority().ok_or(Refused::NotAUrl)?;
    // No user information: `https://inside@outside/` reads one way to people and another to
    // some parsers.
    if authority.as_str().contains('@') {
        return Err(Refused::NotAUrl);
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err(Refused::NotAUrl);
    }
    let port = authority.port_u16().unwrap_or(default_port);
    if !allow_insecure
        && let Ok(ip) = host.parse::<IpAddr>()
        && is_internal(ip)
    {
        return Err(Refused::Internal);
    }
    // As browsers serialize an origin: lower case, no default port.
    let shown_host = authority.host().to_ascii_lowercase();
    let origin = match authority.port_u16() {
        Some(p) if p != default_port => format!("{scheme}://{shown_host}:{p}"),
        _ => format!("{scheme}://{shown_host}"),
    };
    Ok(Endpoint {
        uri,
        origin,
        host,
        port,
    })
}

/// Resolves `host` and keeps only the addresses a push may go to (all of them when insecure
/// endpoints are allowed); refused when none is left.
pub async fn resolve(host: &str, allow_insecure: bool) -> Result<Vec<IpAddr>, Refused> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if allow_insecure || !is_internal(ip) {
            Ok(vec![ip])
        } else {
            Err(Refused::Internal)
        };
    }
    let lookup = tokio::net::lookup_host((host, 0));
    let found: Vec<SocketAddr> = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
        .await
        .map_err(|_| Refused::Unresolved)?
        .map_err(|_| Refused::Unresolved)?
        .collect();
    if found.is_empty() {
        return Err(Refused::Unresolved);
    }
    let allowed: Vec<IpAddr> = found
        .iter()
        .map(SocketAddr::ip)
        .filter(|ip| allow_insecure || !is_internal(*ip))
        .collect();
    if allowed.is_empty() {
        return Err(Refused::Internal);
    }
    Ok(allowed)
}

/// Parses and resolves: what a subscription is checked with.
pub async fn check(endpoint: &str, allow_insecure: bool) -> Result<Endpoint, Refused> {
    let parsed = parse(endpoint, allow_insecure)?;
    resolve(&parsed.host, allow_insecure).await?;
    Ok(parsed)
}

/// Whether `ip` is inside some network rather than on the public internet: loopback,
/// private, link-local, unspecified, multicast, broadcast, shared (CGNAT), reserved,
/// documentation and benchmarking ranges, IPv6 unique-local and site-local, and IPv6 forms
/// that carry an IPv4 address (mapped, compatible, NAT64, 6to4) judged by that address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_internal(v4),
        IpAddr::V6(v6) => v6_internal(v6),
    }
}

fn v4_internal(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", 0.0.0.0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224 // multicast, reserved, broadcast
}

fn v6_internal(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return v4_internal(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard 100::/64
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: an IPv4 address we cannot judge
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48
        || s[0..6] == [0, 0, 0, 0, 0, 0] // the rest of ::/96 (IPv4-compatible, deprecated)
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), well-known NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[0..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

#[cfg(test)]
mod tests;
