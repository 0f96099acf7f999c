#!/usr/bin/env node
// Generate the vectors of ten providers whose SDKs are on npm: hubspot, square, linear, mux,
// notion, contentful, box, coinbase, razorpay, shopify.  Run through ../generate.sh (or
// ./gen.sh).  Usage: gen.mjs OUT_DIR
//
// Each case is signed by the provider's own SDK where it has a signer, else with the plain
// node:crypto call its verifier mirrors; then the SDK's own verifier must accept it with every
// route secret that signed it, reject it with the others and with a wrong secret, and (where the
// SDK checks time) accept it at the signed time and reject it just outside the SDK's window.
// Every case is also re-derived here with node:crypto from the scheme as hookgate's preset
// writes it.  Nothing reads the clock: SDK verifiers that do see a frozen `Date.now`.

import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import querystring from "node:querystring";
import { fileURLToPath } from "node:url";
import { B62, detB62, detGuid, detHex } from "../det.mjs";

import hubspot from "@hubspot/api-client";
import { WebhooksHelper as SquareWebhooksHelper } from "square";
import { LinearWebhookClient } from "@linear/sdk/webhooks";
import Mux from "@mux/mux-node";
import { signWebhookPayload, verifyWebhookSignature } from "@notionhq/client";
import { signRequest, verifyRequest } from "@contentful/node-apps-toolkit";
import { WebhooksManager as BoxWebhooksManager } from "box-typescript-sdk-gen/lib/managers/webhooks.generated";
import coinbase from "coinbase-commerce-node";
import razorpayUtils from "razorpay/dist/utils/razorpay-utils.js";
import "@shopify/shopify-api/adapters/node";
import { shopifyApi, ApiVersion, LogSeverity } from "@shopify/shopify-api";
import { getHmac as shopifyGetHmac } from "@shopify/shopify-api/test-helpers";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(path.join(HERE, "package.json"), "utf8"));
// The exact versions in package.json must be what is installed (npm ci from the lock file).
for (const [pkg, want] of Object.entries(PKG.dependencies)) {
  const have = JSON.parse(readFileSync(path.join(HERE, "node_modules", pkg, "package.json"), "utf8")).version;
  if (have !== want) {
    console.error(`gen.mjs: ${pkg}@${have} installed, expected ${want} (run ../generate.sh)`);
    process.exit(1);
  }
}
const V = PKG.dependencies;

const OUT = process.argv[2];
if (!OUT) {
  console.error("usage: gen.mjs OUT_DIR");
  process.exit(2);
}

// ------------------------------------------------------------------ helpers

function assert(cond, msg) {
  if (!cond) throw new Error("gen.mjs: assertion failed: " + msg);
}
const utf8 = (s) => Buffer.from(s, "utf8");
const compact = (o) => utf8(JSON.stringify(o));
const pretty = (o) => utf8(JSON.stringify(o, null, 2));
const b64 = (buf) => buf.toString("base64");
const hmac = (key, ...parts) => {
  const m = createHmac("sha256", key);
  for (const p of parts) m.update(p);
  return m.digest();
};
const iso = (secs, ms = 0) => new Date(secs * 1000 + ms).toISOString();

/** Runs `fn` with `Date.now()` returning `ms` (SDK verifiers read the clock through it). */
async function atClock(ms, fn) {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}
/** Whether `fn` accepts: true, or false when it returns false or throws. */
async function accepts(fn) {
  try {
    return (await fn()) === true;
  } catch {
    return false;
  }
}

function mkCase(name, secrets, signedAt, headers, body, eventId, extra = {}) {
  assert(Buffer.isBuffer(body), `${name}: body must be a Buffer`);
  assert(Buffer.from(body.toString("utf8"), "utf8").equals(body), `${name}: body is not UTF-8`);
  assert(Number.isInteger(signedAt), `${name}: signed_at must be an integer`);
  assert(!headers.some(([k]) => k.toLowerCase() === "content-type"), `${name}: Content-Type in headers`);
  const c = {
    name,
    secrets: [...secrets],
    signed_at: signedAt,
    headers: headers.map(([k, v]) => [k, String(v)]),
    body_b64: b64(body),
    event_id: eventId,
  };
  for (const k of ["url", "content_type", "wrong_secret"]) if (extra[k] !== undefined) c[k] = extra[k];
  return c;
}

function write(provider, generator, cases) {
  const names = new Set(cases.map((c) => c.name));
  assert(names.size === cases.length, `duplicate case names in ${provider}`);
  const file = path.join(OUT, `${provider}.json`);
  writeFileSync(file, JSON.stringify({ provider, generator, cases }, null, 2) + "\n");
  console.log(`gen.mjs: wrote ${file} (${cases.length} cases)`);
}

/** For every route secret, `verify(secret)` must accept iff that secret is in `signers`. */
async function checkSecrets(label, secrets, signers, verify, wrong) {
  let any = false;
  for (const s of secrets) {
    const ok = await accepts(() => verify(s));
    assert(ok === signers.includes(s), `${label}: SDK verify with ${s} = ${ok}`);
    any ||= ok;
  }
  assert(any, `${label}: no route secret verifies`);
  assert(!(await accepts(() => verify(wrong))), `${label}: a wrong secret verified`);
}

// A body no re-serialisation survives: raw multi-byte UTF-8, the same characters as escape
// text, tabs, CRLF, spaces around ':' and a trailing newline.
const ODD_TEXT = "Caf\u00e9 \u2615 \u{1F389} / Caf\\u00e9 \\u2615 \\ud83c\\udf89";

const T0 = 1764000000; // 2025-11-24T16:00:00Z

// ------------------------------------------------------------------ HubSpot (v3)

async function hubspotCases() {
  const { Signature } = hubspot;
  const cases = [];
  const sec = detGuid("hubspot-client-secret");
  const oldS = detGuid("hubspot-rotated-old");
  const newS = detGuid("hubspot-rotated-new");
  const appId = 54321;
  const portalId = 62515;

  async function add(name, secrets, tsMs, url, body, signer, { legacyV1 = false } = {}) {
    const requestBody = body.toString("utf8");
    const sig = Signature.getSignature("POST", "v3", {
      clientSecret: signer, requestBody, url, timestamp: tsMs,
    });
    // independent: base64 HMAC-SHA256 over method + url + body + timestamp(ms)
    const mine = b64(hmac(signer, "POST", url, body, String(tsMs)));
    assert(sig === mine, `hubspot/${name}: SDK ${sig} != ${mine}`);
    const verify = (s) => Signature.isValid({
      method: "POST", signatureVersion: "v3", signature: sig, clientSecret: s, requestBody, url, timestamp: tsMs,
    });
    await atClock(tsMs, () => checkSecrets(`hubspot/${name}`, secrets, [signer], verify, "wrong-" + sec));
    assert(await atClock(tsMs + 300000, () => accepts(() => verify(signer))), `hubspot/${name}: +300 s`);
    assert(!(await atClock(tsMs + 300001, () => accepts(() => verify(signer)))), `hubspot/${name}: +300.001 s`);
    const headers = [
      ["User-Agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor"],
      ["X-HubSpot-Request-Timestamp", String(tsMs)],
      ["X-HubSpot-Signature-v3", sig],
    ];
    if (legacyV1) {
      // The legacy v1 header HubSpot still sends with webhook deliveries (SDK-signed, unused).
      const v1 = Signature.getSignature("POST", "v1", { clientSecret: signer, requestBody });
      headers.push(["X-HubSpot-Signature", v1], ["X-HubSpot-Signature-Version", "v1"]);
    }
    cases.push(mkCase(name, secrets, Math.floor(tsMs / 1000), headers, body, null, { url }));
  }

  const ev = (n, type, extra) => ({
    eventId: 100 + n, subscriptionId: 2881778 + n, portalId, appId,
    occurredAt: (T0 - 2) * 1000 + n, subscriptionType: type, attemptNumber: 0, ...extra,
  });
  const url = "https://hooks.example.com/hubspot/webhook";

  await add("basic", [sec], T0 * 1000, url,
    compact([ev(1, "contact.creation", { objectId: 1246965, changeFlag: "CREATED", changeSource: "CRM" })]), sec);
  await add("batch_with_legacy_v1_header", [sec], (T0 + 60) * 1000, url, compact([
    ev(2, "contact.propertyChange", { objectId: 1246965, propertyName: "firstname", propertyValue: "Lea", changeSource: "CRM" }),
    ev(3, "deal.creation", { objectId: 9876543210, changeFlag: "CREATED", changeSource: "API", sourceId: "userId:1234567" }),
    ev(4, "company.deletion", { objectId: 5002, changeFlag: "DELETED", changeSource: "CRM_UI" }),
  ]), sec, { legacyV1: true });
  // The SDK signs the URL exactly as given: percent-escapes stay escaped.
  await add("query_string_percent_escapes", [sec], (T0 + 120) * 1000,
    "https://hooks.example.com/hubspot/webhook?portal=62515&next=https%3A%2F%2Fapp.example.com%2Fdone%3Fa%3D1&tag=caf%C3%A9+bar",
    compact([ev(5, "contact.deletion", { objectId: 1246966, changeFlag: "DELETED", changeSource: "CRM_UI" })]), sec);
  await add("explicit_port", [sec], (T0 + 180) * 1000, "https://hooks.example.com:8443/hs/events",
    compact([ev(6, "ticket.creation", { objectId: 4242, changeFlag: "CREATED", changeSource: "FORM" })]), sec);
  await add("timestamp_with_millis", [sec], (T0 + 240) * 1000 + 789, url,
    compact([ev(7, "contact.propertyChange", { objectId: 1246965, propertyName: "lifecyclestage", propertyValue: "customer", changeSource: "WORKFLOWS" })]), sec);
  await add("unicode_odd_whitespace", [sec], (T0 + 300) * 1000, url, utf8(
    `[ {\t"eventId" : 108 ,\r\n  "subscriptionId":2881786,"portalId":${portalId},"appId":${appId},\r\n` +
    `  "occurredAt" : ${(T0 + 299) * 1000}, "subscriptionType":"contact.propertyChange",\t"attemptNumber":1,\n` +
    `  "objectId":1246965,"propertyName":"city","propertyValue":"${ODD_TEXT}","changeSource":"CRM" } ]\n`), sec);
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], (T0 + 360) * 1000, url,
    compact([ev(9, "contact.creation", { objectId: 1246967, changeFlag: "CREATED", changeSource: "IMPORT" })]), newS);
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], (T0 + 420) * 1000, url,
    compact([ev(10, "contact.creation", { objectId: 1246968, changeFlag: "CREATED", changeSource: "IMPORT" })]), oldS);

  write("hubspot",
    `npm @hubspot/api-client@${V["@hubspot/api-client"]} Signature.getSignature('POST', 'v3', {clientSecret, requestBody, url, timestamp}) signs; Signature.isValid (clock frozen) verifies`,
    cases);
}

// ------------------------------------------------------------------ Square

async function squareCases() {
  const cases = [];
  const key = detB62("square-signature-key", 22);
  const oldK = detB62("square-key-old", 22);
  const newK = detB62("square-key-new", 22);
  const merchant = "6SSW7HV8K2ST5";

  async function add(name, secrets, signedAt, url, body, signer, eventId) {
    const requestBody = body.toString("utf8");
    // Square has no signer in its SDK; this is the HMAC its verifier computes (createHmacOverride).
    const sig = b64(hmac(signer, url, body));
    const verify = (s) => SquareWebhooksHelper.verifySignature({
      requestBody, signatureHeader: sig, signatureKey: s, notificationUrl: url,
    });
    await checkSecrets(`square/${name}`, secrets, [signer], verify, detB62("square-wrong", 22));
    // The URL is part of the signed bytes: another URL must fail.
    assert(!(await accepts(() => SquareWebhooksHelper.verifySignature({
      requestBody, signatureHeader: sig, signatureKey: signer, notificationUrl: url + "x",
    }))), `square/${name}: other URL verified`);
    const headers = [
      ["User-Agent", "Square Connect v2"],
      ["square-environment", "Production"],
      ["square-initial-delivery-timestamp", iso(signedAt)],
      ["square-retry-number", "0"],
      ["square-version", "2025-10-16"],
      ["x-square-hmacsha256-signature", sig],
    ];
    cases.push(mkCase(name, secrets, signedAt, headers, body, eventId, { url }));
  }

  const payment = (n, status, amount) => {
    const id = "R" + detB62("square-payment-" + n, 28);
    return {
      merchant_id: merchant,
      type: "payment.updated",
      event_id: detGuid("square-event-" + n),
      created_at: iso(T0 + n, 123),
      data: {
        type: "payment",
        id,
        object: {
          payment: {
            id,
            amount_money: { amount, currency: "USD" },
            status,
            source_type: "CARD",
            location_id: "S8GWD5R9QB376",
            order_id: detB62("square-order-" + n, 29),
            created_at: iso(T0 + n - 5, 456),
            updated_at: iso(T0 + n, 120),
            version: 3,
          },
        },
      },
    };
  };
  const url = "https://hooks.example.com/square/webhook";
  const add1 = async (name, secrets, n, u, signer, mutate = (p) => p) => {
    const p = mutate(payment(n, "COMPLETED", 1000 + n));
    await add(name, secrets, T0 + n, u, compact(p), signer, p.event_id);
  };
  await add1("basic", [key], 1, url, key);
  await add1("query_string", [key], 2, "https://hooks.example.com/square/webhook?env=production&team=payments%20eu", key);
  await add1("explicit_port", [key], 3, "https://hooks.example.com:8443/square", key);
  {
    const p = payment(4, "APPROVED", 2500);
    p.data.object.payment.note = ODD_TEXT;
    const body = utf8(
      `{ "merchant_id" : "${merchant}",\t"type":"payment.created",\r\n "event_id":"${p.event_id}",\r\n` +
      ` "created_at":"${p.created_at}", "data":{"type":"payment","id":"${p.data.id}",\n` +
      `  "object":{"payment":{"id":"${p.data.id}","note":"${ODD_TEXT}","status":"APPROVED"}}} }\n`);
    await add("unicode_odd_whitespace", [key], T0 + 4, url, body, key, p.event_id);
  }
  {
    const p = payment(5, "COMPLETED", 98765);
    p.data.object.payment.receipt_url = "https://squareup.com/receipt/preview/" + detB62("sq-receipt", 40);
    p.data.object.payment.card_details = {
      status: "CAPTURED",
      card: { card_brand: "VISA", last_4: "1111", exp_month: 11, exp_year: 2027, fingerprint: "sq-1-" + detB62("sq-fp", 60), card_type: "CREDIT" },
      entry_method: "KEYED", cvv_status: "CVV_ACCEPTED", avs_status: "AVS_ACCEPTED",
      card_payment_timeline: { authorized_at: iso(T0, 1), captured_at: iso(T0 + 5, 2) },
    };
    p.data.object.payment.total_money = { amount: 98765, currency: "USD" };
    p.data.object.payment.approved_money = { amount: 98765, currency: "USD" };
    p.data.object.payment.risk_evaluation = { created_at: iso(T0, 3), risk_level: "NORMAL" };
    p.data.object.payment.delay_action = "CANCEL";
    const body = compact(p);
    assert(body.length >= 1024 && body.length <= 1300, `square/large_1kib: ${body.length} bytes`);
    await add("large_1kib", [key], T0 + 5, url, body, key, p.event_id);
  }
  await add1("rotation_route_old_new_signed_by_new", [oldK, newK], 6, url, newK);
  await add1("rotation_route_old_new_signed_by_old", [oldK, newK], 7, url, oldK);

  write("square",
    `npm square@${V.square}: no signer in the SDK, so node:crypto createHmac('sha256', key).update(notificationUrl + body).digest('base64') signs (what the SDK verifier computes); WebhooksHelper.verifySignature({requestBody, signatureHeader, signatureKey, notificationUrl}) verifies`,
    cases);
}

// ------------------------------------------------------------------ Linear

async function linearCases() {
  const cases = [];
  const sec = "lin_wh_" + detB62("linear-secret", 43);
  const oldS = "lin_wh_" + detB62("linear-old", 43);
  const newS = "lin_wh_" + detB62("linear-new", 43);
  const org = detGuid("linear-org");
  const webhookId = detGuid("linear-webhook");

  async function add(name, secrets, tsMs, body, signer, event) {
    // Linear's SDK has no signer: hex HMAC-SHA256 of the raw body, what LinearWebhookClient.verify computes.
    const sig = hmac(signer, body).toString("hex");
    const parsed = JSON.parse(body.toString("utf8"));
    assert(parsed.webhookTimestamp === tsMs, `linear/${name}: webhookTimestamp`);
    const verify = (s) => new LinearWebhookClient(s).verify(body, sig);
    await atClock(tsMs, () => checkSecrets(`linear/${name}`, secrets, [signer], verify, "lin_wh_" + detB62("linear-wrong", 43)));
    assert(await atClock(tsMs + 60000, () => accepts(() => verify(signer))), `linear/${name}: +60 s`);
    assert(!(await atClock(tsMs + 60001, () => accepts(() => verify(signer)))), `linear/${name}: +60.001 s`);
    assert(!(await atClock(tsMs - 60001, () => accepts(() => verify(signer)))), `linear/${name}: -60.001 s`);
    const headers = [
      ["User-Agent", "Linear-Webhook"],
      ["Linear-Delivery", detGuid("linear-delivery-" + name)],
      ["Linear-Event", event],
      ["Linear-Timestamp", String(tsMs)],
      ["Linear-Signature", sig],
    ];
    cases.push(mkCase(name, secrets, Math.floor(tsMs / 1000), headers, body, null));
  }

  const actor = { id: detGuid("linear-actor"), name: "Ada Lovelace", email: "ada@example.com", type: "user" };
  const issue = (n, title) => ({
    id: detGuid("linear-issue-" + n), createdAt: iso(T0 - 3600), updatedAt: iso(T0 + n * 60 - 1),
    number: 120 + n, title, priority: 2, estimate: 3, sortOrder: -1234.5, teamId: detGuid("linear-team"),
    stateId: detGuid("linear-state"), labelIds: [], subscriberIds: [actor.id], identifier: `ENG-${120 + n}`,
    url: `https://linear.app/acme/issue/ENG-${120 + n}`,
  });
  const envelope = (n, action, type, data, tsMs) => ({
    action, actor, createdAt: iso(T0 + n * 60 - 1, 876), data, url: data.url ?? `https://linear.app/acme/issue/ENG-${120 + n}#comment-1`,
    type, organizationId: org, webhookTimestamp: tsMs, webhookId,
  });

  {
    const ts = (T0 + 60) * 1000;
    await add("basic", [sec], ts, compact(envelope(1, "create", "Issue", issue(1, "Checkout fails on Safari"), ts)), sec, "Issue");
  }
  {
    const ts = (T0 + 120) * 1000;
    const comment = { id: detGuid("linear-comment"), createdAt: iso(T0 + 119), updatedAt: iso(T0 + 119), body: "Reproduced on 17.2, fix incoming", issueId: detGuid("linear-issue-1"), userId: actor.id };
    await add("comment_create", [sec], ts, compact(envelope(2, "create", "Comment", comment, ts)), sec, "Comment");
  }
  {
    const ts = (T0 + 180) * 1000 + 321;
    const e = envelope(3, "update", "Issue", issue(3, "Rename billing plan"), ts);
    e.updatedFrom = { title: "Rename plan", updatedAt: iso(T0 + 100) };
    await add("update_timestamp_with_millis", [sec], ts, compact(e), sec, "Issue");
  }
  {
    const ts = (T0 + 240) * 1000;
    const body = utf8(
      `{ "action" : "create",\t"type":"Issue",\r\n "data":{"id":"${detGuid("linear-issue-4")}","title":"${ODD_TEXT}",\r\n` +
      `   "identifier":"ENG-124"},\n "organizationId":"${org}", "webhookTimestamp" : ${ts},\t"webhookId":"${webhookId}" }\n`);
    await add("unicode_odd_whitespace", [sec], ts, body, sec, "Issue");
  }
  {
    const ts = (T0 + 300) * 1000;
    await add("rotation_route_old_new_signed_by_new", [oldS, newS], ts, compact(envelope(5, "remove", "Issue", issue(5, "Old idea"), ts)), newS, "Issue");
  }
  {
    const ts = (T0 + 360) * 1000;
    await add("rotation_route_old_new_signed_by_old", [oldS, newS], ts, compact(envelope(6, "create", "Issue", issue(6, "New idea"), ts)), oldS, "Issue");
  }

  write("linear",
    `npm @linear/sdk@${V["@linear/sdk"]}: no signer in the SDK, so node:crypto createHmac('sha256', secret).update(rawBody).digest('hex') signs; LinearWebhookClient(secret).verify(rawBody, signature) (clock frozen; checks the body's webhookTimestamp within 60 s) verifies`,
    cases);
}

// ------------------------------------------------------------------ Mux

async function muxCases() {
  const cases = [];
  const sec = detB62("mux-signing-secret", 32).toLowerCase();
  const oldS = detB62("mux-old", 32).toLowerCase();
  const newS = detB62("mux-new", 32).toLowerCase();
  const mux = new Mux({ tokenId: "test-token-id", tokenSecret: "test-token-secret", webhookSecret: "unused" });

  async function add(name, secrets, ts, body, signers, eventId) {
    const payload = body.toString("utf8");
    // Mux's computeSignature is private; the same HMAC with node:crypto.
    const v1 = signers.map((s) => hmac(s, `${ts}.`, body).toString("hex"));
    const header = `t=${ts},` + v1.map((h) => `v1=${h}`).join(",");
    const verify = (s) => mux.webhooks.verifySignature(payload, { "mux-signature": header }, s).then(() => true);
    await atClock(ts * 1000, () => checkSecrets(`mux/${name}`, secrets, signers, verify, detB62("mux-wrong", 32)));
    assert(await atClock((ts + 300) * 1000, () => accepts(() => verify(signers[0]))), `mux/${name}: +300 s`);
    assert(!(await atClock((ts + 301) * 1000, () => accepts(() => verify(signers[0])))), `mux/${name}: +301 s`);
    cases.push(mkCase(name, secrets, ts, [["Mux-Signature", header]], body, eventId));
  }

  const env = { name: "Production", id: "j0863n" };
  const asset = (n, type, status) => {
    const id = detB62("mux-asset-" + n, 24);
    return {
      type,
      request_id: null,
      object: { type: "asset", id },
      id: detGuid("mux-event-" + n),
      environment: env,
      data: {
        status,
        playback_ids: [{ policy: "public", id: detB62("mux-playback-" + n, 24) }],
        mp4_support: "none", max_stored_resolution: "HD", max_stored_frame_rate: 29.97,
        master_access: "none", id, duration: 23.8238, created_at: T0 - 60,
        aspect_ratio: "16:9",
      },
      created_at: iso(T0 + n).replace("Z", "000Z"),
      attempts: [],
      accessor_source: null,
      accessor: null,
    };
  };
  const a1 = asset(1, "video.asset.ready", "ready");
  await add("basic", [sec], T0 + 1, compact(a1), [sec], a1.id);
  const a2 = asset(2, "video.asset.created", "preparing");
  a2.attempts = [{ webhook_id: 91011, response_status_code: 503, response_headers: {}, response_body: "", max_attempts: 30, id: detGuid("mux-attempt"), created_at: iso(T0 + 2) }];
  await add("pretty_with_attempts", [sec], T0 + 2, pretty(a2), [sec], a2.id);
  {
    const id = detGuid("mux-event-3");
    const body = utf8(
      `{ "type" : "video.asset.ready",\t"id":"${id}",\r\n "object":{"type":"asset","id":"${detB62("mux-asset-3", 24)}"},\r\n` +
      ` "data":{"passthrough":"${ODD_TEXT}","status":"ready"},\n "created_at":"${iso(T0 + 3)}" }\n`);
    await add("unicode_odd_whitespace", [sec], T0 + 3, body, [sec], id);
  }
  const a4 = asset(4, "video.asset.deleted", "deleted");
  await add("rotation_two_v1_route_old_new", [oldS, newS], T0 + 4, compact(a4), [newS, oldS], a4.id);
  const a5 = asset(5, "video.asset.ready", "ready");
  await add("rotation_two_v1_route_new_only", [newS], T0 + 5, compact(a5), [newS, oldS], a5.id);
  const a6 = asset(6, "video.asset.static_renditions.ready", "ready");
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], T0 + 6, compact(a6), [newS], a6.id);
  const a7 = asset(7, "video.upload.asset_created", "ready");
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], T0 + 7, compact(a7), [oldS], a7.id);

  write("mux",
    `npm @mux/mux-node@${V["@mux/mux-node"]}: the signer is private, so node:crypto createHmac('sha256', secret).update(\`\${t}.\${body}\`).digest('hex') signs; mux.webhooks.verifySignature(body, headers, secret) (clock frozen; rejects > 300 s old) verifies`,
    cases);
}

// ------------------------------------------------------------------ Notion

async function notionCases() {
  const cases = [];
  const tok = "secret_" + detB62("notion-verification-token", 43);
  const ws = detGuid("notion-workspace");
  const sub = detGuid("notion-subscription");
  const integ = detGuid("notion-integration");
  const author = { id: detGuid("notion-user"), type: "person" };

  async function add(name, body, signedAt, eventId) {
    const sig = await signWebhookPayload({ body: body.toString("utf8"), verificationToken: tok });
    assert(sig === "sha256=" + hmac(tok, body).toString("hex"), `notion/${name}: SDK signature differs from HMAC`);
    const verify = (t) => verifyWebhookSignature({ body: body.toString("utf8"), signature: sig, verificationToken: t });
    await checkSecrets(`notion/${name}`, [tok], [tok], verify, "secret_" + detB62("notion-wrong", 43));
    // The SDK verifies Buffer bodies too (the raw bytes).
    assert(await verifyWebhookSignature({ body, signature: sig, verificationToken: tok }), `notion/${name}: Buffer body`);
    const parsed = JSON.parse(body.toString("utf8"));
    assert(Math.floor(Date.parse(parsed.timestamp) / 1000) === signedAt, `notion/${name}: timestamp`);
    const headers = [
      ["User-Agent", "notion-api"],
      ["X-Notion-Signature", sig],
    ];
    cases.push(mkCase(name, [tok], signedAt, headers, body, eventId));
  }

  const base = (n, type, ms) => ({
    id: detGuid("notion-event-" + n),
    timestamp: iso(T0 + n * 30, ms),
    workspace_id: ws,
    workspace_name: "Acme Corp",
    subscription_id: sub,
    integration_id: integ,
    authors: [author],
    attempt_number: 1,
  });
  {
    const e = { ...base(1, "page.created", 285), type: "page.created",
      entity: { id: detGuid("notion-page-1"), type: "page" },
      data: { parent: { id: detGuid("notion-db"), type: "database" } } };
    await add("page_created", compact(e), T0 + 30, e.id);
  }
  {
    const e = { ...base(2, "page.content_updated", 0), type: "page.content_updated",
      accessible_by: [author, { id: detGuid("notion-bot"), type: "bot" }],
      entity: { id: detGuid("notion-page-2"), type: "page" },
      data: { parent: { id: detGuid("notion-space"), type: "space" },
        updated_blocks: [{ id: detGuid("notion-block-1"), type: "block" }, { id: detGuid("notion-block-2"), type: "block" }] } };
    e.attempt_number = 3;
    await add("content_updated_retry", compact(e), T0 + 60, e.id);
  }
  {
    const e = { ...base(3, "comment.created", 999), type: "comment.created",
      entity: { id: detGuid("notion-comment"), type: "comment" },
      data: { page_id: detGuid("notion-page-1"), parent: { id: detGuid("notion-page-1"), type: "page" } } };
    await add("comment_created_pretty", pretty(e), T0 + 90, e.id);
  }
  {
    const id = detGuid("notion-event-4");
    const body = utf8(
      `{ "id" : "${id}",\t"timestamp":"${iso(T0 + 120, 7)}",\r\n "workspace_id":"${ws}","workspace_name":"${ODD_TEXT}",\r\n` +
      ` "type":"page.properties_updated", "entity":{"id":"${detGuid("notion-page-4")}","type":"page"},\n` +
      ` "data":{"updated_properties":["title"]},"attempt_number":1 }\n`);
    await add("unicode_odd_whitespace", body, T0 + 120, id);
  }

  write("notion",
    `npm @notionhq/client@${V["@notionhq/client"]} signWebhookPayload({body, verificationToken}) signs; verifyWebhookSignature({body, signature, verificationToken}) verifies`,
    cases);
}

// ------------------------------------------------------------------ Contentful

/** The path as the toolkit canonicalises it (getNormalizedEncodedURI), for the independent check. */
function contentfulPath(p) {
  const [pathname, search] = p.split("?");
  const escaped = search ? querystring.escape(search) : "";
  return encodeURI(escaped ? `${pathname}?${escaped}` : pathname);
}

async function contentfulCases() {
  const cases = [];
  const B64ISH = B62 + "+/=_-";
  const secret64 = (label) => {
    const d = detHex(label, 64);
    let s = "";
    for (let i = 0; i < 64; i++) s += B64ISH[parseInt(d.slice(2 * i, 2 * i + 2), 16) % B64ISH.length];
    return s;
  };
  const sec = secret64("contentful-signing-secret");
  const oldS = secret64("contentful-old");
  const newS = secret64("contentful-new");
  const space = "yadj1kx9rmg0";
  const CT = "application/vnd.contentful.management.v1+json";

  // `sent`: the headers the webhook carries besides the signature headers; `signed`: which of
  // them Contentful includes in the signature.
  async function add(name, secrets, tsMs, url, sent, signedNames, body, signer, { context, contentType } = {}) {
    const u = new URL(url);
    const reqPath = u.pathname + u.search;
    const toSign = {};
    for (const n of signedNames) {
      const v = n.toLowerCase() === "content-type" ? contentType : sent.find(([k]) => k.toLowerCase() === n)?.[1];
      assert(v !== undefined, `contentful/${name}: no value for signed header ${n}`);
      toSign[n] = v;
    }
    const out = signRequest(signer, { method: "POST", path: reqPath, headers: toSign, body: body.toString("utf8") }, tsMs, context);
    const headers = [...sent];
    for (const [k, v] of Object.entries(out)) {
      if (!headers.some(([h]) => h.toLowerCase() === k)) headers.push([k, v]);
    }
    // independent: METHOD \n canonical path \n sorted k:v;k:v \n body
    const names = out["x-contentful-signed-headers"].split(",");
    assert([...names].sort().join(",") === names.join(","), `contentful/${name}: list not sorted`);
    const all = Object.fromEntries([...headers, ...(contentType ? [["content-type", contentType]] : [])].map(([k, v]) => [k.toLowerCase(), v.trim()]));
    const canon = ["POST", contentfulPath(reqPath), names.map((n) => `${n}:${all[n]}`).join(";"), body.toString("utf8")].join("\n");
    assert(hmac(signer, canon).toString("hex") === out["x-contentful-signature"], `contentful/${name}: independent HMAC differs`);
    // The receiver's view: every header it got, the raw path + query, the raw body.
    const recv = Object.fromEntries([...headers, ...(contentType ? [["Content-Type", contentType]] : [["Content-Type", "application/json"]])]);
    const verify = (s) => verifyRequest(s, { method: "POST", path: reqPath, headers: recv, body: body.toString("utf8") }, 30);
    await atClock(tsMs, () => checkSecrets(`contentful/${name}`, secrets, [signer], verify, secret64("contentful-wrong")));
    assert(await atClock(tsMs + 29999, () => accepts(() => verify(signer))), `contentful/${name}: +29.999 s`);
    assert(!(await atClock(tsMs + 30000, () => accepts(() => verify(signer)))), `contentful/${name}: +30 s`);
    cases.push(mkCase(name, secrets, Math.floor(tsMs / 1000), headers, body, null, { url, content_type: contentType }));
  }

  const sys = (n, type) => ({
    type, id: detB62("cf-entry-" + n, 22),
    space: { sys: { type: "Link", linkType: "Space", id: space } },
    environment: { sys: { id: "master", type: "Link", linkType: "Environment" } },
    contentType: { sys: { type: "Link", linkType: "ContentType", id: "blogPost" } },
    createdAt: iso(T0 - 86400), updatedAt: iso(T0 + n), revision: 3 + n,
  });
  const wh = (topic, n) => [
    ["X-Contentful-Topic", topic],
    ["X-Contentful-Webhook-Name", "Publish to site"],
    ["X-Contentful-Idempotency-Key", detHex("cf-idem-" + n, 32)],
  ];
  const SIGNED = ["x-contentful-topic", "x-contentful-webhook-name"];
  const url = "https://hooks.example.com/contentful/webhook";

  {
    const e = { metadata: { tags: [] }, sys: sys(1, "Entry"), fields: { title: { "en-US": "Hello, world" }, slug: { "en-US": "hello-world" } } };
    await add("basic", [sec], (T0 + 1) * 1000, url, wh("ContentManagement.Entry.publish", 1), SIGNED, compact(e), sec, { contentType: CT });
  }
  {
    const e = { metadata: { tags: [] }, sys: sys(2, "Entry"), fields: { title: { "en-US": "Draft" } } };
    await add("signs_content_type", [sec], (T0 + 2) * 1000 + 456, url, wh("ContentManagement.Entry.save", 2),
      ["content-type", ...SIGNED], compact(e), sec, { contentType: CT });
  }
  {
    // Query strings: the toolkit escapes the query (querystring.escape), then encodeURI's the
    // whole path, so '=' becomes %253D and a '%20' becomes %2520 in the signed string.
    const e = { metadata: { tags: [] }, sys: sys(3, "Entry"), fields: { title: { "en-US": "Query" } } };
    await add("path_with_query", [sec], (T0 + 3) * 1000,
      "https://hooks.example.com/contentful/webhook?env=master&source=cf%20webhooks&tags=a,b",
      wh("ContentManagement.Entry.unpublish", 3), SIGNED, compact(e), sec, { contentType: CT });
  }
  {
    // App event: the toolkit adds the context headers and signs them.
    const e = { metadata: { tags: [] }, sys: sys(4, "Entry"), fields: { title: { "en-US": "App event" } } };
    await add("app_event_context_headers", [sec], (T0 + 4) * 1000, "https://app.example.com/api/app-events", [
      ["X-Contentful-Topic", "ContentManagement.Entry.create"],
    ], ["x-contentful-topic"], compact(e), sec, {
      contentType: CT,
      context: { spaceId: space, envId: "master", appId: "7pMJOTmNnNY7eSkGZ1Lkx3", userId: "2xLfZ0ZlzQk5ClkzXy1aE4", crn: `crn:contentful:::content:spaces/${space}/environments/master/entries/${detB62("cf-entry-4", 22)}` },
    });
  }
  {
    const body = utf8(
      `{ "sys" : {"type":"Entry",\t"id":"${detB62("cf-entry-5", 22)}"},\r\n "fields":{"title":{"en-US":"${ODD_TEXT}"},\r\n` +
      `  "body":{"de-DE":"Gr\u00fc\u00dfe"}} }\n`);
    await add("unicode_odd_whitespace", [sec], (T0 + 5) * 1000, url, wh("ContentManagement.Entry.auto_save", 5), SIGNED, body, sec, { contentType: CT });
  }
  {
    const e = { metadata: { tags: [] }, sys: sys(6, "Asset"), fields: { file: { "en-US": { fileName: "a.png" } } } };
    await add("rotation_route_old_new_signed_by_new", [oldS, newS], (T0 + 6) * 1000, url, wh("ContentManagement.Asset.publish", 6), SIGNED, compact(e), newS, { contentType: CT });
  }
  {
    const e = { metadata: { tags: [] }, sys: sys(7, "Asset"), fields: { file: { "en-US": { fileName: "b.png" } } } };
    await add("rotation_route_old_new_signed_by_old", [oldS, newS], (T0 + 7) * 1000, url, wh("ContentManagement.Asset.delete", 7), SIGNED, compact(e), oldS, { contentType: CT });
  }

  write("contentful",
    `npm @contentful/node-apps-toolkit@${V["@contentful/node-apps-toolkit"]} signRequest(secret, {method, path, headers, body}, timestamp, context) signs; verifyRequest(secret, {method, path: raw path+query, headers: all received, body}, 30) (clock frozen) verifies`,
    cases);
}

// ------------------------------------------------------------------ Box

async function boxCases() {
  const cases = [];
  const primary = detB62("box-primary-key", 32);
  const secondary = detB62("box-secondary-key", 32);

  // sigs: {primary?: key, secondary?: key} — which keys Box signs the two headers with.
  async function add(name, routeKeys, signedAt, tsText, body, sigs, sdk) {
    assert(Math.floor(Date.parse(tsText) / 1000) === signedAt, `box/${name}: timestamp`);
    const headers = [
      ["box-delivery-id", detGuid("box-delivery-" + name)],
      ["box-delivery-timestamp", tsText],
      ["box-signature-algorithm", "HmacSHA256"],
    ];
    // Box's SDK has no signer: base64 HMAC-SHA256 over body then timestamp (computeWebhookSignature).
    if (sigs.primary) headers.push(["box-signature-primary", b64(hmac(sigs.primary, body, tsText))]);
    if (sigs.secondary) headers.push(["box-signature-secondary", b64(hmac(sigs.secondary, body, tsText))]);
    headers.push(["box-signature-version", "1"]);
    const h = Object.fromEntries(headers);
    const verify = (p, s) => BoxWebhooksManager.validateMessage(body.toString("utf8"), h, p, { secondaryKey: s });
    await atClock(signedAt * 1000, async () => {
      // The SDK pairs each key with its own header.
      assert(await verify(sdk.primary, sdk.secondary), `box/${name}: SDK rejects`);
      assert(!(await verify(detB62("box-wrong", 32), detB62("box-wrong-2", 32))), `box/${name}: wrong keys verified`);
    });
    assert(await atClock((signedAt + 600) * 1000, () => verify(sdk.primary, sdk.secondary)), `box/${name}: +600 s`);
    assert(!(await atClock((signedAt + 601) * 1000, () => verify(sdk.primary, sdk.secondary))), `box/${name}: +601 s`);
    assert(!(await atClock((signedAt - 1) * 1000, () => verify(sdk.primary, sdk.secondary))), `box/${name}: -1 s (future)`);
    cases.push(mkCase(name, routeKeys, signedAt, headers, body, null));
  }

  const event = (n, trigger, file) => ({
    type: "webhook_event",
    id: detGuid("box-event-" + n),
    created_at: iso(T0 + n - 1).replace(".000Z", "-00:00"),
    trigger,
    webhook: { id: "1603452009", type: "webhook" },
    created_by: { type: "user", id: "22111111", name: "Aaron Levie", login: "aaron@example.com" },
    source: {
      id: String(1234567890 + n), type: "file",
      file_version: { type: "file_version", id: String(9876543210 + n), sha1: detHex("box-sha1-" + n, 20) },
      sequence_id: "2", etag: "2", sha1: detHex("box-sha1-" + n, 20), name: file,
      parent: { type: "folder", id: "99887766", sequence_id: "0", etag: "0", name: "Reports" },
    },
    additional_info: [],
  });
  const both = { primary, secondary };
  await add("basic_primary_and_secondary", [primary, secondary], T0 + 1, iso(T0 + 1).replace(".000Z", "-00:00"),
    compact(event(1, "FILE.UPLOADED", "Q4 report.pdf")), both, both);
  // A route configured with only one of the two keys still verifies (hookgate tries each
  // configured key against both headers; the SDK pairs key and header).
  await add("route_primary_key_only", [primary], T0 + 2, iso(T0 + 2).replace(".000Z", "-00:00"),
    compact(event(2, "FILE.PREVIEWED", "Budget.xlsx")), both, { primary });
  await add("route_secondary_key_only", [secondary], T0 + 3, iso(T0 + 3).replace(".000Z", "-00:00"),
    compact(event(3, "FILE.DOWNLOADED", "Budget.xlsx")), both, { primary: detB62("box-not-configured", 32), secondary });
  await add("primary_header_only", [primary], T0 + 4, iso(T0 + 4).replace(".000Z", "-00:00"),
    compact(event(4, "FILE.TRASHED", "old.txt")), { primary }, { primary });
  // Box writes its timestamps with a UTC offset (Pacific time here), e.g. 2025-11-24T08:00:05-08:00.
  await add("timestamp_with_offset", [primary, secondary], T0 + 5, "2025-11-24T08:00:05-08:00",
    pretty(event(5, "FILE.RENAMED", "renamed.docx")), both, both);
  {
    const ts = iso(T0 + 6).replace(".000Z", "-00:00");
    const body = utf8(
      `{ "type" : "webhook_event",\t"id":"${detGuid("box-event-6")}",\r\n "trigger":"COMMENT.CREATED",\r\n` +
      ` "source":{"type":"comment","id":"778899","message":"${ODD_TEXT}"},\n "additional_info":[] }\n`);
    await add("unicode_odd_whitespace", [primary, secondary], T0 + 6, ts, body, both, both);
  }
  // Key rotation: Box signs with the new primary and the old key, now secondary.
  const newPrimary = detB62("box-rotated-primary", 32);
  await add("rotation_new_primary_old_secondary_route_old", [primary], T0 + 7, iso(T0 + 7).replace(".000Z", "-00:00"),
    compact(event(7, "FILE.MOVED", "moved.pdf")), { primary: newPrimary, secondary: primary },
    { primary: newPrimary, secondary: primary });

  write("box",
    `npm box-typescript-sdk-gen@${V["box-typescript-sdk-gen"]}: no signer in the SDK, so node:crypto createHmac('sha256', key).update(body).update(box-delivery-timestamp).digest('base64') signs each header; WebhooksManager.validateMessage(body, headers, primaryKey, {secondaryKey}) (clock frozen; maxAge 600 s, no future) verifies`,
    cases);
}

// ------------------------------------------------------------------ Coinbase Commerce

async function coinbaseCases() {
  const { Webhook } = coinbase;
  const cases = [];
  const sec = detGuid("coinbase-shared-secret");
  const oldS = detGuid("coinbase-old");
  const newS = detGuid("coinbase-new");

  async function add(name, secrets, signedAt, body, signer, eventId) {
    const payload = body.toString("utf8");
    const sig = Webhook.computeSignature(payload, signer);
    assert(sig === hmac(signer, body).toString("hex"), `coinbase/${name}: SDK differs from HMAC`);
    await checkSecrets(`coinbase/${name}`, secrets, [signer], (s) => Webhook.verifySigHeader(payload, sig, s), detGuid("coinbase-wrong"));
    const ev = Webhook.verifyEventBody(payload, sig, signer);
    assert(ev.id === eventId, `coinbase/${name}: verifyEventBody event id ${ev.id}`);
    cases.push(mkCase(name, secrets, signedAt, [["User-Agent", "weipay-webhooks"], ["X-CC-Webhook-Signature", sig]], body, eventId));
  }

  const charge = (n, type) => {
    const code = detB62("cb-charge-" + n, 8).toUpperCase();
    return {
      attempt_number: 1,
      event: {
        api_version: "2018-03-22",
        created_at: iso(T0 + n).replace(".000", ""),
        data: {
          code, id: detGuid("cb-charge-id-" + n), name: "The Sovereign Individual", description: "Mastering the Transition to the Information Age",
          hosted_url: `https://commerce.coinbase.com/charges/${code}`, created_at: iso(T0 - 600).replace(".000", ""),
          expires_at: iso(T0 + 3000).replace(".000", ""), pricing_type: "fixed_price",
          pricing: { local: { amount: "100.00", currency: "USD" } },
          metadata: { customer_id: "id_1005", customer_name: "Satoshi Nakamoto" },
          timeline: [{ time: iso(T0 - 600).replace(".000", ""), status: "NEW" }],
        },
        id: detGuid("cb-event-" + n),
        resource: "event",
        type,
      },
      id: 1000 + n,
      scheduled_for: iso(T0 + n).replace(".000", ""),
    };
  };
  const c1 = charge(1, "charge:created");
  await add("basic", [sec], T0 + 1, compact(c1), sec, c1.event.id);
  const c2 = charge(2, "charge:confirmed");
  c2.attempt_number = 4;
  c2.event.data.timeline.push({ time: iso(T0 + 2).replace(".000", ""), status: "COMPLETED" });
  await add("confirmed_retry_pretty", [sec], T0 + 2, pretty(c2), sec, c2.event.id);
  {
    const id = detGuid("cb-event-3");
    const body = utf8(
      `{ "attempt_number" : 1,\t"event":{"id":"${id}","resource":"event","type":"charge:pending",\r\n` +
      `  "data":{"name":"${ODD_TEXT}","pricing":{"local":{"amount":"9.99","currency":"EUR"}}}},\r\n "id":1003 }\n`);
    await add("unicode_odd_whitespace", [sec], T0 + 3, body, sec, id);
  }
  const c4 = charge(4, "charge:failed");
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], T0 + 4, compact(c4), newS, c4.event.id);
  const c5 = charge(5, "charge:delayed");
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], T0 + 5, compact(c5), oldS, c5.event.id);

  write("coinbase",
    `npm coinbase-commerce-node@${V["coinbase-commerce-node"]} Webhook.computeSignature(payload, secret) signs; Webhook.verifySigHeader and Webhook.verifyEventBody verify`,
    cases);
}

// ------------------------------------------------------------------ Razorpay

async function razorpayCases() {
  const { validateWebhookSignature } = razorpayUtils;
  const cases = [];
  const sec = "rzp_wh_" + detB62("razorpay-webhook-secret", 24);
  const oldS = "rzp_wh_" + detB62("razorpay-old", 24);
  const newS = "rzp_wh_" + detB62("razorpay-new", 24);

  async function add(name, secrets, signedAt, body, signer) {
    // No signer in the SDK: hex HMAC-SHA256 of the body, what validateWebhookSignature computes.
    const sig = hmac(signer, body).toString("hex");
    await checkSecrets(`razorpay/${name}`, secrets, [signer], (s) => validateWebhookSignature(body.toString("utf8"), sig, s), "rzp_wh_" + detB62("razorpay-wrong", 24));
    // It also takes the raw Buffer (it calls body.toString()).
    assert(validateWebhookSignature(body, sig, signer) === true, `razorpay/${name}: Buffer body`);
    const headers = [
      ["User-Agent", "Razorpay-Webhook/v1"],
      ["X-Razorpay-Event-Id", "Ev" + detB62("rzp-evt-" + name, 12)],
      ["X-Razorpay-Signature", sig],
    ];
    cases.push(mkCase(name, secrets, signedAt, headers, body, null));
  }

  const payment = (n, event, status) => ({
    entity: "event",
    account_id: "acc_" + detB62("rzp-acc", 14),
    event,
    contains: ["payment"],
    payload: {
      payment: {
        entity: {
          id: "pay_" + detB62("rzp-pay-" + n, 14), entity: "payment", amount: 50000 + n, currency: "INR", status,
          order_id: "order_" + detB62("rzp-order-" + n, 14), invoice_id: null, international: false, method: "upi",
          amount_refunded: 0, captured: status === "captured", description: "Order #" + (1000 + n),
          email: "gaurav.kumar@example.com", contact: "+919000090000", notes: [], fee: 1180, tax: 180,
          vpa: "gaurav.kumar@exampleupi", acquirer_data: { rrn: "3" + detHex("rrn" + n, 6).replace(/[a-f]/g, "7").slice(0, 11) },
          created_at: T0 + n - 30,
        },
      },
    },
    created_at: T0 + n,
  });
  await add("basic", [sec], T0 + 1, compact(payment(1, "payment.captured", "captured")), sec);
  await add("authorized_pretty", [sec], T0 + 2, pretty(payment(2, "payment.authorized", "authorized")), sec);
  {
    const body = utf8(
      `{ "entity" : "event",\t"event":"payment.failed",\r\n "contains":["payment"],\r\n` +
      ` "payload":{"payment":{"entity":{"id":"pay_${detB62("rzp-pay-3", 14)}","description":"${ODD_TEXT}"}}},\n "created_at":${T0 + 3} }\n`);
    await add("unicode_odd_whitespace", [sec], T0 + 3, body, sec);
  }
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], T0 + 4, compact(payment(4, "payment.captured", "captured")), newS);
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], T0 + 5, compact(payment(5, "payment.captured", "captured")), oldS);

  write("razorpay",
    `npm razorpay@${V.razorpay}: no signer in the SDK, so node:crypto createHmac('sha256', secret).update(body).digest('hex') signs; validateWebhookSignature(body, signature, secret) verifies`,
    cases);
}

// ------------------------------------------------------------------ Shopify

async function shopifyCases() {
  const cases = [];
  const sec = "shpss_" + detHex("shopify-client-secret", 16);
  const oldS = "shpss_" + detHex("shopify-old", 16);
  const newS = "shpss_" + detHex("shopify-new", 16);
  const api = (secret) => shopifyApi({
    apiKey: "0123456789abcdef0123456789abcdef", apiSecretKey: secret, scopes: ["read_orders"],
    hostName: "hooks.example.com", apiVersion: ApiVersion.October25, isEmbeddedApp: false,
    logger: { level: LogSeverity.Error, log: () => {} },
  });
  const shop = "acme-store.myshopify.com";

  async function add(name, secrets, signedAt, body, signer, { events = false, topic = "orders/create" } = {}) {
    const rawBody = body.toString("utf8");
    const sig = shopifyGetHmac(rawBody, signer);
    assert(sig === b64(hmac(signer, body)), `shopify/${name}: getHmac differs from HMAC`);
    const triggered = iso(signedAt, 0).replace("Z", "").replace(/\.000$/, ".123456789Z");
    const headers = events
      ? [
          ["shopify-api-version", "2025-10"],
          ["shopify-event-id", detGuid("shopify-event-" + name)],
          ["shopify-handle", "order-sync"],
          ["shopify-hmac-sha256", sig],
          ["shopify-shop-domain", shop],
          ["shopify-topic", topic],
          ["shopify-triggered-at", triggered],
          ["shopify-webhook-id", detGuid("shopify-webhook-" + name)],
        ]
      : [
          ["X-Shopify-API-Version", "2025-10"],
          ["X-Shopify-Event-Id", detGuid("shopify-event-" + name)],
          ["X-Shopify-Hmac-Sha256", sig],
          ["X-Shopify-Shop-Domain", shop],
          ["X-Shopify-Topic", topic],
          ["X-Shopify-Triggered-At", triggered],
          ["X-Shopify-Webhook-Id", detGuid("shopify-webhook-" + name)],
        ];
    const rawRequest = { method: "POST", url: "/webhooks/shopify", headers: Object.fromEntries(headers.map(([k, v]) => [k.toLowerCase(), v])) };
    const verify = async (s) => (await api(s).webhooks.validate({ rawBody, rawRequest })).valid;
    await checkSecrets(`shopify/${name}`, secrets, [signer], verify, "shpss_" + detHex("shopify-wrong", 16));
    const r = await api(signer).webhooks.validate({ rawBody, rawRequest });
    assert(r.webhookType === (events ? "events" : "webhooks"), `shopify/${name}: webhookType ${r.webhookType}`);
    cases.push(mkCase(name, secrets, signedAt, headers, body, null));
  }

  const order = (n) => ({
    id: 820982911946154500 + n, admin_graphql_api_id: `gid://shopify/Order/${820982911946154500 + n}`,
    app_id: null, browser_ip: null, buyer_accepts_marketing: true, cancel_reason: null, cancelled_at: null,
    checkout_id: null, confirmation_number: detB62("sh-conf-" + n, 9).toUpperCase(), confirmed: false,
    contact_email: "jon@example.com", created_at: "2025-11-24T11:00:00-05:00", currency: "USD",
    current_subtotal_price: "398.00", current_total_price: "403.00", email: "jon@example.com",
    financial_status: "voided", name: `#${9998 + n}`, order_number: 1234 + n, presentment_currency: "USD",
    processed_at: "2025-11-24T11:00:00-05:00", tags: "tag1, tag2", test: true, total_price: "403.00",
    line_items: [{ id: 866550311766439000 + n, quantity: 1, sku: "IPOD2008PINK", title: "IPod Nano - 8GB", price: "199.00", vendor: null }],
  });
  await add("basic", [sec], T0 + 1, compact(order(1)), sec);
  await add("events_delivery_headers", [sec], T0 + 2, compact({ id: 820982911946154500, admin_graphql_api_id: "gid://shopify/Order/820982911946154500", updated_at: iso(T0 + 2) }), sec, { events: true, topic: "orders/updated" });
  {
    const body = utf8(
      `{ "id" : 9876543210,\t"title":"${ODD_TEXT}",\r\n "body_html":"<p>Caf\u00e9<\\/p>",\r\n "vendor":"Acme", "tags":"a,\tb" }\n`);
    await add("unicode_odd_whitespace", [sec], T0 + 3, body, sec, { topic: "products/update" });
  }
  {
    const o = order(4);
    o.note = "Please gift wrap";
    o.shipping_address = { first_name: "Steve", address1: "123 Shipping Street", city: "Shippington", province: "Kentucky", country: "United States", zip: "40003", phone: "555-555-SHIP", name: "Steve Shipper", country_code: "US", province_code: "KY" };
    const body = compact(o);
    assert(body.length >= 1024 && body.length <= 1300, `shopify/large_1kib: ${body.length}`);
    await add("large_1kib", [sec], T0 + 4, body, sec);
  }
  // After a secret rotation Shopify may keep signing with the old secret for up to an hour.
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], T0 + 5, compact(order(5)), newS);
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], T0 + 6, compact(order(6)), oldS);

  write("shopify",
    `npm @shopify/shopify-api@${V["@shopify/shopify-api"]} test-helpers getHmac(body, secret) signs; shopifyApi({apiSecretKey}).webhooks.validate({rawBody, rawRequest}) verifies (both header families)`,
    cases);
}

// ------------------------------------------------------------------ main

await hubspotCases();
await squareCases();
await linearCases();
await muxCases();
await notionCases();
await contentfulCases();
await boxCases();
await coinbaseCases();
await razorpayCases();
await shopifyCases();
