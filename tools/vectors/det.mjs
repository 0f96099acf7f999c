// Deterministic test values (secrets, ids) derived from a label, shared by the Node vector
// generators (gen_node.mjs, npm-sdks/gen.mjs): the same label gives the same value in both.
// Only node:crypto, so it loads under any of the pinned node_modules trees.

import { createHash } from "node:crypto";

export const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `n` base62 characters. */
export function detB62(label, n) {
  let out = "";
  for (let counter = 0; out.length < n; counter++) {
    const d = createHash("sha256").update(`${label}#${counter}`).digest();
    for (const b of d) out += B62[b % 62];
  }
  return out.slice(0, n);
}

/** `nBytes` bytes as hex. */
export function detHex(label, nBytes) {
  let out = "";
  for (let counter = 0; out.length < 2 * nBytes; counter++) {
    out += createHash("sha256").update(`${label}#${counter}`).digest("hex");
  }
  return out.slice(0, 2 * nBytes);
}

/** A version-4-shaped GUID (RFC 4122 layout). */
export function detGuid(label) {
  const h = detHex("guid-" + label, 16);
  const variant = "89ab"[parseInt(h[16], 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
