//! A slow app for bench/queue.sh: answers every request `200 {"ok":true}` after a fixed delay
//! (default 2 s), reading the whole body first. Any number of requests wait at once (one tokio
//! task each), so the delay is the app's, not a queue in front of it. It counts what it
//! answered: `GET /count` (answered at once) gives the number of other requests answered.
//!
//! Usage: slow_app LISTEN_ADDR [DELAY_MS]
//! Benchmark tool only: 127.0.0.1, plain HTTP/1.1, panics on bad arguments.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: slow_app LISTEN_ADDR [DELAY_MS]");
        std::process::exit(2);
    }
    let listen: SocketAddr = args[1].parse().expect("LISTEN_ADDR: host:port");
    let delay = Duration::from_millis(
        args.get(2)
            .map_or(2000, |d| d.parse().expect("DELAY_MS: a number")),
    );
    let answered = Arc::new(AtomicU64::new(0));
    // One thread: the app sleeps, it does not compute; it should take no CPU from the gateway.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await.expect("bind");
        eprintln!("slow_app: {listen}, {} ms per request", delay.as_millis());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let answered = answered.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let answered = answered.clone();
                    async move {
                        if req.uri().path() == "/count" {
                            let n = answered.load(Ordering::Relaxed);
                            return Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                                format!("{n}\n"),
                            ))));
                        }
                        let _ = req.into_body().collect().await;
                        tokio::time::sleep(delay).await;
                        answered.fetch_add(1, Ordering::Relaxed);
                        let mut resp =
                            Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}")));
                        resp.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
