// Checks replicate.json (written by gen.py) with npm replicate@1.4.0 `validateWebhook`, the
// verifier Replicate's own client ships: each case must pass with the route secret that signed
// it and only that one, and fail with a wrong secret and with a changed body.
// validateWebhook checks no timestamp (Replicate's docs leave that to the receiver), so the
// window is checked by gen.py's stdlib verifier only.  Usage: node check_replicate.mjs OUT_DIR
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const pkg = require("replicate/package.json");
if (pkg.version !== "1.4.0") throw new Error(`replicate ${pkg.version} installed, expected 1.4.0`);
const { validateWebhook } = require("replicate");

const out = process.argv[2];
if (!out) throw new Error("usage: check_replicate.mjs OUT_DIR");
const file = JSON.parse(readFileSync(join(out, "replicate.json"), "utf8"));
const WRONG = "whsec_" + Buffer.from("wrong-but-valid-base64-key!").toString("base64");

async function valid(c, body, secret) {
  const headers = Object.fromEntries(c.headers.map(([k, v]) => [k.toLowerCase(), v]));
  // The documented shape: a web-standard Request, body as received.
  const request = new Request("https://example.com/hooks/replicate", {
    method: "POST",
    headers,
    body,
  });
  return validateWebhook(request, secret);
}

let n = 0;
for (const c of file.cases) {
  const body = Buffer.from(c.body_b64, "base64");
  const signer = c.name.endsWith("signed_by_new") ? 1 : 0;
  for (const [i, s] of c.secrets.entries()) {
    const ok = await valid(c, body, s);
    if (ok !== (i === signer)) throw new Error(`replicate/${c.name}: secret ${i} gave ${ok}`);
  }
  if (await valid(c, body, WRONG)) throw new Error(`replicate/${c.name}: wrong secret passed`);
  for (const pos of [0, body.length >> 1, body.length - 2]) {
    const bad = Buffer.from(body);
    bad[pos] ^= 0x01;
    if (await valid(c, bad, c.secrets[signer])) throw new Error(`replicate/${c.name}: changed body passed`);
  }
  n++;
}
console.log(`devtools/check_replicate.mjs: replicate.json ${n} cases verified by replicate@1.4.0 validateWebhook`);
