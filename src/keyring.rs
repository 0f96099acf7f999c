//! The keys a request is verified with when they are not in the config: a sender's JWK Set
//! (`verify.jwt.jwks_url`, Google's for `google-pubsub`) or the Amazon SNS certificate a
//! message names. Fetched through `fetch` (allow-listed HTTPS, cached, last good copy, one
//! fetch per URL however many requests wait), parsed by `verify`, handed to the gate.
//!
//! A fetch failure says nothing about the request: the gate answers 503 with the error's
//! `Retry-After`, never 401, so the sender retries. Built for a config (the hosts its routes
//! need are its allow-list), and kept across reloads that change neither.

use std::sync::Arc;

use http::Uri;

use crate::clock::Clock;
use crate::config::{FetchConfig, Route};
use crate::fetch::{
    AllowList, Cache, CachePolicy, Client, ClientSettings, FetchError, HostRule, Parser, Roots,
    SetupError,
};
use crate::verify::{self, sns, Algorithm, Key, Message};

/// Where SNS keeps signing certificates (`verify::sns::cert_url_allowed` is the exact check).
const SNS_HOSTS: [&str; 2] = ["sns.*.amazonaws.com", "sns.*.amazonaws.com.cn"];

/// A JWK Set's keys, for each algorithm a route may check it with.
pub struct JwkSet {
    rs256: Vec<Key>,
    es256: Vec<Key>,
}

impl JwkSet {
    fn parse(body: &[u8]) -> Result<Self, String> {
        let rs256 = verify::parse_jwks(body, Algorithm::JwtRs256);
        let es256 = verify::parse_jwks(body, Algorithm::JwtEs256);
        match (rs256, es256) {
            (Err(e), Err(_)) => Err(e),
            (rs, es) => Ok(Self {
                rs256: rs.unwrap_or_default(),
                es256: es.unwrap_or_default(),
            }),
        }
    }

    fn keys(&self, alg: Algorithm) -> &[Key] {
        match alg {
            Algorithm::JwtRs256 => &self.rs256,
            Algorithm::JwtEs256 => &self.es256,
            _ => &[],
        }
    }

    fn knows(&self, alg: Algorithm, kid: &str) -> bool {
        self.keys(alg).iter().any(|k| k.kid() == Some(kid))
    }
}

/// What a request needs fetched before it can be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    Sns(String),
    Jwks {
        url: String,
        alg: Algorithm,
        kid: Option<String>,
    },
}

/// Keys fetched for one request.
pub enum Fetched {
    Jwks(Arc<JwkSet>, Algorithm),
    Sns(Box<Key>),
}

impl Fetched {
    pub fn keys(&self) -> &[Key] {
        match self {
            Self::Jwks(set, alg) => set.keys(*alg),
            Self::Sns(key) => std::slice::from_ref(&**key),
        }
    }
}

/// The fetcher of a config's remote keys. Cheap to clone.
#[derive(Clone)]
pub struct Keyring {
    client: Client,
    jwks: Cache<JwkSet>,
    /// Parsed once per fetch; each request names the key by the message's URL (`with_kid`).
    sns: Cache<Key>,
    /// What it was built from: a reload with the same keeps it (and its cache).
    setup: Arc<(FetchConfig, AllowList)>,
}

impl Keyring {
    /// The keyring for `routes`, or `None` when no route fetches keys (then nothing is ever
    /// fetched, and no fetcher exists).
    pub fn build(
        fetch: &FetchConfig,
        routes: &[Arc<Route>],
        clock: &Clock,
        previous: Option<&Keyring>,
    ) -> Result<Option<Self>, SetupError> {
        let allow = allow_list(routes);
        if allow.rules().is_empty() {
            return Ok(None);
        }
        if let Some(p) = previous.filter(|p| p.setup.0 == *fetch && p.setup.1 == allow) {
            return Ok(Some(p.clone()));
        }
        let settings = ClientSettings {
            roots: fetch.ca_file.clone().map_or(Roots::Webpki, Roots::CaFile),
            connect_timeout: fetch.connect_timeout,
            timeout: fetch.timeout,
            resolve: fetch.resolve.clone(),
            ..ClientSettings::default()
        };
        let client = Client::new(allow.clone(), settings)?;
        let jwks: Parser<JwkSet> = Arc::new(JwkSet::parse);
        // Parsed here, once per fetch: a broken certificate is a failed fetch (the last good
        // copy stays) rather than a 401, and requests do not parse X.509 again.
        let pem: Parser<Key> =
            Arc::new(|body: &[u8]| Key::sns_certificate("", body).map_err(|e| e.to_string()));
        Ok(Some(Self {
            jwks: Cache::new(client.clone(), jwks, CachePolicy::default(), clock.clone()),
            sns: Cache::new(client.clone(), pem, certificate_policy(), clock.clone()),
            client,
            setup: Arc::new((fetch.clone(), allow)),
        }))
    }

    /// What `route` needs fetched to verify `msg`: the route's JWK Set (with the `kid` the
    /// token names), or the SNS certificate the message names. `None`: nothing (the route's
    /// own keys apply, or the message names no allowed certificate and verification says so).
    /// Not async, so the request's `Message` is never held across an await.
    pub fn wants(route: &Route, msg: &Message<'_>) -> Option<Want> {
        let alg = route.scheme.algorithm;
        if alg == Algorithm::SnsCertificate {
            return sns::certificate_url(msg.body).map(Want::Sns);
        }
        Some(Want::Jwks {
            url: route.jwks_url.clone()?,
            alg,
            kid: verify::jwt_kid(&route.scheme, msg),
        })
    }

    /// Fetches (or finds in the cache) what `want` names. A JWK Set lacking the token's `kid`
    /// is fetched again, at most once per `refresh_interval` (sooner is a 503 with the time
    /// left): a key the sender has just added.
    pub async fn fetch(&self, want: Want) -> Result<Fetched, FetchError> {
        match want {
            Want::Sns(url) => self.sns_key(url).await,
            Want::Jwks { url, alg, kid } => self.jwks_keys(url, alg, kid).await,
        }
    }

    async fn sns_key(&self, url: String) -> Result<Fetched, FetchError> {
        let doc = self.sns.get(&url).await?;
        // Named by the URL this message gave: verification uses a certificate only for the
        // message that names it.
        Ok(Fetched::Sns(Box::new((*doc.value).clone().with_kid(url))))
    }

    async fn jwks_keys(
        &self,
        url: String,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Result<Fetched, FetchError> {
        let doc = self.jwks.get(&url).await?;
        let set = match kid {
            // A key the sender has just added: fetch the set again (at most once per
            // `refresh_interval`; sooner is a 503 with the time left).
            Some(kid) if !doc.value.knows(alg, &kid) => self.jwks.refresh(&url).await?.value,
            _ => doc.value,
        };
        Ok(Fetched::Jwks(set, alg))
    }

    /// Confirms an SNS subscription: one GET of the verified `SubscribeURL` (an SNS host,
    /// like the certificates).
    pub async fn confirm(&self, subscribe_url: &str) -> Result<(), FetchError> {
        self.client.get(subscribe_url).await.map(|_| ())
    }

    /// The JWK Set and certificate cache entries, for the admin page and gauges.
    pub fn entries(&self) -> Vec<crate::fetch::EntryInfo> {
        let mut all = self.jwks.entries();
        all.extend(self.sns.entries());
        all
    }
}

/// SNS names each certificate by a URL of its own (a new key is a new URL), so a fetched one
/// is kept a day whatever its response says: a message names it again for as long as SNS signs
/// with it.
fn certificate_policy() -> CachePolicy {
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    CachePolicy {
        default_ttl: day,
        min_ttl: day,
        max_ttl: day,
        ..CachePolicy::default()
    }
}

/// The secret label of a route whose keys are fetched (metrics, logs): `sns-certificate` or
/// `jwks`, the `id` of every key fetched for it.
pub fn label(route: &Route) -> &'static str {
    if route.scheme.algorithm == Algorithm::SnsCertificate {
        "sns-certificate"
    } else {
        "jwks"
    }
}

/// The hosts `routes` fetch from: each JWK Set URL's host (on its port), and SNS's hosts when a
/// route is an SNS one.
fn allow_list(routes: &[Arc<Route>]) -> AllowList {
    let mut rules: Vec<HostRule> = Vec::new();
    for r in routes {
        if r.scheme.algorithm == Algorithm::SnsCertificate {
            rules.extend(SNS_HOSTS.iter().map(|h| HostRule::glob(h)));
        }
        let Some(uri) = r.jwks_url.as_deref().and_then(|u| u.parse::<Uri>().ok()) else {
            continue;
        };
        let Some(auth) = uri.authority() else {
            continue;
        };
        let port = auth.port_u16().unwrap_or(443);
        let host = auth.host().trim_start_matches('[').trim_end_matches(']');
        let rule = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => HostRule::ip(ip),
            Err(_) => HostRule::exact(host),
        };
        rules.push(rule.ports(&[port]));
    }
    let mut unique: Vec<HostRule> = Vec::new();
    for r in rules {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    AllowList::new(unique)
}
