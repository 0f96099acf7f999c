//! Presets: tokens. Senders that prove themselves with a credential (HTTP Basic auth) or a
//! JWT rather than an HMAC over the request. See `super` for the builder and how a preset is
//! proven.

use super::super::scheme::{Algorithm, JwtRule, TimestampFormat, TimestampRule, TimestampSource};
use super::{Catalogue, Preset, B, DAY, HOUR, MINUTE};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &["netlify", "monday", "chargebee", "pipedrive", "postmark"];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("monday", 30 * MINUTE, "developer.monday.com/apps/changelog/clarification-on-retry-policies-for-webhooks-and-custom-actions: retried every minute for 30 minutes"),
    ("chargebee", 3 * DAY, "chargebee.com/docs/1.0/site-configuration/articles-and-faq/how-would-i-know-if-the-configured-webhook-url-in-my-chargebee-site-is-failing.html: retries with exponential intervals for the next 3 days"),
    ("postmark", 11 * HOUR, "postmarkapp.com/support/article/understanding-inbound-webhook-retries-in-postmark: 10 retries over about 10.5 hours"),
];

impl B {
    /// A JWT signature whose claims must satisfy `rule`.
    fn jwt(mut self, rule: JwtRule) -> Self {
        self.0.scheme.jwt = Some(rule);
        self
    }
    /// The JWT's `iat` is the signed time, held to the route's freshness window.
    fn jwt_iat(mut self) -> Self {
        self.0.scheme.timestamp = Some(TimestampRule {
            source: TimestampSource::JwtIat,
            format: TimestampFormat::Unix,
        });
        self
    }
    /// HTTP Basic auth in `Authorization`: the route's secret is `user:pass`.
    fn basic(name: &'static str) -> Self {
        B::new(name, "authorization").alg(Algorithm::Basic)
    }
}

fn build(name: &str) -> Option<Preset> {
    let p = match name {
        // Netlify outgoing webhooks (deploy and form notifications): with a "JWS secret token"
        // set, `X-Webhook-Signature` is an HS256 JWT whose claims are `iss: "netlify"` and
        // `sha256`, the hex SHA-256 of the raw body (docs.netlify.com/site-deploys/
        // deploy-notifications/#payload-signature). No iat/exp: replay protection is dedup
        // alone, on the body hash (a deploy's `id` is the same in each of its events).
        "netlify" => B::new("netlify", "x-webhook-signature")
            .alg(Algorithm::JwtHs256)
            .jwt(JwtRule {
                issuer: Some("netlify".into()),
                body_sha256_claim: Some("sha256".into()),
                ..JwtRule::default()
            })
            .build(),
        // monday.com app webhooks: `Authorization` carries an HS256 JWT signed with the app's
        // Signing Secret (board webhooks) or Client Secret (app lifecycle webhooks): list both
        // as the route's secrets. Claims `accountId`, `userId`, `aud` (the app's endpoint
        // URL), `iat`, `exp` (iat + 5 minutes) and `shortLivedToken`
        // (developer.monday.com/apps/docs/authorization-header). The token does not cover the
        // body. `aud` is the endpoint's URL, which only the route knows: set
        // `verify: { jwt: { audience: ... } }` as the docs ask.
        "monday" => B::new("monday", "authorization")
            .alg(Algorithm::JwtHs256)
            .jwt(JwtRule {
                require_exp: true,
                ..JwtRule::default()
            })
            .jwt_iat()
            .build(),
        // Chargebee: "Protect webhook URL with basic authentication" (Settings > Webhooks;
        // chargebee.com/docs/webhook_settings.html). Nothing is signed; the event's `id`
        // (`ev_...`) is what Chargebee keeps across retries and duplicates, so it is the key.
        "chargebee" => B::basic("chargebee").dedup_json("/id").build(),
        // Pipedrive: `http_auth_user` / `http_auth_password` of the webhook, sent as Basic
        // auth (pipedrive.readme.io/docs/guide-for-webhooks-v2). No documented stable
        // delivery id: the body hash.
        "pipedrive" => B::basic("pipedrive").build(),
        // Postmark: Basic auth credentials put in the webhook URL (`https://user:pass@host/..`)
        // or its HttpAuth setting (postmarkapp.com/developer/webhooks/webhooks-overview).
        // Nothing is signed and no delivery id is documented: the body hash.
        "postmark" => B::basic("postmark").build(),
        _ => return None,
    };
    Some(p)
}
