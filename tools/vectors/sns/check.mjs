// Checks OUT_DIR/sns.json with AWS's own validator (npm sns-validator, pinned): every case
// verifies with the fixture's certificate served for its SigningCertURL, and fails with a
// changed Message. https.get is replaced so the certificate comes from the fixture, not AWS.
import fs from "node:fs";
import https from "node:https";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const MessageValidator = require("sns-validator");
const version = JSON.parse(fs.readFileSync(new URL("./node_modules/sns-validator/package.json", import.meta.url))).version;
if (version !== "0.3.5") throw new Error(`sns-validator ${version}, want 0.3.5`);

const doc = JSON.parse(fs.readFileSync(`${process.argv[2]}/sns.json`, "utf8"));
https.get = (url, cb) => {
  const req = new EventEmitter();
  const res = new EventEmitter();
  res.statusCode = url === doc.signing_cert_url ? 200 : 404;
  queueMicrotask(() => {
    cb(res);
    res.emit("data", Buffer.from(doc.certificate_pem));
    res.emit("end");
  });
  return req;
};
const validate = (m) => new Promise((ok) => new MessageValidator().validate(m, (err) => ok(err)));
for (const c of doc.cases) {
  const m = JSON.parse(Buffer.from(c.body_b64, "base64").toString("utf8"));
  // sns-validator signs UnsubscribeConfirmation with the notification keys (no Token), unlike
  // the AWS guide and AWS's PHP validator: it is checked against those two instead.
  if (m.Type !== "UnsubscribeConfirmation") {
    const err = await validate(m);
    if (err) throw new Error(`${c.name}: sns-validator refused: ${err.message}`);
  }
  const bad = await validate({ ...m, Message: m.Message + " " });
  if (!bad) throw new Error(`${c.name}: sns-validator accepted a changed message`);
}
console.error(`sns/check.mjs: ${doc.cases.length} cases checked with sns-validator ${version}`);
