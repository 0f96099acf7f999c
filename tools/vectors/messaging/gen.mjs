#!/usr/bin/env node
// Vectors for messaging / email / collaboration senders: line, zendesk, customerio, front,
// helpscout, nylas, webex, telnyx, pusher, clickup, frameio, tiktok, trello, docusign, mandrill.
// Run through ./gen.sh.  Usage: gen.mjs OUT_DIR
//
// Every case is signed here with node:crypto exactly as the sender's SDK or docs describe, then
// checked by a verifier that is not the signer: the sender's own SDK verifier where there is one
// (LINE, Customer.io, Nylas, Telnyx, Pusher), else a separate docs-following verifier (Zendesk,
// Front, Help Scout, Webex, ClickUp, Frame.io, TikTok, Trello, DocuSign, Mandrill).  The verifier must accept the case with the route secret
// that signed it, reject it with the other route secrets and with a wrong secret, and reject it
// with one body byte flipped.  Nothing reads the clock: secrets and ids come from labels through
// SHA-256 (../det.mjs), times are fixed, and SDK verifiers that read the clock see a frozen
// `Date.now`.

import { createHash, createHmac, createPrivateKey, createPublicKey, sign as edSign, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detB62, detGuid, detHex } from "../det.mjs";

import { validateSignature as lineValidateSignature } from "@line/bot-sdk";
import { verifyRequestSignature as cioVerify } from "customerio-node";
import { TelnyxWebhook } from "telnyx/lib/webhooks";

const require = createRequire(import.meta.url);
const Pusher = require("pusher");
const NylasWebhookNotification = require("nylas/lib/models/webhook-notification.js").default;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(path.join(HERE, "package.json"), "utf8"));
// The exact versions in package.json must be what is installed (npm ci from the lock file).
for (const [pkg, want] of Object.entries(PKG.dependencies)) {
  const have = JSON.parse(readFileSync(path.join(HERE, "node_modules", pkg, "package.json"), "utf8")).version;
  if (have !== want) {
    console.error(`gen.mjs: ${pkg}@${have} installed, expected ${want} (run ./gen.sh)`);
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
const mac = (alg, key, ...parts) => {
  const m = createHmac(alg, key);
  for (const p of parts) m.update(p);
  return m.digest();
};
const iso = (secs) => new Date(secs * 1000).toISOString().replace(".000Z", "Z");
/** Constant-time comparison of two strings (false when lengths differ). */
const same = (a, b) => {
  const x = utf8(String(a));
  const y = utf8(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
};
/** A header's value, case-insensitively (the verifiers read headers as a receiver would). */
const hdr = (headers, name) => {
  const hit = headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return hit ? hit[1] : undefined;
};

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

function write(provider, generator, cases) {
  const names = new Set(cases.map((c) => c.name));
  assert(names.size === cases.length, `duplicate case names in ${provider}`);
  assert(cases.length >= 5, `${provider}: ${cases.length} cases`);
  const file = path.join(OUT, `${provider}.json`);
  writeFileSync(file, JSON.stringify({ provider, generator, cases }, null, 2) + "\n");
  console.log(`gen.mjs: wrote ${file} (${cases.length} cases)`);
}

// A body no re-serialisation survives: raw multi-byte UTF-8, the same characters as escape
// text, tabs, CRLF, spaces around ':' and a trailing newline.
const ODD_TEXT = "Caf\u00e9 \u2615 \u{1F389} / Caf\\u00e9 \\u2615 \\ud83c\\udf89";
const odd = (head) => utf8(`{${head},\r\n\t"note" :  "${ODD_TEXT}" ,\r\n\t"n" : 1.50 }\n`);
/** Pads `obj` with a `notes` field until its compact JSON is about 1 KiB. */
function large(obj) {
  const line = "Lorem ipsum \u00e9\u00e8 \u2615 dolor sit amet, consectetur adipiscing elit. ";
  const out = { ...obj, notes: [] };
  while (compact(out).length < 1050) out.notes.push(line);
  return out;
}

const T0 = 1764000000; // 2025-11-24T16:00:00Z

/**
 * Builds one sender's cases.  `s` describes the sender:
 *   secret(label)           -> the route secret (as the sender shows it)
 *   wrong                   -> a secret of the same shape that signed nothing
 *   sign(secret, t, body)   -> the headers the sender sends (node:crypto, as documented)
 *   verify(secret, t, headers, body) -> the independent verifier (SDK where there is one)
 *   eventId(body, headers)  -> the dedup key hookgate should show, or null
 *   bodies                  -> [[name, Buffer]] (basic, large, odd, non-ASCII, ...)
 *   wrongSecretField        -> public-key schemes: the case carries `wrong_secret`
 */
async function build(s) {
  const cases = [];
  const old = s.secret(`${s.provider}-old`);
  const current = s.secret(`${s.provider}-current`);
  const check = async (label, secrets, signer, t, headers, body) => {
    for (const sec of secrets) {
      const ok = await accepts(() => s.verify(sec, t, headers, body));
      assert(ok === (sec === signer), `${label}: verify with ${sec} = ${ok}`);
    }
    assert(!(await accepts(() => s.verify(s.wrong, t, headers, body))), `${label}: wrong secret verified`);
    const flipped = Buffer.from(body);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    assert(!(await accepts(() => s.verify(signer, t, headers, flipped))), `${label}: flipped body verified`);
  };
  const add = async (name, secrets, signer, t, body) => {
    const headers = s.sign(signer, t, body);
    await check(`${s.provider}/${name}`, secrets, signer, t, headers, body);
    const c = {
      name,
      secrets,
      signed_at: t,
      headers,
      body_b64: body.toString("base64"),
      event_id: s.eventId(body, headers),
    };
    if (s.wrongSecretField) c.wrong_secret = s.wrong;
    if (s.url) c.url = s.url;
    if (s.contentType) c.content_type = s.contentType;
    cases.push(c);
  };
  let t = T0;
  for (const [name, body] of s.bodies) {
    t += 3600;
    await add(name, [current], current, t, body);
  }
  // Rotation: the route holds the old and the new secret, the sender signs with the new one.
  t += 3600;
  await add("rotation_route_old_new_signed_by_new", [old, current], current, t, s.bodies[0][1]);
  t += 3600;
  await add("rotation_route_old_new_signed_by_old", [old, current], old, t, s.bodies[1][1]);
  write(s.provider, s.generator, cases);
}

/** A JSON field by path, or null. */
const field = (body, ...keys) => {
  let v = JSON.parse(body.toString("utf8"));
  for (const k of keys) {
    if (v == null) return null;
    v = v[k];
  }
  return v ?? null;
};

// ------------------------------------------------------------------ LINE

// LINE Messaging API: `x-line-signature: base64(HMAC-SHA256(channel secret, body))`, no
// timestamp.  @line/bot-sdk `validateSignature(body, channelSecret, signature)` verifies;
// `LINE_SIGNATURE_HTTP_HEADER_NAME = "x-line-signature"`.
function lineBody(n, text, extra = {}) {
  return {
    destination: "U" + detHex(`line-dest`, 16),
    events: [
      {
        type: "message",
        message: { type: "text", id: String(5e17 + n), quoteToken: detB62(`line-qt-${n}`, 44), text },
        webhookEventId: "01" + detB62(`line-evt-${n}`, 24).toUpperCase(),
        deliveryContext: { isRedelivery: false },
        timestamp: (T0 + n * 3600) * 1000,
        source: { type: "user", userId: "U" + detHex(`line-user-${n}`, 16) },
        replyToken: detHex(`line-reply-${n}`, 16),
        mode: "active",
        ...extra,
      },
    ],
  };
}
await build({
  provider: "line",
  generator: `npm @line/bot-sdk@${V["@line/bot-sdk"]} validateSignature verifies each case (signed with node:crypto createHmac('SHA256', channelSecret).update(body).digest('base64'), as the SDK recomputes it); bodies after developers.line.biz/en/reference/messaging-api webhook event objects`,
  secret: (label) => detHex(`line-secret-${label}`, 16),
  wrong: detHex("line-secret-wrong", 16),
  sign: (sec, _t, body) => [["x-line-signature", mac("sha256", sec, body).toString("base64")]],
  verify: (sec, _t, headers, body) => lineValidateSignature(body, sec, hdr(headers, "x-line-signature")),
  eventId: () => null,
  bodies: [
    ["basic", compact(lineBody(1, "Hello, world"))],
    ["large_1kib", compact(large(lineBody(2, "A long one")))],
    ["unicode_odd_whitespace", odd(`"destination" : "U${detHex("line-dest", 16)}", "events" : []`)],
    ["non_ascii_japanese", compact(lineBody(3, "こんにちは、世界 🌸 ｶﾀｶﾅ"))],
    ["webhook_verification_empty_events", compact({ destination: "U" + detHex("line-dest", 16), events: [] })],
  ],
});

// ------------------------------------------------------------------ Zendesk

// Zendesk webhooks: `X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(signing secret,
// TIMESTAMP + BODY))`, `X-Zendesk-Webhook-Signature-Timestamp` ISO 8601 (developer.zendesk.com/
// documentation/webhooks/verifying).  The secret is used as text (it looks like base64).
function zendeskBody(n, subject, extra = {}) {
  return {
    type: "zen:event-type:ticket.created",
    account_id: 10000000 + n,
    id: detGuid(`zendesk-evt-${n}`),
    time: iso(T0 + n * 3600),
    zendesk_event_version: "2022-11-06",
    subject: `zen:ticket:${1000 + n}`,
    detail: { id: String(1000 + n), subject, status: "NEW", priority: "NORMAL", requester_id: "3620000" + n },
    event: {},
    ...extra,
  };
}
await build({
  provider: "zendesk",
  generator:
    "no Zendesk signer/verifier SDK: node:crypto createHmac('sha256', secret).update(timestamp + body).digest('base64') as developer.zendesk.com/documentation/webhooks/verifying describes; checked by a separate verifier written from the same page",
  secret: (label) => Buffer.from(detHex(`zendesk-secret-${label}`, 32), "hex").toString("base64"),
  wrong: Buffer.from(detHex("zendesk-secret-wrong", 32), "hex").toString("base64"),
  sign: (sec, t, body) => {
    const ts = iso(t);
    return [
      ["X-Zendesk-Webhook-Signature", mac("sha256", sec, utf8(ts), body).toString("base64")],
      ["X-Zendesk-Webhook-Signature-Timestamp", ts],
    ];
  },
  verify: (sec, _t, headers, body) => {
    const ts = hdr(headers, "x-zendesk-webhook-signature-timestamp");
    const sig = hdr(headers, "x-zendesk-webhook-signature");
    const want = createHmac("sha256", sec).update(Buffer.concat([utf8(ts), body])).digest("base64");
    return same(sig, want);
  },
  eventId: () => null,
  bodies: [
    ["basic", compact(zendeskBody(1, "Printer on fire"))],
    ["large_1kib", compact(large(zendeskBody(2, "Long ticket")))],
    ["unicode_odd_whitespace", odd(`"type" : "zen:event-type:ticket.created"`)],
    ["non_ascii_subject", compact(zendeskBody(3, "Réclamation — ne fonctionne pas ☹ 故障"))],
    ["pretty_body", pretty(zendeskBody(4, "Pretty printed"))],
  ],
});

// ------------------------------------------------------------------ Customer.io

// Customer.io reporting webhooks: `X-CIO-Signature: hex(HMAC-SHA256(signing key,
// "v0:" + X-CIO-Timestamp + ":" + body))`, timestamp in unix seconds (docs.customer.io/api/
// webhooks, "Securely Verifying Requests").  customerio-node `verifyRequestSignature` verifies.
function cioBody(n, metric, extra = {}) {
  return {
    data: {
      action_id: 40 + n,
      campaign_id: 20 + n,
      customer_id: `cust-${n}`,
      delivery_id: detB62(`cio-delivery-${n}`, 36),
      identifiers: { id: `cust-${n}`, email: `person${n}@example.com`, cio_id: detHex(`cio-id-${n}`, 5) },
      recipient: `person${n}@example.com`,
      subject: "Welcome aboard",
      ...extra,
    },
    event_id: "01" + detB62(`cio-evt-${n}`, 24).toUpperCase(),
    metric,
    object_type: "email",
    timestamp: T0 + n * 3600,
  };
}
await build({
  provider: "customerio",
  generator: `npm customerio-node@${V["customerio-node"]} verifyRequestSignature verifies each case (signed with node:crypto over 'v0:' + timestamp + ':' + body, hex, as the SDK and docs.customer.io/api/webhooks describe)`,
  secret: (label) => detHex(`cio-secret-${label}`, 32),
  wrong: detHex("cio-secret-wrong", 32),
  sign: (sec, t, body) => [
    ["X-CIO-Signature", mac("sha256", sec, utf8(`v0:${t}:`), body).toString("hex")],
    ["X-CIO-Timestamp", String(t)],
  ],
  verify: (sec, _t, headers, body) =>
    cioVerify({
      signingSecret: sec,
      timestamp: hdr(headers, "x-cio-timestamp"),
      signature: hdr(headers, "x-cio-signature"),
      body,
    }),
  eventId: (body) => field(body, "event_id"),
  bodies: [
    ["basic", compact(cioBody(1, "delivered"))],
    ["large_1kib", compact(large(cioBody(2, "sent")))],
    ["unicode_odd_whitespace", odd(`"metric" : "opened", "event_id" : "01ODDWHITESPACE0000000000"`)],
    ["non_ascii_subject", compact(cioBody(3, "clicked", { subject: "Bienvenue à bord ✈ — ようこそ" }))],
    ["pretty_body", pretty(cioBody(4, "bounced"))],
  ],
});

// ------------------------------------------------------------------ Front

// Front application webhooks: `X-Front-Signature: base64(HMAC-SHA256(app secret,
// X-Front-Request-Timestamp + ":" + body))`, the timestamp in milliseconds
// (dev.frontapp.com/docs/application-webhooks, "Verifying integrity").
function frontBody(n, subject) {
  return {
    _links: { self: `https://acme.api.frontapp.com/events/evt_${detB62(`front-evt-${n}`, 8)}` },
    id: `evt_${detB62(`front-evt-${n}`, 8)}`,
    type: "inbound",
    emitted_at: T0 + n * 3600 + 0.123,
    conversation: { id: `cnv_${detB62(`front-cnv-${n}`, 6)}`, subject, status: "unassigned" },
    source: { _meta: { type: "inboxes" }, data: [{ id: "inb_55c8c149", name: "Support" }] },
    target: { _meta: { type: "message" }, data: { id: `msg_${detB62(`front-msg-${n}`, 8)}`, type: "email", is_inbound: true } },
  };
}
await build({
  provider: "front",
  generator:
    "no Front signer/verifier SDK: node:crypto createHmac('sha256', secret).update(`${timestamp}:` + body).digest('base64') as dev.frontapp.com/docs/application-webhooks describes (timestamp in ms); checked by a separate verifier written from the same page",
  secret: (label) => detHex(`front-secret-${label}`, 16),
  wrong: detHex("front-secret-wrong", 16),
  sign: (sec, t, body) => {
    const ms = String(t * 1000 + 250);
    return [
      ["x-front-signature", mac("sha256", sec, utf8(`${ms}:`), body).toString("base64")],
      ["x-front-request-timestamp", ms],
    ];
  },
  verify: (sec, _t, headers, body) => {
    const ts = hdr(headers, "x-front-request-timestamp");
    const sig = hdr(headers, "x-front-signature");
    const buf = Buffer.concat([Buffer.from(`${ts}:`), body]);
    return same(sig, createHmac("sha256", sec).update(buf).digest("base64"));
  },
  eventId: (body) => field(body, "id"),
  bodies: [
    ["basic", compact(frontBody(1, "Order #1234"))],
    ["large_1kib", compact(large(frontBody(2, "Long thread")))],
    ["unicode_odd_whitespace", odd(`"type" : "inbound"`)],
    ["non_ascii_subject", compact(frontBody(3, "Commande n° 42 — reçu ✔ 注文"))],
    ["sync_validation", compact({ type: "sync", authorization: { id: "cmp_abc" } })],
  ],
});

// ------------------------------------------------------------------ Help Scout

// Help Scout webhooks: `X-HelpScout-Signature: base64(HMAC-SHA1(secret key, body))`, no
// timestamp (developer.helpscout.com/webhooks, "Verifying").
function helpscoutBody(n, subject) {
  return {
    id: 100000 + n,
    number: 300 + n,
    type: "email",
    folderId: 1234,
    status: "active",
    state: "published",
    subject,
    preview: subject.slice(0, 20),
    mailboxId: 85,
    createdBy: { id: 12, type: "customer", first: "Vernon", last: "Bear", email: "vbear@example.com" },
    createdAt: iso(T0 + n * 3600),
  };
}
await build({
  provider: "helpscout",
  generator:
    "no Help Scout SDK: node:crypto createHmac('sha1', secret).update(body).digest('base64') as developer.helpscout.com/webhooks describes (PHP base64_encode(hash_hmac('sha1', $data, KEY, true))); checked by a separate verifier written from the same page",
  secret: (label) => detB62(`helpscout-secret-${label}`, 40),
  wrong: detB62("helpscout-secret-wrong", 40),
  sign: (sec, _t, body) => [
    ["X-HelpScout-Event", "convo.created"],
    ["X-HelpScout-Signature", mac("sha1", sec, body).toString("base64")],
  ],
  verify: (sec, _t, headers, body) =>
    same(hdr(headers, "x-helpscout-signature"), createHmac("sha1", sec).update(body).digest("base64")),
  eventId: () => null,
  bodies: [
    ["basic", compact(helpscoutBody(1, "Cannot log in"))],
    ["large_1kib", compact(large(helpscoutBody(2, "Long conversation")))],
    ["unicode_odd_whitespace", odd(`"id" : 100009`)],
    ["non_ascii_subject", compact(helpscoutBody(3, "Problème de connexion — ошибка входа"))],
    ["pretty_body", pretty(helpscoutBody(4, "Pretty printed"))],
  ],
});

// ------------------------------------------------------------------ Nylas

// Nylas: `X-Nylas-Signature: hex(HMAC-SHA256(webhook secret, body))` (developer.nylas.com/docs/
// v3/notifications/webhooks; v2 keyed it with the client secret, same computation).  nylas@6.10.0
// `WebhookNotification.verifyWebhookSignature(signature, rawBody, secret)` verifies.
function nylasBody(n, type, subject) {
  return {
    specversion: "1.0",
    type,
    source: "/google/emails/realtime",
    id: detB62(`nylas-notif-${n}`, 22),
    time: T0 + n * 3600,
    webhook_delivery_attempt: 1,
    data: {
      application_id: detGuid("nylas-app"),
      object: {
        grant_id: detGuid(`nylas-grant-${n}`),
        id: detB62(`nylas-msg-${n}`, 16),
        object: "message",
        subject,
        from: [{ email: "sender@example.com", name: "Sender" }],
        date: T0 + n * 3600 - 5,
      },
    },
  };
}
await build({
  provider: "nylas",
  generator: `npm nylas@${V.nylas} WebhookNotification.verifyWebhookSignature(signature, rawBody, secret) verifies each case (signed with node:crypto createHmac('sha256', secret).update(body).digest('hex'), as developer.nylas.com webhooks docs describe); bodies after the v3 notification envelope`,
  secret: (label) => detB62(`nylas-secret-${label}`, 32),
  wrong: detB62("nylas-secret-wrong", 32),
  sign: (sec, _t, body) => [["X-Nylas-Signature", mac("sha256", sec, body).toString("hex")]],
  verify: (sec, _t, headers, body) =>
    NylasWebhookNotification.verifyWebhookSignature(hdr(headers, "x-nylas-signature"), body, sec),
  eventId: (body) => field(body, "id"),
  bodies: [
    ["basic", compact(nylasBody(1, "message.created", "Lunch?"))],
    ["large_1kib", compact(large(nylasBody(2, "message.updated", "Long")))],
    ["unicode_odd_whitespace", odd(`"type" : "message.created", "id" : "oddwhitespace00000000"`)],
    ["non_ascii_subject", compact(nylasBody(3, "message.created", "Déjeuner ? 🍜 — 昼ご飯"))],
    ["grant_expired", compact({ ...nylasBody(4, "grant.expired", ""), data: { application_id: detGuid("nylas-app"), object: { grant_id: detGuid("nylas-grant-4"), code: 25009 } } })],
  ],
});

// ------------------------------------------------------------------ Webex

// Webex webhooks with a secret: `X-Spark-Signature: hex(HMAC-SHA1(secret, body))`
// (developer.webex.com/docs/api/guides/webhooks, "Handling Requests from Webex" / auth).
function webexBody(n, resource, event) {
  return {
    id: "Y2lzY29zcGFyazovL3VzL1dFQkhPT0svZjRlNjA1NjAtNjYwMi00ZmIwLWEyNWEtOTQ5ODgxNjA5NDk3",
    name: "New message in 'Project Unicorn' room",
    targetUrl: "https://example.com/hooks/webex",
    resource,
    event,
    orgId: "OTZhYmMyYWEtM2RjYy0xMWU1LWExNTItZmUzNDgxOWNkYzlh",
    createdBy: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY",
    appId: "Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OL0MyNzljYjMwYzAyOTE4MGJiNGJkYWViYjA2MWI3OTY1Y2RhMzliNjAyOTdjODUwM2YyNjZhYmY2NmM5OTllYzFm",
    ownedBy: "creator",
    status: "active",
    created: iso(T0),
    actorId: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY",
    data: {
      id: Buffer.from(`ciscospark://us/MESSAGE/${detGuid(`webex-msg-${n}`)}`).toString("base64").replace(/=+$/, ""),
      roomId: "Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0",
      personEmail: "matt@example.com",
      created: iso(T0 + n * 3600),
    },
  };
}
await build({
  provider: "webex",
  generator:
    "no Webex signer/verifier SDK: node:crypto createHmac('sha1', secret).update(body).digest('hex') as developer.webex.com webhooks guide describes (X-Spark-Signature); checked by a separate verifier written from the same page; bodies after its example",
  secret: (label) => detB62(`webex-secret-${label}`, 32),
  wrong: detB62("webex-secret-wrong", 32),
  sign: (sec, _t, body) => [["X-Spark-Signature", mac("sha1", sec, body).toString("hex")]],
  verify: (sec, _t, headers, body) =>
    same(hdr(headers, "x-spark-signature").toLowerCase(), createHmac("sha1", sec).update(body).digest("hex")),
  eventId: () => null,
  bodies: [
    ["basic", compact(webexBody(1, "messages", "created"))],
    ["large_1kib", compact(large(webexBody(2, "messages", "created")))],
    ["unicode_odd_whitespace", odd(`"resource" : "messages"`)],
    ["non_ascii_name", compact({ ...webexBody(3, "memberships", "created"), name: "Équipe « Licorne » 🦄" })],
    ["pretty_body", pretty(webexBody(4, "rooms", "updated"))],
  ],
});

// ------------------------------------------------------------------ Telnyx

// Telnyx API v2 webhooks: Ed25519 over `${telnyx-timestamp}|${body}`, signature base64 in
// `telnyx-signature-ed25519`, the account's public key base64 (32 bytes).  telnyx@7.24.0
// `TelnyxWebhook(publicKey).verify(payload, headers)` (lib/webhooks) verifies, within 300 s.
const edKey = (label) => {
  const seed = createHash("sha256").update(`telnyx-key-${label}`).digest();
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const pub = createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(12);
  return { priv, pub: pub.toString("base64") };
};
const telnyxKeys = new Map();
const telnyxSecret = (label) => {
  const k = edKey(label);
  telnyxKeys.set(k.pub, k.priv);
  return k.pub;
};
function telnyxBody(n, eventType, text) {
  return {
    data: {
      event_type: eventType,
      id: detGuid(`telnyx-evt-${n}`),
      occurred_at: new Date((T0 + n * 3600) * 1000 - 1500).toISOString(),
      payload: {
        id: detGuid(`telnyx-msg-${n}`),
        record_type: "message",
        direction: "inbound",
        type: "SMS",
        from: { phone_number: "+18665550001", carrier: "T-MOBILE USA, INC.", line_type: "Wireless" },
        to: [{ phone_number: "+18445550001", status: "webhook_delivered" }],
        text,
        encoding: text.match(/^[\x00-\x7f]*$/) ? "GSM-7" : "UCS-2",
        parts: 1,
      },
      record_type: "event",
    },
    meta: { attempt: 1, delivered_to: "https://example.com/hooks/telnyx" },
  };
}
await build({
  provider: "telnyx",
  generator: `npm telnyx@${V.telnyx} TelnyxWebhook(publicKey).verify(payload, headers) verifies each case at a frozen clock (signed with node:crypto Ed25519 over timestamp + '|' + body, the bytes the SDK verifies); bodies after developers.telnyx.com message.received`,
  secret: telnyxSecret,
  wrong: telnyxSecret("wrong"),
  wrongSecretField: true,
  sign: (pub, t, body) => [
    ["telnyx-signature-ed25519", edSign(null, Buffer.concat([utf8(`${t}|`), body]), telnyxKeys.get(pub)).toString("base64")],
    ["telnyx-timestamp", String(t)],
  ],
  verify: async (pub, t, headers, body) => {
    const h = Object.fromEntries(headers);
    // The SDK decodes the payload string as UTF-8 (TextEncoder); a flipped byte that breaks
    // UTF-8 becomes U+FFFD and must fail too.
    await atClock(t * 1000, () => new TelnyxWebhook(pub).verify(body.toString("utf8"), h));
    return true;
  },
  eventId: (body) => field(body, "data", "id"),
  bodies: [
    ["basic", compact(telnyxBody(1, "message.received", "Hello, World!"))],
    ["large_1kib", compact(large(telnyxBody(2, "message.finalized", "Long")))],
    ["unicode_odd_whitespace", odd(`"data" : {"id" : "0dd0dd00-0000-4000-8000-000000000000", "event_type" : "message.received"}`)],
    ["non_ascii_text", compact(telnyxBody(3, "message.received", "¡Hola! ¿Qué tal? 👋 你好"))],
    ["pretty_body", pretty(telnyxBody(4, "message.sent", "Pretty"))],
  ],
});
// The SDK's window: accepted 300 s either side, rejected at 301 s.
{
  const pub = telnyxSecret("window");
  const body = compact(telnyxBody(9, "message.received", "window"));
  const t = T0 + 99;
  const headers = Object.fromEntries([
    ["telnyx-signature-ed25519", edSign(null, Buffer.concat([utf8(`${t}|`), body]), telnyxKeys.get(pub)).toString("base64")],
    ["telnyx-timestamp", String(t)],
  ]);
  const at = (dt) => accepts(async () => (await atClock((t + dt) * 1000, () => new TelnyxWebhook(pub).verify(body.toString(), headers)), true));
  assert((await at(300)) && (await at(-300)) && !(await at(301)) && !(await at(-301)), "telnyx: SDK window is not 300 s");
}

// ------------------------------------------------------------------ Pusher

// Pusher Channels webhooks: `X-Pusher-Key` (the app key) and `X-Pusher-Signature:
// hex(HMAC-SHA256(app secret, body))`.  pusher@5.3.4 `pusher.webhook({headers, rawBody}).isValid()`
// verifies (lib/webhook.js, lib/token.js); it also requires the key to match and the body to be
// JSON with Content-Type application/json.
const PUSHER_KEY = detHex("pusher-app-key", 10);
function pusherBody(n, events) {
  return { time_ms: (T0 + n * 3600) * 1000 + 321, events };
}
await build({
  provider: "pusher",
  generator: `npm pusher@${V.pusher} Pusher#webhook({headers, rawBody}).isValid() verifies each case (signed with node:crypto createHmac('sha256', secret).update(body).digest('hex'), as the SDK's Token.sign does); bodies after pusher.com/docs/channels/server_api/webhooks`,
  secret: (label) => detHex(`pusher-secret-${label}`, 10),
  wrong: detHex("pusher-secret-wrong", 10),
  sign: (sec, _t, body) => [
    ["X-Pusher-Key", PUSHER_KEY],
    ["X-Pusher-Signature", mac("sha256", sec, body).toString("hex")],
  ],
  verify: (sec, _t, headers, body) => {
    const pusher = new Pusher({ appId: "1234567", key: PUSHER_KEY, secret: sec });
    const lower = Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v]));
    lower["content-type"] = "application/json";
    return pusher.webhook({ headers: lower, rawBody: body.toString("utf8") }).isValid();
  },
  eventId: () => null,
  bodies: [
    ["basic", compact(pusherBody(1, [{ name: "channel_occupied", channel: "presence-room-1" }]))],
    ["large_1kib", compact(large(pusherBody(2, [{ name: "member_added", channel: "presence-room-2", user_id: "u-2" }])))],
    ["unicode_odd_whitespace", odd(`"time_ms" : 1764000000321, "events" : []`)],
    ["non_ascii_client_event", compact(pusherBody(3, [{ name: "client_event", channel: "private-chat", event: "client-message", data: JSON.stringify({ text: "Grüße 👋 こんにちは" }), socket_id: "123.456" }]))],
    ["two_events", compact(pusherBody(4, [{ name: "channel_vacated", channel: "a" }, { name: "channel_occupied", channel: "b" }]))],
  ],
});

// ------------------------------------------------------------------ ClickUp

// ClickUp webhooks: `X-Signature: hex(HMAC-SHA256(webhook.secret, body))`
// (developer.clickup.com/docs/webhooksignature).
function clickupBody(n, event, extra = {}) {
  return {
    webhook_id: detGuid("clickup-webhook"),
    event,
    task_id: detB62(`clickup-task-${n}`, 7).toLowerCase(),
    history_items: [
      {
        id: String(2800000000000000000n + BigInt(n)),
        type: 1,
        date: String((T0 + n * 3600) * 1000),
        field: "status",
        user: { id: 183, username: "John", email: "john@example.com" },
        before: { status: "to do" },
        after: { status: "in progress" },
      },
    ],
    ...extra,
  };
}
await build({
  provider: "clickup",
  generator:
    "no ClickUp SDK: node:crypto createHmac('sha256', secret).update(body).digest('hex') as developer.clickup.com/docs/webhooksignature describes; checked by a separate verifier written from the same page",
  secret: (label) => detB62(`clickup-secret-${label}`, 64).toUpperCase(),
  wrong: detB62("clickup-secret-wrong", 64).toUpperCase(),
  sign: (sec, _t, body) => [["X-Signature", mac("sha256", sec, body).toString("hex")]],
  verify: (sec, _t, headers, body) => same(hdr(headers, "x-signature"), createHmac("sha256", sec).update(body).digest("hex")),
  eventId: () => null,
  bodies: [
    ["basic", compact(clickupBody(1, "taskStatusUpdated"))],
    ["large_1kib", compact(large(clickupBody(2, "taskUpdated")))],
    ["unicode_odd_whitespace", odd(`"event" : "taskCreated"`)],
    ["non_ascii_comment", compact(clickupBody(3, "taskCommentPosted", { comment: "Très bien 👍 — よろしく" }))],
    ["docs_example_body", compact({ webhook_id: "7689a169-a000-4985-8676-6902b96d6627", event: "taskCreated", task_id: "c0j" })],
  ],
});

// ------------------------------------------------------------------ Frame.io

// Frame.io webhooks: `X-Frameio-Signature: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))`,
// `X-Frameio-Request-Timestamp` unix seconds (developer.frame.io V4 webhooks guide, "Verifying
// Webhook Signatures"; AdobeDocs/frameio-api src/pages/guides/Webhooks/index.md).  No SDK
// verifier on npm.
function frameioBody(n, type, extra = {}) {
  return {
    account_id: detGuid("frameio-account"),
    project: { id: detGuid(`frameio-project-${n}`) },
    resource: { id: detGuid(`frameio-res-${n}`), type: type.split(".")[0] },
    type,
    user: { id: detGuid(`frameio-user-${n}`) },
    workspace: { id: detGuid("frameio-workspace") },
    ...extra,
  };
}
await build({
  provider: "frameio",
  generator:
    "no Frame.io signer/verifier SDK: node:crypto 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:` + body).digest('hex') as the Frame.io V4 webhooks guide (Verifying Webhook Signatures) describes; checked by a separate verifier written from the same page",
  secret: (label) => detB62(`frameio-secret-${label}`, 32),
  wrong: detB62("frameio-secret-wrong", 32),
  sign: (sec, t, body) => [
    ["X-Frameio-Request-Timestamp", String(t)],
    ["X-Frameio-Signature", "v0=" + mac("sha256", sec, utf8(`v0:${t}:`), body).toString("hex")],
    ["User-Agent", "Frame.io V4 API"],
  ],
  verify: (sec, _t, headers, body) => {
    const ts = hdr(headers, "x-frameio-request-timestamp");
    const message = Buffer.concat([utf8("v0:" + ts + ":"), body]);
    return same(hdr(headers, "x-frameio-signature"), "v0=" + createHmac("sha256", sec).update(message).digest("hex"));
  },
  eventId: () => null,
  bodies: [
    ["basic", compact(frameioBody(1, "file.ready"))],
    ["large_1kib", compact(large(frameioBody(2, "comment.created")))],
    ["unicode_odd_whitespace", odd(`"type" : "file.created"`)],
    ["non_ascii_comment", compact(frameioBody(3, "comment.created", { text: "Très bien 👍 — カット 3" }))],
    ["pretty_body", pretty(frameioBody(4, "project.updated"))],
  ],
});

// ------------------------------------------------------------------ TikTok

// TikTok for Developers webhooks: `TikTok-Signature: t=<unix>,s=hex(HMAC-SHA256(client secret,
// "{t}.{body}"))` (developers.tiktok.com/doc/webhooks-verification).  No SDK verifier on npm.
function tiktokBody(n, event, content) {
  return {
    client_key: detB62("tiktok-client-key", 18).toLowerCase(),
    event,
    create_time: T0 + n * 3600,
    user_openid: "act." + detB62(`tiktok-user-${n}`, 44),
    content: JSON.stringify(content),
  };
}
await build({
  provider: "tiktok",
  generator:
    "no TikTok signer/verifier SDK: node:crypto createHmac('sha256', clientSecret).update(`${t}.` + body).digest('hex') in `t=..,s=..` as developers.tiktok.com/doc/webhooks-verification describes; checked by a separate verifier written from the same page (splits the header on ',' then '=')",
  secret: (label) => detB62(`tiktok-secret-${label}`, 32),
  wrong: detB62("tiktok-secret-wrong", 32),
  sign: (sec, t, body) => [["TikTok-Signature", `t=${t},s=` + mac("sha256", sec, utf8(`${t}.`), body).toString("hex")]],
  verify: (sec, _t, headers, body) => {
    const parts = Object.fromEntries(hdr(headers, "tiktok-signature").split(",").map((kv) => kv.split("=")));
    const want = createHmac("sha256", sec).update(Buffer.concat([utf8(parts.t + "."), body])).digest("hex");
    return same(parts.s, want);
  },
  eventId: () => null,
  bodies: [
    ["basic", compact(tiktokBody(1, "authorization.removed", { reason: 1 }))],
    ["large_1kib", compact(large(tiktokBody(2, "video.publish.completed", { publish_id: "v_pub_url~v2." + detHex("tt-pub-2", 8) })))],
    ["unicode_odd_whitespace", odd(`"event" : "video.upload.failed"`)],
    ["non_ascii_content", compact(tiktokBody(3, "portability.download.ready", { note: "Données prêtes ✅ データ" }))],
    ["docs_example_shape", compact(tiktokBody(4, "video.publish.failed", { publish_id: "v_pub_file~v2." + detHex("tt-pub-4", 8), reason: "publish_cancelled" }))],
  ],
});

// ------------------------------------------------------------------ Trello

// Trello webhooks: `X-Trello-Webhook: base64(HMAC-SHA1(app secret, body + callbackURL))`, the
// callback URL exactly as given at creation (developer.atlassian.com/cloud/trello/guides/
// rest-api/webhooks "Webhook signatures").  The old caveat that non-BMP characters were signed
// differently was removed when Trello fixed it (trello-archive/api-docs#26): UTF-8 throughout.
const TRELLO_URL = "https://hooks.example.com/hooks/trello?board=main";
function trelloBody(n, type, data) {
  return {
    model: { id: detHex("trello-board", 12), name: "Roadmap" },
    action: {
      id: detHex(`trello-action-${n}`, 12),
      idMemberCreator: detHex(`trello-member-${n}`, 12),
      type,
      date: iso(T0 + n * 3600).replace("Z", ".000Z"),
      data,
    },
  };
}
await build({
  provider: "trello",
  generator: `no Trello signer/verifier SDK: node:crypto createHmac('sha1', appSecret).update(body + callbackURL).digest('base64') as developer.atlassian.com/cloud/trello/guides/rest-api/webhooks describes; checked by a separate verifier written from the same page; callbackURL ${TRELLO_URL}`,
  secret: (label) => detHex(`trello-secret-${label}`, 32),
  wrong: detHex("trello-secret-wrong", 32),
  url: TRELLO_URL,
  sign: (sec, _t, body) => [["X-Trello-Webhook", mac("sha1", sec, body, utf8(TRELLO_URL)).toString("base64")]],
  verify: (sec, _t, headers, body) =>
    same(hdr(headers, "x-trello-webhook"), createHmac("sha1", sec).update(Buffer.concat([body, utf8(TRELLO_URL)])).digest("base64")),
  eventId: (body) => field(body, "action", "id"),
  bodies: [
    ["basic", compact(trelloBody(1, "createCard", { card: { id: detHex("trello-card-1", 12), name: "Ship it" } }))],
    ["large_1kib", compact(large(trelloBody(2, "updateCard", { card: { id: detHex("trello-card-2", 12), name: "Long" } })))],
    ["unicode_odd_whitespace", odd(`"model" : {"id" : "${detHex("trello-board", 12)}"}`)],
    ["non_ascii_card_name", compact(trelloBody(3, "commentCard", { text: "Génial 🎉 — 完了しました" }))],
    ["pretty_body", pretty(trelloBody(4, "moveCardToBoard", { card: { id: detHex("trello-card-4", 12) } }))],
  ],
});

// ------------------------------------------------------------------ DocuSign

// DocuSign Connect HMAC: `X-DocuSign-Signature-N: base64(HMAC-SHA256(connect key, body))`, one
// header per active Connect key (developers.docusign.com/platform/webhooks/connect/validate:
// "There will be one x-docusign-signature header value for each HMAC key").  The docusign-esign
// npm SDK has no webhook verifier.  The `pretty_body_two_keys` case carries a first header
// from a key the route does not hold and the route's in X-DocuSign-Signature-2.
function docusignBody(n, event, extra = {}) {
  const account = detGuid("docusign-account");
  const envelope = detGuid(`docusign-envelope-${n}`);
  return {
    event,
    apiVersion: "v2.1",
    uri: `/restapi/v2.1/accounts/${account}/envelopes/${envelope}`,
    retryCount: 0,
    configurationId: 10000000 + n,
    generatedDateTime: iso(T0 + n * 3600).replace("Z", ".1234567Z"),
    data: { accountId: account, userId: detGuid(`docusign-user-${n}`), envelopeId: envelope, ...extra },
  };
}
const DOCUSIGN_OTHER_KEY = Buffer.from(detHex("docusign-key-not-on-route", 32), "hex").toString("base64");
const DOCUSIGN_TWO_KEYS = pretty(docusignBody(4, "envelope-sent"));
const docusignSig = (sec, body) => mac("sha256", sec, body).toString("base64");
await build({
  provider: "docusign",
  generator:
    "no DocuSign signer/verifier SDK for Connect HMAC: node:crypto createHmac('sha256', key).update(body).digest('base64') as developers.docusign.com/platform/webhooks/connect/validate describes; checked by a separate verifier written from the same page (any X-DocuSign-Signature-N header may match)",
  secret: (label) => Buffer.from(detHex(`docusign-key-${label}`, 32), "hex").toString("base64"),
  wrong: Buffer.from(detHex("docusign-key-wrong", 32), "hex").toString("base64"),
  sign: (sec, _t, body) => {
    const sigs = body.equals(DOCUSIGN_TWO_KEYS) ? [docusignSig(DOCUSIGN_OTHER_KEY, body), docusignSig(sec, body)] : [docusignSig(sec, body)];
    return [
      ["X-Authorization-Digest", "HMACSHA256"],
      ...sigs.map((sig, i) => [`X-DocuSign-Signature-${i + 1}`, sig]),
    ];
  },
  verify: (sec, _t, headers, body) => {
    const want = createHmac("sha256", sec).update(body).digest("base64");
    return headers.some(([n, v]) => /^x-docusign-signature-\d+$/i.test(n) && same(v, want));
  },
  eventId: () => null,
  bodies: [
    ["basic", compact(docusignBody(1, "envelope-completed"))],
    ["large_1kib", compact(large(docusignBody(2, "recipient-completed")))],
    ["unicode_odd_whitespace", odd(`"event" : "envelope-voided"`)],
    ["non_ascii_subject", compact(docusignBody(3, "envelope-sent", { envelopeSummary: { emailSubject: "Veuillez signer : contrat n° 42 — 契約書 ✍️" } }))],
    ["pretty_body_two_keys", DOCUSIGN_TWO_KEYS],
  ],
});

// ------------------------------------------------------------------ Mandrill

// Mandrill (Mailchimp Transactional) webhooks: a form POST of `mandrill_events` (a JSON array),
// `X-Mandrill-Signature: base64(HMAC-SHA1(webhook key, URL + each POST variable's key + value,
// sorted by key, no delimiters))`, the URL exactly as configured (mandrill.zendesk.com "How to
// Authenticate Webhook Requests").  @mailchimp/mailchimp_transactional has no verifier.  The
// signer works from the parameters Mandrill posts; the verifier from the received body.
const MANDRILL_URL = "https://hooks.example.com/hooks/mandrill";
function mandrillEvent(n, event, extra = {}) {
  return {
    event,
    _id: detHex(`mandrill-msg-${n}`, 16),
    ts: T0 + n * 3600,
    msg: {
      ts: T0 + n * 3600 - 60,
      _id: detHex(`mandrill-msg-${n}`, 16),
      state: event === "send" ? "sent" : event,
      subject: "Your order",
      email: `user${n}@example.com`,
      sender: "shop@example.com",
      tags: [],
      metadata: { user_id: 100 + n },
      ...extra,
    },
  };
}
const mandrillForm = (json) => {
  const body = utf8(new URLSearchParams({ mandrill_events: json }).toString());
  MANDRILL_PARAMS.set(body.toString("latin1"), { mandrill_events: json });
  return body;
};
const MANDRILL_PARAMS = new Map();
await build({
  provider: "mandrill",
  generator: `no Mandrill signer/verifier SDK: node:crypto createHmac('sha1', key).update(url + key1 + value1 + ...).digest('base64') over the posted variables sorted by key, as mandrill.zendesk.com 'How to Authenticate Webhook Requests' describes; checked by a separate verifier that parses the received form body (URLSearchParams); url ${MANDRILL_URL}`,
  secret: (label) => detB62(`mandrill-key-${label}`, 22),
  wrong: detB62("mandrill-key-wrong", 22),
  url: MANDRILL_URL,
  contentType: "application/x-www-form-urlencoded",
  sign: (sec, _t, body) => {
    const params = MANDRILL_PARAMS.get(body.toString("latin1"));
    let signed = MANDRILL_URL;
    for (const k of Object.keys(params).sort()) signed += k + params[k];
    return [["X-Mandrill-Signature", mac("sha1", sec, utf8(signed)).toString("base64")]];
  },
  verify: (sec, _t, headers, body) => {
    const form = new URLSearchParams(body.toString("utf8"));
    const keys = [...new Set(form.keys())].sort();
    const signed = MANDRILL_URL + keys.map((k) => k + form.get(k)).join("");
    return same(hdr(headers, "x-mandrill-signature"), createHmac("sha1", sec).update(signed, "utf8").digest("base64"));
  },
  eventId: () => null,
  bodies: [
    ["basic", mandrillForm(JSON.stringify([mandrillEvent(1, "send")]))],
    ["large_1kib", mandrillForm(JSON.stringify([mandrillEvent(2, "open"), mandrillEvent(3, "click", { url: "https://example.com/" + "a".repeat(400) })]))],
    ["unicode_odd_whitespace", mandrillForm(`[ {"event" :\t"send",\r\n "note" :  "${ODD_TEXT}" } ]\n`)],
    ["non_ascii_subject", mandrillForm(JSON.stringify([mandrillEvent(4, "hard_bounce", { subject: "Votre commande — ご注文 📦", bounce_description: "bad_mailbox" })]))],
    ["two_events", mandrillForm(JSON.stringify([mandrillEvent(5, "deferral"), mandrillEvent(6, "spam")]))],
  ],
});
