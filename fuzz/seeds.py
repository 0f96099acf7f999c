#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the provider vectors (tests/fixtures/vectors/*.json):
each as a `verify` input (the shape fuzz_targets/common.rs reads), their JSON bodies with a
pointer the presets read as `json_field` inputs, form bodies as `form` inputs. Deterministic:
run it again and the files are the same (`--check` says whether they are). The `config` seeds
are configs copied once (fuzz/seeds/config), not made here: the example config changes with
the product, and a seed need not.

    python3 fuzz/seeds.py [--check]
"""
import base64
import hashlib
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "seeds"
TARGETS = ["verify", "json_field", "form", "filter"]
POINTERS = ["/id", "/event_id", "/data/id", "/timestamp", "/created", "/created_at",
            "/event/id", "/webhookId", "/payload/plainToken", "/signature/token", "/meta/id"]


def seeds():
    out = {t: [] for t in TARGETS}
    for path in sorted((ROOT / "tests" / "fixtures" / "vectors").glob("*.json")):
        doc = json.loads(path.read_text())
        provider = doc["provider"]
        for case in doc["cases"]:
            body = base64.b64decode(case["body_b64"])
            secret = case["secrets"][0].encode() if case["secrets"] else b"x"
            head = [provider.encode(), secret, str(case["signed_at"]).encode(),
                    (case.get("method", "POST") + " " + case.get("path", "/hook")).encode()]
            for name, value in case["headers"]:
                head.append(f"{name}: {value}".encode())
            if len(body) <= 16384:
                out["verify"].append(b"\n".join(head) + b"\n\n" + body)
            # One pointer per body, in turn, and small bodies only: the walk is the same on
            # every body; the mutations find the rest.
            if body[:1] in (b"{", b"[") and len(body) <= 4096:
                p = POINTERS[len(out["json_field"]) % len(POINTERS)]
                out["json_field"].append(p.encode() + b"\n" + body)
            if b"=" in body and not body.startswith(b"{"):
                out["form"].append(body)
            # The filter target: an expression (its first byte), a query, the case's headers,
            # then the body; a provider's first JSON or form body, if small.
            if (case is doc["cases"][0] and (body[:1] in (b"{", b"[") or b"=" in body)
                    and len(body) <= 4096):
                pick = bytes([len(out["filter"]) % 8])
                lines = [b"tenant=t1"] + [f"{n}: {v}".encode() for n, v in case["headers"]]
                out["filter"].append(pick + b"\n".join(lines) + b"\n\n" + body)
    # SNS messages (their own fixture file: the certificate is fetched, not a secret; the
    # target supplies the test certificate).
    sns = json.loads((ROOT / "tests" / "fixtures" / "sns" / "sns.json").read_text())
    for case in sns["cases"]:
        body = base64.b64decode(case["body_b64"])
        head = [b"sns", b"x", str(case["signed_at"]).encode(), b"POST /hook"]
        for name, value in case["headers"]:
            head.append(f"{name}: {value}".encode())
        out["verify"].append(b"\n".join(head) + b"\n\n" + body)
        out["json_field"].append(b"/MessageId\n" + body)
    return out


def main():
    check = "--check" in sys.argv[1:]
    wanted = {}
    for target, items in seeds().items():
        for data in items:
            name = hashlib.sha1(data).hexdigest()
            wanted[OUT / target / name] = data
    existing = {p for t in TARGETS for p in (OUT / t).glob("*") if p.is_file()}
    if check:
        stale = existing ^ set(wanted)
        changed = [p for p, d in wanted.items() if p.exists() and p.read_bytes() != d]
        if stale or changed:
            print(f"fuzz/seeds is not what fuzz/seeds.py makes: {len(stale)} files differ in name, {len(changed)} in content")
            sys.exit(1)
        return
    for p in existing - set(wanted):
        p.unlink()
    for p, data in wanted.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"{len(wanted)} seeds under {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
