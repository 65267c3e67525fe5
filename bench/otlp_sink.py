"""A stand-in OTLP/HTTP collector for `python -m bench observability`: it accepts every
export (POST /v1/traces) with 200 and keeps nothing, so a traced server pays for making,
encoding and sending its spans, and nothing else."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._empty()

    def do_GET(self) -> None:  # the suite's health probe
        self._empty()

    def _empty(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
