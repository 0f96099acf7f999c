//! Presets: tokens. Senders that prove themselves with a credential (HTTP Basic auth), a
//! JWT, or a certificate-signed message rather than an HMAC over the request. See `super` for the builder and how a preset is
//! proven.

use super::super::scheme::{
    Algorithm, ClaimValue, Issuers, JwtRule, TimestampFormat, TimestampRule, TimestampSource,
};
use super::{Catalogue, Preset, B, DAY, HOUR, MINUTE};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[
    "netlify",
    "monday",
    "chargebee",
    "pipedrive",
    "postmark",
    "sns",
    "google-pubsub",
];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[
    ("monday", 30 * MINUTE, "developer.monday.com/apps/changelog/clarification-on-retry-policies-for-webhooks-and-custom-actions: retried every minute for 30 minutes"),
    ("chargebee", 3 * DAY, "chargebee.com/docs/1.0/site-configuration/articles-and-faq/how-would-i-know-if-the-configured-webhook-url-in-my-chargebee-site-is-failing.html: retries with exponential intervals for the next 3 days"),
    ("google-pubsub", 7 * DAY, "cloud.google.com/pubsub/docs/subscription-properties: an unacknowledged message is retained, and pushed again, for 7 days by default (up to 31)"),
    ("sns", HOUR, "docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html: an HTTP/S delivery policy's retries last at most 3,600 seconds"),
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
        // Amazon SNS HTTP/S subscriptions: the JSON body is the message, signed (RSA, SHA1 for
        // SignatureVersion 1, SHA256 for 2) by the certificate at its SigningCertURL, fetched
        // only from https://sns.<region>.amazonaws.com (verify::sns; AWS SNS developer guide,
        // "Verifying the signatures of Amazon SNS messages"). The route lists its topics. The
        // signed Timestamp is the publish time and stays the same on retries, which last at
        // most an hour: the window covers them. MessageId is signed and stays the same on
        // retries: the dedup key.
        "sns" => B::new("sns", "x-amz-sns-message-type")
            .alg(Algorithm::SnsCertificate)
            .dedup_json("/MessageId")
            .max_age(HOUR + 5 * MINUTE)
            .build(),
        // Google Cloud Pub/Sub push subscriptions with authentication: `Authorization: Bearer`
        // an RS256 OIDC token Google signs (keys at www.googleapis.com/oauth2/v3/certs), `iss`
        // accounts.google.com (either spelling), `aud` the audience set on the subscription
        // (the endpoint URL by default), `email` the subscription's service account
        // (cloud.google.com/pubsub/docs/authenticate-push-subscriptions). Google signs such
        // tokens for every project's subscriptions, so the route must pin `audience` and
        // `email`. The token does not cover the body. Dedup on the message's `messageId`,
        // the same on every redelivery.
        "google-pubsub" => {
            let mut b = B::new("google-pubsub", "authorization")
                .alg(Algorithm::JwtRs256)
                .prefix("Bearer ")
                .jwt(JwtRule {
                    issuer: Some(Issuers(vec![
                        "https://accounts.google.com".into(),
                        "accounts.google.com".into(),
                    ])),
                    require_exp: true,
                    claims: vec![("email_verified".into(), ClaimValue::Bool(true))],
                    ..JwtRule::default()
                })
                .dedup_json("/message/messageId");
            b.0.jwks_url = Some("https://www.googleapis.com/oauth2/v3/certs");
            b.0.required_claims = &["email"];
            b.build()
        }
        _ => return None,
    };
    Some(p)
}
