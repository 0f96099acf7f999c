//! Providers' setup requests that hookgate answers itself (Zoom URL validation, Dropbox,
//! Okta, Meta, Twitter, Event Grid, Graph and Worldline challenges, Trello's HEAD).

// ---------------------------------------------------------------------------------------------
// Zoom, Twitch and Dropbox. Expected values are computed here with the harness's own HMAC, not
// with hookgate's code.

mod zoom_twitch_dropbox {
    use bytes::Bytes;
    use http::Request;
    use http_body_util::Full;

    use crate::harness::*;

    const NOW: i64 = 1_764_000_000;

    fn route(name: &str, path: &str, provider: &str, env: &str, extra: &str) -> String {
        format!(
            "  - name: {name}\n    path: {path}\n    provider: {provider}\n{extra}    secrets:\n      - {{ id: s, env: {env} }}\n"
        )
    }

    fn config(routes: &[String]) -> String {
        format!(
            "upstream: {{ url: \"{{upstream}}\", timeout: 2s }}\nroutes:\n{}",
            routes.concat()
        )
    }

    fn pairs(h: &[(String, String)]) -> Vec<(&str, &str)> {
        h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
    }

    // --- Zoom: the signed endpoint.url_validation event is answered by hookgate.

    const ZOOM_SECRET: &str = "zoomSecretToken_0123456";
    const PLAIN_TOKEN: &str = "qgg8vlvZRS6UYooatFL8Aw";

    fn zoom_headers(secret: &str, ts: i64, body: &str) -> Vec<(String, String)> {
        let ts = ts.to_string();
        let sig = hmac_sha256_hex(
            secret.as_bytes(),
            &[b"v0:", ts.as_bytes(), b":", body.as_bytes()],
        );
        vec![
            ("x-zm-request-timestamp".into(), ts),
            ("x-zm-signature".into(), format!("v0={sig}")),
        ]
    }

    fn zoom_validation_body() -> String {
        format!(
            "{{\"payload\":{{\"plainToken\":\"{PLAIN_TOKEN}\"}},\"event_ts\":{}123,\"event\":\"endpoint.url_validation\"}}",
            NOW
        )
    }

    async fn zoom_proxy() -> (Upstream, Proxy, TestClock) {
        let up = Upstream::ok().await;
        let clock = TestClock::at(NOW);
        let yaml = config(&[route("zoom", "/zoom", "zoom", "ZOOM", "")]);
        let proxy = Proxy::start(&yaml, &up.url(), &[("ZOOM", ZOOM_SECRET)], clock.clock()).await;
        (up, proxy, clock)
    }

    #[tokio::test]
    async fn zoom_url_validation_is_answered_without_forwarding() {
        let (up, proxy, _clock) = zoom_proxy().await;
        let body = zoom_validation_body();
        let a = post(
            &proxy.url("/zoom"),
            &pairs(&zoom_headers(ZOOM_SECRET, NOW, &body)),
            body.clone(),
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], "application/json");
        // Zoom's rule, computed independently: hex(HMAC-SHA256(secret token, plainToken)).
        let expected = hmac_sha256_hex(ZOOM_SECRET.as_bytes(), &[PLAIN_TOKEN.as_bytes()]);
        assert_eq!(expected.len(), 64);
        assert_eq!(
            a.json(),
            serde_json::json!({ "plainToken": PLAIN_TOKEN, "encryptedToken": expected })
        );
        assert_eq!(up.count(), 0, "the validation must not reach the app");

        // Zoom re-validates every 72 hours: a later, freshly signed validation is answered too.
        let a = post(
            &proxy.url("/zoom"),
            &pairs(&zoom_headers(ZOOM_SECRET, NOW, &body)),
            body,
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(up.count(), 0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn zoom_forged_or_stale_url_validation_gets_401() {
        let (up, proxy, clock) = zoom_proxy().await;
        let body = zoom_validation_body();
        let url = proxy.url("/zoom");

        // Signed with another secret: a forger must not learn HMAC(secret, token) values.
        let a = post(
            &url,
            &pairs(&zoom_headers("not-the-secret-token", NOW, &body)),
            body.clone(),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert!(a.json().get("encryptedToken").is_none());

        // Unsigned.
        let a = post(
            &url,
            &[("x-zm-request-timestamp", "1764000000")],
            body.clone(),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );

        // A genuine validation replayed after the window.
        let headers = zoom_headers(ZOOM_SECRET, NOW, &body);
        clock.set(NOW + 301);
        let a = post(&url, &pairs(&headers), body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "stale_timestamp".into())
        );

        // The plainToken changed on the way: the signature no longer matches.
        clock.set(NOW);
        let tampered = body.replace(PLAIN_TOKEN, "attackerChosenToken000");
        let a = post(&url, &pairs(&headers), tampered).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert_eq!(up.count(), 0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn zoom_ordinary_events_are_forwarded() {
        let (up, proxy, _clock) = zoom_proxy().await;
        // Only endpoint.url_validation is answered; a plainToken elsewhere changes nothing.
        let body = format!(
            "{{\"event\":\"meeting.started\",\"event_ts\":{NOW}000,\"payload\":{{\"plainToken\":\"x\",\"object\":{{\"topic\":\"caf\u{e9}\"}}}}}}"
        );
        let a = post(
            &proxy.url("/zoom"),
            &pairs(&zoom_headers(ZOOM_SECRET, NOW, &body)),
            body.clone(),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["x-upstream"], "yes");
        let seen = up.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].body, Bytes::from(body));
        proxy.stop().await;
    }

    // --- Twitch: the callback verification is signed like any message and forwarded untouched;
    // the app answers the challenge.

    const TWITCH_SECRET: &str = "twitch-eventsub-secret-0123";
    const CHALLENGE: &str = "pogchamp-kappa-360noscope-vohiyo";

    fn twitch_headers(secret: &str, id: &str, ts: &str, body: &str) -> Vec<(String, String)> {
        let sig = hmac_sha256_hex(
            secret.as_bytes(),
            &[id.as_bytes(), ts.as_bytes(), body.as_bytes()],
        );
        vec![
            ("Twitch-Eventsub-Message-Id".into(), id.into()),
            ("Twitch-Eventsub-Message-Retry".into(), "0".into()),
            (
                "Twitch-Eventsub-Message-Type".into(),
                "webhook_callback_verification".into(),
            ),
            (
                "Twitch-Eventsub-Message-Signature".into(),
                format!("sha256={sig}"),
            ),
            ("Twitch-Eventsub-Message-Timestamp".into(), ts.into()),
            (
                "Twitch-Eventsub-Subscription-Type".into(),
                "channel.follow".into(),
            ),
            ("Twitch-Eventsub-Subscription-Version".into(), "2".into()),
        ]
    }

    #[tokio::test]
    async fn twitch_callback_verification_is_forwarded_and_the_app_answers() {
        let up = Upstream::start(|_| Reply {
            status: 200,
            delay: std::time::Duration::ZERO,
            body: CHALLENGE,
            headers: &[],
        })
        .await;
        let clock = TestClock::at(NOW);
        let yaml = config(&[route("twitch", "/twitch", "twitch", "TW", "")]);
        let proxy = Proxy::start(&yaml, &up.url(), &[("TW", TWITCH_SECRET)], clock.clock()).await;
        let body = format!(
            "{{\"challenge\":\"{CHALLENGE}\",\"subscription\":{{\"id\":\"f1c2a387-161a-49f9-a165-0f21d7a4e1c4\",\"status\":\"webhook_callback_verification_pending\",\"type\":\"channel.follow\",\"version\":\"2\",\"condition\":{{\"broadcaster_user_id\":\"12826\",\"moderator_user_id\":\"12826\"}},\"transport\":{{\"method\":\"webhook\",\"callback\":\"https://hooks.example.com/twitch\"}},\"created_at\":\"2025-11-24T15:59:59.634234626Z\"}}}}"
        );
        let id = "e76c6bd4-55c9-4987-8304-da1588d8988b";
        // RFC 3339 with nanoseconds, 0.123456789 s after the clock.
        let ts = "2025-11-24T16:00:00.123456789Z";
        let headers = twitch_headers(TWITCH_SECRET, id, ts, &body);
        let url = proxy.url("/twitch");

        let a = post(&url, &pairs(&headers), body.clone()).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body, Bytes::from_static(CHALLENGE.as_bytes()));
        let seen = up.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].body,
            Bytes::from(body.clone()),
            "forwarded untouched"
        );
        assert_eq!(
            seen[0].headers["twitch-eventsub-message-type"],
            "webhook_callback_verification"
        );
        assert_eq!(seen[0].headers["twitch-eventsub-message-id"], id);
        assert_eq!(seen[0].headers["hookgate-verified"], "twitch");

        // Forged: another secret, or the signed message id changed.
        let forged = twitch_headers("another-secret-0123456789", id, ts, &body);
        let a = post(&url, &pairs(&forged), body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        let mut other_id = headers.clone();
        other_id[0].1 = "00000000-0000-4000-8000-000000000000".into();
        let a = post(&url, &pairs(&other_id), body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert_eq!(up.count(), 1, "a forged verification reached the app");

        // The same message again (same Twitch-Eventsub-Message-Id): a duplicate.
        let a = post(&url, &pairs(&headers), body).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["hookgate-duplicate"], "true");
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }

    // --- Dropbox: `GET ?challenge=` is echoed on routes that accept GET.

    const DROPBOX_SECRET: &str = "dbxappsecret123";

    async fn get(url: &str) -> Answer {
        send(Request::get(url).body(Full::<Bytes>::default()).unwrap()).await
    }

    #[tokio::test]
    async fn dropbox_challenge_is_echoed_as_plain_text() {
        let up = Upstream::ok().await;
        let yaml = config(&[
            route(
                "dropbox",
                "/dropbox",
                "dropbox",
                "DBX",
                "    methods: [GET, POST]\n",
            ),
            route("dropbox-post", "/dropbox-post", "dropbox", "DBX", ""),
        ]);
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("DBX", DROPBOX_SECRET)],
            TestClock::at(NOW).clock(),
        )
        .await;

        let a = get(&proxy.url("/dropbox?challenge=abc")).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body, Bytes::from_static(b"abc"));
        assert_eq!(a.headers["content-type"], "text/plain");
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
        assert_eq!(up.count(), 0, "a challenge must not reach the app");

        // A GET without a challenge is an unsigned request like any other.
        let a = get(&proxy.url("/dropbox")).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );

        // Default methods (POST only): the challenge GET is refused.
        let a = get(&proxy.url("/dropbox-post?challenge=abc")).await;
        assert_eq!(a.status, 405);
        assert_eq!(a.headers["allow"], "POST");
        assert_ne!(a.body, Bytes::from_static(b"abc"));
        assert_eq!(up.count(), 0);

        // Notifications on the GET+POST route are still verified and forwarded.
        let body = r#"{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345678]}}"#;
        let sig = hmac_sha256_hex(DROPBOX_SECRET.as_bytes(), &[body.as_bytes()]);
        let a = post(
            &proxy.url("/dropbox"),
            &[("X-Dropbox-Signature", sig.as_str())],
            body,
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(up.count(), 1);
        let a = post(
            &proxy.url("/dropbox"),
            &[("X-Dropbox-Signature", &"0".repeat(64))],
            body,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Okta: the one-time verification GET (`X-Okta-Verification-Challenge`) is answered with
// `{"verification": <challenge>}` on routes that accept GET.

mod okta {
    use bytes::Bytes;
    use http::Request;
    use http_body_util::Full;

    use crate::harness::*;

    const NOW: i64 = 1_764_000_000;
    const SECRET: &str = "okta-shared-secret-0123456789";
    // The shape of Okta's challenge (developer.okta.com event hooks guide).
    const CHALLENGE: &str = "X8HvzHBhA7Bp0gqdxRCRuzEm0HEHOhXqlrhrvMOUfrdgxe1vMpA0Pk6xBd3FSwOx";

    fn config() -> String {
        let route = |name: &str, extra: &str| {
            format!(
                "  - name: {name}\n    path: /{name}\n    provider: okta\n{extra}    secrets:\n      - {{ id: s, env: OKTA }}\n"
            )
        };
        format!(
            "upstream: {{ url: \"{{upstream}}\", timeout: 2s }}\nroutes:\n{}{}",
            route("okta", "    methods: [GET, POST]\n"),
            route("okta-post", "")
        )
    }

    async fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::get(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        send(req.body(Full::<Bytes>::default()).unwrap()).await
    }

    async fn proxy() -> (Upstream, Proxy) {
        let up = Upstream::ok().await;
        let proxy = Proxy::start(
            &config(),
            &up.url(),
            &[("OKTA", SECRET)],
            TestClock::at(NOW).clock(),
        )
        .await;
        (up, proxy)
    }

    #[tokio::test]
    async fn okta_verification_get_is_answered_on_get_routes() {
        let (up, proxy) = proxy().await;
        let url = proxy.url("/okta");

        // As Okta sends it (with the configured Authorization header, which it does not need).
        let a = get(
            &url,
            &[
                ("X-Okta-Verification-Challenge", CHALLENGE),
                ("Authorization", SECRET),
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], "application/json");
        assert_eq!(a.json(), serde_json::json!({ "verification": CHALLENGE }));

        // The header name is case-insensitive; the value is JSON-escaped, never spliced in.
        let tricky = r#"a"b\c</script>{}"#;
        let a = get(&url, &[("x-okta-verification-challenge", tricky)]).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.json(), serde_json::json!({ "verification": tricky }));
        assert_eq!(up.count(), 0, "a challenge must not reach the app");
        proxy.stop().await;
    }

    #[tokio::test]
    async fn okta_verification_get_is_405_on_post_only_routes() {
        let (up, proxy) = proxy().await;
        let a = get(
            &proxy.url("/okta-post"),
            &[
                ("X-Okta-Verification-Challenge", CHALLENGE),
                ("Authorization", SECRET),
            ],
        )
        .await;
        assert_eq!(a.status, 405);
        assert_eq!(a.headers["allow"], "POST");
        assert!(!String::from_utf8_lossy(&a.body).contains(CHALLENGE));
        assert_eq!(up.count(), 0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn okta_other_requests_are_verified_as_usual() {
        let (up, proxy) = proxy().await;
        let url = proxy.url("/okta");

        // A GET without a usable challenge is an ordinary request: it needs the token.
        let long = "x".repeat(300);
        for challenge in [None, Some(""), Some(long.as_str())] {
            let headers: Vec<(&str, &str)> = challenge
                .map(|c| vec![("X-Okta-Verification-Challenge", c)])
                .unwrap_or_default();
            let a = get(&url, &headers).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "missing_signature".into()),
                "{:?}",
                challenge.map(str::len)
            );
        }

        // Event deliveries on the GET+POST route are checked and forwarded as on any route.
        let body =
            r#"{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","data":{"events":[]}}"#;
        let a = post(&url, &[("Authorization", SECRET)], body).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(up.count(), 1);
        let a = post(&url, &[("Authorization", "not-the-secret")], body).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        // A POST carrying a challenge header is no handshake.
        let a = post(&url, &[("X-Okta-Verification-Challenge", CHALLENGE)], body).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        assert!(!String::from_utf8_lossy(&a.body).contains(CHALLENGE));
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Meta, Twitter/X, Azure Event Grid and Microsoft Graph. Expected answers are computed here from
// the senders' documented rules (harness HMAC, base64 crate), not with hookgate's code.

mod social {
    use base64::Engine as _;
    use bytes::Bytes;
    use http::Request;
    use http_body_util::Full;

    use crate::harness::*;

    const NOW: i64 = 1_764_000_000;
    const APP_SECRET: &str = "meta-app-secret-0123456789abcdef";
    const VERIFY_TOKEN: &str = "meta-verify-token-Kq8z";

    fn config(routes: &str) -> String {
        format!("upstream: {{ url: \"{{upstream}}\", timeout: 2s }}\nroutes:\n{routes}")
    }

    async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut req = Request::builder().method(method).uri(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        send(req.body(Full::new(Bytes::from(body.to_owned()))).unwrap()).await
    }

    async fn outcome(proxy: &Proxy, outcome: &str, route: &str) -> f64 {
        sample(
            &proxy.metrics().await,
            &format!("hookgate_requests_total{{outcome=\"{outcome}\",route=\"{route}\"}}"),
        )
        .unwrap_or(0.0)
    }

    // --- Meta: `GET ?hub.mode=subscribe&hub.challenge=..&hub.verify_token=..`.

    async fn meta_proxy() -> (Upstream, Proxy) {
        let up = Upstream::ok().await;
        let route = |name: &str, provider: &str, extra: &str| {
            format!(
                "  - name: {name}\n    path: /{name}\n    provider: {provider}\n{extra}    secrets:\n      - {{ id: s, env: META }}\n"
            )
        };
        let yaml = config(
            &[
                route(
                    "whatsapp",
                    "whatsapp",
                    "    methods: [GET, POST]\n    verify_token: { env: META_VERIFY }\n",
                ),
                route(
                    "facebook",
                    "facebook",
                    "    methods: [GET, POST]\n    verify_token: { env: META_VERIFY }\n",
                ),
                route(
                    "instagram-no-token",
                    "instagram",
                    "    methods: [GET, POST]\n",
                ),
                route(
                    "facebook-post",
                    "facebook",
                    "    verify_token: { env: META_VERIFY }\n",
                ),
            ]
            .concat(),
        );
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("META", APP_SECRET), ("META_VERIFY", VERIFY_TOKEN)],
            TestClock::at(NOW).clock(),
        )
        .await;
        (up, proxy)
    }

    #[tokio::test]
    async fn meta_verification_get_echoes_the_challenge_for_the_right_token() {
        let (up, proxy) = meta_proxy().await;
        for route in ["whatsapp", "facebook"] {
            // As Meta sends it (developers.facebook.com, WhatsApp "Create a webhook endpoint").
            let url = proxy.url(&format!(
                "/{route}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"
            ));
            let a = request("GET", &url, &[], "").await;
            assert_eq!(a.status, 200, "{route}: {:?}", a.body);
            assert_eq!(a.body, Bytes::from_static(b"1158201444"));
            assert_eq!(a.headers["content-type"], "text/plain");
            assert_eq!(a.headers["x-content-type-options"], "nosniff");
        }
        // Percent-encoded values are decoded before comparing and echoing.
        let url = proxy.url("/whatsapp?hub.mode=subscribe&hub.challenge=a%2Bb+c&hub.verify_token=meta-verify-token-Kq8%7A");
        let a = request("GET", &url, &[], "").await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body, Bytes::from_static(b"a+b c"));
        assert_eq!(up.count(), 0, "a verification must not reach the app");
        assert_eq!(outcome(&proxy, "handshake", "whatsapp").await, 2.0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn meta_verification_get_with_a_wrong_or_missing_token_is_403() {
        let (up, proxy) = meta_proxy().await;
        let cases = [
            (
                "whatsapp",
                "hub.mode=subscribe&hub.challenge=42&hub.verify_token=wrong",
            ),
            (
                "whatsapp",
                "hub.mode=subscribe&hub.challenge=42&hub.verify_token=",
            ),
            ("whatsapp", "hub.mode=subscribe&hub.challenge=42"),
            // A prefix of the token is not the token.
            (
                "whatsapp",
                "hub.mode=subscribe&hub.challenge=42&hub.verify_token=meta-verify",
            ),
            // Overlong challenge: refused, never echoed.
            (
                "facebook",
                &*format!(
                    "hub.mode=subscribe&hub.challenge={}&hub.verify_token={VERIFY_TOKEN}",
                    "9".repeat(300)
                ),
            ),
            // No verify_token configured: nothing can match.
            (
                "instagram-no-token",
                &*format!("hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}"),
            ),
        ];
        for (route, query) in cases {
            let a = request("GET", &proxy.url(&format!("/{route}?{query}")), &[], "").await;
            assert_eq!(a.status, 403, "{route}?{query}: {:?}", a.body);
            assert_eq!(a.error(), "invalid_signature");
            assert!(!String::from_utf8_lossy(&a.body).contains("42"), "echoed");
            assert!(!String::from_utf8_lossy(&a.body).contains(VERIFY_TOKEN));
        }
        // Without hub.mode=subscribe it is no verification: an unsigned GET like any other.
        let url = proxy.url(&format!(
            "/whatsapp?hub.challenge=42&hub.verify_token={VERIFY_TOKEN}"
        ));
        let a = request("GET", &url, &[], "").await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        // POST-only route: 405, whatever the token.
        let url = proxy.url(&format!(
            "/facebook-post?hub.mode=subscribe&hub.challenge=42&hub.verify_token={VERIFY_TOKEN}"
        ));
        let a = request("GET", &url, &[], "").await;
        assert_eq!(a.status, 405);
        assert_eq!(up.count(), 0);
        assert_eq!(outcome(&proxy, "invalid_signature", "whatsapp").await, 4.0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn meta_deliveries_are_verified_and_forwarded() {
        let (up, proxy) = meta_proxy().await;
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","messages":[{"from":"16315551234","id":"wamid.ABGGFlA5FpafAgo6EHyw","timestamp":"1764000000","text":{"body":"caf\u00e9 ✓"},"type":"text"}]},"field":"messages"}]}]}"#;
        let sig = format!(
            "sha256={}",
            hmac_sha256_hex(APP_SECRET.as_bytes(), &[body.as_bytes()])
        );
        let a = post(
            &proxy.url("/whatsapp"),
            &[("X-Hub-Signature-256", &sig)],
            body,
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(up.count(), 1);
        // Signed with the verify token instead of the app secret: refused.
        let forged = format!(
            "sha256={}",
            hmac_sha256_hex(VERIFY_TOKEN.as_bytes(), &[body.as_bytes()])
        );
        let a = post(
            &proxy.url("/whatsapp"),
            &[("X-Hub-Signature-256", &forged)],
            body,
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }

    #[test]
    fn verify_token_never_prints_and_belongs_to_meta_routes() {
        let env = |n: &str| (n == "T").then(|| VERIFY_TOKEN.to_owned());
        let yaml = "upstream: { url: \"http://127.0.0.1:9\" }\nroutes:\n  - name: fb\n    path: /fb\n    provider: facebook\n    methods: [GET, POST]\n    verify_token: { env: T }\n    secrets: [{ env: T }]\n";
        let cfg = hookgate::config::parse(
            yaml,
            "t.yaml",
            std::path::Path::new("."),
            &env,
            hookgate::config::Secrets::Load,
        )
        .unwrap();
        let debug = format!("{cfg:?}");
        assert!(debug.contains("verify_token"));
        assert!(
            !debug.contains(VERIFY_TOKEN),
            "the verify token leaked into Debug"
        );

        let other = yaml.replace("provider: facebook", "provider: github");
        let err = hookgate::config::parse(
            &other,
            "t.yaml",
            std::path::Path::new("."),
            &env,
            hookgate::config::Secrets::Load,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("verify_token"), "{err}");
        assert!(!err.contains(VERIFY_TOKEN));
    }

    // --- Twitter/X: the CRC, `GET ?crc_token=..`, answered with the route's first secret.

    const CONSUMER_SECRET: &str = "twitter-consumer-secret-0123456789ABCDEFGHIJ";

    const CRC_TOKEN: &str = "ZjA0NGMyNTQtNWY0Ni00ZjU2LWIxZDEtZGJjNWRiNDg2NzE5";

    fn b64_hmac(key: &[u8], msg: &[u8]) -> String {
        let hex = hmac_sha256_hex(key, &[msg]);
        base64::engine::general_purpose::STANDARD.encode(hex::decode(hex).unwrap())
    }

    /// A `twitter` route at `/x` with `secrets` (YAML list items naming NEW and OLD): the
    /// consumer secret in NEW, a previous one in OLD.
    async fn twitter_proxy(secrets: &str) -> (Upstream, Proxy) {
        let up = Upstream::ok().await;
        let yaml = config(&format!(
            "  - name: x\n    path: /x\n    provider: twitter\n    methods: [GET, POST]\n    secrets:\n{secrets}"
        ));
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[
                ("NEW", CONSUMER_SECRET),
                ("OLD", "the-previous-consumer-secret"),
            ],
            TestClock::at(NOW).clock(),
        )
        .await;
        (up, proxy)
    }

    #[tokio::test]
    async fn twitter_crc_is_answered_with_the_current_secret() {
        let (up, proxy) =
            twitter_proxy("      - { id: current, env: NEW }\n      - { id: old, env: OLD }\n")
                .await;
        let token = CRC_TOKEN;
        let a = request(
            "GET",
            &proxy.url(&format!("/x?crc_token={token}&nonce=MTU2OTI0")),
            &[],
            "",
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], "application/json");
        // X's rule: base64(HMAC-SHA256(consumer secret, crc_token)), prefixed `sha256=`.
        let expected = format!(
            "sha256={}",
            b64_hmac(CONSUMER_SECRET.as_bytes(), token.as_bytes())
        );
        assert_eq!(a.json(), serde_json::json!({ "response_token": expected }));
        // The same answer from X's own autohook 1.7.2 `validateWebhook` (printed by
        // tools/vectors/social/check_twitter.mjs for this token and secret).
        assert_eq!(
            expected,
            "sha256=VQU/226K3hRehDGKUiT3GoAzd83dsuQLut+5oPNSxfU="
        );

        // Overlong or empty tokens are no CRC: an unsigned GET. Nor is a token that could be a
        // delivery body: the answer would be that body's signature (a signing oracle).
        let forged_body = r#"{"for_user_id":"1","tweet_create_events":[]}"#;
        let encoded: String = forged_body.bytes().map(|b| format!("%{b:02X}")).collect();
        for q in [
            "crc_token=",
            &*format!("crc_token={}", "a".repeat(300)),
            &*format!("crc_token={encoded}"),
        ] {
            let a = request("GET", &proxy.url(&format!("/x?{q}")), &[], "").await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "missing_signature".into())
            );
        }

        // Deliveries: `sha256=<base64>` over the body, either secret during a rotation.
        let body = r#"{"for_user_id":"2244994945","tweet_create_events":[{"id_str":"1862000000000000000","text":"héllo"}]}"#;
        for secret in [CONSUMER_SECRET, "the-previous-consumer-secret"] {
            let sig = format!("sha256={}", b64_hmac(secret.as_bytes(), body.as_bytes()));
            let a = post(
                &proxy.url("/x"),
                &[("x-twitter-webhooks-signature", &sig)],
                body,
            )
            .await;
            assert_eq!(a.status, 200, "{:?}", a.body);
        }
        assert_eq!(up.count(), 1, "the second is a duplicate of the first");
        assert_eq!(outcome(&proxy, "handshake", "x").await, 1.0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn twitter_crc_skips_a_first_secret_past_its_not_after() {
        let (_up, proxy) = twitter_proxy(
            "      - { id: retired, env: OLD, not_after: \"2020-01-01T00:00:00Z\" }\n      - { id: current, env: NEW }\n",
        )
        .await;
        let token = CRC_TOKEN;
        let a = request("GET", &proxy.url(&format!("/x?crc_token={token}")), &[], "").await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        let expected = format!(
            "sha256={}",
            b64_hmac(CONSUMER_SECRET.as_bytes(), token.as_bytes())
        );
        assert_eq!(a.json(), serde_json::json!({ "response_token": expected }));
        proxy.stop().await;
    }

    // --- Azure Event Grid: the validation event (verified like a delivery) and the CloudEvents
    // OPTIONS.

    const EG_TOKEN: &str = "Bearer eg-delivery-secret-0123456789";
    const VALIDATION_CODE: &str = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6";

    fn validation_body() -> String {
        format!(
            "[{{\"id\":\"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66\",\"topic\":\"/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\",\"subject\":\"\",\"data\":{{\"validationCode\":\"{VALIDATION_CODE}\",\"validationUrl\":\"https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=0000000000-0000-0000-0000-00000000000000&t=2022-10-28T04:23:35.1981776Z&apiVersion=2018-05-01-preview&token=1A1A1A1A\"}},\"eventType\":\"Microsoft.EventGrid.SubscriptionValidationEvent\",\"eventTime\":\"2022-10-28T04:23:35.1981776Z\",\"metadataVersion\":\"1\",\"dataVersion\":\"1\"}}]"
        )
    }

    async fn eg_proxy() -> (Upstream, Proxy) {
        let up = Upstream::ok().await;
        let yaml = config(
            "  - name: eg\n    path: /eg\n    provider: azure-event-grid\n    methods: [OPTIONS, POST]\n    secrets:\n      - { id: s, env: EG }\n",
        );
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("EG", EG_TOKEN)],
            TestClock::at(NOW).clock(),
        )
        .await;
        (up, proxy)
    }

    #[tokio::test]
    async fn event_grid_validation_is_answered_once_verified() {
        let (up, proxy) = eg_proxy().await;
        let body = validation_body();
        let headers = [
            ("aeg-event-type", "SubscriptionValidation"),
            ("Authorization", EG_TOKEN),
        ];
        let a = post(&proxy.url("/eg"), &headers, body.clone()).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(
            a.json(),
            serde_json::json!({ "validationResponse": VALIDATION_CODE })
        );
        assert_eq!(up.count(), 0, "the validation must not reach the app");

        // Without the subscription's delivery header, or with another value: refused.
        let a = post(
            &proxy.url("/eg"),
            &[("aeg-event-type", "SubscriptionValidation")],
            body.clone(),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        let wrong = [
            ("aeg-event-type", "SubscriptionValidation"),
            ("Authorization", "Bearer guess"),
        ];
        let a = post(&proxy.url("/eg"), &wrong, body.clone()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert!(!String::from_utf8_lossy(&a.body).contains(VALIDATION_CODE));

        // A notification (aeg-event-type: Notification) is forwarded, even if it looks alike.
        let a = post(
            &proxy.url("/eg"),
            &[
                ("aeg-event-type", "Notification"),
                ("Authorization", EG_TOKEN),
            ],
            body,
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["x-upstream"], "yes");
        assert_eq!(up.count(), 1);
        assert_eq!(outcome(&proxy, "handshake", "eg").await, 1.0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn cloudevents_abuse_protection_options_is_answered() {
        let (up, proxy) = eg_proxy().await;
        let a = request(
            "OPTIONS",
            &proxy.url("/eg"),
            &[
                ("WebHook-Request-Origin", "eventgrid.azure.net"),
                ("WebHook-Request-Rate", "120"),
            ],
            "",
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["webhook-allowed-origin"], "eventgrid.azure.net");
        assert_eq!(a.headers["webhook-allowed-rate"], "*");
        let a = request(
            "OPTIONS",
            &proxy.url("/eg"),
            &[("WebHook-Request-Origin", "eventgrid.azure.net")],
            "",
        )
        .await;
        assert_eq!(a.status, 200);
        assert!(a.headers.get("webhook-allowed-rate").is_none());
        // An OPTIONS without the origin is no handshake.
        let a = request("OPTIONS", &proxy.url("/eg"), &[], "").await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        assert_eq!(up.count(), 0);
        proxy.stop().await;
    }

    // --- Microsoft Graph: `POST ?validationToken=..` echoed as text; notifications carry the
    // clientState in the body.

    #[tokio::test]
    async fn graph_validation_token_is_echoed_and_notifications_need_the_client_state() {
        let up = Upstream::ok().await;
        let yaml = config(
            "  - name: graph\n    path: /graph\n    provider: microsoft-graph\n    secrets:\n      - { id: s, env: GRAPH }\n",
        );
        let state = "graph-client-state-0123456789";
        let proxy = Proxy::start(
            &yaml,
            &up.url(),
            &[("GRAPH", state)],
            TestClock::at(NOW).clock(),
        )
        .await;
        // As Graph sends it: POST, text/plain, no body, the token URL-encoded.
        let url = proxy.url("/graph?validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+25a8ab3f-5a4b-4a2e-a1f8-d5d3a1ff5f5e");
        let a = request(
            "POST",
            &url,
            &[("content-type", "text/plain; charset=utf-8")],
            "",
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], "text/plain");
        assert_eq!(
            a.body,
            Bytes::from_static(b"Validation: Testing client application reachability for subscription Request-Id: 25a8ab3f-5a4b-4a2e-a1f8-d5d3a1ff5f5e")
        );
        assert_eq!(up.count(), 0, "the validation must not reach the app");
        assert_eq!(outcome(&proxy, "handshake", "graph").await, 1.0);

        let body = |cs: &str| {
            format!("{{\"value\":[{{\"id\":\"lsgTZMr9KwAAA\",\"subscriptionId\":\"d6b1e1c4-9f0b-4b8a-9a36-1f0c0c1d0e11\",\"clientState\":\"{cs}\",\"changeType\":\"created\",\"resource\":\"users/u/messages/m\"}}]}}")
        };
        let a = post(&proxy.url("/graph"), &[], body(state)).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(up.count(), 1);
        let a = post(&proxy.url("/graph"), &[], body("guess")).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "invalid_signature".into())
        );
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Trello's creation HEAD (answered 200 even on a POST-only route) and Worldline Connect's
// endpoint verification GET (the header's value echoed, on routes that accept GET). Neither
// reaches the app; other presets answer HEAD and GET as they always did.

mod trello_worldline {
    use base64::Engine as _;
    use bytes::Bytes;
    use hmac::Mac as _;
    use http::Request;
    use http_body_util::Full;

    use crate::harness::*;

    const NOW: i64 = 1_764_000_000;
    const TRELLO_SECRET: &str = "trello-app-secret-0123456789abcdef";
    const WORLDLINE_SECRET: &str = "worldline-webhook-secret-key";
    const GITHUB_SECRET: &str = "github-secret";
    // A Worldline Connect verification value (an opaque token; Worldline documents no format).
    const VERIFICATION: &str = "0b6b0cbd-3a9b-4c1c-9d0e-1f2a3b4c5d6e";

    fn config() -> String {
        let route = |name: &str, provider: &str, env: &str, extra: &str| {
            format!(
                "  - name: {name}\n    path: /{name}\n    provider: {provider}\n{extra}    secrets:\n      - {{ id: s, env: {env} }}\n"
            )
        };
        let public = "    public_url: https://hooks.example.com\n";
        format!(
            "upstream: {{ url: \"{{upstream}}\", timeout: 2s }}\nroutes:\n{}",
            [
                route("trello", "trello", "TRELLO", public),
                route(
                    "trello-head",
                    "trello",
                    "TRELLO",
                    &format!("{public}    methods: [HEAD, POST]\n"),
                ),
                route("worldline", "worldline", "WL", "    methods: [GET, POST]\n"),
                route("worldline-post", "worldline", "WL", ""),
                route("github", "github", "GH", ""),
                route(
                    "github-all",
                    "github",
                    "GH",
                    "    methods: [GET, HEAD, POST]\n"
                ),
            ]
            .concat()
        )
    }

    async fn proxy() -> (Upstream, Proxy) {
        let up = Upstream::ok().await;
        let proxy = Proxy::start(
            &config(),
            &up.url(),
            &[
                ("TRELLO", TRELLO_SECRET),
                ("WL", WORLDLINE_SECRET),
                ("GH", GITHUB_SECRET),
            ],
            TestClock::at(NOW).clock(),
        )
        .await;
        (up, proxy)
    }

    async fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder().method(method).uri(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        send(req.body(Full::<Bytes>::default()).unwrap()).await
    }

    async fn handshakes(proxy: &Proxy, route: &str) -> f64 {
        sample(
            &proxy.metrics().await,
            &format!("hookgate_requests_total{{outcome=\"handshake\",route=\"{route}\"}}"),
        )
        .unwrap_or(0.0)
    }

    fn b64(mac: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(mac)
    }

    #[tokio::test]
    async fn trello_head_is_answered_on_post_only_and_head_routes() {
        let (up, proxy) = proxy().await;
        for route in ["trello", "trello-head"] {
            let a = request("HEAD", &proxy.url(&format!("/{route}?board=main")), &[]).await;
            assert_eq!(a.status, 200, "{route}");
            assert!(a.body.is_empty());
            assert_eq!(handshakes(&proxy, route).await, 1.0, "{route}");
        }
        assert_eq!(up.count(), 0, "Trello's HEAD must not reach the app");

        // Only HEAD is implied: a GET on the POST-only route is still 405.
        let a = request("GET", &proxy.url("/trello"), &[]).await;
        assert_eq!(a.status, 405);
        assert_eq!(a.headers["allow"], "POST");

        // Deliveries are verified as before: Trello's rule, computed here independently,
        // base64(HMAC-SHA1(secret, body + callback URL)).
        let body = r#"{"action":{"id":"5f0c0c0c0c0c0c0c0c0c0c0c","type":"updateCard"},"model":{"id":"b1"}}"#;
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(TRELLO_SECRET.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        mac.update(b"https://hooks.example.com/trello");
        let sig = b64(&mac.finalize().into_bytes());
        let a = post(&proxy.url("/trello"), &[("x-trello-webhook", &sig)], body).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(up.count(), 1);
        let a = post(&proxy.url("/trello"), &[], body).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn other_presets_still_refuse_head() {
        let (up, proxy) = proxy().await;
        // POST-only: 405, as before.
        let a = request("HEAD", &proxy.url("/github"), &[]).await;
        assert_eq!(a.status, 405);
        assert_eq!(a.headers["allow"], "POST");
        let a = request("HEAD", &proxy.url("/worldline-post"), &[]).await;
        assert_eq!(a.status, 405);
        // HEAD listed: an unsigned request like any other (the 401 comes without its body).
        let a = request("HEAD", &proxy.url("/github-all"), &[]).await;
        assert_eq!(a.status, 401);
        assert_eq!(handshakes(&proxy, "github").await, 0.0);
        assert_eq!(handshakes(&proxy, "github-all").await, 0.0);
        assert_eq!(up.count(), 0);
        proxy.stop().await;
    }

    #[tokio::test]
    async fn worldline_verification_get_is_echoed_as_text() {
        let (up, proxy) = proxy().await;
        let url = proxy.url("/worldline");
        let a = request(
            "GET",
            &url,
            &[("X-GCS-Webhooks-Endpoint-Verification", VERIFICATION)],
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body, Bytes::from_static(VERIFICATION.as_bytes()));
        assert_eq!(a.headers["content-type"], "text/plain");
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
        // Markup is echoed as the inert text it is.
        let tricky = "<script>alert(1)</script>";
        let a = request(
            "GET",
            &url,
            &[("x-gcs-webhooks-endpoint-verification", tricky)],
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.body.as_ref()),
            (200, tricky.as_bytes())
        );
        assert_eq!(a.headers["content-type"], "text/plain");
        assert_eq!(handshakes(&proxy, "worldline").await, 2.0);
        assert_eq!(up.count(), 0, "the verification must not reach the app");
        proxy.stop().await;
    }

    #[tokio::test]
    async fn worldline_verification_is_bounded_and_opt_in() {
        let (up, proxy) = proxy().await;
        let url = proxy.url("/worldline");
        // Without the header, empty, or longer than 256 characters: no verification, an
        // unsigned GET like any other.
        let long = "v".repeat(257);
        for headers in [
            vec![],
            vec![("x-gcs-webhooks-endpoint-verification", "")],
            vec![("x-gcs-webhooks-endpoint-verification", long.as_str())],
        ] {
            let a = request("GET", &url, &headers).await;
            assert_eq!(
                (a.status.as_u16(), a.error()),
                (401, "missing_signature".into())
            );
        }
        // The longest echoed value.
        let max = "v".repeat(256);
        let a = request(
            "GET",
            &url,
            &[("x-gcs-webhooks-endpoint-verification", &max)],
        )
        .await;
        assert_eq!((a.status.as_u16(), a.body.len()), (200, 256));

        // Default methods (POST only): 405, as for the other challenge GETs.
        let a = request(
            "GET",
            &proxy.url("/worldline-post"),
            &[("x-gcs-webhooks-endpoint-verification", VERIFICATION)],
        )
        .await;
        assert_eq!(a.status, 405);
        assert_ne!(a.body, Bytes::from_static(VERIFICATION.as_bytes()));
        // Another preset that accepts GET does not echo it.
        let a = request(
            "GET",
            &proxy.url("/github-all"),
            &[("x-gcs-webhooks-endpoint-verification", VERIFICATION)],
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
        assert_eq!(up.count(), 0);

        // Deliveries on the GET+POST route are verified and forwarded as before.
        let body = r#"{"apiVersion":"v1","id":"8ee793f6-4553-4749-85dc-f2ef095c5ab0","type":"payment.paid"}"#;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(WORLDLINE_SECRET.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let sig = b64(&mac.finalize().into_bytes());
        let a = post(
            &url,
            &[("X-GCS-Signature", &sig), ("X-GCS-KeyId", "key-1")],
            body,
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(up.count(), 1);
        proxy.stop().await;
    }
}
