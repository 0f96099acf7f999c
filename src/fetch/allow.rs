//! Which URLs may be fetched: `https` only, to a host on the allow-list, on the port its rule
//! names (443 unless it says otherwise), without userinfo, and an IP literal only when a rule
//! names that very address.
//!
//! The check runs on the URL as given, before any DNS lookup or connection, so a refused URL
//! costs nothing and occupies no cache entry.

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use super::FetchError;

/// What a rule matches on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// One DNS name, compared lowercased.
    Exact(String),
    /// Labels compared one by one; a `*` label stands for exactly one non-empty label (never a
    /// dot, never zero or several labels): `sns.*.amazonaws.com` matches
    /// `sns.us-east-1.amazonaws.com`, not `sns.amazonaws.com` nor `sns.a.b.amazonaws.com`.
    Glob(Vec<String>),
    /// One IP address, named explicitly: the only way an IP literal is fetched.
    Ip(IpAddr),
}

/// One allowed host (or host pattern) and the ports it may be fetched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    pattern: Pattern,
    ports: Vec<u16>,
}

impl HostRule {
    /// Exactly this DNS name (case-insensitive), port 443.
    pub fn exact(host: &str) -> Self {
        Self {
            pattern: Pattern::Exact(host.to_ascii_lowercase()),
            ports: vec![443],
        }
    }

    /// A host pattern whose `*` labels each match one DNS label, port 443. Amazon SNS signing
    /// certificates: `HostRule::glob("sns.*.amazonaws.com")` (and `"sns.*.amazonaws.com.cn"` for
    /// the China regions). A `*` never matches an IP literal.
    pub fn glob(pattern: &str) -> Self {
        Self {
            pattern: Pattern::Glob(
                pattern
                    .to_ascii_lowercase()
                    .split('.')
                    .map(str::to_owned)
                    .collect(),
            ),
            ports: vec![443],
        }
    }

    /// This IP address, port 443: IP literals are refused unless a rule names them (tests,
    /// a sender that publishes keys on an address).
    pub fn ip(addr: IpAddr) -> Self {
        Self {
            pattern: Pattern::Ip(addr),
            ports: vec![443],
        }
    }

    /// The ports allowed instead of 443.
    pub fn ports(mut self, ports: &[u16]) -> Self {
        self.ports = ports.to_vec();
        self
    }

    fn matches(&self, host: &Host<'_>, port: u16) -> bool {
        if !self.ports.contains(&port) {
            return false;
        }
        match (&self.pattern, host) {
            (Pattern::Exact(want), Host::Name(name)) => want == name,
            (Pattern::Glob(labels), Host::Name(name)) => {
                let mut got = name.split('.');
                labels.iter().all(|want| match got.next() {
                    Some(label) => (want == "*" && !label.is_empty()) || want == label,
                    None => false,
                }) && got.next().is_none()
            }
            (Pattern::Ip(want), Host::Ip(addr)) => want == addr,
            _ => false,
        }
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Pattern::Exact(h) => f.write_str(h)?,
            Pattern::Glob(labels) => f.write_str(&labels.join("."))?,
            Pattern::Ip(IpAddr::V4(a)) => write!(f, "{a}")?,
            Pattern::Ip(IpAddr::V6(a)) => write!(f, "[{a}]")?,
        }
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        write!(f, ":{}", ports.join(","))
    }
}

/// The hosts a [`Client`](super::Client) may fetch from. Empty refuses everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    rules: Vec<HostRule>,
}

/// Why a URL was refused before any connection; carried by [`FetchError::NotAllowed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URL `http::Uri` reads, or without a host.
    Unparseable,
    /// Not `https`.
    Scheme,
    /// `user:password@` in the authority (never followed: and never logged, it may be a secret).
    Userinfo,
    /// An IP literal (including forms like `127.1` a resolver would read as one) that no rule
    /// names.
    IpLiteral,
    /// A host no rule matches, or a matched host on a port its rule does not allow.
    Host,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unparseable => "unparseable URL",
            Self::Scheme => "not https",
            Self::Userinfo => "userinfo in URL",
            Self::IpLiteral => "IP literal not allowed",
            Self::Host => "host or port not on the allow-list",
        }
    }
}

enum Host<'a> {
    Name(&'a str),
    Ip(IpAddr),
}

impl AllowList {
    pub fn new(rules: impl IntoIterator<Item = HostRule>) -> Self {
        Self {
            rules: rules.into_iter().collect(),
        }
    }

    pub fn rules(&self) -> &[HostRule] {
        &self.rules
    }

    /// The URL, parsed, if it may be fetched; else why not. Callers that take a URL from a
    /// message (an SNS `SigningCertURL`) can check it here before anything else.
    pub fn check(&self, url: &str) -> Result<Uri, FetchError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| FetchError::NotAllowed(Refusal::Unparseable))?;
        self.check_uri(&uri)?;
        Ok(uri)
    }

    pub(super) fn check_uri(&self, uri: &Uri) -> Result<(), FetchError> {
        let refuse = |r| Err(FetchError::NotAllowed(r));
        if uri.scheme_str() != Some("https") {
            return refuse(Refusal::Scheme);
        }
        let Some(authority) = uri.authority() else {
            return refuse(Refusal::Unparseable);
        };
        if authority.as_str().contains('@') {
            return refuse(Refusal::Userinfo);
        }
        let port = authority.port_u16().unwrap_or(443);
        let raw = authority.host();
        // Lowercase once; `http::Uri` keeps the case it was given.
        let lowered = raw.to_ascii_lowercase();
        let host = match classify(&lowered) {
            Some(h) => h,
            None => return refuse(Refusal::Unparseable),
        };
        if self.rules.iter().any(|r| r.matches(&host, port)) {
            return Ok(());
        }
        match host {
            Host::Ip(_) => refuse(Refusal::IpLiteral),
            Host::Name(_) => refuse(Refusal::Host),
        }
    }
}

/// A DNS name of `[a-z0-9-]` labels, or an IP address. A name whose last label is all digits or
/// `0x…` is treated as an IP literal (`127.1`, `0x7f.1`): the system resolver reads such names
/// as addresses, so they must not slip past the IP rule as "names".
fn classify(host: &str) -> Option<Host<'_>> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse().ok().map(Host::Ip);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(Host::Ip(ip));
    }
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let good_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !labels.iter().all(good_label) {
        return None;
    }
    let last = labels.last().copied().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        // Numeric forms a resolver turns into an address: no rule names them as an address
        // (std parses only the dotted quad), so they are refused as IP literals.
        return Some(Host::Ip(IpAddr::from([0, 0, 0, 0])));
    }
    Some(Host::Name(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(list: &AllowList, url: &str) -> Option<Refusal> {
        match list.check(url) {
            Ok(_) => None,
            Err(FetchError::NotAllowed(r)) => Some(r),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn exact_glob_ip_and_ports() {
        let list = AllowList::new([
            HostRule::exact("Example.com"),
            HostRule::glob("sns.*.amazonaws.com"),
            HostRule::ip("127.0.0.1".parse().unwrap()).ports(&[8443]),
            HostRule::exact("localhost").ports(&[1234]),
        ]);
        for ok in [
            "https://example.com/jwks.json",
            "https://EXAMPLE.com:443/a?b=c",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://127.0.0.1:8443/x",
            "https://localhost:1234/",
        ] {
            assert_eq!(refusal(&list, ok), None, "{ok}");
        }
        use Refusal::*;
        for (bad, why) in [
            ("http://example.com/", Scheme),
            ("https://user:pw@example.com/", Userinfo),
            ("https://example.com:8443/", Host),
            ("https://evil.example.com/", Host),
            ("https://example.com.evil.net/", Host),
            ("https://sns.amazonaws.com/", Host),
            ("https://sns.a.b.amazonaws.com/", Host),
            ("https://sns.us-east-1.amazonaws.com.evil.net/", Host),
            ("https://127.0.0.1/", IpLiteral),
            ("https://127.0.0.2:8443/", IpLiteral),
            ("https://127.1:8443/", IpLiteral),
            ("https://[::1]:8443/", IpLiteral),
            ("https://localhost/", Host),
            ("https://exa_mple.com/", Unparseable),
            ("not a url", Unparseable),
        ] {
            assert_eq!(refusal(&list, bad), Some(why), "{bad}");
        }
    }

    #[test]
    fn glob_never_matches_an_ip() {
        let list = AllowList::new([HostRule::glob("*.*.*.*")]);
        assert_eq!(
            refusal(&list, "https://10.0.0.1/"),
            Some(Refusal::IpLiteral)
        );
        assert_eq!(refusal(&list, "https://a.b.c.d/"), None);
    }
}
