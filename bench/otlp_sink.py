#!/usr/bin/env python3
"""A local OTLP/HTTP sink for measuring tracing's cost (docs/performance.md#tracing-issue-19).

Answers every POST (hookgate posts to /v1/traces) with 200 and an empty protobuf body, after
reading the request; counts posts and bytes and prints them on SIGINT/SIGTERM. Only the
standard library is used.

    bench/otlp_sink.py 127.0.0.1:4318
"""

import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

posts = 0
received = 0


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global posts, received
        n = int(self.headers.get("content-length", "0"))
        self.rfile.read(n)
        posts += 1
        received += n
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    host, port = sys.argv[1].rsplit(":", 1) if len(sys.argv) > 1 else ("127.0.0.1", "4318")
    server = ThreadingHTTPServer((host, int(port)), Sink)

    def stop(*_):
        print(f"otlp_sink: {posts} posts, {received} bytes", file=sys.stderr, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
