//! Provider presets: one word in config for a sender's whole scheme and its dedup key.
//!
//! Facts come from the providers' SDK sources and docs (`docs/providers.md` and the vector
//! generators in `tools/vectors` cite them); each preset is checked against fixtures signed by the
//! provider's own SDK where one exists (`tests/fixtures/vectors`, made by `tools/vectors`). A route
//! may override any field of a preset with a `verify:` block.
//!
//! Dedup keys come from signed material whenever the sender provides it (a signed id, a body
//! field). Where the sender documents only an unsigned delivery id that it keeps across
//! redeliveries, the key is that id with the body hash (`dedup_delivery_header`): a distinct
//! event with identical bytes is not dropped, and a replay with a changed id is forwarded again
//! (docs/providers.md weighs the two). Else, the body hash.

use http::HeaderName;

use super::dedup_key::{DedupKeySpec, KeySource};
use super::scheme::{
    parse_payload_template, Algorithm, Encoding, HeaderSet, IdSource, Piece, Scheme,
    SecretEncoding, SignatureFormat, TimestampFormat, TimestampRule, TimestampSource,
};

/// Requests a provider sends to set an endpoint up, answered by hookgate itself so the app
/// never needs the secret for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// Zoom's signed `endpoint.url_validation` event: answer `{plainToken, encryptedToken}`
    /// with `encryptedToken = hex(HMAC-SHA256(secret, plainToken))`.
    ZoomUrlValidation,
    /// Dropbox's `GET ?challenge=...`: echo the challenge.
    DropboxChallenge,
    /// Okta's `GET` with `X-Okta-Verification-Challenge`: answer `{"verification": ...}`.
    OktaChallenge,
    /// Meta's (Facebook, Instagram, WhatsApp) `GET ?hub.mode=subscribe&hub.challenge=..&
    /// hub.verify_token=..`: echo the challenge as text when the token equals the route's
    /// `verify_token` (compared in constant time); otherwise 403.
    MetaVerifyToken,
    /// Twitter/X Account Activity CRC, `GET ?crc_token=..`: answer
    /// `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}` with
    /// the route's first (current) secret.
    TwitterCrc,
    /// Azure Event Grid: the verified `SubscriptionValidationEvent` POST (`aeg-event-type:
    /// SubscriptionValidation`) is answered `{"validationResponse": code}`; the CloudEvents
    /// abuse-protection `OPTIONS` with `WebHook-Request-Origin` is answered with
    /// `WebHook-Allowed-Origin` (and `WebHook-Allowed-Rate: *` when a rate was asked).
    EventGridValidation,
    /// Microsoft Graph change notifications' `POST ?validationToken=..`: echo the decoded
    /// token as text.
    GraphValidationToken,
    /// Trello's unsigned `HEAD` to the callback URL when a webhook is created: 200, empty.
    /// Answered even on routes whose `methods` omit `HEAD` (`Handshake::implied_method`).
    TrelloHead,
    /// Worldline Connect's endpoint verification, a `GET` with
    /// `X-GCS-Webhooks-Endpoint-Verification`: echo the header's value as text.
    WorldlineVerification,
}

impl Handshake {
    /// A method the handshake answers even when the route's `methods` do not list it. Only
    /// Trello's `HEAD`: it carries nothing, reveals nothing and is answered with an empty 200,
    /// and a Trello route that lists only `POST` (the default) would otherwise fail webhook
    /// creation. The challenge GETs stay opt-in (`methods: [GET, POST]`), as they always were.
    pub fn implied_method(self) -> Option<http::Method> {
        match self {
            Self::TrelloHead => Some(http::Method::HEAD),
            Self::ZoomUrlValidation
            | Self::DropboxChallenge
            | Self::OktaChallenge
            | Self::MetaVerifyToken
            | Self::TwitterCrc
            | Self::EventGridValidation
            | Self::GraphValidationToken
            | Self::WorldlineVerification => None,
        }
    }
}

/// A provider's scheme, where its delivery id lives, and its setup handshake.
#[derive(Debug, Clone)]
pub struct Preset {
    pub name: &'static str,
    pub scheme: Scheme,
    pub dedup_key: DedupKeySpec,
    pub handshake: Option<Handshake>,
    /// The scheme signs the URL the sender calls: the route needs `public_url`.
    pub needs_public_url: bool,
    /// The sender's documented freshness window, when it differs from hookgate's default.
    pub max_age: Option<std::time::Duration>,
    /// How long the sender may deliver the same event again (`REDELIVERY`).
    pub redelivery: Option<std::time::Duration>,
    /// The sender's JWK Set, fetched for the route's JWT keys.
    pub jwks_url: Option<&'static str>,
    /// JWT claims each route must pin in `verify.jwt.claims` (which only the route knows:
    /// Pub/Sub's `email`, the push subscription's service account).
    pub required_claims: &'static [&'static str],
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// How long each sender may deliver the same event again, by automatic retries or a redelivery
/// from its dashboard or API, whichever lasts longer, as its own documentation (or source)
/// states it. A route whose sender signs no timestamp must remember ids at least this long,
/// or a redelivery, or a captured delivery replayed, after `dedup.ttl` is forwarded again
/// (`hookgate check` warns). Senders whose window is undocumented are left out.
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("tolinku", 36 * MINUTE, "tolinku.com/docs/user-guide/webhooks/testing-and-deliveries: retries after 1, 5 and 30 minutes"),
    ("github", 3 * DAY, "docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks: redeliver deliveries from the past 3 days"),
    ("stripe", 30 * DAY, "docs.stripe.com/webhooks/process-undelivered-events: retries for up to three days; docs.stripe.com/cli/events/resend: resend events from the last 30 days"),
    ("svix", 28 * HOUR, "docs.svix.com/retries: attempts over 27 h 35 m"),
    ("resend", 28 * HOUR, "resend.com/docs/webhooks/retries-and-replays: the Svix schedule, 27 h 35 m"),
    ("shopify", 4 * HOUR, "shopify.dev/changelog/updates-to-webhook-retry-mechanism: 8 retries over 4 hours"),
    ("twilio", 15, "twilio.com/docs/usage/webhooks/webhooks-connection-overrides: all attempts within 15 000 ms"),
    ("paddle", 90 * DAY, "developer.paddle.com: retries over 3 days; replay of notifications up to 90 days old"),
    ("zoom", 85 * MINUTE, "developers.zoom.us/blog/webhook-delays: retries after 5, 20 and 60 minutes"),
    ("square", 72 * HOUR, "developer.squareup.com/docs/webhooks-api/delivery-sla: retries for up to 72 hours (a newer page says 24)"),
    ("hubspot", DAY, "developers.hubspot.com/changelog/2018-12-10-updated-webhook-retry-logic: 10 retries over 24 hours"),
    ("gitlab", 2 * DAY, "GitLab docs, webhooks troubleshooting: resend requests of the last 2 days"),
    ("typeform", 10 * HOUR, "typeform.com/developers/webhooks: retries every 2-3 minutes for 10 hours"),
    ("calendly", DAY, "developer.calendly.com/api-docs/overview/webhooks/webhook-errors: retries for 24 hours"),
    ("xero", DAY, "developer.xero.com/documentation/webhooks/configuring-your-server: retries for up to 24 hours"),
    ("pagerduty", 48 * HOUR, "PagerDuty developer docs, webhook behavior: retried for up to 48 hours"),
    ("sentry", 15 * MINUTE, "getsentry/sentry sentry_apps/tasks: 3 retries 5 minutes apart"),
    ("mux", DAY, "mux.com/docs/core/listen-for-webhooks: retries for the next 24 hours"),
    ("box", 2 * HOUR, "developer.box.com/guides/webhooks/v2: up to 12 retries over 2 hours"),
    ("jira", 30 * MINUTE, "Atlassian staff, Jira Cloud webhook retry policy: delivered up to 30 minutes late"),
    ("coinbase", 3 * DAY, "docs.cloud.coinbase.com/commerce-onchain/docs/webhooks: retries for up to three days"),
    ("razorpay", 15 * DAY, "razorpay.com/docs/webhooks: retries for 24 hours; replay on request of events up to 15 days old"),
    ("asana", DAY, "developers.asana.com/docs/webhooks-guide: resends for up to 24 hours"),
    ("dropbox", 10 * MINUTE, "dropbox.com/developers/webhooks/docs: retried over about ten minutes"),
    ("contentful", DAY, "contentful.com/developers/docs/webhooks/retry-policy: about a minute by default, 24 hours with a custom policy"),
    ("mailgun", 8 * HOUR, "documentation.mailgun.com webhook retries: during 8 hours"),
    ("discord", 10 * MINUTE, "discord-api-docs webhook-events: retries for up to 10 minutes"),
    ("sendgrid", DAY, "docs.sendgrid.com event webhook troubleshooting: retried for up to 24 hours"),
];

/// One file of presets: its names, their redelivery windows, and the function that builds them.
/// A catalogue holds senders of one kind; this file holds the first forty and the builder they
/// all use, and `CATALOGUES` lists every file.
struct Catalogue {
    names: &'static [&'static str],
    redelivery: &'static [(&'static str, u64, &'static str)],
    build: fn(&str) -> Option<Preset>,
}

const CATALOGUES: &[Catalogue] = &[
    Catalogue {
        names: NAMES,
        redelivery: REDELIVERY,
        build: lookup_first,
    },
    payments::CATALOGUE,
    devtools::CATALOGUE,
    messaging::CATALOGUE,
    social::CATALOGUE,
    tokens::CATALOGUE,
    extra_a::CATALOGUE,
    extra_b::CATALOGUE,
    extra_c::CATALOGUE,
];

mod devtools;
mod extra_a;
mod extra_b;
mod extra_c;
mod messaging;
mod payments;
mod social;
mod tokens;

/// Every name accepted in `provider:`, catalogue by catalogue.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOGUES.iter().flat_map(|c| c.names.iter().copied())
}

/// The preset called `name`, if there is one.
pub fn lookup(name: &str) -> Option<Preset> {
    CATALOGUES.iter().find_map(|c| (c.build)(name))
}

fn redelivery(name: &str) -> Option<std::time::Duration> {
    CATALOGUES
        .iter()
        .flat_map(|c| c.redelivery.iter())
        .find(|(n, _, _)| *n == name)
        .map(|(_, secs, _)| std::time::Duration::from_secs(*secs))
}

/// Names accepted in `provider:` from this file.
const NAMES: &[&str] = &[
    "tolinku",
    "github",
    "stripe",
    "standard-webhooks",
    "svix",
    "clerk",
    "resend",
    "slack",
    "shopify",
    "twilio",
    "paddle",
    "linear",
    "zoom",
    "twitch",
    "square",
    "hubspot",
    "gitlab",
    "intercom",
    "typeform",
    "woocommerce",
    "bitbucket",
    "calendly",
    "xero",
    "pagerduty",
    "sentry",
    "vercel",
    "mux",
    "notion",
    "box",
    "jira",
    "coinbase",
    "razorpay",
    "okta",
    "airtable",
    "asana",
    "dropbox",
    "contentful",
    "mailgun",
    "discord",
    "sendgrid",
];

fn h(name: &'static str) -> HeaderName {
    HeaderName::from_static(name)
}

/// A preset under construction: the common shape (HMAC-SHA256, hex, over the body) adjusted
/// call by call, so each provider reads as the list of ways it differs.
struct B(Preset);

impl B {
    fn new(name: &'static str, header: &'static str) -> Self {
        let scheme = Scheme {
            headers: vec![HeaderSet {
                signature: h(header),
                timestamp: None,
                id: None,
            }],
            ..Scheme::default()
        };
        Self(Preset {
            name,
            scheme,
            dedup_key: DedupKeySpec {
                sources: vec![KeySource::BodySha256],
            },
            handshake: None,
            needs_public_url: false,
            max_age: None,
            redelivery: redelivery(name),
            jwks_url: None,
            required_claims: &[],
        })
    }
    fn alg(mut self, a: Algorithm) -> Self {
        self.0.scheme.algorithm = a;
        self
    }
    fn enc(mut self, e: Encoding) -> Self {
        self.0.scheme.encoding = e;
        self
    }
    fn secret(mut self, e: SecretEncoding) -> Self {
        self.0.scheme.secret_encoding = e;
        self
    }
    /// Entries must start with `p` (entries without it are not signatures of ours).
    fn prefix(mut self, p: &str) -> Self {
        self.0.scheme.format = SignatureFormat::List {
            prefix: Some(p.into()),
            prefix_required: true,
            separator: self.separator(),
        };
        self
    }
    fn optional_prefix(mut self, p: &str) -> Self {
        self.0.scheme.format = SignatureFormat::List {
            prefix: Some(p.into()),
            prefix_required: false,
            separator: self.separator(),
        };
        self
    }
    fn separator(&self) -> Option<String> {
        match &self.0.scheme.format {
            SignatureFormat::List { separator, .. } => separator.clone(),
            SignatureFormat::Params { .. } => None,
        }
    }
    fn list(mut self, sep: &str) -> Self {
        if let SignatureFormat::List { separator, .. } = &mut self.0.scheme.format {
            *separator = Some(sep.into());
        }
        self
    }
    /// `k=v` pairs (`t=..,v1=..`), signatures under `sig`, the timestamp under `ts`.
    fn params(
        mut self,
        pair_separator: char,
        sig: &str,
        ts: &str,
        format: TimestampFormat,
    ) -> Self {
        self.0.scheme.format = SignatureFormat::Params {
            pair_separator,
            signature_key: sig.into(),
        };
        self.0.scheme.timestamp = Some(TimestampRule {
            source: TimestampSource::SignatureParam(ts.into()),
            format,
        });
        self
    }
    /// The signed bytes; presets are written by us, so a bad template is a bug caught by the
    /// preset tests (every preset is built there).
    fn payload(mut self, template: &str) -> Self {
        self.0.scheme.payload = match parse_payload_template(template) {
            Ok(p) => p,
            Err(_) => vec![Piece::Literal(b"invalid preset template".to_vec())],
        };
        self
    }
    fn pieces(mut self, pieces: Vec<Piece>) -> Self {
        self.0.scheme.payload = pieces;
        self
    }
    fn ts_header(mut self, name: &'static str, format: TimestampFormat) -> Self {
        for set in &mut self.0.scheme.headers {
            set.timestamp = Some(h(name));
        }
        self.0.scheme.timestamp = Some(TimestampRule {
            source: TimestampSource::Header,
            format,
        });
        self
    }
    fn ts_json(mut self, pointer: &str, format: TimestampFormat) -> Self {
        self.0.scheme.timestamp = Some(TimestampRule {
            source: TimestampSource::Json(pointer.into()),
            format,
        });
        self
    }
    fn id_header(mut self, name: &'static str) -> Self {
        for set in &mut self.0.scheme.headers {
            set.id = Some(h(name));
        }
        self.0.scheme.id = Some(IdSource::Header);
        self
    }
    /// Dedup on the scheme's signed id.
    fn dedup_signed_id(mut self) -> Self {
        self.0.dedup_key.sources = vec![KeySource::SchemeId];
        self
    }
    /// Dedup on a body field (signed with the body), else the body hash.
    fn dedup_json(mut self, pointer: &str) -> Self {
        self.0.dedup_key.sources = vec![KeySource::Json(pointer.into()), KeySource::BodySha256];
        self
    }
    /// Dedup on a delivery id the sender documents but does not sign, with the body hash
    /// (`KeySource::DeliveryHeader`); without the header, the body hash alone.
    fn dedup_delivery_header(mut self, name: &'static str) -> Self {
        self.0.dedup_key.sources = vec![KeySource::DeliveryHeader(h(name)), KeySource::BodySha256];
        self
    }
    fn dedup(mut self, sources: Vec<KeySource>) -> Self {
        self.0.dedup_key.sources = sources;
        self
    }
    fn also_header(mut self, name: &'static str) -> Self {
        self.0.scheme.extra_signature_headers.push(h(name));
        self
    }
    fn family(mut self, set: HeaderSet) -> Self {
        self.0.scheme.headers.push(set);
        self
    }
    fn public_url(mut self) -> Self {
        self.0.needs_public_url = true;
        self
    }
    fn max_age(mut self, secs: u64) -> Self {
        self.0.max_age = Some(std::time::Duration::from_secs(secs));
        self
    }
    fn handshake(mut self, hs: Handshake) -> Self {
        self.0.handshake = Some(hs);
        self
    }
    fn build(self) -> Preset {
        self.0
    }
}

use Encoding::Base64;
use TimestampFormat::{Rfc3339, Unix, UnixMs};

fn lookup_first(name: &str) -> Option<Preset> {
    let p = match name {
        // Tolinku: hex HMAC-SHA256 of the body; some of their examples show a `sha256=` prefix,
        // so it is accepted, not required. The event time is the body's ISO 8601 `timestamp`.
        // No documented id: the body's `id` when present, else the body hash.
        "tolinku" => B::new("tolinku", "x-webhook-signature")
            .optional_prefix("sha256=")
            .ts_json("/timestamp", Rfc3339)
            .dedup_json("/id")
            .build(),
        // GitHub: no timestamp. `X-GitHub-Delivery` is not signed but is what GitHub keeps for a
        // redelivery: dedup on it with the body hash, so a redelivery is dropped and a distinct
        // event with identical bytes (two pushes of the same ref state) is not.
        "github" => B::new("github", "x-hub-signature-256")
            .prefix("sha256=")
            .dedup_delivery_header("x-github-delivery")
            .build(),
        // Stripe: `t=..,v1=..[,v1=..]` over `{t}.{body}`; the `whsec_` secret is used as raw
        // UTF-8. Dedup on the body's signed `evt_...` id.
        "stripe" => B::new("stripe", "stripe-signature")
            .params(',', "v1", "t", Unix)
            .payload("{timestamp}.{body}")
            .dedup_json("/id")
            .build(),
        "standard-webhooks" => standard_webhooks("standard-webhooks", false),
        "svix" | "clerk" | "resend" => standard_webhooks(
            match name {
                "svix" => "svix",
                "clerk" => "clerk",
                _ => "resend",
            },
            true,
        ),
        // Slack: `v0=<hex>` over `v0:{timestamp}:{body}`. `event_id` is in the signed body.
        "slack" => B::new("slack", "x-slack-signature")
            .prefix("v0=")
            .payload("v0:{timestamp}:{body}")
            .ts_header("x-slack-request-timestamp", Unix)
            .dedup_json("/event_id")
            .build(),
        // Shopify: base64 over the body. `X-Shopify-Triggered-At` is not signed, so no
        // freshness check. `X-Shopify-Webhook-Id` (kept across retries) and
        // `X-Shopify-Event-Id` are not signed: dedup on them with the body hash (Shopify's
        // "ignore duplicate webhooks" guide names both). The newer event deliveries use
        // `shopify-hmac-sha256`.
        "shopify" => B::new("shopify", "x-shopify-hmac-sha256")
            .enc(Base64)
            .family(HeaderSet {
                signature: h("shopify-hmac-sha256"),
                timestamp: None,
                id: None,
            })
            .dedup(vec![
                KeySource::DeliveryHeader(h("x-shopify-webhook-id")),
                KeySource::DeliveryHeader(h("shopify-webhook-id")),
                KeySource::DeliveryHeader(h("x-shopify-event-id")),
                KeySource::DeliveryHeader(h("shopify-event-id")),
                KeySource::BodySha256,
            ])
            .build(),
        // Twilio: HMAC-SHA1 (Auth Token) over the public URL plus the sorted form parameters;
        // JSON bodies are covered by `bodySHA256` in the URL instead. No timestamp. A
        // SharedKey signs with HMAC-SHA256 and says so in
        // `X-Twilio-Webhooks-Signature-Settings: key=..,algorithm=HMAC_SHA256` (twilio-python
        // 9.13 `get_signature_algorithm`). Like its SDKs, accept the URL with or without the
        // default port. Dedup: the hash of the signed form parameters, not of the body: the
        // signature covers the decoded, sorted parameters, not their encoding, so a replayed
        // capture re-encoded (pairs reordered, `%41` for `A`) still verifies and must hash
        // the same.
        "twilio" => B::new("twilio", "x-twilio-signature")
            .alg(Algorithm::HmacSha1)
            .enc(Base64)
            .pieces(vec![Piece::Url, Piece::FormParams])
            .body_sha256_query("bodySHA256")
            .algorithm_header("x-twilio-webhooks-signature-settings")
            .url_default_port_optional()
            .public_url()
            .dedup(vec![KeySource::SignedFormSha256])
            .build(),
        // Paddle Billing: `ts=..;h1=..[;h1=..]` over `{ts}:{body}`; `event_id` in the body.
        "paddle" => B::new("paddle", "paddle-signature")
            .params(';', "h1", "ts", Unix)
            .payload("{timestamp}:{body}")
            .dedup_json("/event_id")
            .build(),
        // Linear: hex over the body; the signed time is the body's `webhookTimestamp` (ms).
        "linear" => B::new("linear", "linear-signature")
            .ts_json("/webhookTimestamp", UnixMs)
            .build(),
        // Zoom: `v0=<hex>` over `v0:{timestamp}:{body}`; hookgate answers the URL validation.
        // No delivery id is documented; the body carries `event_ts` (ms), so the body hash is
        // the key and a retry of the same event is a duplicate.
        "zoom" => B::new("zoom", "x-zm-signature")
            .prefix("v0=")
            .payload("v0:{timestamp}:{body}")
            .ts_header("x-zm-request-timestamp", Unix)
            .handshake(Handshake::ZoomUrlValidation)
            .build(),
        // Twitch EventSub: `sha256=<hex>` over id + timestamp + body (no separators); the
        // message id is signed, so it is the dedup key. The callback verification challenge
        // is signed like any message and forwarded untouched. Twitch's docs and twurple reject
        // notifications older than 10 minutes: the preset's `max_age`.
        "twitch" => B::new("twitch", "twitch-eventsub-message-signature")
            .prefix("sha256=")
            .payload("{id}{timestamp}{body}")
            .ts_header("twitch-eventsub-message-timestamp", Rfc3339)
            .id_header("twitch-eventsub-message-id")
            .dedup_signed_id()
            .max_age(600)
            .build(),
        // Square: base64 over the notification URL + body; `event_id` in the body.
        "square" => B::new("square", "x-square-hmacsha256-signature")
            .enc(Base64)
            .payload("{url}{body}")
            .public_url()
            .dedup_json("/event_id")
            .build(),
        // HubSpot v3: base64 over method + URL + body + timestamp (ms).
        "hubspot" => B::new("hubspot", "x-hubspot-signature-v3")
            .enc(Base64)
            .payload("{method}{url}{body}{timestamp}")
            .ts_header("x-hubspot-request-timestamp", UnixMs)
            .public_url()
            .build(),
        // GitLab: a plain token, which authenticates the sender but not the body. The
        // Idempotency-Key header (same across retries) with the body hash; the body hash alone
        // for older GitLab versions.
        "gitlab" => B::new("gitlab", "x-gitlab-token")
            .alg(Algorithm::Token)
            .enc(Encoding::Raw)
            .dedup_delivery_header("idempotency-key")
            .build(),
        // Intercom: `sha1=<hex>` HMAC-SHA1 over the body; the notification `id` is signed (and
        // kept across retries, whose bodies differ in `delivery_attempts`).
        "intercom" => B::new("intercom", "x-hub-signature")
            .alg(Algorithm::HmacSha1)
            .prefix("sha1=")
            .dedup_json("/id")
            .build(),
        // Typeform: `sha256=<base64>` over the body.
        "typeform" => B::new("typeform", "typeform-signature")
            .enc(Base64)
            .prefix("sha256=")
            .dedup_json("/event_id")
            .build(),
        // WooCommerce: base64 over the body (`WC_Webhook::generate_signature`). The key is
        // `wp_specialchars_decode(secret)`: configure the secret as shown in the admin.
        // `X-WC-Webhook-Delivery-ID` is not signed (and new per attempt): dedup on the body hash.
        "woocommerce" => B::new("woocommerce", "x-wc-webhook-signature")
            .enc(Base64)
            .build(),
        // Bitbucket Cloud: SHA-256 despite the GitHub-style header name. `X-Request-UUID` and
        // `X-Hook-UUID` are not signed: dedup on the body hash.
        "bitbucket" => B::new("bitbucket", "x-hub-signature")
            .prefix("sha256=")
            .build(),
        // Calendly: `t=..,v1=..` over `{t}.{body}`, like Stripe. No delivery id: body hash.
        "calendly" => B::new("calendly", "calendly-webhook-signature")
            .params(',', "v1", "t", Unix)
            .payload("{timestamp}.{body}")
            .build(),
        // Xero: base64 over the body. The webhooks key looks like base64 but is used as text.
        // Intent to Receive needs 401 for a bad signature: the default `reject_status`.
        "xero" => B::new("xero", "x-xero-signature").enc(Base64).build(),
        // PagerDuty v3: `v1=<hex>` entries, comma separated, one per active secret.
        "pagerduty" => B::new("pagerduty", "x-pagerduty-signature")
            .prefix("v1=")
            .list(",")
            .dedup_json("/event/id")
            .build(),
        // Sentry: hex over the body. `Sentry-Hook-Timestamp` is not signed: no freshness check.
        // `Request-ID` is not signed either: dedup on the body hash.
        "sentry" => B::new("sentry", "sentry-hook-signature").build(),
        // Vercel: HMAC-SHA1 hex over the body.
        "vercel" => B::new("vercel", "x-vercel-signature")
            .alg(Algorithm::HmacSha1)
            .dedup_json("/id")
            .build(),
        // Mux: `t=..,v1=..` over `{t}.{body}`.
        "mux" => B::new("mux", "mux-signature")
            .params(',', "v1", "t", Unix)
            .payload("{timestamp}.{body}")
            .dedup_json("/id")
            .build(),
        // Notion: `sha256=<hex>` over the body, keyed with the verification token.
        "notion" => B::new("notion", "x-notion-signature")
            .prefix("sha256=")
            .ts_json("/timestamp", Rfc3339)
            .dedup_json("/id")
            .build(),
        // Box: base64 over body + timestamp (appended); primary and secondary signatures.
        "box" => B::new("box", "box-signature-primary")
            .also_header("box-signature-secondary")
            .enc(Base64)
            .payload("{body}{timestamp}")
            .ts_header("box-delivery-timestamp", Rfc3339)
            .max_age(600)
            .build(),
        // Jira Cloud admin webhooks with a secret: WebSub style `sha256=<hex>`.
        // `X-Atlassian-Webhook-Identifier` is not signed but stays the same across retries:
        // dedup on it with the body hash.
        "jira" => B::new("jira", "x-hub-signature")
            .prefix("sha256=")
            .dedup_delivery_header("x-atlassian-webhook-identifier")
            .build(),
        "coinbase" => B::new("coinbase", "x-cc-webhook-signature")
            .dedup_json("/event/id")
            .build(),
        // `x-razorpay-event-id` is not signed; Razorpay's docs name it for spotting retries.
        "razorpay" => B::new("razorpay", "x-razorpay-signature")
            .dedup_delivery_header("x-razorpay-event-id")
            .build(),
        // Okta event hooks: a static secret in a header of your choosing (Authorization by
        // default); hookgate answers the one-time verification GET.
        "okta" => B::new("okta", "authorization")
            .alg(Algorithm::Token)
            .enc(Encoding::Raw)
            .handshake(Handshake::OktaChallenge)
            .build(),
        // Airtable: `hmac-sha256=<hex>`; the MAC secret is given base64-encoded.
        "airtable" => B::new("airtable", "x-airtable-content-mac")
            .prefix("hmac-sha256=")
            .secret(SecretEncoding::Base64)
            .ts_json("/timestamp", Rfc3339)
            .build(),
        // Asana: hex over the body; the secret is the X-Hook-Secret of the creation handshake
        // (an unsigned POST the app must echo: hookgate rejects it, see tools/vectors/README).
        "asana" => B::new("asana", "x-hook-signature").build(),
        // Dropbox: hex over the body; hookgate echoes the GET `?challenge=` (route needs
        // `methods: [GET, POST]`). Notifications only say "something changed for these
        // accounts", so two genuine ones can be byte-identical: no dedup (the app fetches
        // changes by cursor anyway).
        "dropbox" => B::new("dropbox", "x-dropbox-signature")
            .handshake(Handshake::DropboxChallenge)
            .dedup(vec![])
            .build(),
        // Contentful: a canonical request (method, path, the listed headers, body), hex. The
        // path and query are canonicalised as `@contentful/node-apps-toolkit` 3.16.1 `signRequest`
        // / `verifyRequest` do (query `querystring.escape`d, then all `encodeURI`d).
        "contentful" => B::new("contentful", "x-contentful-signature")
            .pieces(vec![
                Piece::Method,
                Piece::Literal(b"\n".to_vec()),
                Piece::ContentfulPath,
                Piece::Literal(b"\n".to_vec()),
                Piece::SignedHeaders(h("x-contentful-signed-headers")),
                Piece::Literal(b"\n".to_vec()),
                Piece::Body,
            ])
            .ts_header("x-contentful-timestamp", UnixMs)
            .build(),
        // Mailgun: the signature is in the body, over `{timestamp}{token}`; the body itself is
        // not signed (Mailgun's design). The token is unique per delivery and signed.
        "mailgun" => {
            let mut b = B::new("mailgun", "x-mailgun-signature")
                .pieces(vec![
                    Piece::Json("/signature/timestamp".into()),
                    Piece::Json("/signature/token".into()),
                ])
                .ts_json("/signature/timestamp", Unix)
                .dedup(vec![KeySource::Json("/signature/token".into())]);
            b.0.scheme.signature_json = Some("/signature/signature".into());
            b.build()
        }
        // Discord interactions: Ed25519 over timestamp + body, hex; the route holds the
        // application's public key (hex).
        "discord" => B::new("discord", "x-signature-ed25519")
            .alg(Algorithm::Ed25519)
            .secret(SecretEncoding::Hex)
            .payload("{timestamp}{body}")
            .ts_header("x-signature-timestamp", Unix)
            .dedup_json("/id")
            .build(),
        // SendGrid event webhook: ECDSA P-256 over timestamp + body, base64 DER; the route
        // holds the verification key (base64 DER public key).
        "sendgrid" => B::new("sendgrid", "x-twilio-email-event-webhook-signature")
            .alg(Algorithm::EcdsaP256Sha256)
            .enc(Base64)
            .secret(SecretEncoding::Base64)
            .payload("{timestamp}{body}")
            .ts_header("x-twilio-email-event-webhook-timestamp", Unix)
            .build(),
        _ => return None,
    };
    Some(p)
}

impl B {
    fn body_sha256_query(mut self, param: &str) -> Self {
        self.0.scheme.body_sha256_query = Some(param.into());
        self
    }
    fn algorithm_header(mut self, name: &'static str) -> Self {
        self.0.scheme.algorithm_header = Some(h(name));
        self
    }
    fn url_default_port_optional(mut self) -> Self {
        self.0.scheme.url_default_port_optional = true;
        self
    }
}

/// Standard Webhooks and the Svix family (Clerk, Resend): `v1,<base64>` HMAC entries and
/// `v1a,<base64>` Ed25519 entries, space separated, over `{id}.{timestamp}.{body}`. Secrets
/// are `whsec_` + base64 (or `whpk_` public keys for `v1a`). The id is signed: the dedup key.
fn standard_webhooks(name: &'static str, svix_first: bool) -> Preset {
    let webhook = HeaderSet {
        signature: h("webhook-signature"),
        timestamp: Some(h("webhook-timestamp")),
        id: Some(h("webhook-id")),
    };
    let svix = HeaderSet {
        signature: h("svix-signature"),
        timestamp: Some(h("svix-timestamp")),
        id: Some(h("svix-id")),
    };
    let mut b = B::new(name, "webhook-signature")
        .enc(Base64)
        .secret(SecretEncoding::Whsec)
        .prefix("v1,")
        .list(" ")
        .payload("{id}.{timestamp}.{body}")
        .dedup_signed_id();
    b.0.scheme.headers = if svix_first {
        vec![svix, webhook]
    } else {
        vec![webhook, svix]
    };
    b.0.scheme.timestamp = Some(TimestampRule {
        source: TimestampSource::Header,
        format: Unix,
    });
    b.0.scheme.id = Some(IdSource::Header);
    b.0.scheme.alt_entries = vec![("v1a,".into(), Algorithm::Ed25519)];
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_redelivery_window_names_a_preset_once() {
        let mut seen = std::collections::HashSet::new();
        for (name, secs, source) in CATALOGUES.iter().flat_map(|c| c.redelivery.iter()) {
            assert!(names().any(|n| n == *name), "{name} is no preset");
            assert!(seen.insert(name), "{name} twice");
            assert!(*secs > 0 && !source.is_empty(), "{name}");
            assert_eq!(
                lookup(name).and_then(|p| p.redelivery),
                Some(std::time::Duration::from_secs(*secs))
            );
        }
    }

    #[test]
    fn every_name_builds_a_sound_preset() {
        let mut seen = std::collections::HashSet::new();
        for name in names() {
            assert!(seen.insert(name), "{name} is listed twice");
            let p = lookup(name).unwrap_or_else(|| panic!("{name} is listed but not built"));
            assert_eq!(p.name, name);
            let s = &p.scheme;
            assert!(
                !s.payload
                    .contains(&Piece::Literal(b"invalid preset template".to_vec())),
                "{name}: bad template"
            );
            assert!(
                !s.headers.is_empty() || s.signature_json.is_some(),
                "{name}"
            );
            if s.needs(&Piece::Timestamp) {
                assert!(
                    s.timestamp.is_some(),
                    "{name}: signs a timestamp it cannot find"
                );
            }
            if s.needs(&Piece::Id) {
                assert!(s.id.is_some(), "{name}: signs an id it cannot find");
            }
            assert_eq!(p.needs_public_url, s.needs(&Piece::Url), "{name}");
            assert!(
                !p.dedup_key.sources.is_empty() || name == "dropbox",
                "{name}: only Dropbox opts out of dedup"
            );
        }
        assert!(lookup("nope").is_none());
    }
}
