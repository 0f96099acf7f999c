//! The floor of hookgate's stack: a reverse proxy built from the same parts (hyper 1 server and
//! client, a current-thread tokio runtime per worker thread, per-worker upstream pools,
//! mimalloc) that does nothing but relay: no routing, verification, dedup, metrics or logs.
//! What any proxy on this stack pays per request before doing its job; `bench/run.sh` loads it
//! as the `floor` target (`FLOOR=1`) to tell the stack's cost from hookgate's own.
//!
//! Usage: floor_proxy LISTEN_ADDR UPSTREAM_ADDR [WORKERS]
//! `FLOOR_POOL=conn` swaps hyper-util's pooled client (what hookgate uses) for a per-thread list
//! of idle `hyper::client::conn::http1` connections: what a pool of our own would save.
//! Benchmark tool only: 127.0.0.1, plain HTTP/1.1 over TCP, panics on bad arguments.

use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Legacy = Client<HttpConnector, Full<Bytes>>;

#[derive(Clone)]
enum Pool {
    /// hyper-util's `Client`, as hookgate's forward.rs.
    Legacy(Legacy),
    /// Idle connections in this thread's `IDLE` list.
    Conn,
}

thread_local! {
    static IDLE: RefCell<Vec<SendRequest<Full<Bytes>>>> = const { RefCell::new(Vec::new()) };
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: floor_proxy LISTEN_ADDR UPSTREAM_ADDR [WORKERS]");
        std::process::exit(2);
    }
    let listen: SocketAddr = args[1].parse().expect("LISTEN_ADDR: host:port");
    let upstream: SocketAddr = args[2].parse().expect("UPSTREAM_ADDR: host:port");
    let workers: usize = args.get(3).map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        |w| w.parse().expect("WORKERS: a number"),
    );
    let conn_pool = std::env::var("FLOOR_POOL").is_ok_and(|p| p == "conn");
    // Each worker has its own listening socket on the port (SO_REUSEPORT): the kernel spreads
    // the connections, and a connection with its forwards stays on one thread, as in hookgate.
    let threads: Vec<_> = (0..workers)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("floor-{i}"))
                .spawn(move || worker(listen, upstream, conn_pool))
                .expect("spawn a worker thread")
        })
        .collect();
    eprintln!(
        "floor_proxy on {listen} -> {upstream}, {workers} workers, pool: {}",
        if conn_pool { "conn" } else { "hyper-util" }
    );
    for t in threads {
        let _ = t.join();
    }
}

fn worker(listen: SocketAddr, upstream: SocketAddr, conn_pool: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = reuseport_listener(listen);
        let pool = if conn_pool {
            Pool::Conn
        } else {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Pool::Legacy(Client::builder(TokioExecutor::new()).build(connector))
        };
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let pool = pool.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| relay(req, pool.clone(), upstream));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// Must run inside the worker's runtime (the listener registers with its reactor).
fn reuseport_listener(addr: SocketAddr) -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.set_reuseport(true).expect("SO_REUSEPORT");
    socket.bind(addr).expect("bind");
    socket.listen(1024).expect("listen")
}

/// As hookgate does: the whole body first, then one forward, then the whole response.
async fn relay(
    req: Request<Incoming>,
    pool: Pool,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (mut parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = match &pool {
        Pool::Legacy(_) => format!("http://{upstream}{path}").parse::<Uri>(),
        Pool::Conn => path.parse::<Uri>(),
    };
    let Ok(uri) = uri else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    parts.uri = uri;
    let req = Request::from_parts(parts, Full::new(body));
    let resp = match pool {
        Pool::Legacy(client) => match client.request(req).await {
            Ok(resp) => collect(resp).await,
            Err(_) => Err(()),
        },
        Pool::Conn => send_conn(req, upstream).await,
    };
    Ok(resp.unwrap_or_else(|()| status(StatusCode::BAD_GATEWAY)))
}

async fn collect(resp: Response<Incoming>) -> Result<Response<Full<Bytes>>, ()> {
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(drop)?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// One request on an idle connection of this thread, or a new one; the connection goes back to
/// the list once the response is read whole.
async fn send_conn(
    req: Request<Full<Bytes>>,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, ()> {
    let mut sender = loop {
        match IDLE.with(|idle| idle.borrow_mut().pop()) {
            Some(s) if !s.is_closed() => break s,
            Some(_) => continue,
            None => {
                let stream = TcpStream::connect(upstream).await.map_err(drop)?;
                let _ = stream.set_nodelay(true);
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(drop)?;
                tokio::spawn(conn);
                break sender;
            }
        }
    };
    sender.ready().await.map_err(drop)?;
    let resp = collect(sender.send_request(req).await.map_err(drop)?).await?;
    IDLE.with(|idle| idle.borrow_mut().push(sender));
    Ok(resp)
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = code;
    resp
}
