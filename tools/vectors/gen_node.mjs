#!/usr/bin/env node
// Generate github.json (with @octokit/webhooks-methods) and tolinku.json (node:crypto,
// exactly as Tolinku's docs example).  Run through generate.sh.  Usage: gen_node.mjs OUT_DIR
//
// Nothing here reads the current time; every case is verified again before it is written.

import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detB62, detGuid, detHex } from "./det.mjs";
import { sign, verify, verifyWithFallback } from "@octokit/webhooks-methods";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PINS = { "@octokit/webhooks-methods": "6.0.0" };
for (const [pkg, want] of Object.entries(PINS)) {
  const have = JSON.parse(readFileSync(path.join(HERE, "node_modules", pkg, "package.json"), "utf8")).version;
  if (have !== want) {
    console.error(`gen_node: ${pkg}@${have} installed, expected ${want} (run generate.sh)`);
    process.exit(1);
  }
}

// ------------------------------------------------------------------ helpers

function assert(cond, msg) {
  if (!cond) throw new Error("gen_node: assertion failed: " + msg);
}

function mkCase(name, secrets, signedAt, headers, body, eventId) {
  assert(Buffer.isBuffer(body), "body must be a Buffer");
  assert(Number.isInteger(signedAt), "signed_at must be an integer");
  return {
    name,
    secrets: [...secrets],
    signed_at: signedAt,
    headers: headers.map(([k, v]) => [k, v]),
    body_b64: body.toString("base64"),
    event_id: eventId,
  };
}

function write(outDir, provider, generator, cases) {
  const names = new Set(cases.map((c) => c.name));
  assert(names.size === cases.length, `duplicate case names in ${provider}`);
  const file = path.join(outDir, `${provider}.json`);
  writeFileSync(file, JSON.stringify({ provider, generator, cases }, null, 2) + "\n");
  console.log(`gen_node: wrote ${file} (${cases.length} cases)`);
}

const utf8 = (s) => Buffer.from(s, "utf8");
const compact = (o) => utf8(JSON.stringify(o));

// ------------------------------------------------------------------ GitHub

async function githubCases() {
  const cases = [];
  const hookId = "512345678";
  const sec = "gh-" + detB62("github-primary", 29);
  const oldS = "gh-" + detB62("github-rolled-old", 29);
  const newS = "gh-" + detB62("github-rolled-new", 29);

  // headers: "full" = what GitHub really sends (besides Content-Type); "min" = signature only
  async function add(name, secrets, signedAt, body, signer, { full = true, event = "ping", expect } = {}) {
    const payload = body.toString("utf8");
    assert(Buffer.from(payload, "utf8").equals(body), `${name}: body is not valid UTF-8`);
    const sig256 = await sign(signer, payload); // -> "sha256=<hex>"
    if (expect !== undefined) assert(sig256 === expect, `${name}: ${sig256} != documented ${expect}`);
    // GitHub also sends the legacy SHA-1 header; the SDK (v6) only signs SHA-256, so
    // this one is node:crypto (cross-checked independently by crosscheck.py).
    const sig1 = "sha1=" + createHmac("sha1", signer).update(body).digest("hex");
    const headers = full
      ? [
          ["User-Agent", "GitHub-Hookshot/9c5e4b1"],
          ["X-GitHub-Delivery", detGuid("github-" + name)],
          ["X-GitHub-Event", event],
          ["X-GitHub-Hook-ID", hookId],
          ["X-GitHub-Hook-Installation-Target-ID", "987654321"],
          ["X-GitHub-Hook-Installation-Target-Type", "repository"],
          ["X-Hub-Signature", sig1],
          ["X-Hub-Signature-256", sig256],
        ]
      : [["X-Hub-Signature-256", sig256]];
    // cross-checks with the SDK verifier
    let okAny = false;
    for (const s of secrets) {
      const ok = await verify(s, payload, sig256);
      assert(ok === (s === signer), `${name}: verify(${s}) = ${ok}`);
      okAny ||= ok;
    }
    assert(okAny, `${name}: no route secret verifies`);
    assert(await verifyWithFallback(secrets[0], payload, sig256, secrets.slice(1)), `${name}: verifyWithFallback`);
    assert(!(await verify("wrong-secret", payload, sig256)), `${name}: wrong secret verified`);
    cases.push(mkCase(name, secrets, signedAt, headers, body, null));
  }

  // 1. Documented vector (@octokit/webhooks-methods README).
  await add("documented_vector", ["mysecret"], 1764000000, utf8('{"foo":"bar"}'), "mysecret", {
    full: false,
    expect: "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3",
  });
  // 2. Documented vector from GitHub's "Validating webhook deliveries" page.
  await add("documented_vector_github_docs", ["It's a Secret to Everybody"], 1764000000,
    utf8("Hello, World!"), "It's a Secret to Everybody", {
      full: false,
      expect: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    });
  // 3. ping, as sent when a hook is created.
  const repo = {
    id: 1296269, node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", name: "Hello-World",
    full_name: "octocat/Hello-World", private: false,
    owner: { login: "octocat", id: 1, type: "User" },
    html_url: "https://github.com/octocat/Hello-World", default_branch: "main",
  };
  await add("ping", [sec], 1764000000, compact({
    zen: "Keep it logically awesome.",
    hook_id: Number(hookId),
    hook: { type: "Repository", id: Number(hookId), name: "web", active: true,
            events: ["push", "issue_comment"],
            config: { content_type: "json", insecure_ssl: "0", url: "https://hooks.example.com/github" } },
    repository: repo,
    sender: { login: "octocat", id: 1, type: "User" },
  }), sec, { event: "ping" });
  // 4. push, ~1 KiB.
  const commit = (n, msg) => ({
    id: detHex("commit" + n, 20), tree_id: detHex("tree" + n, 20), distinct: true,
    message: msg, timestamp: `2025-11-24T17:0${n}:00+01:00`,
    author: { name: "Mona Lisa", email: "mona@example.com", username: "monalisa" },
    added: [], removed: [], modified: [`src/file${n}.rs`],
  });
  await add("push_1kib", [sec], 1764003600, compact({
    ref: "refs/heads/main", before: detHex("before", 20), after: detHex("commit2", 20),
    repository: { id: repo.id, name: repo.name, full_name: repo.full_name, private: false },
    pusher: { name: "monalisa", email: "mona@example.com" },
    sender: { login: "monalisa", id: 2, type: "User" },
    created: false, deleted: false, forced: false,
    commits: [commit(1, "Fix verifier"), commit(2, "Add vectors")],
  }), sec, { event: "push" });
  // 5. Non-ASCII + odd whitespace (GitHub itself sends compact JSON; this guards against
  //    any re-serialisation in the proxy).
  const odd =
    '{\r\n\t"action" : "created",\r\n' +
    '\t"comment": { "id": 2048, "body": "Zoë says: café ☕ 🎉\\n\\nescaped: caf\\u00e9 \\u2615 \\ud83c\\udf89" ,\r\n' +
    '\t\t"user": {"login":"zoë-dev", "id": 77} },\r\n' +
    '\t"issue": {"number": 42, "title": "Ünïcödé   títle\t with tabs"},\r\n' +
    '\t"repository": {"full_name": "octocat/Hello-World"}  }\n';
  await add("unicode_odd_whitespace", [sec], 1764007200, utf8(odd), sec, { event: "issue_comment" });
  // 6. Non-ASCII secret: the HMAC key is the secret's UTF-8 bytes.
  const uniSecret = "pässwörd ☕ " + detB62("github-unicode", 12);
  await add("secret_non_ascii", [uniSecret], 1764010800, compact({
    action: "opened", number: 7,
    pull_request: { id: 7007, title: "Add hookgate", state: "open" },
    repository: { full_name: "octocat/Hello-World" },
  }), uniSecret, { event: "pull_request" });
  // 7./8. GitHub has one secret per hook; a route holding [old, new] during a change.
  await add("rotation_route_old_new_signed_by_new", [oldS, newS], 1764086400, compact({
    action: "deleted", starred_at: null, repository: { full_name: "octocat/Hello-World" },
  }), newS, { event: "star" });
  await add("rotation_route_old_new_signed_by_old", [oldS, newS], 1764090000, compact({
    action: "created", starred_at: "2025-11-25T16:59:59Z",
    repository: { full_name: "octocat/Hello-World" },
  }), oldS, { event: "star" });
  return cases;
}

// ------------------------------------------------------------------ Tolinku

function tolinkuCases() {
  const cases = [];
  const sec = "whsec_" + detB62("tolinku-primary", 32);
  const oldS = "whsec_" + detB62("tolinku-rolled-old", 32);
  const newS = "whsec_" + detB62("tolinku-rolled-new", 32);

  // Exactly the docs' example: createHmac('sha256', secret).update(rawBody).digest('hex').
  const docsSign = (secret, rawBody) => createHmac("sha256", secret).update(rawBody).digest("hex");
  // ... and the docs' verifier.
  const docsVerify = (payload, signature, secret) => {
    const expected = createHmac("sha256", secret).update(payload).digest("hex");
    const a = Buffer.from(signature), b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  function add(name, secrets, body, signer, { prefix = false, eventHeader } = {}) {
    const env = JSON.parse(body.toString("utf8"));
    const ms = Date.parse(env.timestamp);
    assert(/Z$/.test(env.timestamp) && Number.isFinite(ms) && ms % 1000 === 0, `${name}: timestamp`);
    const hex = docsSign(signer, body);
    let okAny = false;
    for (const s of secrets) {
      const ok = docsVerify(body, hex, s);
      assert(ok === (s === signer), `${name}: verify`);
      okAny ||= ok;
    }
    assert(okAny && !docsVerify(body, hex, "whsec_wrong"), `${name}: cross-check`);
    const headers = [
      ["User-Agent", "Tolinku/1.0"],
      ["X-Webhook-Event", eventHeader ?? env.event],
      ["X-Webhook-Signature", (prefix ? "sha256=" : "") + hex],
    ];
    cases.push(mkCase(name, secrets, ms / 1000, headers, body, env.id ?? null));
  }

  // 1. Docs envelope {event, timestamp, data}; no id; toISOString()-style timestamp.
  add("basic", [sec], compact({
    event: "link.clicked",
    timestamp: "2025-11-24T16:00:00.000Z",
    data: { prefix: "merchant", token: "abc123", hostname: "myapp.tolinku.com",
            ip: "203.0.113.42", platform: "ios", device_type: "mobile", campaign: "spring-sale" },
  }), sec);
  // 2. Marketing-page variant: "sha256=" prefix on the header value.
  add("sha256_prefix", [sec], compact({
    event: "install.tracked",
    timestamp: "2025-11-24T17:00:00.000Z",
    data: { hostname: "myapp.tolinku.com", ip: "198.51.100.7", platform: "android",
            device_type: "mobile", campaign: null },
  }), sec, { prefix: true });
  // 3. Envelope that carries an id (optional field) -> dedup on it.
  add("with_id", [sec], compact({
    id: detGuid("tolinku-evt-1"),
    event: "referral.completed",
    timestamp: "2025-11-24T18:00:00.000Z",
    data: { referral_code: "ZOE-2025", referrer_id: "usr_81f2", referred_user_id: "usr_93ab",
            milestone: "first_purchase" },
  }), sec);
  // 4. Timestamp without milliseconds (as on the features page), pretty-printed body.
  add("timestamp_no_millis_pretty", [sec], utf8(JSON.stringify({
    event: "deferred_link.claimed",
    timestamp: "2025-11-24T19:00:00Z",
    data: { deep_link_path: "/restaurant/pizza-palace", method: "signals", ip: "192.0.2.10" },
  }, null, 2)), sec);
  // 5. Non-ASCII + odd whitespace.
  const odd =
    '{\r\n\t"event" : "link.clicked",\r\n\t"timestamp":"2025-11-24T20:00:00.000Z" ,\r\n' +
    '\t"data": {\t"route": "/café/☕-bar",  "title" : "caf\\u00e9 \\u2615 \\ud83c\\udf89",\r\n' +
    '\t\t"raw": "Zoë — café ☕ 🎉", "country": "FR" }  }\n';
  add("unicode_odd_whitespace", [sec], utf8(odd), sec);
  // 6. ~1 KiB ecommerce.purchase.
  const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({
    sku: `SKU-${String(n).padStart(4, "0")}`, name: `Pizza n°${n} – größe L`, quantity: n,
    price: 9.5 + n,
  }));
  add("large_1kib", [sec], compact({
    id: detGuid("tolinku-evt-2"),
    event: "ecommerce.purchase",
    timestamp: "2025-11-24T21:00:00.000Z",
    data: { order_id: "ORD-2025-11-000042", currency: "EUR", value: 231.0,
            customer: { id: "usr_93ab", email: "zoe@example.com" },
            items, hostname: "myapp.tolinku.com", platform: "ios", campaign: "black-friday" },
  }), sec);
  // 7. Route holds [old, new] while the secret is rotated (Tolinku switches immediately).
  add("rotation_route_old_new_signed_by_new", [oldS, newS], compact({
    event: "referral.created",
    timestamp: "2025-11-25T16:00:00.000Z",
    data: { referral_code: "MAX-77", referrer_id: "usr_81f2",
            referral_url: "https://myapp.tolinku.com/r/MAX-77" },
  }), newS);
  // 8. Dashboard "Send Test" event.
  add("test_event", [sec], compact({
    event: "test",
    timestamp: "2025-11-25T17:00:00.000Z",
    data: { message: "This is a test webhook from Tolinku" },
  }), sec);
  return cases;
}

// ------------------------------------------------------------------ main

const outDir = process.argv[2];
if (!outDir) {
  console.error("usage: gen_node.mjs OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
write(outDir, "github",
  "npm @octokit/webhooks-methods@6.0.0 sign(secret, payload); cross-checked with verify/verifyWithFallback " +
  "(legacy X-Hub-Signature sha1 via node:crypto createHmac)",
  await githubCases());
write(outDir, "tolinku",
  "no SDK exists: node:crypto createHmac('sha256', secret).update(rawBody).digest('hex') exactly as " +
  "Tolinku's signing docs; cross-checked with the docs' timingSafeEqual verifier",
  tolinkuCases());
