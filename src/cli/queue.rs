//! `hookgate queue ls | show ID | replay ID|--all | purge [ID]`: the dead letters (and what
//! waits) of a running hookgate, through its admin port (`GET /queue/...`, `POST
//! /queue/replay/...`), with `admin.token` when the config sets one. The store itself is held
//! by the running process; the CLI never opens it.

use std::time::Duration;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use hookgate::config::Config;

const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_READ: usize = 64 * 1024 * 1024;

/// What to ask.
pub enum Action {
    /// Dead letters, or with `pending` what waits for the app.
    Ls {
        pending: bool,
        limit: usize,
    },
    Show {
        id: u64,
        body: bool,
    },
    /// One dead letter, or all (`None`).
    Replay {
        id: Option<u64>,
    },
    /// One dead letter, or all (`None`).
    Purge {
        id: Option<u64>,
    },
}

/// The admin port's base URL: `--admin`, else the config's `admin_listen` (an unspecified
/// address means this machine).
pub fn admin_url(config: &Config, given: Option<&str>) -> String {
    if let Some(u) = given {
        return u.trim_end_matches('/').to_owned();
    }
    let mut addr = config.startup.admin_listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

pub async fn run(config: &Config, admin: &str, action: Action) -> anyhow::Result<String> {
    let (method, path) = match &action {
        Action::Ls { pending, limit } => (
            Method::GET,
            format!(
                "/queue/{}?limit={limit}",
                if *pending { "pending" } else { "dead" }
            ),
        ),
        Action::Show { id, body } => (
            Method::GET,
            format!(
                "/queue/deliveries/{id}{}",
                if *body { "?body=true" } else { "" }
            ),
        ),
        Action::Replay { id } => (
            Method::POST,
            format!(
                "/queue/replay/{}",
                id.map_or("all".into(), |i| i.to_string())
            ),
        ),
        Action::Purge { id } => (
            Method::POST,
            id.map_or("/queue/purge".into(), |i| format!("/queue/purge/{i}")),
        ),
    };
    let url = format!("{admin}{path}");
    let mut req = Request::builder().method(method).uri(&url);
    if let Some(token) = &config.live.admin.token {
        let value = format!("Bearer {}", String::from_utf8_lossy(token.expose()));
        req = req.header(AUTHORIZATION, value);
    }
    let req = req.body(Full::new(Bytes::new()))?;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let answer = tokio::time::timeout(TIMEOUT, async {
        let resp = client.request(req).await?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), MAX_READ)
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_bytes();
        anyhow::Ok((status, body))
    })
    .await
    .map_err(|_| anyhow::anyhow!("no answer from {url} within {TIMEOUT:?}"))?
    .map_err(|e| {
        anyhow::anyhow!("cannot reach hookgate's admin port at {admin}: {e}. Is it running? (--admin URL to point elsewhere)")
    })?;
    let (status, body) = answer;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| anyhow::anyhow!("{url}: {status}: {}", String::from_utf8_lossy(&body)))?;
    if status != StatusCode::OK {
        let message = value["error"].as_str().unwrap_or("unexpected answer");
        anyhow::bail!("{status}: {message}");
    }
    Ok(match action {
        Action::Ls { .. } => table(&value),
        Action::Show { .. } => serde_json::to_string_pretty(&value)? + "\n",
        Action::Replay { .. } => format!(
            "{} dead letter(s) back in the queue\n",
            value["replay"].as_u64().unwrap_or(0)
        ),
        Action::Purge { .. } => format!(
            "{} dead letter(s) removed\n",
            value["purge"].as_u64().unwrap_or(0)
        ),
    })
}

/// One line per delivery: id, route, event id, attempts, last result, when.
fn table(list: &serde_json::Value) -> String {
    let rows = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if rows.is_empty() {
        return "(none)\n".into();
    }
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_owned();
    let mut out = format!(
        "{:<10} {:<16} {:<28} {:>8} {:<12} {}\n",
        "ID", "ROUTE", "EVENT ID", "ATTEMPTS", "LAST", "RECEIVED / DEAD REASON"
    );
    for r in rows {
        let when = match r["dead_reason"].as_str() {
            Some(reason) => format!("{} / {reason}", s(&r["received_at"])),
            None => s(&r["received_at"]),
        };
        out.push_str(&format!(
            "{:<10} {:<16} {:<28} {:>8} {:<12} {}\n",
            s(&r["id"]),
            s(&r["route"]),
            s(&r["event_id"]),
            r["attempts"].as_u64().unwrap_or(0),
            s(&r["last_result"]),
            when
        ));
    }
    out
}
