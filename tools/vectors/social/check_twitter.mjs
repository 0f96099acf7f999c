// Cross-checks tests/fixtures/vectors/twitter.json (written by gen.py) with X's own autohook:
// `validateSignature(headers, auth, body)` must accept each case with its signing secret and
// reject a wrong secret; and prints `validateWebhook` (the CRC answer) for the CRC pinned in
// tests/it/handshakes.rs. Usage: node check_twitter.mjs FIXTURE_DIR
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { validateSignature, validateWebhook } = require("twitter-autohook");

const dir = process.argv[2];
const file = JSON.parse(readFileSync(join(dir, "twitter.json"), "utf8"));
let n = 0;
for (const c of file.cases) {
  const headers = Object.fromEntries(c.headers.map(([k, v]) => [k.toLowerCase(), v]));
  // autohook builds the body as a string of the received UTF-8 chunks.
  const body = Buffer.from(c.body_b64, "base64").toString("utf8");
  const ok = (secret) => {
    try {
      return validateSignature(headers, { consumer_secret: secret }, body);
    } catch {
      return false; // timingSafeEqual throws on a length mismatch
    }
  };
  if (!c.secrets.some(ok)) throw new Error(`${c.name}: autohook rejects it`);
  if (ok("not-the-consumer-secret-0123456789")) throw new Error(`${c.name}: wrong secret accepted`);
  n++;
}
// The CRC of tests/it/handshakes.rs (twitter_crc_is_answered_with_the_current_secret).
const crc = validateWebhook("ZjA0NGMyNTQtNWY0Ni00ZjU2LWIxZDEtZGJjNWRiNDg2NzE5", {
  consumer_secret: "twitter-consumer-secret-0123456789ABCDEFGHIJ",
});
console.error(`twitter-autohook: ${n} cases verified; CRC answer ${JSON.stringify(crc)}`);
