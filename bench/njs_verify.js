// bench/run.sh's njs target: what a team that does not run hookgate writes in nginx + njs for
// the tolinku route (js_content, then internalRedirect to a plain proxy_pass). It checks what
// hookgate's tolinku preset (src/verify/presets.rs) checks, with the bench route's defaults:
//
//   X-Webhook-Signature: [sha256=]<hex HMAC-SHA256(secret, raw body)>   (prefix optional, any case)
//   the body's JSON "timestamp" (RFC 3339) at most 5 min old and at most 60 s ahead of the clock
//                                         (hookgate's max_age and max_future_skew defaults)
//
// Anything else is answered 401. It does NOT remember delivery ids (no dedup): compare it with
// hookgate's tolinku-nodedup route for like-for-like work.
//
// The secret comes from the environment (`env TOLINKU_WEBHOOK_SECRET;` in the nginx config; the
// same variable hookgate reads). The request body must be in memory: client_body_buffer_size
// >= client_max_body_size in the location, or r.requestBuffer is undefined.

const crypto = require('crypto');

// Read once, when nginx loads the module: every request then runs in a clone of this VM.
const SECRET = process.env.TOLINKU_WEBHOOK_SECRET;
if (!SECRET) {
    throw new Error('TOLINKU_WEBHOOK_SECRET is not set (nginx: env TOLINKU_WEBHOOK_SECRET;)');
}
const MAX_AGE_MS = 5 * 60 * 1000;
const MAX_FUTURE_MS = 60 * 1000;

// njs (0.7.x) has no crypto.timingSafeEqual, so this is a hand-written, constant-time-ish
// compare of two hex strings (length is not secret). Many teams write a plain `a === b`
// here instead, which is a little cheaper and leaks the matching prefix length through timing.
function equalHex(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
        diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return diff === 0;
}

function reject(r, why) {
    r.return(401, `{"error":"${why}"}\n`);
}

function tolinku(r) {
    const body = r.requestBuffer; // undefined when there is no body or it went to a temp file
    if (body === undefined || body.length === 0) {
        return reject(r, 'no body');
    }
    let sig = r.headersIn['X-Webhook-Signature'];
    if (!sig) {
        return reject(r, 'no signature');
    }
    if (sig.length > 7 && sig.slice(0, 7).toLowerCase() === 'sha256=') {
        sig = sig.slice(7);
    }
    const expected = crypto.createHmac('sha256', SECRET).update(body).digest('hex');
    if (!equalHex(sig.toLowerCase(), expected)) {
        return reject(r, 'bad signature');
    }
    let ts;
    try {
        ts = JSON.parse(body.toString()).timestamp;
    } catch (e) {
        return reject(r, 'body is not JSON');
    }
    const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
    const age = Date.now() - t; // NaN for a missing or unparsable timestamp: fails both tests
    if (!(age <= MAX_AGE_MS && age >= -MAX_FUTURE_MS)) {
        return reject(r, 'stale or missing timestamp');
    }
    r.internalRedirect('@upstream');
}

// GET /healthz: the njs version (run.sh waits for it and records it in machine.txt).
function version(r) {
    r.return(200, `njs ${njs.version}\n`);
}

export default { tolinku, version };
