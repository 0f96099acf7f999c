#!/usr/bin/env node
// Cross-check stripe.json (made with the Python SDK) against npm stripe@23.1.0:
// generateTestHeaderString must reproduce every v1 made by a route secret, and
// constructEvent (clock = signed_at via receivedAt, tolerance 300 s) must accept the
// case with exactly those route secrets.  Usage: check_stripe_npm.mjs DIR

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Stripe from "stripe";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const want = "23.1.0";
const have = JSON.parse(readFileSync(path.join(HERE, "node_modules", "stripe", "package.json"), "utf8")).version;
if (have !== want) {
  console.error(`check_stripe_npm: stripe@${have} installed, expected ${want} (run generate.sh)`);
  process.exit(1);
}

const fail = (msg) => {
  console.error("check_stripe_npm: FAIL: " + msg);
  process.exit(1);
};

const doc = JSON.parse(readFileSync(path.join(process.argv[2], "stripe.json"), "utf8"));
const webhooks = Stripe.webhooks;
for (const c of doc.cases) {
  const body = Buffer.from(c.body_b64, "base64");
  const header = c.headers.find(([k]) => k === "Stripe-Signature")[1];
  const v1 = header.split(",").filter((i) => i.startsWith("v1=")).map((i) => i.slice(3));
  const thin = JSON.parse(body.toString("utf8")).object === "v2.core.event";
  // true if verified, false on StripeSignatureVerificationError, throws otherwise
  const verifyAt = (secret, nowSec) => {
    try {
      if (thin) {
        // constructEvent refuses thin (v2) notifications; same header check underneath
        webhooks.signature.verifyHeader(body, header, secret, 300, undefined, nowSec * 1000);
      } else {
        const ev = webhooks.constructEvent(body, header, secret, 300, undefined, nowSec * 1000);
        if (ev.id !== c.event_id) fail(`${c.name}: event id ${ev.id}`);
      }
      return true;
    } catch (e) {
      if (e.type !== "StripeSignatureVerificationError") throw e;
      return false;
    }
  };
  let okAny = false;
  for (const secret of c.secrets) {
    const single = webhooks.generateTestHeaderString({
      payload: body.toString("utf8"),
      secret,
      timestamp: c.signed_at,
    });
    const signed = v1.includes(single.split(",")[1].slice(3));
    const verified = verifyAt(secret, c.signed_at);
    if (signed !== verified) fail(`${c.name}: generateTestHeaderString/constructEvent disagree for ${secret}`);
    if (verified && !verifyAt(secret, c.signed_at + 300)) fail(`${c.name}: rejected at +300 s`);
    if (verified && verifyAt(secret, c.signed_at + 301)) fail(`${c.name}: accepted at +301 s`);
    okAny ||= verified;
  }
  if (!okAny) fail(`${c.name}: no route secret verifies with npm stripe`);
}
console.log(`check_stripe_npm: ${doc.cases.length} stripe cases verified with npm stripe@${have}: OK`);
