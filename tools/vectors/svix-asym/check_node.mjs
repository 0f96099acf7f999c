// Checks the files gen_py.py wrote against the providers' own (pinned) npm verifiers, at a
// frozen clock.  Usage: check_node.mjs DIR.  Exits non-zero on the first disagreement.
//
//   discord.json               discord-interactions verifyKey(body, sig, ts, publicKeyHex)
//   sendgrid.json              @sendgrid/eventwebhook EventWebhook.verifySignature (starkbank-ecdsa);
//                              low-S signatures must also be reproduced by starkbank's Ecdsa.sign
//   standard-webhooks-v1a.json v1a entries: node:crypto Ed25519; v1 entries: standardwebhooks
//                              Webhook.verify (which skips v1a entries)
//   mailgun.json               node:crypto HMAC as in Mailgun's Node example
//   gitlab.json, okta.json     the token header equals the secret (nothing else to check)
import { createHash, createHmac, createPublicKey, verify as edVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { verifyKey } = require('discord-interactions');
const { EventWebhook } = require('@sendgrid/eventwebhook');
const sgRequire = createRequire(require.resolve('@sendgrid/eventwebhook'));
const starkbank = sgRequire('starkbank-ecdsa');
const starkRequire = createRequire(sgRequire.resolve('starkbank-ecdsa'));
const StarkInt = starkRequire('big-integer');
const starkP256 = starkRequire('./ellipticcurve/curve').prime256v1;
const SW = createRequire(require.resolve('@clerk/backend/webhooks'))('standardwebhooks');

const DIR = process.argv[2];
if (!DIR) throw new Error('usage: check_node.mjs DIR');
const load = (f) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
const hdr = (c, name) => c.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
const bodyOf = (c) => Buffer.from(c.body_b64, 'base64');
let checked = 0;
function assert(cond, msg) {
  if (!cond) throw new Error(`check_node: ${msg}`);
}
function tamper(buf) {
  const b = Buffer.from(buf);
  b[b.length >> 1] ^= 1;
  return b;
}

// ------------------------------------------------------------------------------ Discord
for (const c of load('discord.json').cases) {
  const l = `discord/${c.name}`;
  const [sig, ts, body] = [hdr(c, 'X-Signature-Ed25519'), hdr(c, 'X-Signature-Timestamp'), bodyOf(c)];
  assert(String(c.signed_at) === ts, `${l}: signed_at`);
  assert(c.event_id === JSON.parse(body.toString('utf8')).id, `${l}: event_id is the interaction id`);
  for (const key of c.secrets) assert(await verifyKey(body, sig, ts, key), `${l}: verifyKey rejected`);
  assert(!(await verifyKey(body, sig, ts, c.wrong_secret)), `${l}: wrong key accepted`);
  assert(!(await verifyKey(tamper(body), sig, ts, c.secrets[0])), `${l}: tampered body accepted`);
  assert(!(await verifyKey(body, sig, String(c.signed_at + 1), c.secrets[0])), `${l}: other timestamp accepted`);
  checked++;
}

// ------------------------------------------------------------------------------ SendGrid
const N = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');
const ew = new EventWebhook();
const sgVerify = (key, body, sig, ts) => ew.verifySignature(ew.convertPublicKeyToECDSA(key), body, sig, ts);
for (const c of load('sendgrid.json').cases) {
  const l = `sendgrid/${c.name}`;
  const sig = hdr(c, 'X-Twilio-Email-Event-Webhook-Signature');
  const ts = hdr(c, 'X-Twilio-Email-Event-Webhook-Timestamp');
  const body = bodyOf(c);
  assert(String(c.signed_at) === ts, `${l}: signed_at`);
  assert(c.event_id === null, `${l}: event_id (body hash dedup)`);
  const signedBy = c.secrets.filter((k) => sgVerify(k, body, sig, ts));
  assert(signedBy.length === 1, `${l}: ${signedBy.length} route keys verify (want exactly 1)`);
  if (c.name.includes('signed_by_new')) assert(signedBy[0] === c.secrets[1], `${l}: not the new key`);
  if (c.name.includes('signed_by_old')) assert(signedBy[0] === c.secrets[0], `${l}: not the old key`);
  assert(!sgVerify(c.wrong_secret, body, sig, ts), `${l}: wrong key accepted`);
  assert(!sgVerify(signedBy[0], tamper(body), sig, ts), `${l}: tampered body accepted`);
  assert(!sgVerify(signedBy[0], body, sig, String(c.signed_at + 1)), `${l}: other timestamp accepted`);
  // Also the Buffer → string path the SDK documents (payload as string).
  assert(sgVerify(signedBy[0], body.toString('utf8'), sig, ts), `${l}: string payload rejected`);

  const s = starkbank.Signature.fromBase64(sig);
  const high = BigInt(s.s.toString()) > N / 2n;
  assert(high === (c.name.startsWith('documented_') || c.name === 'signature_high_s'), `${l}: unexpected S form`);
  if (!c.name.startsWith('documented_')) {
    // The SDK's own ECDSA library derives the same public key from gen_py's private scalar
    // (same derivation as gen_py), and its SPKI encoding is the route secret byte for byte.
    // (Its signer uses hedged, randomised RFC 6979 nonces, so signatures are not compared.)
    const label = c.name.includes('signed_by_new') ? 'sendgrid/key-new' : 'sendgrid/key-old';
    const seed = createHash('sha256').update(`svix-asym/p256/${label}#0`).digest('hex');
    const scalar = (BigInt('0x' + seed) % (N - 1n)) + 1n;
    const sk = new starkbank.PrivateKey(starkP256, StarkInt(scalar.toString(16), 16));
    const der = Buffer.from(sk.publicKey().toDer(), 'binary').toString('base64');
    const shown = c.secrets.find((k) => sgVerify(k, body, sig, ts));
    assert(shown.includes(der.slice(0, 64)) && shown.replace(/-----[^-]+-----|\s/g, '') === der, `${l}: starkbank public key ${der}`);
    const fresh = starkbank.Ecdsa.sign(ts + body.toString('utf8'), sk).toBase64();
    assert(sgVerify(shown, body, fresh, ts), `${l}: starkbank's own signature rejected`);
  }
  checked++;
}

// ------------------------------------------------------------------------------ v1a
const spki = (raw) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
for (const c of load('standard-webhooks-v1a.json').cases) {
  const l = `standard-webhooks-v1a/${c.name}`;
  const fam = hdr(c, 'webhook-signature') ? 'webhook' : 'svix';
  const [id, ts, sigs] = ['id', 'timestamp', 'signature'].map((k) => hdr(c, `${fam}-${k}`));
  const body = bodyOf(c);
  assert(c.event_id === id && String(c.signed_at) === ts, `${l}: id / signed_at`);
  const msg = Buffer.concat([Buffer.from(`${id}.${ts}.`), body]);
  const entries = sigs.split(' ').map((e) => e.split(','));
  let ok = 0;
  for (const sec of c.secrets) {
    let mine = false;
    if (sec.startsWith('whpk_')) {
      const key = spki(Buffer.from(sec.slice(5), 'base64'));
      mine = entries.some(([v, s]) => v === 'v1a' && edVerify(null, msg, key, Buffer.from(s, 'base64')));
      assert(!entries.some(([v, s]) => v === 'v1a' && edVerify(null, tamper(msg), key, Buffer.from(s, 'base64'))), `${l}: tampered`);
    } else {
      // The SDK (v1 only): must skip the v1a entries and find the v1 one.
      const real = Date.now;
      Date.now = () => c.signed_at * 1000;
      try {
        new SW.Webhook(sec).verify(body.toString('utf8'), { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sigs });
        mine = true;
      } catch (e) {
        mine = false;
      } finally {
        Date.now = real;
      }
    }
    if (mine) ok++;
    if (c.name.includes('signed_by_new')) assert(mine === (sec === c.secrets[1]), `${l}: key ${sec}`);
  }
  assert(ok >= 1, `${l}: no route key verifies`);
  const wrong = spki(Buffer.from(c.wrong_secret.slice(5), 'base64'));
  assert(!entries.some(([v, s]) => v === 'v1a' && edVerify(null, msg, wrong, Buffer.from(s, 'base64'))), `${l}: wrong key`);
  checked++;
}

// ------------------------------------------------------------------------------ Mailgun
for (const c of load('mailgun.json').cases) {
  const l = `mailgun/${c.name}`;
  const { signature } = JSON.parse(bodyOf(c).toString('utf8'));
  const { timestamp, token } = signature;
  const mine = c.secrets.filter(
    (k) => createHmac('sha256', k).update(timestamp + token).digest('hex') === signature.signature,
  );
  assert(mine.length === 1, `${l}: ${mine.length} keys verify`);
  if (c.name.includes('signed_by_new')) assert(mine[0] === c.secrets[1], l);
  if (c.name.includes('signed_by_old')) assert(mine[0] === c.secrets[0], l);
  assert(String(c.signed_at) === timestamp && c.event_id === token && token.length === 50, `${l}: fields`);
  checked++;
}

// ------------------------------------------------------------------------------ tokens
for (const [file, header] of [['gitlab.json', 'X-Gitlab-Token'], ['okta.json', 'Authorization']]) {
  for (const c of load(file).cases) {
    const l = `${file}/${c.name}`;
    const token = hdr(c, header);
    assert(c.secrets.includes(token), `${l}: token not among the route's secrets`);
    if (c.name.includes('signed_by_new')) assert(token === c.secrets[1], l);
    if (c.name.includes('signed_by_old')) assert(token === c.secrets[0], l);
    assert(token === token.trim() && /^[\x20-\x7e]+$/.test(token), `${l}: token must be visible ASCII`);
    if (file === 'gitlab.json') assert(c.event_id === (hdr(c, 'Idempotency-Key') ?? null), `${l}: event_id`);
    else assert(c.event_id === null, `${l}: event_id`);
    checked++;
  }
}

console.log(`svix-asym/check_node: ${checked} cases verified with the providers' npm verifiers: OK`);
