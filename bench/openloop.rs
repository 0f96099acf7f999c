//! Open-loop load generator for bench/latency.sh: sends pre-signed requests at a fixed rate and
//! reports latency percentiles measured from when each request was *due*, not from when it was
//! sent (like wrk2), so a slow answer that delays the next request is counted, not hidden
//! (coordinated omission).
//!
//! wrk is closed-loop: each target runs as fast as it can, and its latency then measures the
//! queue at saturation. Overhead ("how much later does the app get the request, and the sender
//! its answer, because hookgate is in between") is a question about a fixed, sustainable rate:
//! the same rate for every target.
//!
//! ```text
//! cargo run --release --example openloop -- URL RATE SECONDS CONNECTIONS FILE...
//! ```
//! FILEs are request files from bench/gen_requests.py (one request per line:
//! `Header: value<TAB>...<TAB>body`), used in turn; the run stops with an error if they run out
//! (a repeated id would be answered as a duplicate and measure something else).
//!
//! Prints one line: `RESULT sent=.. ok=.. non2xx=.. errors=.. late=.. rate=.. p50_us=..
//! p90_us=.. p99_us=.. p999_us=.. max_us=..`. `late` counts requests that were due while every
//! connection was busy (the target could not keep up: its latencies then include a queue).

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};

type Job = (usize, Instant);

struct Request {
    headers: Vec<(String, String)>,
    body: Bytes,
}

fn parse_line(line: &str) -> Request {
    let mut fields: Vec<&str> = line.split('\t').collect();
    let body = Bytes::from(fields.pop().unwrap_or_default().to_owned());
    let headers = fields
        .iter()
        .filter_map(|f| f.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    Request { headers, body }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: openloop URL RATE SECONDS CONNECTIONS FILE...".into());
    }
    let url: hyper::Uri = args[0].parse()?;
    let rate: f64 = args[1].parse()?;
    let seconds: f64 = args[2].parse()?;
    let conns: usize = args[3].parse()?;
    let total = (rate * seconds) as usize;
    let mut requests = Vec::with_capacity(total);
    'files: for f in &args[4..] {
        for line in std::io::BufReader::new(std::fs::File::open(f)?).lines() {
            if requests.len() == total {
                break 'files;
            }
            requests.push(parse_line(&line?));
        }
    }
    if requests.len() < total {
        return Err(format!(
            "only {} requests in the files, {total} needed",
            requests.len()
        )
        .into());
    }
    let requests = Arc::new(requests);
    let authority = url
        .authority()
        .ok_or("the URL needs host:port")?
        .to_string();
    let path = url
        .path_and_query()
        .map_or("/".to_owned(), |p| p.to_string());

    // The pacer is a plain thread: tokio's timer ticks in milliseconds, far too coarse for
    // thousands of requests per second; a sleeping thread is accurate to tens of microseconds.
    let (tx, rx) = mpsc::unbounded_channel::<Job>();
    let start = Instant::now() + Duration::from_millis(200);
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send((i, due)).is_err() {
                break;
            }
        }
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (latencies, non2xx, errors, late) = runtime.block_on(async move {
        let rx = Arc::new(Mutex::new(rx));
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (rx, requests) = (rx.clone(), requests.clone());
            let (authority, path) = (authority.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                let mut out = (Vec::new(), 0usize, 0usize, 0usize);
                let stream = TcpStream::connect(&authority).await?;
                stream.set_nodelay(true)?;
                let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                loop {
                    // Whichever connection is free takes the next due request.
                    let next = rx.lock().await.recv().await;
                    let Some((i, due)) = next else { break };
                    if Instant::now() > due + Duration::from_millis(1) {
                        out.3 += 1;
                    }
                    let r: &Request = &requests[i];
                    let mut req = hyper::Request::post(path.as_str())
                        .header("host", authority.as_str())
                        .header("content-type", "application/json");
                    for (n, v) in &r.headers {
                        req = req.header(n.as_str(), v.as_str());
                    }
                    let req = req.body(Full::new(r.body.clone()))?;
                    match send.send_request(req).await {
                        Ok(resp) => {
                            let ok = resp.status().is_success();
                            let _ = resp.into_body().collect().await;
                            out.0.push(due.elapsed().as_micros() as u64);
                            if !ok {
                                out.1 += 1;
                            }
                        }
                        Err(_) => {
                            out.2 += 1;
                            break;
                        }
                    }
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(out)
            }));
        }
        let mut all = (Vec::new(), 0, 0, 0);
        for t in tasks {
            match t.await {
                Ok(Ok(o)) => {
                    all.0.extend(o.0);
                    all.1 += o.1;
                    all.2 += o.2;
                    all.3 += o.3;
                }
                _ => all.2 += 1,
            }
        }
        all
    });
    let _ = pacer.join();
    let mut l = latencies;
    l.sort_unstable();
    let pct = |p: f64| -> u64 {
        if l.is_empty() {
            return 0;
        }
        let i = ((p / 100.0) * l.len() as f64).ceil() as usize;
        l[i.clamp(1, l.len()) - 1]
    };
    println!(
        "RESULT sent={total} ok={} non2xx={non2xx} errors={errors} late={late} rate={rate} p50_us={} p90_us={} p99_us={} p999_us={} max_us={}",
        l.len() - non2xx,
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(99.9),
        l.last().copied().unwrap_or(0)
    );
    Ok(())
}
