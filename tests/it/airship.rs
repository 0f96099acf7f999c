//! Airship through the real proxy: the signature covers the gzip-decoded JSON
//! (`verify.content_encoding: gzip`, the `airship` preset), the app gets the bytes and the
//! `Content-Encoding` as sent, and a body that does not decode is a 400, never a 5xx.

use std::io::Write as _;

use crate::harness::*;

const SECRET: &str = "airship-test-secret";
const TS: i64 = 1_764_000_000;

fn yaml(route: &str) -> String {
    format!(
        "upstream: {{ url: \"{{upstream}}\" }}\nroutes:\n  - name: r\n    path: /hooks/airship\n{route}    secrets: [{{ id: s0, env: S0 }}]\n"
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn signature(json: &[u8]) -> String {
    hmac_sha256_hex(SECRET.as_bytes(), &[TS.to_string().as_bytes(), b":", json])
}

async fn start(route: &str) -> (Upstream, Proxy) {
    let up = Upstream::ok().await;
    let proxy = Proxy::start(
        &yaml(route),
        &up.url(),
        &[("S0", SECRET)],
        TestClock::at(TS).clock(),
    )
    .await;
    (up, proxy)
}

#[tokio::test]
async fn gzip_body_is_verified_decoded_and_forwarded_compressed() {
    // The generic scheme with the new key, and the preset: the same behaviour.
    let generic = "    verify:\n      header: x-ua-signature\n      signed_payload: \"{timestamp}:{body}\"\n      timestamp: { header: x-ua-timestamp }\n      content_encoding: gzip\n";
    for route in ["    provider: airship\n", generic] {
        let (up, proxy) = start(route).await;
        let url = proxy.url("/hooks/airship");
        let json = br#"{"values":[{"send_id":"ff76bb85-74bc-4511-a3bf-11b6117784db"}]}"#;
        let wire = gzip(json);
        let sig = signature(json);
        let ts = TS.to_string();
        let headers = [
            (
                "content-type",
                "application/vnd.urbanairship+json; version=3",
            ),
            ("content-encoding", "gzip"),
            ("x-ua-timestamp", ts.as_str()),
            ("x-ua-signature", sig.as_str()),
        ];
        let a = post_exact(&url, &headers, wire.clone()).await;
        assert_eq!(a.status, 200, "{route}: {:?}", a.body);
        let seen = up.requests();
        assert_eq!(seen[0].body.as_ref(), wire.as_slice(), "{route}");
        assert_eq!(seen[0].headers["content-encoding"], "gzip", "{route}");

        // The same JSON sent uncompressed verifies too (what `hookgate sign` produces).
        let plain = [headers[0], headers[2], headers[3]];
        let a = post_exact(&url, &plain, json.to_vec()).await;
        assert_eq!(a.status, 200, "{route}: {:?}", a.body);

        // A signature over the compressed bytes is not Airship's: refused.
        let over_wire = hmac_sha256_hex(SECRET.as_bytes(), &[ts.as_bytes(), b":", &wire]);
        let forged = [
            headers[0],
            headers[1],
            headers[2],
            ("x-ua-signature", &over_wire),
        ];
        let a = post_exact(&url, &forged, wire.clone()).await;
        assert_eq!(a.status, 401, "{route}");
    }
}

#[tokio::test]
async fn undecodable_bodies_are_bad_requests() {
    let (up, proxy) = start("    provider: airship\n").await;
    let url = proxy.url("/hooks/airship");
    let ts = TS.to_string();
    // A gzip bomb: 10 MB of zeros in about 10 KB, refused at the 8 MiB decode limit.
    let zeros = vec![0u8; 10_000_000];
    let bomb = gzip(&zeros);
    assert!(bomb.len() < 100_000);
    let sig = signature(&zeros);
    let a = post_exact(
        &url,
        &[
            ("content-encoding", "gzip"),
            ("x-ua-timestamp", &ts),
            ("x-ua-signature", &sig),
        ],
        bomb,
    )
    .await;
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert_eq!(a.error(), "bad_request");

    // Not gzip at all, and an encoding the route does not decode.
    let json = b"{}";
    let sig = signature(json);
    for enc in ["gzip", "br"] {
        let a = post_exact(
            &url,
            &[
                ("content-encoding", enc),
                ("x-ua-timestamp", &ts),
                ("x-ua-signature", &sig),
            ],
            json.to_vec(),
        )
        .await;
        assert_eq!(a.status, 400, "{enc}: {:?}", a.body);
        assert_eq!(a.error(), "bad_request", "{enc}");
    }

    // Differing copies of Content-Encoding: the app could decode another than the one
    // verified.
    let wire = gzip(json);
    let a = post_exact(
        &url,
        &[
            ("content-encoding", "gzip"),
            ("content-encoding", "identity"),
            ("x-ua-timestamp", &ts),
            ("x-ua-signature", &sig),
        ],
        wire,
    )
    .await;
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert_eq!(a.error(), "ambiguous_header");
    assert_eq!(up.count(), 0, "nothing undecodable reached the app");
}

#[tokio::test]
async fn validate_get_signs_an_empty_body() {
    // The docs' second route: GET <root>/validate, dedup off, answered by the app each time.
    let (up, proxy) = start("    provider: airship\n    methods: [GET]\n    dedup: false\n").await;
    let url = proxy.url("/hooks/airship");
    for ts in [TS, TS + 1] {
        let t = ts.to_string();
        let sig = hmac_sha256_hex(SECRET.as_bytes(), &[t.as_bytes(), b":"]);
        let req = hyper::Request::get(&url)
            .header("x-ua-timestamp", &t)
            .header("x-ua-signature", &sig)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let a = send(req).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
    }
    assert_eq!(up.count(), 2, "each validate GET reaches the app");
}
