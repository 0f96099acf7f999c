//! Adyen through the real proxy: the signature is inside the body and covers one notification
//! item, so a body carrying any other item, or none signed, never reaches the app as verified.
//! The accepted shapes are replayed from the SDK-made vectors by `vectors.rs`; these are the
//! refusals.

use base64::Engine as _;

use crate::harness::*;

const SECRET: &str = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

/// Adyen's documented example, signed with its public sample key (the `documented_vector` case
/// of `tests/fixtures/vectors/adyen.json`), parsed.
fn documented() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vectors/adyen.json"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "documented_vector")
        .unwrap();
    assert_eq!(case["secrets"][0], SECRET);
    let body = base64::engine::general_purpose::STANDARD
        .decode(case["body_b64"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

async fn proxy() -> (Upstream, Proxy) {
    let up = Upstream::ok().await;
    let yaml = "upstream: { url: \"{upstream}\", timeout: 2s }\nroutes:\n  - name: adyen\n    path: /adyen\n    provider: adyen\n    secrets:\n      - { id: s, env: ADYEN }\n";
    let proxy = Proxy::start(
        yaml,
        &up.url(),
        &[("ADYEN", SECRET)],
        TestClock::at(1_764_000_000).clock(),
    )
    .await;
    (up, proxy)
}

#[tokio::test]
async fn adyen_refuses_items_the_signature_does_not_cover() {
    let (up, proxy) = proxy().await;
    let url = proxy.url("/adyen");
    let doc = documented();
    let item = doc["notificationItems"][0].clone();

    // A second item next to the signed one (an attacker's refund, unsigned): refused whole.
    let mut forged = item.clone();
    let f = &mut forged["NotificationRequestItem"];
    f["eventCode"] = "REFUND".into();
    f["amount"]["value"] = 999_999.into();
    f["additionalData"] = serde_json::json!({});
    // (The signature is looked for where Adyen puts it, in the first item: missing when the
    // forged one comes first.)
    for (items, error) in [
        (vec![item.clone(), forged.clone()], "invalid_signature"),
        (vec![forged, item.clone()], "missing_signature"),
    ] {
        let mut two = doc.clone();
        two["notificationItems"] = items.into();
        let a = post(&url, &[], serde_json::to_vec(&two).unwrap()).await;
        assert_eq!((a.status.as_u16(), a.error()), (401, error.into()));
    }
    // The same signed item twice is refused too: the count is the rule.
    let mut twice = doc.clone();
    twice["notificationItems"] = vec![item.clone(), item.clone()].into();
    let a = post(&url, &[], serde_json::to_vec(&twice).unwrap()).await;
    assert_eq!(a.status, 401);

    // No signature in the item, or no item: missing.
    let mut unsigned = doc.clone();
    unsigned["notificationItems"][0]["NotificationRequestItem"]["additionalData"] =
        serde_json::json!({});
    for body in [
        unsigned,
        serde_json::json!({ "live": "false", "notificationItems": [] }),
    ] {
        let a = post(&url, &[], serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(
            (a.status.as_u16(), a.error()),
            (401, "missing_signature".into())
        );
    }
    assert_eq!(up.count(), 0, "nothing unsigned reached the app");

    // The genuine one item goes through, known by its signed pspReference, eventCode, success.
    let a = post(&url, &[], serde_json::to_vec(&doc).unwrap()).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].headers["hookgate-event-id"],
        "7914073381342284:AUTHORISATION:true"
    );
    proxy.stop().await;
}
