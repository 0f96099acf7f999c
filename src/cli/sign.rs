//! `hookgate sign`: the headers a route's sender would attach to a body, ready for curl.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;

use hookgate::config::Config;
use hookgate::sender;

pub fn run(
    config: &Config,
    route: &str,
    body: Option<&Path>,
    secret: Option<&str>,
    values: &[String],
) -> anyhow::Result<()> {
    let values = values
        .iter()
        .map(|v| {
            v.split_once('=')
                .map(|(n, v)| (n.trim().to_owned(), v.to_owned()))
                .with_context(|| format!("--value {v:?} is not NAME=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let r = config
        .live
        .routes
        .iter()
        .find(|r| &*r.name == route)
        .with_context(|| {
            let names: Vec<&str> = config.live.routes.iter().map(|r| &*r.name).collect();
            format!("no route named {route:?}; routes: {}", names.join(", "))
        })?;
    if r.fetches_keys() {
        anyhow::bail!(
            "route {route:?}: cannot sign: its keys are the sender's own (a JWK Set, or SNS certificates), fetched by hookgate; only the sender holds the private key"
        );
    }
    let now = SystemTime::now();
    // By default a secret that still verifies (one past its not_after would sign requests
    // hookgate refuses); the first, if none does.
    let key = match secret {
        None => r
            .keys
            .iter()
            .find(|k| k.usable_at(now))
            .or_else(|| r.keys.first()),
        Some(id) => r.keys.iter().find(|k| &*k.id == id),
    }
    .context("no such secret id on this route")?;
    let (content_type, sample) = sender::sample(r, now);
    let body = match body {
        None => sample.into_bytes(),
        Some(p) if p == Path::new("-") => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
            buf
        }
        Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
    };
    let headers = sender::sign_headers_with(r, key, &body, now, &values)?;
    let lines: String = headers
        .iter()
        .map(|(name, value)| format!("-H '{name}: {value}'\n"))
        .collect();
    super::emit(&lines)?;
    if body.is_empty() || std::str::from_utf8(&body).is_err() {
        return Ok(());
    }
    eprintln!(
        "# body signed ({} bytes; Content-Type: {content_type}); send it byte for byte (--data-binary)",
        body.len()
    );
    Ok(())
}
