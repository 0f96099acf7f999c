//! Sender IP allowlists: address sets (CIDRs as sorted, merged ranges, looked up by binary
//! search), the formats senders publish their ranges in, and the published lists a config's
//! routes name, each refreshed in the background by its own task through `fetch`.
//!
//! The request path only reads: a route's fixed set, and the last good copy of each list it
//! names (an atomic load). A list that has never been fetched has no copy: the gate answers
//! 503 for it (fail closed), never 403 (hookgate cannot tell) and never 200.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use http::Uri;

use crate::clock::Clock;
use crate::config::FetchConfig;
use crate::fetch::{self, AllowList, Client, ClientSettings, FetchError, HostRule, Roots};

/// GitHub's meta API: its `hooks` array holds the ranges webhooks come from.
pub const GITHUB_META: &str = "https://api.github.com/meta";
/// Stripe's webhook source addresses: its `WEBHOOKS` array.
pub const STRIPE_IPS: &str = "https://stripe.com/files/ips/ips_webhooks.json";

/// How often a published list is fetched again, unless its entry says `refresh:`.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60 * 60);
/// After a failed fetch, the next try comes after the refresh interval or this, whichever is
/// sooner: a sender back up is seen soon, a sender down is asked twice a minute at most.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// Entries in one published list at most: a list is a sender's ranges, not a blocklist.
const MAX_LIST_ENTRIES: usize = 100_000;

/// A set of addresses: CIDR blocks merged into disjoint sorted ranges, one table per family.
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is looked up as the IPv4 address it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpSet {
    /// The set of `blocks` (address, prefix length); bits past the prefix are ignored.
    pub fn new(blocks: impl IntoIterator<Item = (IpAddr, u8)>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (addr, len) in blocks {
            match addr {
                IpAddr::V4(a) => {
                    let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
                    let start = u32::from(a) & !host;
                    v4.push((start, start | host));
                }
                IpAddr::V6(a) => {
                    let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
                    let start = u128::from(a) & !host;
                    v6.push((start, start | host));
                }
            }
        }
        Self {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Disjoint ranges held (after merging).
    pub fn ranges(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(a) => within(&self.v4, u32::from(a)),
            IpAddr::V6(a) => within(&self.v6, u128::from(a)),
        }
    }
}

/// Sorted, overlapping and adjacent ranges joined.
fn merge<T: Ord + Copy + num_like::Step>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if last.1 >= start || last.1.next() == Some(start) => {
                last.1 = last.1.max(end);
            }
            _ => out.push((start, end)),
        }
    }
    out.shrink_to_fit();
    out
}

fn within<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|r| r.0 <= x);
    i > 0 && ranges[i - 1].1 >= x
}

mod num_like {
    /// The next integer, unless at the top.
    pub trait Step: Sized {
        fn next(self) -> Option<Self>;
    }
    impl Step for u32 {
        fn next(self) -> Option<Self> {
            self.checked_add(1)
        }
    }
    impl Step for u128 {
        fn next(self) -> Option<Self> {
            self.checked_add(1)
        }
    }
}

/// A CIDR block (`192.30.252.0/22`, `2001:db8::/32`) or a lone address (`/32` or `/128`).
/// `strict`: an address with bits set past its prefix (`10.0.0.1/24`) is refused, since it
/// may be a typo for a narrower block; published lists are read leniently (masked).
pub fn parse_cidr(s: &str, strict: bool) -> Result<(IpAddr, u8), String> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && !l.starts_with('+') => n,
            _ => return Err(format!("{s:?}: the prefix length must be 0 to {max}")),
        },
    };
    if strict {
        let masked = IpSet::new([(addr, len)]);
        let first = match addr {
            IpAddr::V4(_) => masked.v4.first().map(|r| IpAddr::V4(Ipv4Addr::from(r.0))),
            IpAddr::V6(_) => masked.v6.first().map(|r| IpAddr::V6(Ipv6Addr::from(r.0))),
        };
        if let Some(first) = first.filter(|f| *f != addr) {
            return Err(format!(
                "{s:?} has bits set past its /{len} prefix; write {first}/{len} (or the address alone)"
            ));
        }
    }
    Ok((addr, len))
}

/// How a published list's body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON array of CIDR strings.
    JsonList,
    /// One CIDR a line; blank lines and `#` comments skipped.
    Text,
    /// GitHub's meta API: an object whose `hooks` array is the list.
    GithubMeta,
    /// Stripe's: an object whose `WEBHOOKS` array is the list.
    Stripe,
}

impl Format {
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "json_list" => Self::JsonList,
            "text" => Self::Text,
            "github_meta" => Self::GithubMeta,
            "stripe" => Self::Stripe,
            _ => return None,
        })
    }

    /// The name `format:` takes (what `from_name` reads).
    pub fn name(self) -> &'static str {
        match self {
            Self::JsonList => "json_list",
            Self::Text => "text",
            Self::GithubMeta => "github_meta",
            Self::Stripe => "stripe",
        }
    }

    /// The addresses in `body`. Any entry that is not an address or block fails the whole
    /// list (the last good copy stays), and so does an empty one: a sender does not send from
    /// nowhere, so an empty list is a broken answer. Errors never quote the body.
    pub fn parse(self, body: &[u8]) -> Result<IpSet, String> {
        let entries: Vec<String> = match self {
            Self::Text => std::str::from_utf8(body)
                .map_err(|_| "the list is not UTF-8 text".to_owned())?
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            Self::JsonList => serde_json::from_slice(body)
                .map_err(|e| format!("not a JSON array of strings (line {})", e.line()))?,
            Self::GithubMeta | Self::Stripe => {
                let key = if self == Self::Stripe {
                    "WEBHOOKS"
                } else {
                    "hooks"
                };
                let mut doc: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| format!("not JSON (line {})", e.line()))?;
                let list = doc
                    .get_mut(key)
                    .map(serde_json::Value::take)
                    .ok_or_else(|| format!("the document has no {key:?} array"))?;
                serde_json::from_value(list)
                    .map_err(|_| format!("{key:?} is not an array of strings"))?
            }
        };
        if entries.is_empty() {
            return Err("the list is empty".into());
        }
        if entries.len() > MAX_LIST_ENTRIES {
            return Err(format!("more than {MAX_LIST_ENTRIES} entries"));
        }
        let mut blocks = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let block = parse_cidr(e, false)
                .map_err(|_| format!("entry {i} is not an address or CIDR block"))?;
            blocks.push(block);
        }
        Ok(IpSet::new(blocks))
    }
}

/// A published list a route names: where, how to read it, how often to fetch it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListSpec {
    pub url: String,
    pub format: Format,
    pub refresh: Duration,
}

/// A route's `allow_ips`: addresses written in the config, and the published lists named.
/// A request is let through when its client address is in either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowIps {
    pub fixed: IpSet,
    pub lists: Vec<ListSpec>,
}

/// The verdict on a client address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused,
    /// Not in what is known, and a list named has never been fetched: hookgate cannot tell.
    Unknown {
        url: String,
    },
}

/// One published list and its last good copy.
pub struct List {
    spec: ListSpec,
    copy: ArcSwapOption<Snapshot>,
    last_error: Mutex<Option<FetchError>>,
}

/// A list as fetched.
pub struct Snapshot {
    pub set: IpSet,
    pub fetched_at: SystemTime,
}

/// What the gauges show of a list.
pub struct ListInfo {
    /// `fetch::redact`ed.
    pub url: String,
    pub age: Option<Duration>,
    pub failing: bool,
}

/// The published lists of a config, each refreshed by its own task for as long as a config
/// in force names it. Cheap to clone.
#[derive(Clone)]
pub struct Lists {
    lists: Arc<HashMap<ListSpec, Arc<List>>>,
    fetch: FetchConfig,
    clock: Clock,
}

impl Lists {
    /// The lists `routes` name, or `None` when none names one. A list `previous` already
    /// holds (same spec, same `fetch:`) is kept with its copy and its task, so a reload that
    /// keeps it costs no fetch and no 503; new ones start fetching at once on the current
    /// runtime.
    pub fn build<'a>(
        fetch: &FetchConfig,
        specs: impl IntoIterator<Item = &'a ListSpec>,
        clock: &Clock,
        previous: Option<&Lists>,
    ) -> Result<Option<Self>, fetch::SetupError> {
        let specs: Vec<&ListSpec> = specs.into_iter().collect();
        if specs.is_empty() {
            return Ok(None);
        }
        let previous = previous.filter(|p| p.fetch == *fetch);
        let kept = |spec: &ListSpec| previous.and_then(|p| p.lists.get(spec)).cloned();
        // One client for the lists new in this config, allowed their hosts alone.
        let fresh: Vec<String> = specs
            .iter()
            .filter(|s| kept(s).is_none())
            .map(|s| s.url.clone())
            .collect();
        let client = if fresh.is_empty() {
            None
        } else {
            Some(new_client(fetch, allow_list(&fresh))?)
        };
        let mut lists = HashMap::new();
        for spec in specs {
            if lists.contains_key(spec) {
                continue;
            }
            if let Some(kept) = kept(spec) {
                lists.insert(spec.clone(), kept);
                continue;
            }
            let list = Arc::new(List {
                spec: spec.clone(),
                copy: ArcSwapOption::empty(),
                last_error: Mutex::new(None),
            });
            if let Some(client) = &client {
                start(&list, client.clone(), clock.clone());
            }
            lists.insert(spec.clone(), list);
        }
        Ok(Some(Self {
            lists: Arc::new(lists),
            fetch: fetch.clone(),
            clock: clock.clone(),
        }))
    }

    /// Whether `ip` may send to a route with `allow`; `lists` is `None` when the fetcher
    /// could not be built (then every list is unknown).
    pub fn check(allow: &AllowIps, lists: Option<&Lists>, ip: IpAddr) -> Verdict {
        if allow.fixed.contains(ip) {
            return Verdict::Allowed;
        }
        let mut unknown = None;
        for spec in &allow.lists {
            match lists.and_then(|l| l.lists.get(spec)).map(|l| l.copy.load()) {
                Some(copy) => match &*copy {
                    Some(c) if c.set.contains(ip) => return Verdict::Allowed,
                    Some(_) => {}
                    None => unknown = unknown.or(Some(&spec.url)),
                },
                None => unknown = unknown.or(Some(&spec.url)),
            }
        }
        match unknown {
            Some(url) => Verdict::Unknown {
                url: fetch::redact(url),
            },
            None => Verdict::Refused,
        }
    }

    /// Each list's age and whether its last fetch failed, for the fetch gauges.
    pub fn entries(&self) -> Vec<ListInfo> {
        let now = (self.clock)();
        self.lists
            .values()
            .map(|l| ListInfo {
                url: fetch::redact(&l.spec.url),
                age: l
                    .copy
                    .load()
                    .as_ref()
                    .map(|c| now.duration_since(c.fetched_at).unwrap_or_default()),
                failing: l
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_some(),
            })
            .collect()
    }
}

fn new_client(fetch: &FetchConfig, allow: AllowList) -> Result<Client, fetch::SetupError> {
    let settings = ClientSettings {
        roots: fetch.ca_file.clone().map_or(Roots::Webpki, Roots::CaFile),
        connect_timeout: fetch.connect_timeout,
        timeout: fetch.timeout,
        resolve: fetch.resolve.clone(),
        ..ClientSettings::default()
    };
    Client::new(allow, settings)
}

/// Each URL's host, on its port.
fn allow_list(urls: &[String]) -> AllowList {
    let mut rules: Vec<HostRule> = Vec::new();
    for url in urls {
        let Some(auth) = url.parse::<Uri>().ok().and_then(|u| u.authority().cloned()) else {
            continue;
        };
        let port = auth.port_u16().unwrap_or(443);
        let host = auth.host().trim_start_matches('[').trim_end_matches(']');
        let rule = match host.parse::<IpAddr>() {
            Ok(ip) => HostRule::ip(ip),
            Err(_) => HostRule::exact(host),
        }
        .ports(&[port]);
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    AllowList::new(rules)
}

/// The list's refresh task: fetch, keep the copy (or the error, keeping the last good copy),
/// wait, again; it ends once no config in force holds the list.
fn start(list: &Arc<List>, client: Client, clock: Clock) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::error!(url = %fetch::redact(&list.spec.url), "no runtime to fetch the allowlist on; routes naming it answer 503");
        return;
    };
    let weak = Arc::downgrade(list);
    runtime.spawn(async move {
        loop {
            let Some(list) = weak.upgrade() else {
                return;
            };
            let wait = list.refresh_once(&client, &clock).await;
            drop(list);
            tokio::time::sleep(wait).await;
        }
    });
}

impl List {
    /// One fetch; how long until the next.
    async fn refresh_once(&self, client: &Client, clock: &Clock) -> Duration {
        let url = &self.spec.url;
        let result = match client.get(url).await {
            Ok(resp) => self
                .spec
                .format
                .parse(&resp.body)
                .map_err(|e| FetchError::Parse(e.into())),
            Err(e) => Err(e),
        };
        let mut last_error = self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(set) => {
                tracing::debug!(url = %fetch::redact(url), ranges = set.ranges(), "allowlist fetched");
                self.copy.store(Some(Arc::new(Snapshot {
                    set,
                    fetched_at: clock(),
                })));
                *last_error = None;
                self.spec.refresh
            }
            Err(e) => {
                let age = self
                    .copy
                    .load()
                    .as_ref()
                    .map(|c| clock().duration_since(c.fetched_at).unwrap_or_default());
                tracing::warn!(url = %fetch::redact(url), error = %e, kind = e.kind(), last_good_age = ?age, "allowlist fetch failed; the last good copy stays in force");
                *last_error = Some(e);
                self.spec.refresh.min(RETRY_AFTER_FAILURE)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(blocks: &[&str]) -> IpSet {
        IpSet::new(blocks.iter().map(|b| parse_cidr(b, true).unwrap()))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_match_their_range_and_nothing_else() {
        let s = set(&["192.30.252.0/22", "10.0.0.1"]);
        assert!(s.contains(ip("192.30.252.0")));
        assert!(s.contains(ip("192.30.255.255")));
        assert!(!s.contains(ip("192.30.251.255")));
        assert!(!s.contains(ip("192.31.0.0")));
        assert!(s.contains(ip("10.0.0.1")));
        assert!(!s.contains(ip("10.0.0.2")));
        assert!(!s.contains(ip("10.0.0.0")));
        // Mapped IPv6 is the IPv4 address it carries; other IPv6 is not.
        assert!(s.contains(ip("::ffff:10.0.0.1")));
        assert!(!s.contains(ip("2001:db8::1")));
        let v6 = set(&["2001:db8::/32", "::1"]);
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::")));
        assert!(v6.contains(ip("::1")));
        assert!(!v6.contains(ip("127.0.0.1")));
        let all = set(&["0.0.0.0/0", "::/0"]);
        assert!(all.contains(ip("255.255.255.255")) && all.contains(ip("ffff::")));
        assert!(!IpSet::default().contains(ip("127.0.0.1")));
    }

    #[test]
    fn overlapping_and_adjacent_blocks_merge() {
        let s = set(&[
            "10.0.0.0/25",
            "10.0.0.128/25",
            "10.0.0.0/24",
            "10.0.1.7",
            "10.0.2.0/24",
        ]);
        assert_eq!(
            s.v4,
            [
                (0x0a00_0000, 0x0a00_00ff),
                (0x0a00_0107, 0x0a00_0107),
                (0x0a00_0200, 0x0a00_02ff)
            ]
        );
        assert_eq!(set(&["255.255.255.255", "255.255.255.254"]).ranges(), 1);
    }

    #[test]
    fn bad_cidrs_are_refused_with_a_reason() {
        assert!(parse_cidr("10.0.0.0/33", true).is_err());
        assert!(parse_cidr("10.0.0.0/", true).is_err());
        assert!(parse_cidr("10.0.0.0/+8", true).is_err());
        assert!(parse_cidr("::/129", true).is_err());
        assert!(parse_cidr("github.com", true).is_err());
        assert!(parse_cidr("10.0.0/8", true).is_err());
        let e = parse_cidr("10.0.0.1/24", true).unwrap_err();
        assert!(e.contains("10.0.0.0/24"), "{e}");
        assert!(parse_cidr("10.0.0.1/24", false).is_ok());
        assert_eq!(parse_cidr(" ::1 ", true).unwrap(), (ip("::1"), 128));
    }

    #[test]
    fn published_formats_are_read() {
        let gh = br#"{"verifiable_password_authentication":false,"hooks":["192.30.252.0/22","2a0a:a440::/29"],"web":["1.2.3.4/32"]}"#;
        let s = Format::GithubMeta.parse(gh).unwrap();
        assert!(s.contains(ip("192.30.253.1")) && s.contains(ip("2a0a:a440::1")));
        assert!(!s.contains(ip("1.2.3.4")));
        let stripe = br#"{"WEBHOOKS":["3.18.12.63","3.130.192.231"]}"#;
        assert!(Format::Stripe
            .parse(stripe)
            .unwrap()
            .contains(ip("3.130.192.231")));
        assert!(Format::JsonList
            .parse(br#"["127.0.0.2"]"#)
            .unwrap()
            .contains(ip("127.0.0.2")));
        let text = b"# ours\n127.0.0.2/32\n\n  10.0.0.0/8 # office\n";
        let t = Format::Text.parse(text).unwrap();
        assert!(t.contains(ip("10.9.9.9")) && t.contains(ip("127.0.0.2")));
        for (f, bad) in [
            (Format::GithubMeta, &br#"{"web":[]}"#[..]),
            (Format::Stripe, br#"{"WEBHOOKS":[]}"#),
            (Format::JsonList, br#"["10.0.0.0/8","secret-ish"]"#),
            (Format::JsonList, b"<html>"),
            (Format::Text, b"\n# nothing\n"),
        ] {
            let e = f.parse(bad).unwrap_err();
            assert!(!e.contains("secret-ish"), "{e}");
        }
    }

    #[test]
    fn a_list_never_fetched_is_unknown_not_refused() {
        let spec = ListSpec {
            url: "https://lists.example/ips".into(),
            format: Format::JsonList,
            refresh: DEFAULT_REFRESH,
        };
        let allow = AllowIps {
            fixed: set(&["127.0.0.3"]),
            lists: vec![spec],
        };
        assert_eq!(
            Lists::check(&allow, None, ip("127.0.0.3")),
            Verdict::Allowed
        );
        assert!(matches!(
            Lists::check(&allow, None, ip("127.0.0.4")),
            Verdict::Unknown { .. }
        ));
        let fixed_only = AllowIps {
            fixed: set(&["127.0.0.3"]),
            lists: vec![],
        };
        assert_eq!(
            Lists::check(&fixed_only, None, ip("127.0.0.4")),
            Verdict::Refused
        );
    }
}
