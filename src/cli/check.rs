//! `hookgate check`: the config's verdict, its routes in one line each, and its warnings.

use std::path::Path;

use anyhow::Context as _;
use hookgate::config::Config;

/// `hookgate check`'s report on a valid config.
pub fn render(path: &Path, config: &Config) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{}: ok", path.display());
    let _ = writeln!(
        out,
        "listen {}  admin {}  upstream {}  workers {}",
        config.startup.listen,
        config.startup.admin_listen,
        config.startup.upstream.url,
        config.startup.workers
    );
    for (name, up) in &config.startup.upstreams {
        let _ = writeln!(out, "upstreams.{name} {}", up.url);
    }
    let _ = writeln!(
        out,
        "max_body {}  max_buffered {}  max_concurrency {}",
        config.live.limits.max_body,
        config.live.limits.max_buffered,
        config.startup.limits.max_concurrency
    );
    if !config.live.trusted_proxies.is_empty() {
        let _ = writeln!(
            out,
            "trusted_proxies {} ranges  client address from {}",
            config.live.trusted_proxies.ranges(),
            if config.startup.proxy_protocol {
                "the PROXY header"
            } else {
                "X-Forwarded-For"
            }
        );
    }
    let _ = writeln!(out, "routes:");
    for r in &config.live.routes {
        let scheme = r.provider.unwrap_or("custom");
        let secrets: Vec<String> = match (&r.jwks_url, r.fetches_keys()) {
            (Some(url), _) => vec![format!("jwks:{}", hookgate::fetch::redact(url))],
            (None, true) => vec![format!(
                "sns-certificate(topics:{})",
                r.scheme.sns_topics.len()
            )],
            _ => r.keys.iter().map(|k| k.id.to_string()).collect(),
        };
        let dedup = match &r.dedup_key {
            None => "off".to_owned(),
            Some(spec) => spec.to_string(),
        };
        // Only when the route sets its own: the common case stays one short line.
        let max_body = if r.max_body == config.live.limits.max_body {
            String::new()
        } else {
            format!(" max_body={}", r.max_body)
        };
        let delivery = match r.delivery {
            hookgate::config::DeliveryMode::Sync => String::new(),
            hookgate::config::DeliveryMode::Queued(p) => format!(
                " delivery=queued(concurrency={}{} max_attempts={} max_age={:?})",
                p.concurrency,
                p.rate.map(|r| format!(" rate={r}/s")).unwrap_or_default(),
                p.max_attempts,
                p.max_age
            ),
        };
        let mut filters = String::new();
        if r.filter.is_some() {
            filters.push_str(" filter");
        }
        if !r.rules.is_empty() {
            filters.push_str(&format!(" rules={}", r.rules.len()));
        }
        if let Some(up) = &r.upstream {
            filters.push_str(&format!(" upstream={up}"));
        }
        if let Some(rl) = &r.rate_limit {
            filters.push_str(&format!(" rate_limit={rl}"));
        }
        if let Some(allow) = &r.allow_ips {
            filters.push_str(&format!(" allow_ips=[{}]", allow_ips(allow)));
        }
        let _ = writeln!(
            out,
            "  {:<18} {:<24} {:<18} secrets=[{}] mode={:?} dedup={}{}{}{}",
            r.name,
            r.path,
            scheme,
            secrets.join(","),
            r.mode,
            dedup,
            max_body,
            delivery,
            filters
        );
    }
    if let Some(q) = &config.startup.queue {
        let store = match &q.store {
            hookgate::config::QueueStore::Embedded { path } => path.display().to_string(),
            hookgate::config::QueueStore::Redis { redis: r } => format!("redis {}", r.url),
        };
        let _ = writeln!(
            out,
            "queue {store}  max_bytes {}  max_dead_letters {}",
            q.max_bytes, q.max_dead_letters
        );
    }
    let dated = expiring(config, std::time::SystemTime::now());
    if !dated.is_empty() {
        let _ = writeln!(
            out,
            "secrets expiring (within a week, or past their not_after):"
        );
        for line in dated {
            let _ = writeln!(out, "  {line}");
        }
    }
    for w in config.warnings.iter().chain(&memory_warning(config)) {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// A route's `allow_ips` in a few words: `2 ranges, github_meta https://api.github.com/meta
/// every 1h`. The URLs are redacted (a list's URL may carry a token).
fn allow_ips(allow: &hookgate::allowlist::AllowIps) -> String {
    let mut parts = Vec::new();
    if !allow.fixed.is_empty() {
        parts.push(format!("{} ranges", allow.fixed.ranges()));
    }
    for l in &allow.lists {
        parts.push(format!(
            "{} {} every {}",
            l.format.name(),
            hookgate::fetch::redact(&l.url),
            humantime::format_duration(l.refresh)
        ));
    }
    parts.join(", ")
}

/// How far ahead `check` lists a secret's `not_after`.
const EXPIRY_HORIZON: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// The route secrets whose `not_after` is past at `now` or within `EXPIRY_HORIZON` of it, a
/// line each, soonest first: `route gh secret old: expired 2026-03-01T00:00:00Z (2d 3h ago)`.
pub fn expiring(config: &Config, now: std::time::SystemTime) -> Vec<String> {
    let mut dated: Vec<(std::time::SystemTime, String)> = Vec::new();
    for r in &config.live.routes {
        for k in &r.keys {
            let Some(t) = k.not_after() else { continue };
            let when = time::OffsetDateTime::from(t)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let line = match t.duration_since(now) {
                Ok(left) if left <= EXPIRY_HORIZON => format!(
                    "route {} secret {}: expires {when} (in {})",
                    r.name,
                    k.id,
                    span(left)
                ),
                Ok(_) => continue,
                Err(e) => format!(
                    "route {} secret {}: expired {when} ({} ago); it verifies nothing",
                    r.name,
                    k.id,
                    span(e.duration())
                ),
            };
            dated.push((t, line));
        }
    }
    dated.sort_by_key(|(t, _)| *t);
    dated.into_iter().map(|(_, line)| line).collect()
}

/// `3d 4h`, `5h 2m`, `40s`: two units at most, for a reader.
fn span(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins}m")
    } else if mins > 0 {
        format!("{mins}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

/// Whether the config's worst case fits this container's memory limit, when it has one.
pub fn memory_warning(config: &Config) -> Option<String> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let limit = hookgate::sizing::cgroup_memory_limit(Path::new("/sys/fs/cgroup"), &cgroups)?;
    hookgate::sizing::memory_warning(config, limit)
}

/// What `route`'s filter and rules do with `body` (as if it arrived verified, with no extra
/// headers, no query and no event id): `hookgate check --explain ROUTE --body FILE`.
pub fn explain(config: &Config, route: &str, body: &[u8]) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let r = config
        .live
        .routes
        .iter()
        .find(|r| &*r.name == route)
        .with_context(|| format!("no route named {route:?}"))?;
    let headers = http::HeaderMap::new();
    let input = hookgate::filter::Input {
        body,
        headers: &headers,
        query: None,
        route: &r.name,
        event_id: None,
    };
    let mut out = String::new();
    let verdict = |f: &hookgate::filter::Filter| match f.matches(&input) {
        Ok(true) => ("matches", true),
        Ok(false) => ("does not match", false),
        Err(_) => ("fails on this event (counts as no match)", false),
    };
    let wanted = match &r.filter {
        None => {
            writeln!(out, "route {}: no filter", r.name)?;
            true
        }
        Some(f) => {
            let (says, ok) = verdict(f);
            writeln!(out, "route {}: filter `{}` {says}", r.name, f.source())?;
            if let Err(e) = f.matches(&input) {
                writeln!(out, "  error: {e}")?;
            }
            ok
        }
    };
    let route_upstream = r.upstream.as_deref();
    let mut chosen = None;
    for (i, rule) in r.rules.iter().enumerate() {
        let (says, ok) = verdict(&rule.when);
        let to = destination(
            rule.path.as_ref(),
            rule.upstream.as_deref().or(route_upstream),
        );
        writeln!(out, "  rule {i} `{}` -> {to}: {says}", rule.when.source())?;
        if ok && chosen.is_none() {
            chosen = Some(to);
        }
    }
    if wanted {
        let to = chosen.unwrap_or_else(|| destination(None, route_upstream));
        writeln!(out, "=> forwarded to {to}")?;
    } else if r.mode == hookgate::config::Mode::Observe {
        writeln!(
            out,
            "=> observe mode: forwarded anyway (the filter would drop it)"
        )?;
    } else {
        writeln!(
            out,
            "=> filtered: answered {} with Hookgate-Filtered: true, not forwarded",
            r.filter_status.as_u16()
        )?;
    }
    Ok(out)
}

/// Where a delivery goes, in words: a path (or the request's own) on an upstream.
fn destination(path: Option<&http::uri::PathAndQuery>, upstream: Option<&str>) -> String {
    let path = path.map_or("the request's own path", |p| p.as_str());
    match upstream {
        Some(name) => format!("{path} on upstreams.{name}"),
        None => format!("{path} on upstream"),
    }
}
