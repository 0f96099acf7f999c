//! Who the client is: the socket's peer, unless that peer is one of `trusted_proxies`; then
//! the address it vouches for, in `X-Forwarded-For` (the rightmost hop that is not itself a
//! trusted proxy) or in a PROXY protocol header (v1 text or v2 binary) it sent first on the
//! connection. Nothing an untrusted peer says about addresses is believed.
//!
//! The PROXY parser is pure and bounded: it asks for exactly the bytes it still needs, so
//! the reader never takes a byte of the HTTP request that follows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::header::HeaderName;
use http::HeaderMap;

use crate::allowlist::IpSet;

pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client behind a trusted proxy, from `X-Forwarded-For`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromHeader {
    pub client: IpAddr,
    /// The hops left of the client's (what the client itself claimed), for the app's copy of
    /// the header: hookgate appends the client, so the app's rightmost hop is the one checked.
    pub before: String,
}

/// When `peer` is a trusted proxy: walks `X-Forwarded-For` (every copy, in order) from the
/// right, past the hops that are trusted proxies themselves; the first that is not is the
/// client. A hop that is not an address ends the walk: the client is then the last address
/// read (which a trusted proxy vouched for). `None`: the peer is the client (untrusted, no
/// header, or no readable hop).
pub fn from_forwarded_for(
    trusted: &IpSet,
    peer: IpAddr,
    headers: &HeaderMap,
) -> Option<FromHeader> {
    if trusted.is_empty() || !trusted.contains(peer) {
        return None;
    }
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut found = None;
    for (i, hop) in hops.iter().enumerate().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        found = Some((i, ip));
        if !trusted.contains(ip) {
            break;
        }
    }
    let (i, client) = found?;
    Some(FromHeader {
        client,
        before: hops[..i].join(", "),
    })
}

/// An address as proxies write it in `X-Forwarded-For`: `1.2.3.4`, `1.2.3.4:5678`, `::1`,
/// `[::1]`, `[::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

/// The v2 header's first 12 bytes.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// A v1 line is at most 107 bytes, CRLF included (the spec's bound).
const V1_MAX: usize = 107;
/// The v2 header's address block and TLVs at most: a proxy's TLVs (AWS's endpoint id,
/// TLS details) fit well within it.
const V2_MAX_BODY: usize = 4096;

/// Where parsing a PROXY header stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proxy {
    /// At least this many more bytes are needed (never more than the header still holds).
    Need(usize),
    /// The header is `len` bytes; `source` is the client (`None`: a health check's LOCAL, or
    /// an UNKNOWN or non-IP family: the connection's own peer stands).
    Done {
        len: usize,
        source: Option<SocketAddr>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("the connection did not start with a PROXY protocol header")]
    Missing,
    #[error("malformed PROXY protocol header: {0}")]
    Malformed(&'static str),
}

/// Parses the start of a connection: a v1 or v2 PROXY header.
pub fn parse_proxy(buf: &[u8]) -> Result<Proxy, ProxyError> {
    const V1: &[u8] = b"PROXY ";
    if buf.len() < 8 {
        let n = buf.len();
        if !V2_SIGNATURE.starts_with(buf) && !V1.starts_with(&buf[..n.min(V1.len())]) {
            return Err(ProxyError::Missing);
        }
        return Ok(Proxy::Need(8 - n));
    }
    if buf.starts_with(&V2_SIGNATURE[..8]) {
        return parse_v2(buf);
    }
    if buf.starts_with(V1) {
        return parse_v1(buf);
    }
    Err(ProxyError::Missing)
}

fn parse_v1(buf: &[u8]) -> Result<Proxy, ProxyError> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() >= V1_MAX {
            return Err(ProxyError::Malformed("v1 line longer than 107 bytes"));
        }
        // One at a time: the line's length is unknown until its CRLF.
        return Ok(Proxy::Need(1));
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| ProxyError::Malformed("not ASCII"))?;
    let mut f = line.split(' ');
    let _proxy = f.next();
    let family = f.next().ok_or(ProxyError::Malformed("no protocol"))?;
    let len = end + 2;
    if family == "UNKNOWN" {
        return Ok(Proxy::Done { len, source: None });
    }
    let fields: Vec<&str> = f.collect();
    let [src, dst, sport, dport] = fields[..] else {
        return Err(ProxyError::Malformed("v1 needs four address fields"));
    };
    let (src, dst): (IpAddr, IpAddr) = match family {
        "TCP4" => (
            src.parse::<Ipv4Addr>()
                .map_err(|_| ProxyError::Malformed("bad TCP4 source"))?
                .into(),
            dst.parse::<Ipv4Addr>()
                .map_err(|_| ProxyError::Malformed("bad TCP4 destination"))?
                .into(),
        ),
        "TCP6" => (
            src.parse::<Ipv6Addr>()
                .map_err(|_| ProxyError::Malformed("bad TCP6 source"))?
                .into(),
            dst.parse::<Ipv6Addr>()
                .map_err(|_| ProxyError::Malformed("bad TCP6 destination"))?
                .into(),
        ),
        _ => {
            return Err(ProxyError::Malformed(
                "v1 protocol is not TCP4, TCP6 or UNKNOWN",
            ))
        }
    };
    let _ = dst;
    let port = |p: &str| {
        (!(p.starts_with('+') || p.len() > 1 && p.starts_with('0')))
            .then(|| p.parse::<u16>().ok())
            .flatten()
            .ok_or(ProxyError::Malformed("bad v1 port"))
    };
    let sport = port(sport)?;
    port(dport)?;
    Ok(Proxy::Done {
        len,
        source: Some(SocketAddr::new(src, sport)),
    })
}

fn parse_v2(buf: &[u8]) -> Result<Proxy, ProxyError> {
    if buf.len() < 16 {
        if !buf.starts_with(&V2_SIGNATURE[..buf.len().min(12)]) {
            return Err(ProxyError::Missing);
        }
        return Ok(Proxy::Need(16 - buf.len()));
    }
    if &buf[..12] != V2_SIGNATURE {
        return Err(ProxyError::Missing);
    }
    let (ver_cmd, fam) = (buf[12], buf[13]);
    let body = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if ver_cmd >> 4 != 2 {
        return Err(ProxyError::Malformed("v2 version is not 2"));
    }
    if body > V2_MAX_BODY {
        return Err(ProxyError::Malformed("v2 header longer than 4096 bytes"));
    }
    let len = 16 + body;
    if buf.len() < len {
        return Ok(Proxy::Need(len - buf.len()));
    }
    let a = &buf[16..len];
    let source = match (ver_cmd & 0x0f, fam) {
        // LOCAL: the proxy's own connection (a health check).
        (0, _) => None,
        (1, 0x11 | 0x12) => {
            let [s0, s1, s2, s3, _, _, _, _, p0, p1, ..] = *a else {
                return Err(ProxyError::Malformed("v2 IPv4 block too short"));
            };
            Some(SocketAddr::new(
                Ipv4Addr::new(s0, s1, s2, s3).into(),
                u16::from_be_bytes([p0, p1]),
            ))
        }
        (1, 0x21 | 0x22) => {
            if a.len() < 36 {
                return Err(ProxyError::Malformed("v2 IPv6 block too short"));
            }
            let mut src = [0u8; 16];
            src.copy_from_slice(&a[..16]);
            Some(SocketAddr::new(
                Ipv6Addr::from(src).into(),
                u16::from_be_bytes([a[32], a[33]]),
            ))
        }
        // UNSPEC or a Unix socket: no IP to speak of.
        (1, _) => None,
        _ => {
            return Err(ProxyError::Malformed(
                "v2 command is neither LOCAL nor PROXY",
            ))
        }
    };
    Ok(Proxy::Done { len, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn trusted(blocks: &[&str]) -> IpSet {
        IpSet::new(
            blocks
                .iter()
                .map(|b| crate::allowlist::parse_cidr(b, true).unwrap()),
        )
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = xff(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(from_forwarded_for(&t, ip("127.0.0.5"), &h), None);
        assert_eq!(
            from_forwarded_for(&IpSet::default(), ip("10.0.0.1"), &h),
            None
        );
        let got = from_forwarded_for(&t, ip("10.0.0.1"), &h).unwrap();
        assert_eq!(got.client, ip("1.2.3.4"));
        assert_eq!(got.before, "6.6.6.6");
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let t = trusted(&["10.0.0.0/8", "fd00::/8"]);
        // Two trusted hops to the right (an ingress behind a load balancer), across copies.
        let h = xff(&["9.9.9.9, 1.2.3.4", "10.1.1.1", " fd00::2 "]);
        let got = from_forwarded_for(&t, ip("10.0.0.1"), &h).unwrap();
        assert_eq!(
            (got.client, got.before.as_str()),
            (ip("1.2.3.4"), "9.9.9.9")
        );
        // Ports and brackets as some proxies write them.
        let h = xff(&["[2001:db8::1]:443, 10.0.0.9:80"]);
        assert_eq!(
            from_forwarded_for(&t, ip("10.0.0.1"), &h).unwrap().client,
            ip("2001:db8::1")
        );
        // All trusted: the leftmost is as far as the chain goes.
        let h = xff(&["10.2.2.2, 10.3.3.3"]);
        assert_eq!(
            from_forwarded_for(&t, ip("10.0.0.1"), &h).unwrap().client,
            ip("10.2.2.2")
        );
        // Garbage ends the walk at the last address a trusted hop vouched for.
        let h = xff(&["1.2.3.4, unknown, 10.4.4.4"]);
        assert_eq!(
            from_forwarded_for(&t, ip("10.0.0.1"), &h).unwrap().client,
            ip("10.4.4.4")
        );
        let h = xff(&["1.2.3.4, unknown"]);
        assert_eq!(from_forwarded_for(&t, ip("10.0.0.1"), &h), None);
        assert_eq!(
            from_forwarded_for(&t, ip("10.0.0.1"), &HeaderMap::new()),
            None
        );
    }

    #[test]
    fn proxy_v1_is_read_to_its_crlf_and_no_further() {
        let line = b"PROXY TCP4 192.0.2.7 10.0.0.1 56324 8080\r\nPOST / HTTP/1.1\r\n";
        let mut n = 0;
        let got = loop {
            match parse_proxy(&line[..n]).unwrap() {
                Proxy::Need(k) => n += k,
                done @ Proxy::Done { .. } => break done,
            }
        };
        let header_len = line.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert_eq!(n, header_len, "read past the header");
        assert_eq!(
            got,
            Proxy::Done {
                len: header_len,
                source: Some("192.0.2.7:56324".parse().unwrap())
            }
        );
        let v6 = b"PROXY TCP6 2001:db8::7 ::1 1 2\r\n";
        assert!(
            matches!(parse_proxy(v6), Ok(Proxy::Done { source: Some(s), .. }) if s.ip() == ip("2001:db8::7"))
        );
        assert!(matches!(
            parse_proxy(b"PROXY UNKNOWN\r\n"),
            Ok(Proxy::Done { source: None, .. })
        ));
        for bad in [
            &b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"[..],
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        ] {
            assert!(
                matches!(parse_proxy(bad), Err(ProxyError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_proxy(&[b'A'; 200]), Err(ProxyError::Missing));
        assert_eq!(parse_proxy(b"POST / H"), Err(ProxyError::Missing));
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat();
        assert!(parse_proxy(&long).is_err());
    }

    /// A v2 header: PROXY command, `fam`, then `addr` and the port pair.
    pub fn v2(cmd: u8, fam: u8, addr: &[u8]) -> Vec<u8> {
        let mut out = V2_SIGNATURE.to_vec();
        out.push(0x20 | cmd);
        out.push(fam);
        out.extend_from_slice(&u16::try_from(addr.len()).unwrap().to_be_bytes());
        out.extend_from_slice(addr);
        out
    }

    #[test]
    fn proxy_v2_gives_the_source_and_its_length() {
        let mut a = vec![192, 0, 2, 9, 10, 0, 0, 1];
        a.extend_from_slice(&4242u16.to_be_bytes());
        a.extend_from_slice(&8080u16.to_be_bytes());
        a.extend_from_slice(&[0x04, 0, 1, 0]); // a TLV, skipped
        let h = v2(1, 0x11, &a);
        let mut n = 0;
        let got = loop {
            match parse_proxy(&h[..n]).unwrap() {
                Proxy::Need(k) => n += k,
                done @ Proxy::Done { .. } => break done,
            }
        };
        assert_eq!(n, h.len());
        assert_eq!(
            got,
            Proxy::Done {
                len: h.len(),
                source: Some("192.0.2.9:4242".parse().unwrap())
            }
        );
        let mut a6 = vec![0x20, 0x01, 0x0d, 0xb8];
        a6.extend_from_slice(&[0; 12]);
        a6.extend_from_slice(&[0; 16]);
        a6.extend_from_slice(&[0, 7, 0, 8]);
        assert!(
            matches!(parse_proxy(&v2(1, 0x21, &a6)), Ok(Proxy::Done { source: Some(s), .. }) if s == "[2001:db8::]:7".parse().unwrap())
        );
        assert!(matches!(
            parse_proxy(&v2(0, 0x00, &[])),
            Ok(Proxy::Done {
                source: None,
                len: 16
            })
        ));
        assert!(parse_proxy(&v2(1, 0x11, &[1, 2, 3])).is_err());
        assert!(parse_proxy(&v2(3, 0x11, &a)).is_err());
        let mut huge = v2(1, 0x11, &a);
        huge[14..16].copy_from_slice(&5000u16.to_be_bytes());
        assert!(parse_proxy(&huge).is_err());
    }

    /// What the fuzz target checks, over mutations of valid headers: asked-for bytes only,
    /// never zero, and a header's length is exactly what was read.
    #[test]
    fn the_reader_contract_holds_on_mutated_headers() {
        let mut a = vec![192, 0, 2, 9, 10, 0, 0, 1, 0, 1, 0, 2];
        a.extend_from_slice(&[0x04, 0, 1, 0]);
        let seeds = [
            b"PROXY TCP4 192.0.2.7 10.0.0.1 56324 8080\r\nPOST".to_vec(),
            b"PROXY UNKNOWN\r\n".to_vec(),
            v2(1, 0x11, &a),
            v2(0, 0, &[]),
        ];
        let mut x: u32 = 0x2545_f491;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for _ in 0..20_000 {
            let mut input = seeds[rand() as usize % seeds.len()].clone();
            for _ in 0..rand() % 4 {
                let i = rand() as usize % input.len();
                input[i] = rand() as u8;
            }
            let mut n = 0;
            loop {
                match parse_proxy(&input[..n]) {
                    Ok(Proxy::Need(k)) => {
                        assert!(k > 0);
                        if n + k > input.len() {
                            break;
                        }
                        n += k;
                    }
                    Ok(Proxy::Done { len, .. }) => {
                        assert_eq!(len, n, "{input:?}");
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
    }
}
