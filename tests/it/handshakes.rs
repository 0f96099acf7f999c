//! Providers' setup requests that hookgate answers itself (Zoom URL validation, Dropbox and
//! Okta challenges).

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
