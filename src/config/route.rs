//! Routes: each route's path, methods, scheme (a preset with overrides, or a generic one),
//! secrets, freshness, dedup key and limits, checked field by field like the rest of the file.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use super::raw::{
    Choice, RawAllowIp, RawClaimValue, RawDedupKey, RawJwt, RawRate, RawRateLimit, RawRoute,
    RawSecret, RawSns, RawVerify,
};
use super::validate::Validator;
use super::*;
use crate::secret::Secret;
use crate::verify::scheme::parse_payload_template;
use crate::verify::{
    presets, Algorithm, ClaimValue, HeaderSet, IdSource, Issuers, JwtRule, KeySource, Piece,
    SecretEncoding, SignatureFormat, TimestampFormat, TimestampRule, TimestampSource,
};

impl Validator<'_> {
    pub(super) fn route(
        &mut self,
        path: &str,
        r: RawRoute,
        dedup_ttl: Duration,
        default_max_body: usize,
        max_buffered: Option<usize>,
        delivery: DeliveryMode,
    ) -> Option<Route> {
        let name_ok = !r.name.is_empty()
            && r.name.len() <= 64
            && r.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            // Names become metric labels and header values: keep them plain.
            self.problem(
                format!("{path}.name"),
                "use 1-64 letters, digits, '-', '_' or '.'",
            );
        }
        if !r.path.starts_with('/') || r.path.contains('?') {
            self.problem(
                format!("{path}.path"),
                format!("{:?} must start with '/' and have no query string", r.path),
            );
        }

        let methods = match &r.methods {
            None => vec![Method::POST],
            Some(list) if list.is_empty() => {
                self.problem(format!("{path}.methods"), "list at least one method");
                vec![]
            }
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(
                    |(j, m)| match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
                        Ok(m) => Some(m),
                        Err(_) => {
                            self.problem(
                                format!("{path}.methods[{j}]"),
                                format!("{m:?} is not a method"),
                            );
                            None
                        }
                    },
                )
                .collect(),
        };

        let (mut scheme, preset) = self.scheme(path, r.provider.as_deref(), r.verify.as_ref())?;
        let provider = preset.as_ref().map(|p| p.name);
        let jwks_url = self.jwks_url(
            path,
            &scheme,
            preset.as_ref().and_then(|p| p.jwks_url),
            r.verify.as_ref().and_then(|v| v.jwt.as_ref()),
        );
        let sns_confirm = self.sns(path, &mut scheme, r.sns.as_ref());
        for claim in preset.as_ref().map_or(&[][..], |p| p.required_claims) {
            let pinned = scheme
                .jwt
                .as_ref()
                .is_some_and(|j| j.claims.iter().any(|(n, _)| n == claim));
            if !pinned {
                self.problem(
                    format!("{path}.verify.jwt.claims.{claim}"),
                    format!("set the {claim} this route accepts: the sender signs such tokens for everyone's endpoints"),
                );
            }
        }
        let fetched_keys = jwks_url.is_some() || scheme.algorithm == Algorithm::SnsCertificate;
        let handshake = preset.as_ref().and_then(|p| p.handshake);
        let preset_max_age = preset.as_ref().and_then(|p| p.max_age);
        let redelivery = preset.as_ref().and_then(|p| p.redelivery);
        let preset_key = preset.map(|p| p.dedup_key);

        let public_url = r.public_url.clone();
        if let Some(u) = &public_url {
            let ok = u
                .parse::<http::Uri>()
                .ok()
                .is_some_and(|uri| uri.scheme().is_some() && uri.authority().is_some());
            if !ok {
                self.problem(
                    format!("{path}.public_url"),
                    format!("{u:?} must be an absolute URL like https://example.com"),
                );
            }
        } else if scheme.needs(&Piece::Url) {
            self.problem(
                format!("{path}.public_url"),
                "this scheme signs the URL the sender calls; set public_url to it (e.g. https://hooks.example.com)",
            );
        }

        let max_age = self.duration(
            &format!("{path}.max_age"),
            r.max_age.as_deref(),
            preset_max_age.unwrap_or(DEFAULT_MAX_AGE),
        );
        let max_future_skew = self.duration(
            &format!("{path}.max_future_skew"),
            r.max_future_skew.as_deref(),
            DEFAULT_MAX_FUTURE_SKEW,
        );
        let mode = self.choice(
            &format!("{path}.mode"),
            r.mode.as_ref(),
            Mode::Enforce,
            "use enforce or observe",
        );
        let reject_status = match r.reject_status {
            None => StatusCode::UNAUTHORIZED,
            Some(s) => match StatusCode::from_u16(s) {
                Ok(s) if s.is_client_error() => s,
                _ => {
                    self.problem(
                        format!("{path}.reject_status"),
                        format!("{s} is not a 4xx status"),
                    );
                    StatusCode::UNAUTHORIZED
                }
            },
        };

        let dedup_key = if r.dedup == Some(false) {
            None
        } else {
            Some(match &r.dedup_key {
                Some(k) => self.dedup_key(path, k, &scheme, &r.name),
                None => preset_key.unwrap_or_else(|| default_dedup_key(&scheme)),
            })
            // A preset with no key source (Dropbox) dedups nothing unless the route says how.
            .filter(|k| !k.sources.is_empty())
        };
        if dedup_key.is_some() && scheme.timestamp.is_some() && dedup_ttl < max_age {
            self.warnings.push(format!(
                "route {}: dedup.ttl ({}) is shorter than max_age ({}): a replay older than the TTL but still fresh would be forwarded again",
                r.name,
                humantime::format_duration(dedup_ttl),
                humantime::format_duration(max_age)
            ));
        }
        // Without a signed timestamp, the dedup store is all that stops a delivery coming
        // again: it must outlast the sender's own redeliveries.
        if let (Some(window), Some(_), None) = (redelivery, &dedup_key, &scheme.timestamp) {
            if dedup_ttl < window {
                self.warnings.push(format!(
                    "route {}: {} may deliver an event again for up to {} and signs no timestamp, but dedup.ttl is {}: such a redelivery, or a captured delivery replayed, after the TTL is forwarded again; set dedup.ttl to at least {}",
                    r.name,
                    provider.unwrap_or("the sender"),
                    humantime::format_duration(window),
                    humantime::format_duration(dedup_ttl),
                    humantime::format_duration(window)
                ));
            }
        }

        if scheme.algorithm == Algorithm::SnsCertificate {
            self.warnings.push(format!(
                "route {}: SNS signs a message's Message, MessageId, Subject, Timestamp, TopicArn and Type (and a confirmation's SubscribeURL and Token), not its UnsubscribeURL or MessageAttributes: the app must not trust those two",
                r.name
            ));
        } else if scheme.algorithm.is_credential() {
            self.warnings.push(format!(
                "route {}: a {} scheme proves who sent a request, not that its body is unchanged; prefer the sender's signing option where it has one",
                r.name,
                if scheme.algorithm == Algorithm::Basic { "Basic auth" } else { "token" }
            ));
        } else if !scheme.signs_body() {
            self.warnings.push(format!(
                "route {}: the signature does not cover the body (the sender's design); a captured delivery's body could be altered",
                r.name
            ));
        }
        let (filter, filter_status) = self.filter(path, &r);
        let rules = self.rules(path, &r);
        let upstream = self.upstream_name(&format!("{path}.upstream"), r.upstream.as_deref());
        let rate_limit = r
            .rate_limit
            .as_ref()
            .and_then(|rl| self.rate_limit(&format!("{path}.rate_limit"), rl));
        let allow_ips = self.allow_ips(path, r.allow_ips.as_deref());
        let keys = if fetched_keys {
            if !r.secrets.is_empty() {
                self.problem(
                    format!("{path}.secrets"),
                    "this route's keys are fetched from the sender (verify.jwt.jwks_url, or SNS certificates): leave secrets out",
                );
            }
            vec![]
        } else {
            self.keys(path, &r.secrets, &scheme, &r.name)
        };
        let verify_token = self.verify_token(path, &r, handshake);
        let max_body = self.body_limit(
            &format!("{path}.max_body"),
            r.max_body.as_deref(),
            default_max_body,
        );
        if let Some(budget) = max_buffered.filter(|&b| r.max_body.is_some() && max_body > b) {
            self.problem(
                format!("{path}.max_body"),
                format!("larger than limits.max_buffered ({budget} bytes): a body of this size could never be accepted; raise max_buffered"),
            );
        }

        let query = self.choice(
            &format!("{path}.query"),
            r.query.as_ref(),
            QueryPolicy::Forward,
            "use forward or drop",
        );
        if r.query.is_none() && !scheme.signs_query() {
            self.unsigned_query.push(r.name.clone());
        }

        if !name_ok || (keys.is_empty() && !fetched_keys) {
            return None;
        }
        Some(Route {
            index: 0,
            name: r.name.into(),
            path: r.path,
            methods,
            provider,
            scheme,
            keys,
            freshness: Freshness {
                max_age,
                max_future_skew,
            },
            mode,
            reject_status,
            dedup_key,
            public_url,
            handshake,
            verify_token,
            max_body,
            query,
            delivery,
            jwks_url,
            sns_confirm,
            filter,
            filter_status,
            rules,
            upstream,
            rate_limit,
            allow_ips,
        })
    }

    /// `allow_ips:`: CIDR strings, and published lists by sender or URL.
    fn allow_ips(
        &mut self,
        path: &str,
        raw: Option<&[RawAllowIp]>,
    ) -> Option<crate::allowlist::AllowIps> {
        use crate::allowlist::{self as al, Format, ListSpec};
        let raw = raw?;
        let at = format!("{path}.allow_ips");
        if raw.is_empty() {
            self.problem(
                at.as_str(),
                "an empty list would refuse every sender; leave allow_ips out to allow any",
            );
        }
        let mut blocks = Vec::new();
        let mut lists = Vec::new();
        for (i, entry) in raw.iter().enumerate() {
            let here = format!("{at}[{i}]");
            let l = match entry {
                RawAllowIp::Cidr(s) => {
                    match al::parse_cidr(s, true) {
                        Ok(b) => blocks.push(b),
                        Err(e) => self.problem(here, e),
                    }
                    continue;
                }
                RawAllowIp::List(l) => l,
            };
            let refresh = self.duration(
                &format!("{here}.refresh"),
                l.refresh.as_deref(),
                al::DEFAULT_REFRESH,
            );
            if refresh < Duration::from_secs(1) {
                self.problem(format!("{here}.refresh"), "at least 1s");
            }
            let (url, format) = match (&l.sender, &l.url) {
                (Some(sender), None) => {
                    if l.format.is_some() {
                        self.problem(
                            format!("{here}.format"),
                            "a sender's list has its own format; format goes with url",
                        );
                    }
                    match sender.as_str() {
                        "github" => (al::GITHUB_META.to_owned(), Format::GithubMeta),
                        "stripe" => (al::STRIPE_IPS.to_owned(), Format::Stripe),
                        other => {
                            self.problem(
                                format!("{here}.sender"),
                                format!("{other:?} has no list hookgate knows (github, stripe); give its url and format instead"),
                            );
                            continue;
                        }
                    }
                }
                (None, Some(url)) => {
                    let format = match l.format.as_deref() {
                        Some(f) => match Format::from_name(f) {
                            Some(f) => f,
                            None => {
                                self.problem(
                                    format!("{here}.format"),
                                    format!("{f:?}: use json_list, text, github_meta or stripe"),
                                );
                                continue;
                            }
                        },
                        None => {
                            self.problem(
                                format!("{here}.format"),
                                "say how the list is read: json_list, text, github_meta or stripe",
                            );
                            continue;
                        }
                    };
                    let ok = url
                        .parse::<http::Uri>()
                        .ok()
                        .is_some_and(|u| u.scheme_str() == Some("https") && u.host().is_some());
                    if !ok {
                        self.problem(
                            format!("{here}.url"),
                            format!("{url:?} is not an https:// URL"),
                        );
                        continue;
                    }
                    (url.clone(), format)
                }
                _ => {
                    self.problem(here, "give either sender or url");
                    continue;
                }
            };
            lists.push(ListSpec {
                url,
                format,
                refresh,
            });
        }
        Some(crate::allowlist::AllowIps {
            fixed: crate::allowlist::IpSet::new(blocks),
            lists,
        })
    }

    /// `rate_limit`: the rate as `N/s`, `N/m`, `N/h` or a bare number (a second), between one
    /// an hour and a million a second; `burst` from 1 to a million, by default one second's
    /// worth (at least 1).
    fn rate_limit(&mut self, path: &str, rl: &RawRateLimit) -> Option<RateLimit> {
        let parsed = match &rl.rate {
            RawRate::Number(n) => Some((*n, RatePer::Second)),
            RawRate::Text(t) => parse_rate(t),
        };
        let per_second = parsed.map(|(n, per)| n / per.seconds() as f64);
        let Some((count, per)) = parsed.filter(|_| {
            per_second.is_some_and(|r| r.is_finite() && (MIN_RATE..=MAX_RATE).contains(&r))
        }) else {
            self.problem(
                format!("{path}.rate"),
                "write requests per second, minute or hour: `10/s`, `600/m`, `1000/h` (or a number: a second), from 1/h to 1000000/s",
            );
            return None;
        };
        let burst = match rl.burst {
            None => per_second.map_or(1, |r| r.ceil() as u64).max(1),
            Some(b) => b,
        };
        let Some(burst) = u32::try_from(burst)
            .ok()
            .filter(|b| (1..=MAX_BURST).contains(b))
        else {
            self.problem(
                format!("{path}.burst"),
                format!("must be from 1 to {MAX_BURST}"),
            );
            return None;
        };
        Some(RateLimit { count, per, burst })
    }

    /// `filter:` compiled (a problem names the expression's own line and column), and
    /// `filter_status`, a 2xx.
    fn filter(&mut self, path: &str, r: &RawRoute) -> (Option<crate::filter::Filter>, StatusCode) {
        let filter = r
            .filter
            .as_deref()
            .and_then(|src| self.expression(&format!("{path}.filter"), src));
        let status = match r.filter_status {
            None => StatusCode::OK,
            Some(s) => match StatusCode::from_u16(s) {
                Ok(s) if s.is_success() => s,
                _ => {
                    self.problem(
                        format!("{path}.filter_status"),
                        format!("{s} is not a 2xx: the sender must take a filtered delivery as delivered"),
                    );
                    StatusCode::OK
                }
            },
        };
        if r.filter_status.is_some() && r.filter.is_none() {
            self.problem(
                format!("{path}.filter_status"),
                "filter_status needs a filter",
            );
        }
        (filter, status)
    }

    /// A CEL expression compiled, or a problem at `at` naming the expression's own line and
    /// column.
    fn expression(&mut self, at: &str, src: &str) -> Option<crate::filter::Filter> {
        crate::filter::Filter::compile(src)
            .map_err(|e| {
                self.problem(
                    at,
                    format!(
                        "expression line {}, column {}: {}",
                        e.line, e.column, e.message
                    ),
                )
            })
            .ok()
    }

    /// `rules:`, each compiled like a filter, its path an absolute path without a query.
    fn rules(&mut self, path: &str, r: &RawRoute) -> Vec<Rule> {
        let mut rules = Vec::new();
        for (j, raw) in r.rules.iter().flatten().enumerate() {
            let rp = format!("{path}.rules[{j}]");
            let upstream = self.upstream_name(&format!("{rp}.upstream"), raw.upstream.as_deref());
            let path = match raw.path.as_deref() {
                None if raw.upstream.is_none() => {
                    self.problem(&rp, "give the rule a `path`, an `upstream`, or both");
                    Some(None)
                }
                None => Some(None),
                Some(p) => {
                    let ok_path = p.starts_with('/') && !p.contains(['?', '#']);
                    let parsed = p
                        .parse::<http::uri::PathAndQuery>()
                        .ok()
                        .filter(|_| ok_path);
                    if parsed.is_none() {
                        self.problem(
                            format!("{rp}.path"),
                            format!("{p:?} must be a path like /webhooks/clicks (no query)"),
                        );
                    }
                    parsed.map(Some)
                }
            };
            let when = self.expression(&format!("{rp}.when"), &raw.when);
            if let (Some(when), Some(path)) = (when, path) {
                rules.push(Rule {
                    when,
                    path,
                    upstream,
                });
            }
        }
        rules
    }

    /// The route's JWK Set URL: `verify.jwt.jwks_url`, else the preset's. Only for public-key
    /// JWTs, only `https`, and only with an `audience`: a key set's owner (Google, say) signs
    /// tokens for everyone's endpoints, so without one any of them would pass.
    fn jwks_url(
        &mut self,
        path: &str,
        scheme: &Scheme,
        preset: Option<&'static str>,
        raw: Option<&RawJwt>,
    ) -> Option<String> {
        let jp = format!("{path}.verify.jwt.jwks_url");
        let url = match raw.and_then(|j| j.jwks_url.clone()) {
            Some(u) if u.is_empty() => return None,
            Some(u) => u,
            None => preset?.to_owned(),
        };
        if !matches!(scheme.algorithm, Algorithm::JwtRs256 | Algorithm::JwtEs256) {
            self.problem(
                &jp,
                "a JWK Set holds public keys: use algorithm jwt-rs256 or jwt-es256",
            );
            return None;
        }
        let ok = url.parse::<http::Uri>().ok().is_some_and(|u| {
            u.scheme_str() == Some("https")
                && u.authority().is_some_and(|a| !a.as_str().contains('@'))
        });
        if !ok {
            self.problem(
                &jp,
                format!("{url:?} must be an https:// URL without user info"),
            );
            return None;
        }
        if scheme
            .jwt
            .as_ref()
            .and_then(|j| j.audience.as_ref())
            .is_none()
        {
            self.problem(
                format!("{path}.verify.jwt.audience"),
                "set the audience the sender puts in its tokens (usually this endpoint's URL): the key set's owner signs tokens for other endpoints too",
            );
        }
        Some(url)
    }

    /// `sns:` of a `provider: sns` route: the topics accepted go into the scheme (required);
    /// whether hookgate confirms subscriptions is returned.
    fn sns(&mut self, path: &str, scheme: &mut Scheme, raw: Option<&RawSns>) -> bool {
        let sp = format!("{path}.sns");
        if scheme.algorithm != Algorithm::SnsCertificate {
            if raw.is_some() {
                self.problem(sp, "sns: applies to provider: sns");
            }
            return false;
        }
        let topics = raw.map(|r| r.topic_arns.clone()).unwrap_or_default();
        if topics.is_empty() {
            self.problem(
                format!("{sp}.topic_arns"),
                "list the topics this route accepts (arn:aws:sns:REGION:ACCOUNT:NAME): SNS signs every AWS account's messages with the same certificates",
            );
        }
        for (j, t) in topics.iter().enumerate() {
            let parts: Vec<&str> = t.split(':').collect();
            if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" {
                self.problem(
                    format!("{sp}.topic_arns[{j}]"),
                    format!("{t:?} is not a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"),
                );
            }
        }
        scheme.sns_topics = topics;
        raw.and_then(|r| r.confirm_subscription).unwrap_or(false)
    }

    /// The route's scheme: a preset's (returned too) with the `verify:` overrides applied, or
    /// a generic one.
    fn scheme(
        &mut self,
        path: &str,
        provider: Option<&str>,
        v: Option<&RawVerify>,
    ) -> Option<(Scheme, Option<presets::Preset>)> {
        let default = RawVerify::default();
        let (mut scheme, preset) = match provider {
            Some(p) => match presets::lookup(p) {
                Some(preset) => (preset.scheme.clone(), Some(preset)),
                None => {
                    self.problem(
                        format!("{path}.provider"),
                        format!(
                            "unknown provider {p:?}; known: {}",
                            presets::names().collect::<Vec<_>>().join(", ")
                        ),
                    );
                    return None;
                }
            },
            None => {
                let Some(v) = v else {
                    self.problem(path, "a route needs `provider:` or a `verify:` block");
                    return None;
                };
                // Basic auth and JWTs live in `Authorization` unless the route says otherwise.
                let in_authorization = matches!(
                    &v.algorithm,
                    Some(Choice::Known(a)) if *a == Algorithm::Basic || a.is_jwt()
                );
                let h = match &v.header {
                    Some(h) => h.as_str(),
                    // An unknown algorithm is the problem to report, not the header.
                    None if in_authorization || matches!(v.algorithm, Some(Choice::Unknown(_))) => {
                        "authorization"
                    }
                    None => {
                        self.problem(
                            format!("{path}.verify.header"),
                            "a generic scheme needs the signature header's name",
                        );
                        return None;
                    }
                };
                let header = self.header(&format!("{path}.verify.header"), h)?;
                (
                    Scheme {
                        headers: vec![HeaderSet {
                            signature: header,
                            timestamp: None,
                            id: None,
                        }],
                        ..Scheme::default()
                    },
                    None,
                )
            }
        };
        let v = v.unwrap_or(&default);
        let vp = format!("{path}.verify");

        scheme.algorithm = self.choice(
            &format!("{vp}.algorithm"),
            v.algorithm.as_ref(),
            scheme.algorithm,
            "use hmac-sha256, hmac-sha1, hmac-sha512, basic, jwt-hs256, jwt-rs256 or jwt-es256",
        );
        self.jwt_rule(&vp, &mut scheme, v.jwt.as_ref());
        scheme.encoding = self.choice(
            &format!("{vp}.encoding"),
            v.encoding.as_ref(),
            scheme.encoding,
            "use hex, base64 or base64url",
        );
        scheme.secret_encoding = self.choice(
            &format!("{vp}.secret_encoding"),
            v.secret_encoding.as_ref(),
            scheme.secret_encoding,
            "use raw, base64 or whsec",
        );
        // Overriding any header collapses the preset's header families into one.
        let collapse = |scheme: &mut Scheme| scheme.headers.truncate(1);
        if let Some(h) = &v.header {
            if provider.is_some() {
                if let Some(h) = self.header(&format!("{vp}.header"), h) {
                    collapse(&mut scheme);
                    if let Some(set) = scheme.headers.first_mut() {
                        set.signature = h;
                    }
                }
            }
        }
        if let Some(p) = &v.params {
            let sep = match p.separator.as_deref() {
                None => Some(','),
                Some(s) if s.chars().count() == 1 => s.chars().next(),
                Some(s) => {
                    self.problem(
                        format!("{vp}.params.separator"),
                        format!("{s:?} must be one character"),
                    );
                    None
                }
            };
            if let Some(sep) = sep {
                scheme.format = SignatureFormat::Params {
                    pair_separator: sep,
                    signature_key: p.signature.clone(),
                };
            }
            scheme.param_groups = match p.groups.as_deref() {
                None => None,
                Some(g) if g.chars().count() == 1 && !g.contains(sep.unwrap_or(',')) => {
                    g.chars().next()
                }
                Some(g) => {
                    self.problem(
                        format!("{vp}.params.groups"),
                        format!("{g:?} must be one character, not the pair separator"),
                    );
                    None
                }
            };
        }
        if v.prefix.is_some() || v.separator.is_some() || v.prefix_required.is_some() {
            if v.params.is_some() {
                self.problem(&vp, "use either params or prefix/separator, not both");
            }
            let (old_prefix, old_required, old_sep) = match &scheme.format {
                SignatureFormat::List {
                    prefix,
                    prefix_required,
                    separator,
                } => (prefix.clone(), *prefix_required, separator.clone()),
                SignatureFormat::Params { .. } => (None, false, None),
            };
            let prefix = v.prefix.clone().or(old_prefix).filter(|p| !p.is_empty());
            let prefix_required = v.prefix_required.unwrap_or(if v.prefix.is_some() {
                true
            } else {
                old_required
            });
            scheme.format = SignatureFormat::List {
                prefix,
                prefix_required,
                separator: v.separator.clone().filter(|s| !s.is_empty()).or(old_sep),
            };
            scheme.param_groups = None;
        }
        if let Some(ce) = &v.content_encoding {
            match ce.trim().to_ascii_lowercase().as_str() {
                "gzip" => scheme.decode_gzip = true,
                "none" | "identity" => scheme.decode_gzip = false,
                _ => self.problem(
                    format!("{vp}.content_encoding"),
                    format!("{ce:?}: use gzip (the signed body is the gzip-decoded one when the request says Content-Encoding: gzip) or none"),
                ),
            }
        }
        if let Some(t) = &v.signed_payload {
            match parse_payload_template(t) {
                Ok(p) => scheme.payload = p,
                Err(e) => self.problem(format!("{vp}.signed_payload"), e),
            }
        }
        if v.timestamp.is_some() && scheme.algorithm.is_jwt() {
            self.problem(
                format!("{vp}.timestamp"),
                "a JWT's signed time is its iat claim: use jwt: { iat: true }",
            );
        }
        if let Some(t) = v.timestamp.as_ref().filter(|_| !scheme.algorithm.is_jwt()) {
            let tp = format!("{vp}.timestamp");
            let format = self.choice(
                &format!("{tp}.format"),
                t.format.as_ref(),
                TimestampFormat::Unix,
                "use unix, unix_ms, rfc3339 or iso8601_no_zone",
            );
            let first = t.first_entry.unwrap_or(false);
            let source = match (&t.header, &t.json, &t.param) {
                (Some(h), None, None) if !first => {
                    if let Some(h) = self.header(&format!("{tp}.header"), h) {
                        collapse(&mut scheme);
                        if let Some(set) = scheme.headers.first_mut() {
                            set.timestamp = Some(h);
                        }
                    }
                    Some(TimestampSource::Header)
                }
                (None, Some(j), None) if !first => self
                    .pointer(&format!("{tp}.json"), j)
                    .map(TimestampSource::Json),
                (None, None, Some(p)) if !first => Some(TimestampSource::SignatureParam(p.clone())),
                (None, None, None) if first => Some(TimestampSource::FirstEntry),
                _ => {
                    self.problem(
                        &tp,
                        "set exactly one of header, json, param or first_entry: true",
                    );
                    None
                }
            };
            if let Some(source) = source {
                scheme.timestamp = Some(TimestampRule { source, format });
            }
        }
        if let Some(id) = &v.id {
            let ip = format!("{vp}.id");
            match (&id.header, &id.json) {
                (Some(h), None) => {
                    if let Some(h) = self.header(&format!("{ip}.header"), h) {
                        collapse(&mut scheme);
                        if let Some(set) = scheme.headers.first_mut() {
                            set.id = Some(h);
                        }
                        scheme.id = Some(IdSource::Header);
                    }
                }
                (None, Some(j)) => {
                    if let Some(p) = self.pointer(&format!("{ip}.json"), j) {
                        scheme.id = Some(IdSource::Json(p));
                    }
                }
                _ => self.problem(&ip, "set exactly one of header or json"),
            }
        }

        // Cross-field checks on the merged scheme.
        if scheme.needs(&Piece::Timestamp) && scheme.timestamp.is_none() {
            self.problem(
                &vp,
                "signed_payload uses {timestamp}; say where it is with `timestamp:`",
            );
        }
        if scheme.needs(&Piece::Id) && scheme.id.is_none() {
            self.problem(&vp, "signed_payload uses {id}; say where it is with `id:`");
        }
        // `{param:NAME}` is read from `k=v` pairs: with any other header it never verifies.
        if scheme.payload.iter().any(|p| matches!(p, Piece::Param(_)))
            && !matches!(scheme.format, SignatureFormat::Params { .. })
        {
            self.problem(
                format!("{vp}.signed_payload"),
                "{param:NAME} needs a `params:` signature header",
            );
        }
        if let Some(TimestampRule {
            source: TimestampSource::SignatureParam(_),
            ..
        }) = &scheme.timestamp
        {
            if !matches!(scheme.format, SignatureFormat::Params { .. }) {
                self.problem(
                    format!("{vp}.timestamp.param"),
                    "a timestamp param needs a `params:` signature header",
                );
            }
        }
        if let Some(TimestampRule {
            source: TimestampSource::FirstEntry,
            ..
        }) = &scheme.timestamp
        {
            if !matches!(
                scheme.format,
                SignatureFormat::List {
                    separator: Some(_),
                    ..
                }
            ) {
                self.problem(
                    format!("{vp}.timestamp.first_entry"),
                    "a timestamp first entry needs a signature list with a `separator:`",
                );
            }
        }
        // A timestamp outside the signed bytes can be rewritten by anyone replaying a capture,
        // so freshness checked on it would protect nothing. (One in the JSON body is signed with
        // the body; a JWT's `iat` with the token.)
        if let Some(TimestampRule { source, .. }) = &scheme.timestamp {
            let in_body = matches!(source, TimestampSource::Json(_) | TimestampSource::JwtIat);
            let in_signed_headers = matches!(source, TimestampSource::Header)
                && scheme
                    .payload
                    .iter()
                    .any(|p| matches!(p, Piece::SignedHeaders(_)));
            if !in_body && !in_signed_headers && !scheme.needs(&Piece::Timestamp) {
                self.problem(
                    format!("{vp}.signed_payload"),
                    "the timestamp is not covered by the signature (add {timestamp} to signed_payload), so max_age would not stop replays",
                );
            }
        }
        if let Some(TimestampRule {
            source: TimestampSource::Header,
            ..
        }) = &scheme.timestamp
        {
            if scheme.headers.iter().any(|s| s.timestamp.is_none()) {
                self.problem(format!("{vp}.timestamp"), "name the timestamp header");
            }
        }
        Some((scheme, preset))
    }

    /// A JWT scheme's claims rule: the preset's (or none) with `verify.jwt` applied. Claims
    /// only make sense for JWT algorithms, and a JWT's time is its `iat`, never a header.
    fn jwt_rule(&mut self, vp: &str, scheme: &mut Scheme, raw: Option<&RawJwt>) {
        if !scheme.algorithm.is_jwt() {
            if raw.is_some() {
                self.problem(
                    format!("{vp}.jwt"),
                    "jwt: applies to algorithm jwt-hs256, jwt-rs256 or jwt-es256",
                );
            }
            scheme.jwt = None;
            if scheme.timestamp.as_ref().map(|t| &t.source) == Some(&TimestampSource::JwtIat) {
                scheme.timestamp = None;
            }
            return;
        }
        let rule = scheme.jwt.get_or_insert_with(JwtRule::default);
        let Some(raw) = raw else { return };
        let text = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        if let Some(list) = &raw.issuer {
            // An empty list (or `issuer: ""`) clears a preset's issuer, like the other keys.
            let list: Vec<String> = list.0.iter().filter(|i| !i.is_empty()).cloned().collect();
            rule.issuer = (!list.is_empty()).then_some(Issuers(list));
        }
        if let Some(claims) = &raw.claims {
            // Added to the preset's (Pub/Sub's `email_verified: true` stays when the route
            // names its account), a claim of the same name replaced.
            for (name, value) in claims {
                if name.is_empty() {
                    self.problem(format!("{vp}.jwt.claims"), "a claim name is empty");
                    continue;
                }
                // These have their own keys, whose checks are more than equality.
                if matches!(name.as_str(), "iss" | "aud" | "exp" | "nbf" | "iat") {
                    self.problem(
                        format!("{vp}.jwt.claims.{name}"),
                        "use issuer, audience, require_exp or iat for the registered claims",
                    );
                    continue;
                }
                let value = match value {
                    RawClaimValue::Text(t) => ClaimValue::Text(t.clone()),
                    RawClaimValue::Bool(b) => ClaimValue::Bool(*b),
                };
                match rule.claims.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = value,
                    None => rule.claims.push((name.clone(), value)),
                }
            }
        }
        if raw.audience.is_some() {
            rule.audience = text(&raw.audience);
        }
        if raw.body_sha256_claim.is_some() {
            rule.body_sha256_claim = text(&raw.body_sha256_claim);
        }
        if let Some(e) = raw.require_exp {
            rule.require_exp = e;
        }
        match raw.iat {
            Some(true) => {
                scheme.timestamp = Some(TimestampRule {
                    source: TimestampSource::JwtIat,
                    format: TimestampFormat::Unix,
                });
            }
            Some(false) => scheme.timestamp = None,
            None => {}
        }
    }

    fn pointer(&mut self, path: &str, p: &str) -> Option<String> {
        if p.is_empty() || p.starts_with('/') {
            Some(p.to_owned())
        } else {
            self.problem(
                path,
                format!("{p:?} is not a JSON pointer; write it like /id or /data/event_id"),
            );
            None
        }
    }

    fn dedup_key(
        &mut self,
        path: &str,
        k: &RawDedupKey,
        scheme: &Scheme,
        route: &str,
    ) -> DedupKeySpec {
        let kp = format!("{path}.dedup_key");
        let mut sources = Vec::new();
        if let Some(h) = &k.header {
            if let Some(h) = self.header(&format!("{kp}.header"), h) {
                let signed = scheme.needs(&Piece::Id)
                    && scheme.id == Some(IdSource::Header)
                    && scheme.headers.iter().any(|s| s.id.as_ref() == Some(&h));
                if !signed {
                    self.warnings.push(format!(
                        "route {route}: dedup_key header {h} is not covered by the signature: anyone replaying a captured delivery can change it to get it forwarded again; prefer a signed id (json:) or body_sha256"
                    ));
                }
                sources.push(if signed {
                    KeySource::SchemeId
                } else {
                    KeySource::Header(h)
                });
            }
        }
        if let Some(j) = &k.json {
            if let Some(p) = self.pointer(&format!("{kp}.json"), j) {
                sources.push(KeySource::Json(p));
            }
        }
        if let Some(h) = &k.delivery_header {
            if let Some(h) = self.header(&format!("{kp}.delivery_header"), h) {
                sources.push(KeySource::DeliveryHeader(h));
            }
        }
        if k.body_sha256 == Some(true) {
            sources.push(KeySource::BodySha256);
        }
        if sources.is_empty() {
            self.problem(
                &kp,
                "set header, json, delivery_header or body_sha256: true (or `dedup: false` to turn dedup off)",
            );
        }
        DedupKeySpec { sources }
    }

    /// The route's `verify_token`: only for a sender whose setup request carries one (Meta's
    /// verification GET), so a token set on another route is a mistake worth saying.
    fn verify_token(
        &mut self,
        path: &str,
        r: &RawRoute,
        handshake: Option<presets::Handshake>,
    ) -> Option<Secret> {
        let raw = r.verify_token.as_ref()?;
        let sp = format!("{path}.verify_token");
        if handshake != Some(presets::Handshake::MetaVerifyToken) {
            self.problem(
                &sp,
                "only routes whose provider answers Meta's verification GET (facebook, instagram, whatsapp) use verify_token",
            );
            return None;
        }
        let label = format!("route {}: verify_token", r.name);
        self.secret(&sp, raw, &label)
    }

    fn keys(
        &mut self,
        path: &str,
        secrets: &[RawSecret],
        scheme: &Scheme,
        route: &str,
    ) -> Vec<Key> {
        if secrets.is_empty() {
            self.problem(
                format!("{path}.secrets"),
                "list at least one secret (env: NAME or file: /path)",
            );
            return vec![];
        }
        let mut ids = HashSet::new();
        let mut keys = Vec::new();
        for (j, s) in secrets.iter().enumerate() {
            let sp = format!("{path}.secrets[{j}]");
            let id: String =
                s.id.clone()
                    .or_else(|| s.env.clone())
                    .or_else(|| {
                        s.file
                            .as_ref()
                            .and_then(|f| f.file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                    })
                    .unwrap_or_else(|| format!("secret{j}"));
            if !ids.insert(id.clone()) {
                self.problem(
                    format!("{sp}.id"),
                    format!("secret id {id:?} is used twice in this route; give each an id"),
                );
            }
            let label = format!("route {route}: secret {id:?}");
            let not_after = s.not_after.as_deref().and_then(|t| {
                let parsed = time::OffsetDateTime::parse(
                    t.trim(),
                    &time::format_description::well_known::Rfc3339,
                );
                if parsed.is_err() {
                    self.problem(
                        format!("{sp}.not_after"),
                        "write an RFC 3339 time with its offset, e.g. 2026-03-01T00:00:00Z",
                    );
                }
                parsed.ok().map(SystemTime::from)
            });
            let secret = self.secret_value(&sp, s, &label);
            let Some(secret) = secret else { continue };
            let secret = if self.secrets == Secrets::Skip
                && matches!(scheme.algorithm, Algorithm::JwtRs256 | Algorithm::JwtEs256)
            {
                // A public key of the right kind, so `check --no-secrets` validates the rest.
                Secret::new(crate::verify::placeholder_public_key(scheme.algorithm))
            } else if self.secrets == Secrets::Skip && scheme.secret_encoding != SecretEncoding::Raw
            {
                // A placeholder that decodes under every encoding.
                Secret::new("cGxhY2Vob2xkZXI=")
            } else {
                secret
            };
            if scheme.algorithm == Algorithm::Basic
                && self.secrets != Secrets::Skip
                && !secret.expose().contains(&b':')
            {
                self.warnings.push(format!(
                    "route {route}: secret {id:?} has no `:`; Basic auth credentials are `user:pass` (RFC 7617), so no well-formed request can match it"
                ));
            }
            match Key::new(id.into(), &secret, scheme) {
                Ok(k) => keys.push(match not_after {
                    Some(t) => k.with_not_after(t),
                    None => k,
                }),
                Err(e) => self.problem(&sp, format!("secret {}: {e}", j)),
            }
        }
        keys
    }
}

/// The slowest `rate_limit.rate`, a second: one an hour.
const MIN_RATE: f64 = 1.0 / 3600.0;
/// The fastest `rate_limit.rate`, a second (a token every microsecond).
const MAX_RATE: f64 = 1_000_000.0;
/// The largest `rate_limit.burst`.
const MAX_BURST: u32 = 1_000_000;

/// `10/s`, `600/m`, `1000/h` (also `/sec`, `/min`, `/hour`, `/second`, `/minute`), or a bare
/// number: a second.
fn parse_rate(text: &str) -> Option<(f64, RatePer)> {
    let (n, unit) = text.split_once('/').unwrap_or((text, "s"));
    let per = match unit.trim() {
        "s" | "sec" | "second" => RatePer::Second,
        "m" | "min" | "minute" => RatePer::Minute,
        "h" | "hour" => RatePer::Hour,
        _ => return None,
    };
    let n: f64 = n.trim().parse().ok()?;
    (n.is_finite() && n > 0.0).then_some((n, per))
}

fn default_dedup_key(scheme: &Scheme) -> DedupKeySpec {
    // Without a preset, only material the signature covers is used: a signed id, else the
    // body hash.
    if scheme.needs(&Piece::Id) {
        DedupKeySpec {
            sources: vec![KeySource::SchemeId],
        }
    } else {
        DedupKeySpec {
            sources: vec![KeySource::BodySha256],
        }
    }
}
