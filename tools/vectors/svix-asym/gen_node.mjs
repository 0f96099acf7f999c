// Writes clerk.json and resend.json into OUT_DIR.  Run through generate.sh.
//
// Clerk and Resend deliver through Svix: `svix-id`, `svix-timestamp`, `svix-signature:
// v1,<base64>` over `{id}.{timestamp}.{body}` with a `whsec_` secret.  Neither SDK has a
// signer, so every signature comes from `Webhook.sign` of the `standardwebhooks` package
// that both SDKs depend on (resolved from @clerk/backend's and resend's own install), and
// every case is then verified with the providers' own helpers at a frozen clock:
//   @clerk/backend/webhooks verifyWebhook(request, { signingSecret })
//   new Resend(key).webhooks.verify({ payload, headers: { id, timestamp, signature }, webhookSecret })
// A route secret must verify a case iff it signed it; a wrong secret must fail; the SDKs'
// ±300 s window must hold.  Nothing reads the real clock.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// The version of the package that `file` (a resolved module path) belongs to.
function versionOf(file, name) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
  }
  throw new Error(`no package.json for ${name} above ${file}`);
}
const PINS = { '@clerk/backend': '3.25.0', resend: '6.38.0' };
for (const [pkg, want] of Object.entries(PINS)) {
  const have = versionOf(require.resolve(pkg), pkg);
  if (have !== want) throw new Error(`${pkg}@${have} installed, expected ${want} (run generate.sh)`);
}
const { verifyWebhook } = require('@clerk/backend/webhooks');
const { Resend } = require('resend');
// The standardwebhooks each SDK actually uses (not whatever happens to be hoisted).
const clerkSW = createRequire(require.resolve('@clerk/backend/webhooks'))('standardwebhooks');
const resendSW = createRequire(require.resolve('resend'))('standardwebhooks');
const SW_VERSION = versionOf(createRequire(require.resolve('@clerk/backend/webhooks')).resolve('standardwebhooks'), 'standardwebhooks');
if (versionOf(createRequire(require.resolve('resend')).resolve('standardwebhooks'), 'standardwebhooks') !== SW_VERSION) {
  throw new Error('@clerk/backend and resend resolve different standardwebhooks versions: update the generator text');
}

const OUT = process.argv[2];
if (!OUT) throw new Error('usage: gen_node.mjs OUT_DIR');

// ------------------------------------------------------------------------------ helpers
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function detBytes(label, n) {
  let out = Buffer.alloc(0);
  for (let i = 0; out.length < n; i++) {
    out = Buffer.concat([out, createHash('sha256').update(`svix-asym/${label}#${i}`).digest()]);
  }
  return out.subarray(0, n);
}
const detB62 = (label, n) => [...detBytes(label, n)].map((b) => B62[b % 62]).join('');
const secret = (label) => 'whsec_' + detBytes(`secret/${label}`, 24).toString('base64');
const msgId = (label) => 'msg_' + detB62(`id/${label}`, 27);

function withClock(unix, fn) {
  const real = Date.now;
  Date.now = () => unix * 1000;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

async function withClockAsync(unix, fn) {
  const real = Date.now;
  Date.now = () => unix * 1000;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`gen_node: ${msg}`);
}

function makeCase(name, secrets, ts, headers, body, eventId) {
  return {
    name,
    secrets,
    signed_at: ts,
    headers,
    body_b64: Buffer.from(body, 'utf8').toString('base64'),
    event_id: eventId,
  };
}

function write(provider, generator, cases) {
  const names = new Set(cases.map((c) => c.name));
  assert(names.size === cases.length, `duplicate case names in ${provider}`);
  const doc = { provider, generator, cases };
  writeFileSync(join(OUT, `${provider}.json`), JSON.stringify(doc, null, 2) + '\n');
  console.log(`svix-asym/gen_node: wrote ${provider}.json (${cases.length} cases)`);
}

// One family of cases, shared by both senders (each with its own ids, secrets, bodies).
// `verify(secret, body, headers, now)` is the provider's helper: true iff it accepts.
async function build(provider, SW, bodies, verify) {
  const cases = [];
  const sign = (sec, id, ts, body) => new SW.Webhook(sec).sign(id, new Date(ts * 1000), body);
  async function add(name, label, ts, body, signers, routeSecrets) {
    const id = msgId(`${provider}/${label}`);
    const sig = signers.map((s) => sign(s, id, ts, body)).join(' ');
    const headers = [
      ['svix-id', id],
      ['svix-timestamp', String(ts)],
      ['svix-signature', sig],
    ];
    // Each route secret verifies iff it signed; the route as a whole accepts.
    let any = false;
    for (const s of routeSecrets) {
      const ok = await verify(s, body, headers, ts);
      assert(ok === signers.includes(s), `${provider}/${name}: secret ${routeSecrets.indexOf(s)} gave ${ok}`);
      any ||= ok;
    }
    assert(any, `${provider}/${name}: no route secret verifies`);
    const good = routeSecrets.find((s) => signers.includes(s));
    assert(!(await verify(secret(`${provider}/wrong`), body, headers, ts)), `${provider}/${name}: wrong secret accepted`);
    for (const dt of [300, -300]) assert(await verify(good, body, headers, ts + dt), `${provider}/${name}: rejected at ${dt}`);
    for (const dt of [301, -301]) assert(!(await verify(good, body, headers, ts + dt)), `${provider}/${name}: accepted at ${dt}`);
    assert(!(await verify(good, body + ' ', headers, ts)), `${provider}/${name}: tampered body accepted`);
    cases.push(makeCase(name, routeSecrets, ts, headers, body, id));
  }
  const [oldS, newS] = [secret(`${provider}/old`), secret(`${provider}/new`)];
  const t0 = bodies.t0;
  await add('basic', 'basic', t0, bodies.basic, [oldS], [oldS]);
  await add('unicode_odd_whitespace', 'odd', t0 + 100, bodies.odd, [oldS], [oldS]);
  await add('large_1kib', 'big', t0 + 200, bodies.large, [oldS], [oldS]);
  await add('rotation_two_signatures_route_old_new', 'rot-two', t0 + 300, bodies.rotation, [newS, oldS], [oldS, newS]);
  await add('rotation_route_old_new_signed_by_new', 'rot-new', t0 + 400, bodies.rotation, [newS], [oldS, newS]);
  await add('rotation_route_old_new_signed_by_old', 'rot-old', t0 + 500, bodies.rotation, [oldS], [oldS, newS]);
  await add('rotation_two_signatures_route_new_only', 'rot-new-only', t0 + 600, bodies.rotation, [newS, oldS], [newS]);
  return cases;
}

function grow(obj, list, make, target = 1100) {
  for (let i = 0; JSON.stringify(obj).length < target; i++) list.push(make(i));
  return JSON.stringify(obj);
}

// ------------------------------------------------------------------------------ Clerk
async function clerkVerify(sec, body, headers, now) {
  const req = new Request('https://app.example.com/api/webhooks/clerk', {
    method: 'POST',
    headers: [...headers, ['content-type', 'application/json']],
    body,
  });
  try {
    const evt = await withClockAsync(now, () => verifyWebhook(req, { signingSecret: sec }));
    return evt && evt.object === 'event';
  } catch {
    return false;
  }
}

const clerkUser = (label, extra = {}) => ({
  backup_code_enabled: false,
  created_at: 1764260000000,
  email_addresses: [
    {
      email_address: `${label}@example.com`,
      id: 'idn_' + detB62(`clerk/${label}/idn`, 27),
      linked_to: [],
      object: 'email_address',
      verification: { status: 'verified', strategy: 'email_code' },
    },
  ],
  external_accounts: [],
  first_name: 'Jane',
  id: 'user_' + detB62(`clerk/${label}/user`, 27),
  image_url: 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9',
  last_name: 'Doe',
  object: 'user',
  password_enabled: true,
  phone_numbers: [],
  primary_email_address_id: 'idn_' + detB62(`clerk/${label}/idn`, 27),
  private_metadata: {},
  public_metadata: {},
  two_factor_enabled: false,
  unsafe_metadata: {},
  updated_at: 1764260000000,
  username: null,
  ...extra,
});
const clerkEvent = (type, data) => ({
  data,
  event_attributes: { http_request: { client_ip: '192.0.2.10', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' } },
  instance_id: 'ins_' + detB62('clerk/instance', 27),
  object: 'event',
  timestamp: 1764260000123,
  type,
});

const clerkBig = clerkEvent('organization.updated', { id: 'org_' + detB62('clerk/org', 27), object: 'organization', name: 'Acme', members: [] });
const clerkBodies = {
  t0: 1764260000,
  basic: JSON.stringify(clerkEvent('user.created', clerkUser('basic'))),
  odd:
    '{\r\n\t"type" : "user.updated",\t"object":"event",\r\n' +
    '\t"data": { "first_name": "Zoë Café ☕ 🎉", "last_name" : "caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n' +
    '\t\t"public_metadata": { "ws": "  a\\tb\\nc  ", "ñandú": "Ω≈ç√" } },\r\n' +
    '\t"timestamp": 1764260100000 }\n',
  large: grow(clerkBig, clerkBig.data.members, (i) => ({ user_id: 'user_' + detB62(`clerk/m/${i}`, 27), role: 'org:member' })),
  rotation: JSON.stringify(clerkEvent('session.created', { id: 'sess_' + detB62('clerk/sess', 27), object: 'session', status: 'active', user_id: 'user_' + detB62('clerk/basic/user', 27) })),
};

// ------------------------------------------------------------------------------ Resend
const resend = new Resend('re_hookgate_vectors_no_network');
async function resendVerify(sec, body, headers, now) {
  const h = Object.fromEntries(headers);
  try {
    withClock(now, () =>
      resend.webhooks.verify({
        payload: body,
        headers: { id: h['svix-id'], timestamp: h['svix-timestamp'], signature: h['svix-signature'] },
        webhookSecret: sec,
      }),
    );
    return true;
  } catch {
    return false;
  }
}

const resendEvent = (type, label, extra = {}) => ({
  type,
  created_at: '2025-11-27T10:00:00.000Z',
  data: {
    created_at: '2025-11-27 09:59:58.123456+00',
    email_id: [8, 4, 4, 4, 12].map((n, i) => detBytes(`resend/${label}/email/${i}`, n).toString('hex').slice(0, n)).join('-'),
    from: 'Acme <onboarding@resend.dev>',
    to: ['delivered@resend.dev'],
    subject: 'Sending this example',
    ...extra,
  },
});
const resendBig = resendEvent('email.clicked', 'big', { click: { link: 'https://example.com/', timestamp: '2025-11-27T10:00:00.000Z' }, tags: [] });
const resendBodies = {
  t0: 1764270000,
  basic: JSON.stringify(resendEvent('email.delivered', 'basic')),
  odd:
    '{\r\n\t"type" : "email.bounced",\t"created_at":"2025-11-27T10:01:39.000Z",\r\n' +
    '\t"data": { "subject": "Zoë Café ☕ 🎉", "preview" : "caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n' +
    '\t\t"bounce": { "message": "  a\\tb\\nc  ", "ñandú": "Ω≈ç√" } } }\n',
  large: grow(resendBig, resendBig.data.tags, (i) => ({ name: `tag_${i}`, value: detB62(`resend/tag/${i}`, 24) })),
  rotation: JSON.stringify(resendEvent('email.sent', 'rotation')),
};

// ------------------------------------------------------------------------------ main
// Svix headers only: Clerk's helper refuses webhook-* names (it reads svix-* and maps them).
const probe = secret('clerk/old');
const probeId = msgId('probe');
const probeSig = new clerkSW.Webhook(probe).sign(probeId, new Date(1764260000 * 1000), '{}');
assert(
  !(await clerkVerify(probe, '{}', [['webhook-id', probeId], ['webhook-timestamp', '1764260000'], ['webhook-signature', probeSig]], 1764260000)),
  'clerk verifyWebhook accepted webhook-* headers',
);

const gen = `standardwebhooks@${SW_VERSION} Webhook.sign (the dependency of both SDKs)`;
write(
  'clerk',
  `no Clerk signer: npm ${gen}; every case verified with npm @clerk/backend@3.25.0 verifyWebhook (svix-* headers) at a frozen clock; re-derived by crosscheck.py`,
  await build('clerk', clerkSW, clerkBodies, clerkVerify),
);
write(
  'resend',
  `no Resend signer: npm ${gen}; every case verified with npm resend@6.38.0 resend.webhooks.verify at a frozen clock; re-derived by crosscheck.py`,
  await build('resend', resendSW, resendBodies, resendVerify),
);
