//! A sender's key host for end-to-end tests: an HTTPS server on 127.0.0.1 with its own CA
//! (written to a file for `fetch.ca_file`), whose certificate names the hosts a test reaches
//! through `fetch.resolve` (`sns.us-east-1.amazonaws.com`, `www.googleapis.com`). It answers
//! per path (query included), records each request's path and query, and can be switched to
//! failing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

#[derive(Default)]
struct State {
    /// Path (query included, or the path alone for any query) -> body; absent paths get 404.
    docs: HashMap<String, Vec<u8>>,
    /// Answer this status to everything instead, while set.
    failing: Option<u16>,
    seen: Vec<String>,
}

pub struct KeyServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
    pub ca_file: std::path::PathBuf,
}

/// A CA of its own (its PEM in a file, for `ca_file`) and a TLS acceptor whose leaf
/// certificate it signed for `hosts` (names or IP addresses).
pub struct TestCa {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub ca_file: std::path::PathBuf,
    /// Holds `ca_file`: keep it as long as the file is used.
    pub dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new(hosts: &[&str]) -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hookgate test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let leaf = CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        Self {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
            ca_file,
            dir,
        }
    }
}

impl KeyServer {
    /// A server whose certificate is valid for `hosts`.
    pub async fn start(hosts: &[&str]) -> Self {
        let TestCa {
            acceptor,
            ca_file,
            dir,
        } = TestCa::new(hosts);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, st) = (acceptor.clone(), st.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                        let st = st.clone();
                        async move {
                            let target = req
                                .uri()
                                .path_and_query()
                                .map_or("/".to_owned(), |pq| pq.as_str().to_owned());
                            let mut s = st.lock().unwrap();
                            s.seen.push(target.clone());
                            let found = s
                                .docs
                                .get(&target)
                                .or_else(|| s.docs.get(req.uri().path()))
                                .cloned();
                            let (status, body) = match (s.failing, found) {
                                (Some(status), _) => (status, b"failing".to_vec()),
                                (None, Some(body)) => (200, body),
                                (None, None) => (404, b"not found".to_vec()),
                            };
                            let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            state,
            _dir: dir,
            ca_file,
        }
    }

    /// Serves `body` at `path` (with its query, or the bare path for any query).
    pub fn serve(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.state
            .lock()
            .unwrap()
            .docs
            .insert(path.to_owned(), body.into());
    }

    /// Answers `status` to everything (`None`: back to normal).
    pub fn fail(&self, status: Option<u16>) {
        self.state.lock().unwrap().failing = status;
    }

    /// The requests answered so far (path and query), in order.
    pub fn seen(&self) -> Vec<String> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The `fetch:` block that sends `hosts` here and trusts this server's CA.
    pub fn fetch_yaml(&self, hosts: &[&str]) -> String {
        let mut y = format!(
            "fetch:\n  ca_file: \"{}\"\n  resolve:\n",
            self.ca_file.display()
        );
        for h in hosts {
            y.push_str(&format!("    \"{h}\": \"{}\"\n", self.addr));
        }
        y
    }
}
