//! `hookgate demo`: a bundled demo app, hookgate in front of it, and a scripted first look (a
//! signed request accepted, a forged one refused, a retry deduplicated), with made-up secrets
//! for any variable that is not set.

use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use hookgate::app::{self, Listeners};
use hookgate::clock::system_clock;
use hookgate::config::{Config, Env, UpstreamTarget};
use hookgate::sender::{sample_body, sign_headers};

/// The process environment, with a demo value for any secret variable that is not set, so the
/// demo runs on a fresh machine. The value is `whsec_` + base64, which every scheme accepts
/// (raw schemes use the string as is).
pub struct DemoEnv;

impl Env for DemoEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().or_else(|| Some(demo_secret(name)))
    }
}

/// The demo value of a secret variable, e.g. for `GITHUB_WEBHOOK_SECRET`.
pub fn demo_secret(var: &str) -> String {
    let raw = format!("demo-{}", var.to_ascii_lowercase());
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Runs the demo until Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let UpstreamTarget::Http { authority, .. } = &config.startup.upstream.target else {
        anyhow::bail!("the demo needs an http:// upstream in the config");
    };
    let app_addr = authority.as_str().to_owned();
    let app = TcpListener::bind(&app_addr)
        .await
        .with_context(|| format!("cannot start the demo app on {app_addr} (the config's upstream); is something using that port?"))?;
    tokio::spawn(demo_app(app));
    let main = TcpListener::bind(config.startup.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is something using that port?",
                config.startup.listen
            )
        })?;
    let admin = TcpListener::bind(config.startup.admin_listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is something using that port?",
                config.startup.admin_listen
            )
        })?;
    let port = main.local_addr()?.port();
    let admin_port = admin.local_addr()?.port();
    let route = config
        .live
        .routes
        .iter()
        .find(|r| r.provider == Some("tolinku"))
        .or_else(|| config.live.routes.first())
        .cloned()
        .context("the config has no routes")?;

    let server = tokio::spawn(app::run(
        config,
        Listeners { main, admin },
        system_clock(),
        app::shutdown_signal(),
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let base = format!("http://127.0.0.1:{port}");
    let now = SystemTime::now();
    let body = sample_body(&route, now);
    let key = route.keys.first().context("route has no secret")?;
    let headers = sign_headers(&route, key, body.as_bytes(), now)?;
    let url = format!("{base}{}", route.path);
    println!(
        "\n=== hookgate demo: route {:?} ({}) at {url}\n",
        &*route.name,
        route.provider.unwrap_or("custom")
    );

    println!("1) a correctly signed delivery:");
    let (status, text) = post(&url, &headers, &body).await?;
    println!("   -> {status} {text}\n");

    println!("2) the same body with a forged signature:");
    let forged: Vec<(HeaderName, String)> = headers
        .iter()
        .map(|(n, v)| {
            if route.scheme.headers.iter().any(|s| s.signature == *n) {
                (n.clone(), forge(v))
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let (status, text) = post(&url, &forged, &body).await?;
    println!("   -> {status} {text}\n");

    println!("3) the signed delivery again (a sender retry):");
    let (status, text) = post(&url, &headers, &body).await?;
    println!("   -> {status} {text}\n");

    let fresh_now = SystemTime::now();
    let fresh = sample_body(&route, fresh_now);
    let fresh_headers = sign_headers(&route, key, fresh.as_bytes(), fresh_now)?;
    println!(
        "Try it yourself (signed now; valid for {}):",
        humantime::format_duration(route.freshness.max_age)
    );
    let mut curl = format!("curl -i {url} -H 'Content-Type: application/json'");
    for (n, v) in &fresh_headers {
        curl.push_str(&format!(" -H '{n}: {v}'"));
    }
    curl.push_str(&format!(
        " --data-binary '{}'",
        fresh.replace('\'', "'\\''")
    ));
    println!("  {curl}\n");
    println!(
        "More: `hookgate sign --config config.example.yaml --route NAME` prints fresh headers;"
    );
    println!("metrics at http://127.0.0.1:{admin_port}/metrics. Ctrl-C to stop.\n");

    server.await.context("hookgate task failed")??;
    Ok(())
}

/// Changes the last signature character, keeping the format valid.
fn forge(v: &str) -> String {
    let mut s = v.to_owned();
    if let Some(last) = s.pop() {
        s.push(if last == 'a' { 'b' } else { 'a' });
    }
    s
}

async fn post(
    url: &str,
    headers: &[(HeaderName, String)],
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::post(url).header("content-type", "application/json");
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let req = req.body(Full::new(Bytes::from(body.to_owned())))?;
    let resp = client.request(req).await.context("cannot reach hookgate")?;
    let status = resp.status().as_u16();
    let dup = resp
        .headers()
        .get("hookgate-duplicate")
        .map(|_| " [Hookgate-Duplicate: true]")
        .unwrap_or("");
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, format!("{}{dup}", String::from_utf8_lossy(&bytes))))
}

/// The demo app: prints what reaches it and answers 200.
async fn demo_app(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                let (parts, body) = req.into_parts();
                let bytes = body
                    .collect()
                    .await
                    .map(|c| c.to_bytes())
                    .unwrap_or_default();
                let verified = parts
                    .headers
                    .get("hookgate-verified")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                println!(
                    "   [demo app] {} {}  Hookgate-Verified: {verified}  body: {}",
                    parts.method,
                    parts.uri,
                    String::from_utf8_lossy(&bytes)
                );
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                    b"{\"received\":true}",
                ))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
