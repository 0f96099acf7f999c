"""What the Python vector generators share: the case record and the fixture file format of
tests/fixtures/vectors/*.json. Standard library only: each generator runs in its own pinned
venv (gen_py.py, py-sdks/, svix-asym/) or the system python (docs/), and imports this by path.
"""

import base64
import hashlib
import json
import os


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def det_bytes(label: str, n: int) -> bytes:
    """`n` bytes derived from a label: test secrets and ids that never change between runs."""
    out, counter = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}#{counter}".encode()).digest()
        counter += 1
    return out[:n]


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pretty(obj) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8")


def case(name, secrets, signed_at, headers, body: bytes, event_id, *, url=None,
         content_type=None, wrong_secret=None):
    """One signed delivery. The optional keys appear only when given, in this order."""
    assert isinstance(body, bytes)
    c = {
        "name": name,
        "secrets": list(secrets),
        "signed_at": int(signed_at),
        "headers": [[k, v] for k, v in headers],
        "body_b64": b64(body),
        "event_id": event_id,
    }
    for key, value in (("url", url), ("content_type", content_type), ("wrong_secret", wrong_secret)):
        if value is not None:
            c[key] = value
    return c


def write(out_dir, file_stem, provider, generator, cases) -> str:
    """Writes `<file_stem>.json` (case names unique); returns its path."""
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), f"duplicate case names in {file_stem}"
    doc = {"provider": provider, "generator": generator, "cases": cases}
    path = os.path.join(out_dir, f"{file_stem}.json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return path


def header(c, name):
    """The first value of header `name` (any case) in case `c`, or None."""
    vals = [v for k, v in c["headers"] if k.lower() == name.lower()]
    return vals[0] if vals else None
