#!/usr/bin/env node
// Vectors for the `adyen` preset (Adyen standard webhooks, HMAC signature inside the body).
// Run through ../generate.sh (or ./gen.sh).  Usage: gen.mjs OUT_DIR
//
// Each notification item is signed by Adyen's own npm SDK (@adyen/api-library
// `hmacValidator.calculateHmac`, the signer of its tools/hmac/calculateHmacPayments.js), the
// signature placed in `additionalData.hmacSignature`, and the body written out as bytes.  Then:
// - the SDK's verifier (`hmacValidator.validateHMAC`) must accept the item parsed back from those
//   bytes with every route secret that signed it, and reject it with the others, with a wrong key,
//   and with one signed field changed;
// - a separate verifier written from Adyen's docs (docs.adyen.com/development-resources/webhooks/
//   secure-webhooks/verify-hmac-signatures, "Verify using your own solution") must agree: the
//   eight values joined by `:`, a missing one as an empty string, HMAC-SHA256 under the
//   hex-decoded key, base64.
// Adyen's documented example (its public sample key and item) is the first case, and must give
// the signature the docs print.  Secrets and references are derived from labels with SHA-256
// (../det.mjs); nothing reads the clock.

import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detHex } from "../det.mjs";

import { hmacValidator as HmacValidator } from "@adyen/api-library";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(path.join(HERE, "package.json"), "utf8"));
for (const [pkg, want] of Object.entries(PKG.dependencies)) {
  const have = JSON.parse(
    readFileSync(path.join(HERE, "node_modules", pkg, "package.json"), "utf8"),
  ).version;
  if (have !== want) {
    console.error(`gen.mjs: ${pkg}@${have} installed, expected ${want} (run ./gen.sh)`);
    process.exit(1);
  }
}
const V = PKG.dependencies["@adyen/api-library"];

const OUT = process.argv[2];
if (!OUT) {
  console.error("usage: gen.mjs OUT_DIR");
  process.exit(2);
}

function assert(cond, msg) {
  if (!cond) throw new Error("gen.mjs: assertion failed: " + msg);
}

const sdk = new HmacValidator();

// Adyen HMAC keys are 32 bytes, shown as 64 uppercase hex characters in the Customer Area.
const key = (label) => detHex("adyen-key-" + label, 32).toUpperCase();
// pspReference: Adyen's 16-character reference (digits and capitals in current ones).
const psp = (label) => {
  const h = detHex("adyen-psp-" + label, 16);
  let out = "";
  for (let i = 0; out.length < 16; i += 2) out += "0123456789ABCDEFGHJKLMNPQRSTUVWX"[parseInt(h.slice(i, i + 2), 16) % 32];
  return out;
};

// The docs' own algorithm, written independently of the SDK.
const FIELDS = ["pspReference", "originalReference", "merchantAccountCode", "merchantReference"];
function docsSign(item, hexKey) {
  const v = (x) => (x === undefined || x === null ? "" : String(x));
  const parts = FIELDS.map((f) => v(item[f]));
  parts.push(v(item.amount?.value), v(item.amount?.currency), v(item.eventCode), v(item.success));
  return createHmac("sha256", Buffer.from(hexKey, "hex")).update(parts.join(":"), "utf8").digest("base64");
}

/**
 * One case: `item` (a NotificationRequestItem without the signature) signed with `signer`
 * (a hex key), wrapped as Adyen sends it, serialised by `write(doc, sig)` to the exact body.
 */
function makeCase({ name, item, signer, secrets, live = "false", write }) {
  const signature = sdk.calculateHmac(item, signer);
  assert(signature === docsSign(item, signer), `${name}: SDK and docs signers disagree`);
  const text = write(signature);
  const body = Buffer.from(text, "utf8");
  // What a receiver parses back from these exact bytes.
  const parsed = JSON.parse(body.toString("utf8"));
  assert(parsed.live === live, `${name}: live`);
  assert(parsed.notificationItems.length === 1, `${name}: one item`);
  const got = parsed.notificationItems[0].NotificationRequestItem;
  assert(got.additionalData.hmacSignature === signature, `${name}: signature placed`);
  for (const s of secrets) {
    const ok = s === signer;
    assert(sdk.validateHMAC(got, s) === ok, `${name}: SDK validateHMAC with ${ok ? "the signer" : "another route key"}`);
    assert((docsSign(got, s) === signature) === ok, `${name}: docs verifier with ${ok ? "the signer" : "another route key"}`);
  }
  const wrong = key("wrong-" + name);
  assert(!sdk.validateHMAC(got, wrong), `${name}: SDK rejects a wrong key`);
  assert(docsSign(got, wrong) !== signature, `${name}: docs verifier rejects a wrong key`);
  // A signed field changed on the way (one character of the pspReference): refused by both.
  const flipped = structuredClone(got);
  const p = flipped.pspReference;
  flipped.pspReference = p.slice(0, -1) + (p.endsWith("0") ? "1" : "0");
  assert(!sdk.validateHMAC(flipped, signer), `${name}: SDK rejects a changed pspReference`);
  assert(docsSign(flipped, signer) !== signature, `${name}: docs verifier rejects a changed pspReference`);
  const flippedAmount = structuredClone(got);
  flippedAmount.amount.value += 1;
  assert(!sdk.validateHMAC(flippedAmount, signer), `${name}: SDK rejects a changed amount`);
  return {
    name,
    secrets,
    signed_at: 1764000000,
    headers: [],
    body_b64: body.toString("base64"),
    // The preset's dedup id: pspReference, eventCode and success, joined by `:`.
    event_id: `${got.pspReference}:${got.eventCode}:${got.success}`,
  };
}

// Adyen's JSON: compact `JSON.stringify` of {live, notificationItems:[{NotificationRequestItem}]},
// with the signature added to additionalData.
function envelope(item, signature, live = "false") {
  const signed = { ...item, additionalData: { ...(item.additionalData || {}), hmacSignature: signature } };
  return { live, notificationItems: [{ NotificationRequestItem: signed }] };
}
const compact = (item, live) => (sig) => JSON.stringify(envelope(item, sig, live));
const pretty = (item, live) => (sig) => JSON.stringify(envelope(item, sig, live), null, 2) + "\n";

const cases = [];

// 1. Adyen's documented example: the sample key and item of the HMAC page, whose signature the
// docs print as coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0= (a public example key, no secret).
{
  const docKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
  const item = {
    additionalData: {},
    amount: { currency: "EUR", value: 1130 },
    eventCode: "AUTHORISATION",
    eventDate: "2019-06-28T18:03:50+01:00",
    merchantAccountCode: "TestMerchant",
    merchantReference: "TestPayment-1407325143704",
    operations: ["CANCEL", "CAPTURE", "REFUND"],
    paymentMethod: "visa",
    pspReference: "7914073381342284",
    reason: "1234:9876:02/2022",
    success: "true",
  };
  const c = makeCase({
    name: "documented_vector",
    item,
    signer: docKey,
    secrets: [docKey],
    write: pretty(item),
  });
  const sig = JSON.parse(Buffer.from(c.body_b64, "base64").toString()).notificationItems[0]
    .NotificationRequestItem.additionalData.hmacSignature;
  assert(sig === "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=", "documented signature");
  cases.push(c);
}

// 2. basic: an AUTHORISATION as the test Customer Area sends it, compact.
{
  const k = key("basic");
  const item = {
    additionalData: { authCode: "064128", cardSummary: "1111", expiryDate: "03/2030", recurringProcessingModel: "CardOnFile" },
    amount: { currency: "EUR", value: 4599 },
    eventCode: "AUTHORISATION",
    eventDate: "2025-11-24T16:00:00+01:00",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "order-20251124-0001",
    operations: ["CANCEL", "CAPTURE", "REFUND"],
    paymentMethod: "mc",
    pspReference: psp("basic"),
    reason: "064128:1111:03/2030",
    success: "true",
  };
  cases.push(makeCase({ name: "basic", item, signer: k, secrets: [k], write: compact(item) }));
}

// 3. A modification (CAPTURE) carries originalReference, signed in second place.
{
  const k = key("capture");
  const item = {
    amount: { currency: "USD", value: 25000 },
    eventCode: "CAPTURE",
    eventDate: "2025-11-24T16:05:00+01:00",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "order-20251124-0002",
    originalReference: psp("capture-original"),
    paymentMethod: "visa",
    pspReference: psp("capture"),
    reason: "",
    success: "true",
  };
  cases.push(makeCase({ name: "capture_with_original_reference", item, signer: k, secrets: [k], write: compact(item) }));
}

// 4. A failed refund: success "false" is signed as written.
{
  const k = key("refund-failed");
  const item = {
    additionalData: {},
    amount: { currency: "GBP", value: 1000 },
    eventCode: "REFUND_FAILED",
    eventDate: "2025-11-25T09:00:00+00:00",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "refund-77",
    originalReference: psp("refund-original"),
    paymentMethod: "visa",
    pspReference: psp("refund-failed"),
    reason: "Insufficient balance on payment",
    success: "false",
  };
  cases.push(makeCase({ name: "refund_failed_success_false", item, signer: k, secrets: [k], write: compact(item) }));
}

// 5. A zero-amount authorisation (card verification) without merchantReference: amount 0 is
// signed as "0", the missing reference as an empty string.
{
  const k = key("zero-amount");
  const item = {
    amount: { currency: "EUR", value: 0 },
    eventCode: "AUTHORISATION",
    eventDate: "2025-11-25T10:00:00+01:00",
    merchantAccountCode: "HookgateECOM",
    paymentMethod: "visa",
    pspReference: psp("zero-amount"),
    reason: "",
    success: "true",
  };
  cases.push(makeCase({ name: "zero_amount_no_merchant_reference", item, signer: k, secrets: [k], write: compact(item) }));
}

// 6. unicode_odd_whitespace: raw multi-byte UTF-8 in a signed field (merchantReference), the
// same characters as \u escapes in another, tabs, CRLF, spaces around ':' and a trailing newline.
{
  const k = key("unicode");
  const pspRef = psp("unicode");
  const item = {
    amount: { currency: "EUR", value: 1999 },
    eventCode: "AUTHORISATION",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "Bestellung-é☕🎉",
    pspReference: pspRef,
    reason: "é ☕ 🎉",
    success: "true",
  };
  const write = (sig) =>
    `{\r\n\t"live" : "false",\r\n\t"notificationItems" : [ {\r\n\t\t"NotificationRequestItem" : {\r\n` +
    `\t\t\t"additionalData" : { "hmacSignature" : "${sig}" },\r\n` +
    `\t\t\t"amount" : { "currency" : "EUR", "value" : 1999 },\r\n` +
    `\t\t\t"eventCode" : "AUTHORISATION",\r\n` +
    `\t\t\t"merchantAccountCode" : "HookgateECOM",\r\n` +
    `\t\t\t"merchantReference" : "Bestellung-é☕🎉",\r\n` +
    `\t\t\t"pspReference" : "${pspRef}",\r\n` +
    `\t\t\t"reason" : "\\u00e9 \\u2615 \\ud83c\\udf89",\r\n` +
    `\t\t\t"success" : "true"\r\n\t\t}\r\n\t} ]\r\n}\n`;
  cases.push(makeCase({ name: "unicode_odd_whitespace", item, signer: k, secrets: [k], write }));
}

// 7. A merchantReference written with \u escapes only: the signed value is the decoded text.
{
  const k = key("escaped");
  const pspRef = psp("escaped");
  const item = {
    amount: { currency: "JPY", value: 5000 },
    eventCode: "AUTHORISATION",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "注文-42",
    pspReference: pspRef,
    success: "true",
  };
  const write = (sig) =>
    `{"live":"false","notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"${sig}"},` +
    `"amount":{"currency":"JPY","value":5000},"eventCode":"AUTHORISATION","merchantAccountCode":"HookgateECOM",` +
    `"merchantReference":"\\u6ce8\\u6587-42","pspReference":"${pspRef}","success":"true"}}]}`;
  cases.push(makeCase({ name: "escaped_merchant_reference", item, signer: k, secrets: [k], write }));
}

// 8. large_1kib: many additionalData fields (not signed) around the signed ones.
{
  const k = key("large");
  const extra = {};
  for (let i = 0; i < 18; i++) extra[`metadata.field${String(i).padStart(2, "0")}`] = detHex("adyen-extra-" + i, 8);
  const item = {
    additionalData: { ...extra, authCode: "123456", cardSummary: "0004" },
    amount: { currency: "EUR", value: 123456 },
    eventCode: "AUTHORISATION",
    eventDate: "2025-11-26T12:00:00+01:00",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "order-large-1",
    operations: ["CANCEL", "CAPTURE", "REFUND"],
    paymentMethod: "amex",
    pspReference: psp("large"),
    reason: "123456:0004:12/2031",
    success: "true",
  };
  const c = makeCase({ name: "large_1kib", item, signer: k, secrets: [k], write: compact(item) });
  const n = Buffer.from(c.body_b64, "base64").length;
  assert(n >= 1000 && n <= 1300, `large_1kib is ${n} bytes`);
  cases.push(c);
}

// 9-10. Rotation: the route holds the old and the new key; Adyen signs with one of them.
for (const [name, by] of [
  ["rotation_route_old_new_signed_by_new", "new"],
  ["rotation_route_old_new_signed_by_old", "old"],
]) {
  const oldK = key("rotation-old");
  const newK = key("rotation-new");
  const item = {
    amount: { currency: "EUR", value: 750 },
    eventCode: "CAPTURE",
    merchantAccountCode: "HookgateECOM",
    merchantReference: "order-rot-" + by,
    originalReference: psp("rotation-original-" + by),
    pspReference: psp("rotation-" + by),
    success: "true",
  };
  cases.push(
    makeCase({ name, item, signer: by === "new" ? newK : oldK, secrets: [oldK, newK], write: compact(item) }),
  );
}

const file = {
  provider: "adyen",
  generator:
    `npm @adyen/api-library ${V} hmacValidator.calculateHmac signs each NotificationRequestItem ` +
    `(placed in additionalData.hmacSignature); every case checked by the SDK's validateHMAC and by a ` +
    `separate verifier following docs.adyen.com verify-hmac-signatures; documented_vector is Adyen's ` +
    `own example (tools/vectors/adyen)`,
  cases,
};
writeFileSync(path.join(OUT, "adyen.json"), JSON.stringify(file, null, 2) + "\n");
console.error(`adyen/gen.mjs: wrote adyen.json (${cases.length} cases)`);
