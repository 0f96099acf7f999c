#!/usr/bin/env node
// Vectors for mailchimp, hostedhooks, pinwheel, hygraph and vmware.  Run through ./gen.sh.
// Usage: gen.mjs OUT_DIR
//
// Hygraph's cases are signed by its own SDK (@hygraph/utils `generateWebhookSignature`, pinned in
// package.json / package-lock.json) and checked by its own `verifyWebhookSignature`.  The other
// senders publish no SDK that signs or verifies webhooks: their cases are signed here with
// node:crypto as their docs describe, and checked by a separate verifier that follows the docs
// from the received request (parsing the header, re-deriving the signed bytes).  Pinwheel's also
// include the known answer of Pinwheel's own published test suite.  Every verifier must accept
// the case with the route secret that signed it, reject it with the route's other secret and a
// wrong secret, and (for the senders that sign the body) reject it with one body byte flipped.
// Nothing reads the clock: secrets and ids come from labels through SHA-256 (../det.mjs), times
// are fixed, and the SDK's `Date.now` is frozen to each case's time while it signs.

import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detB62, detHex } from "../det.mjs";

const require = createRequire(import.meta.url);
const hygraph = require("@hygraph/utils");

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
const hmac = (alg, key, data) => createHmac(alg, key).update(data).digest();
/** Constant-time comparison of two strings (false when lengths differ). */
const same = (a, b) => {
  const x = utf8(String(a ?? ""));
  const y = utf8(String(b ?? ""));
  return x.length === y.length && timingSafeEqual(x, y);
};
/** A header's value, case-insensitively (the verifiers read headers as a receiver would). */
const hdr = (headers, name) => {
  const hit = headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return hit ? hit[1] : undefined;
};
/** Runs `fn` with `Date.now()` returning `ms` (Hygraph's signer reads the clock through it). */
function atClock(ms, fn) {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}
/** Whether `fn` accepts: true, or false when it returns false or throws. */
function accepts(fn) {
  try {
    return fn() === true;
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
 *   secret(label)                 -> the route secret (as the sender shows it)
 *   wrong                         -> a secret of the same shape that signed nothing
 *   sign(secret, t, body, extra)  -> the headers the sender sends
 *   verify(secret, headers, body) -> the independent verifier (the SDK's where there is one)
 *   signsBody                     -> false for Basic auth: a flipped body still "verifies"
 *   bodies                        -> [[name, Buffer, extra?]] (basic, large, odd, non-ASCII, ...)
 *   known                         -> extra cases given whole (a sender's published test vector)
 *   wrongSecretField, url, contentType -> copied into each case
 */
function build(s) {
  const cases = [];
  const old = s.secret(`${s.provider}-old`);
  const current = s.secret(`${s.provider}-current`);
  const check = (label, secrets, signer, headers, body) => {
    for (const sec of secrets) {
      const ok = accepts(() => s.verify(sec, headers, body));
      assert(ok === (sec === signer), `${label}: verify with ${sec} = ${ok}`);
    }
    assert(!accepts(() => s.verify(s.wrong, headers, body)), `${label}: wrong secret verified`);
    if (s.signsBody !== false) {
      const flipped = Buffer.from(body);
      flipped[Math.floor(flipped.length / 2)] ^= 0x01;
      assert(!accepts(() => s.verify(signer, headers, flipped)), `${label}: flipped body verified`);
    }
  };
  const push = (name, secrets, t, headers, body) => {
    const c = {
      name,
      secrets,
      signed_at: t,
      headers,
      body_b64: body.toString("base64"),
      event_id: null,
    };
    if (s.wrongSecretField) c.wrong_secret = s.wrong;
    if (s.url) c.url = s.url;
    if (s.contentType) c.content_type = s.contentType;
    cases.push(c);
  };
  const add = (name, secrets, signer, t, body, extra) => {
    const headers = s.sign(signer, t, body, extra ?? {});
    check(`${s.provider}/${name}`, secrets, signer, headers, body);
    push(name, secrets, t, headers, body);
  };
  let t = T0;
  for (const [name, body, extra] of s.bodies) {
    t += 3600;
    add(name, [current], current, t, body, extra);
  }
  // Rotation: the route holds the old and the new secret, the sender signs with one of them.
  t += 3600;
  add("rotation_route_old_new_signed_by_new", [old, current], current, t, s.bodies[0][1]);
  t += 3600;
  add("rotation_route_old_new_signed_by_old", [old, current], old, t, s.bodies[1][1]);
  for (const k of s.known ?? []) {
    check(`${s.provider}/${k.name}`, [k.secret], k.secret, k.headers, k.body);
    push(k.name, [k.secret], k.signed_at, k.headers, k.body);
  }
  write(s.provider, s.generator, cases);
}

// ------------------------------------------------------------------ Mailchimp (Transactional)

// Mailchimp Marketing (audience) webhooks carry no signature; Mailchimp Transactional's
// (formerly Mandrill) do: a form POST of `mandrill_events` (a JSON array) with
// `X-Mandrill-Signature: base64(HMAC-SHA1(webhook key, URL + each POST variable's key + value,
// sorted by key, no delimiters))`, the URL exactly as configured
// (mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks,
// "Authenticating webhook requests").  @mailchimp/mailchimp_transactional has no verifier.  The
// signer works from the parameters posted; the verifier from the received body.
const MAILCHIMP_URL = "https://hooks.example.com/hooks/mailchimp";
function mailchimpEvent(n, event, extra = {}) {
  return {
    event,
    _id: detHex(`mailchimp-msg-${n}`, 16),
    ts: T0 + n * 3600,
    msg: {
      ts: T0 + n * 3600 - 60,
      _id: detHex(`mailchimp-msg-${n}`, 16),
      state: event === "send" ? "sent" : event,
      subject: "Your receipt",
      email: `customer${n}@example.com`,
      sender: "billing@example.com",
      tags: ["receipt"],
      metadata: { account_id: 500 + n },
      ...extra,
    },
  };
}
const MAILCHIMP_PARAMS = new Map();
const mailchimpForm = (json) => {
  const body = utf8(new URLSearchParams({ mandrill_events: json }).toString());
  MAILCHIMP_PARAMS.set(body.toString("latin1"), { mandrill_events: json });
  return body;
};
build({
  provider: "mailchimp",
  generator: `no Mailchimp Transactional signer/verifier SDK: node:crypto createHmac('sha1', key).update(url + key1 + value1 + ...).digest('base64') over the posted variables sorted by key, as mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks describes; checked by a separate verifier that parses the received form body (URLSearchParams); url ${MAILCHIMP_URL} (tools/vectors/extra-b)`,
  secret: (label) => detB62(`mailchimp-key-${label}`, 22),
  wrong: detB62("mailchimp-key-wrong", 22),
  url: MAILCHIMP_URL,
  contentType: "application/x-www-form-urlencoded",
  sign: (sec, _t, body) => {
    const params = MAILCHIMP_PARAMS.get(body.toString("latin1"));
    let signed = MAILCHIMP_URL;
    for (const k of Object.keys(params).sort()) signed += k + params[k];
    return [["X-Mandrill-Signature", hmac("sha1", sec, utf8(signed)).toString("base64")]];
  },
  verify: (sec, headers, body) => {
    const form = new URLSearchParams(body.toString("utf8"));
    const keys = [...new Set(form.keys())].sort();
    const signed = MAILCHIMP_URL + keys.map((k) => k + form.get(k)).join("");
    return same(hdr(headers, "x-mandrill-signature"), createHmac("sha1", sec).update(signed, "utf8").digest("base64"));
  },
  bodies: [
    ["basic", mailchimpForm(JSON.stringify([mailchimpEvent(1, "send")]))],
    ["large_1kib", mailchimpForm(JSON.stringify([mailchimpEvent(2, "open"), mailchimpEvent(3, "click", { url: "https://example.com/" + "b".repeat(400) })]))],
    ["unicode_odd_whitespace", mailchimpForm(`[ {"event" :\t"send",\r\n "note" :  "${ODD_TEXT}" } ]\n`)],
    ["non_ascii_subject", mailchimpForm(JSON.stringify([mailchimpEvent(4, "soft_bounce", { subject: "Reçu n° 42 — 領収書 🧾", bounce_description: "mailbox_full" })]))],
    ["two_events", mailchimpForm(JSON.stringify([mailchimpEvent(5, "deferral"), mailchimpEvent(6, "reject")]))],
  ],
});

// ------------------------------------------------------------------ HostedHooks

// HostedHooks: `HostedHooks-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(endpoint signing
// secret, "{t}.{body}")>` (docs.hostedhooks.com/security/security-features/webhook-signatures,
// which names the header in Rack's spelling, HTTP_HOSTEDHOOKS_SIGNATURE).  The verifier follows
// the page's steps: split on `,`, then on `=`; sign `t` + "." + body; compare with `s`.
function hostedhooksMessage(n, eventType, data) {
  return {
    data,
    event_type: eventType,
    version: "1.0",
    event_id: `evt_${detHex(`hostedhooks-event-${n}`, 10)}`,
  };
}
build({
  provider: "hostedhooks",
  generator:
    "no HostedHooks verifier SDK (its Ruby/Node/PHP clients only call its API): node:crypto createHmac('sha256', signing secret).update(`${t}.${body}`).digest('hex') as docs.hostedhooks.com/security/security-features/webhook-signatures describes, header `t=..,s=..`; checked by a separate verifier following the page's steps (tools/vectors/extra-b)",
  secret: (label) => detB62(`hostedhooks-secret-${label}`, 32),
  wrong: detB62("hostedhooks-secret-wrong", 32),
  sign: (sec, t, body) => [["HostedHooks-Signature", `t=${t},s=${hmac("sha256", sec, Buffer.concat([utf8(`${t}.`), body])).toString("hex")}`]],
  verify: (sec, headers, body) => {
    const value = hdr(headers, "hostedhooks-signature");
    const parts = Object.fromEntries(value.split(",").map((kv) => kv.split("=").map((x) => x.trim())));
    const want = createHmac("sha256", sec).update(Buffer.concat([utf8(`${parts.t}.`), body])).digest("hex");
    return same(parts.s, want);
  },
  bodies: [
    ["basic", compact(hostedhooksMessage(1, "order.created", { order_id: 1001, total: "49.00" }))],
    ["large_1kib", compact(large(hostedhooksMessage(2, "order.updated", { order_id: 1002, status: "shipped" })))],
    ["unicode_odd_whitespace", odd(`"event_type" : "order.created"`)],
    ["non_ascii_body", compact(hostedhooksMessage(3, "customer.created", { name: "Zoë Ångström", city: "東京", note: "✓ 🚚" }))],
    ["pretty_body", utf8(JSON.stringify(hostedhooksMessage(4, "order.deleted", { order_id: 1004 }), null, 2) + "\n")],
  ],
});

// ------------------------------------------------------------------ Pinwheel

// Pinwheel: `x-pinwheel-signature: v2=<hex HMAC-SHA256(API secret, "v2:{x-timestamp}:" + raw
// body)>` (docs.pinwheelapi.com/docs/webhook-signature-verification, its 7-step algorithm).
// What `x-timestamp` holds is not documented; its test suite uses `860860860`, so these cases
// send unix seconds.  The verifier is the page's Python example, in JS.  The last case is the
// page's own test suite vector (key `TEST_KEY`, timestamp `860860860`, body
// `test_data_1_base.json`, `v2=42fb9e...`), as DSACMS/iv-cbv-payroll's spec copies it.
const PINWHEEL_DOC_BODY = utf8(
  '{\n    "coordinates": [41.0555388, -73.8679639],\n    "location": "Lyndhurst Mansion, South Broadway, Tarrytown, NY",\n    "type": {\n        "common_name": "American sycamore",\n        "genus": "platanus",\n        "species": "occidentalis"\n    }\n}',
);
const PINWHEEL_DOC_SIG = "v2=42fb9eba200e821d4de63667f5a30f7e1b83609b135e148e26ce01eef2aa6ba8";
function pinwheelEvent(n, event, payload) {
  return {
    event_id: detGuidish(`pinwheel-event-${n}`),
    event,
    payload: { end_user_id: `user-${n}`, link_token_id: detGuidish(`pinwheel-link-${n}`), ...payload },
  };
}
function detGuidish(label) {
  const h = detHex(label, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
const pinwheelVerify = (sec, headers, body) => {
  const ts = hdr(headers, "x-timestamp");
  const msg = Buffer.concat([utf8(`v2:${ts}:`), body]);
  return same(hdr(headers, "x-pinwheel-signature"), `v2=${createHmac("sha256", sec).update(msg).digest("hex")}`);
};
assert(pinwheelVerify("TEST_KEY", [["X-Pinwheel-Signature", PINWHEEL_DOC_SIG], ["X-Timestamp", "860860860"]], PINWHEEL_DOC_BODY), "Pinwheel's test suite vector");
build({
  provider: "pinwheel",
  generator:
    "no Pinwheel verifier SDK: node:crypto createHmac('sha256', api secret).update('v2:' + x-timestamp + ':' + body).digest('hex') as docs.pinwheelapi.com/docs/webhook-signature-verification describes; checked by its Python example's logic in JS, which also reproduces the page's test-suite vector (last case) (tools/vectors/extra-b)",
  secret: (label) => detHex(`pinwheel-api-secret-${label}`, 32),
  wrong: detHex("pinwheel-api-secret-wrong", 32),
  sign: (sec, t, body) => [
    ["X-Pinwheel-Signature", `v2=${hmac("sha256", sec, Buffer.concat([utf8(`v2:${t}:`), body])).toString("hex")}`],
    ["X-Timestamp", String(t)],
  ],
  verify: pinwheelVerify,
  bodies: [
    ["basic", compact(pinwheelEvent(1, "account.added", { account_id: detGuidish("pinwheel-account-1"), platform_id: detGuidish("pinwheel-platform-1") }))],
    ["large_1kib", compact(large(pinwheelEvent(2, "paystubs.fully_synced", { account_id: detGuidish("pinwheel-account-2"), outcome: "success" })))],
    ["unicode_odd_whitespace", odd(`"event" : "income.added"`)],
    ["non_ascii_body", compact(pinwheelEvent(3, "employment.added", { employer_name: "Société Générale — 株式会社", title: "Ingénieure ✓" }))],
  ],
  known: [
    {
      name: "pinwheel_docs_test_suite_1",
      secret: "TEST_KEY",
      signed_at: 860860860,
      headers: [["X-Pinwheel-Signature", PINWHEEL_DOC_SIG], ["X-Timestamp", "860860860"]],
      body: PINWHEEL_DOC_BODY,
    },
  ],
});

// ------------------------------------------------------------------ Hygraph

// Hygraph (formerly GraphCMS): `gcms-signature: sign=<base64>, env=<environment>, t=<unix ms>`,
// HMAC-SHA256 of JSON.stringify({Body: rawPayload, EnvironmentName, TimeStamp}).  Signed with
// @hygraph/utils `generateWebhookSignature({rawPayload, secret, environmentName})` (its clock
// frozen at the case's time), verified with its `verifyWebhookSignature({rawPayload, signature,
// secret})`.  The route sees the raw body; the SDK takes it as a JS string (UTF-8 decoded).
function hygraphBody(n, operation, data) {
  return { operation, data: { __typename: "Post", id: detB62(`hygraph-id-${n}`, 25).toLowerCase(), stage: "PUBLISHED", ...data } };
}
build({
  provider: "hygraph",
  generator: `npm @hygraph/utils==${V["@hygraph/utils"]} generateWebhookSignature (Date.now frozen), verified with its verifyWebhookSignature (tools/vectors/extra-b)`,
  secret: (label) => detB62(`hygraph-secret-${label}`, 32),
  wrong: detB62("hygraph-secret-wrong", 32),
  sign: (sec, t, body, extra) => {
    const ms = t * 1000 + 437;
    const signature = atClock(ms, () =>
      hygraph.generateWebhookSignature({ rawPayload: body.toString("utf8"), secret: sec, environmentName: extra.env ?? "master" }),
    );
    assert(signature.endsWith(`, t=${ms}`), `hygraph: SDK used t=${signature}`);
    return [["gcms-signature", signature]];
  },
  verify: (sec, headers, body) =>
    hygraph.verifyWebhookSignature({ rawPayload: body.toString("utf8"), signature: hdr(headers, "gcms-signature"), secret: sec }),
  bodies: [
    ["basic", compact(hygraphBody(1, "publish", { title: "Hello world" }))],
    ["large_1kib", compact(large(hygraphBody(2, "update", { title: "Release notes" })))],
    ["unicode_odd_whitespace", odd(`"operation" : "publish"`)],
    ["non_ascii_body", compact(hygraphBody(3, "publish", { title: "Ça marche — 動作します 🚀" })), { env: "staging" }],
    [
      "json_escapes_in_body",
      utf8(`{"operation":"create","data":{"title":"quote \\" backslash \\\\ slash \\/ <b>&amp;</b>","raw":"\u2028\u2029\u007f","tab":"\t"}}\r\n`),
      { env: "development" },
    ],
  ],
});

// ------------------------------------------------------------------ VMware Workspace ONE

// VMware Workspace ONE UEM event notifications: no signature; the rule's Username and Password
// are sent as HTTP Basic auth (RFC 7617).  The verifier parses `Authorization` as a receiver
// would.  Nothing covers the body.
function ws1Event(n, eventType, extra = {}) {
  return {
    EventId: 148 + n,
    EventType: eventType,
    DeviceId: 20000 + n,
    DeviceFriendlyName: `jdoe iPhone iOS 17.5 ${detHex(`ws1-dev-${n}`, 3).toUpperCase()}`,
    EnrollmentEmailAddress: `jdoe${n}@example.com`,
    EnrollmentUserName: `jdoe${n}`,
    EventTime: `/Date(${(T0 + n * 3600) * 1000})/`,
    EnrollmentStatus: "Enrolled",
    CompromisedStatus: "",
    ComplianceStatus: "Compliant",
    Udid: detHex(`ws1-udid-${n}`, 20).toUpperCase(),
    SerialNumber: detB62(`ws1-serial-${n}`, 12).toUpperCase(),
    Platform: "Apple",
    Ownership: "Corporate - Dedicated",
    OrganizationGroupName: "Example Corp",
    ...extra,
  };
}
const ws1Creds = (label) => `ws1-hooks:${detB62(`vmware-password-${label}`, 20)}`;
build({
  provider: "vmware",
  generator:
    "no SDK signs Basic auth: node Buffer base64 of username:password as RFC 7617 describes, the pair set on the Workspace ONE UEM Event Notifications rule; checked by a separate parser of Authorization (tools/vectors/extra-b)",
  secret: ws1Creds,
  wrong: ws1Creds("wrong"),
  wrongSecretField: true,
  signsBody: false,
  sign: (creds) => [["Authorization", `Basic ${Buffer.from(creds, "utf8").toString("base64")}`]],
  verify: (creds, headers) => {
    const [scheme, rest] = (hdr(headers, "authorization") ?? "").split(" ");
    if (scheme.toLowerCase() !== "basic") return false;
    const decoded = Buffer.from(rest ?? "", "base64").toString("utf8");
    const i = decoded.indexOf(":");
    const j = creds.indexOf(":");
    return i > 0 && same(decoded.slice(0, i), creds.slice(0, j)) && same(decoded.slice(i + 1), creds.slice(j + 1));
  },
  bodies: [
    ["basic", compact(ws1Event(1, "Device Enrollment"))],
    ["large_1kib", compact(large(ws1Event(2, "Compliance Status Changed", { ComplianceStatus: "NonCompliant" })))],
    ["unicode_odd_whitespace", odd(`"EventType" : "Device Unenrolled"`)],
    ["non_ascii_body", compact(ws1Event(3, "Device Enrollment", { DeviceFriendlyName: "Zoë’s iPad — 東京 ✓", OrganizationGroupName: "Société Exemple" }))],
  ],
});
