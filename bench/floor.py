"""The floor: a raw ASGI app that answers with bytes serialized before the run.

It does no routing beyond one dict lookup on the path, no authentication, no database
and no serialization, so it measures what the HTTP server itself costs for the same response.
It runs under exactly the server and settings `workspaced serve` uses.

`BENCH_FLOOR_FILE` names a JSON file: {path: {"status": int, "content_type": str,
"body": str (base64)}}.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from workspaced.http import server
from workspaced.http.server import ServerLimits

Responses = dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]]


def load(path: str) -> Responses:
    with open(path) as handle:
        raw: dict[str, Any] = json.load(handle)
    responses: Responses = {}
    for route, spec in raw.items():
        body = base64.b64decode(spec["body"])
        headers = [
            (b"content-type", spec["content_type"].encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        responses[route] = (int(spec["status"]), headers, body)
    return responses


def app_factory() -> Any:
    responses = load(os.environ["BENCH_FLOOR_FILE"])
    missing = (404, [(b"content-type", b"text/plain"), (b"content-length", b"0")], b"")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        status, headers, body = responses.get(scope["path"], missing)
        if scope["path"] == "/healthz":
            status, headers, body = 200, [(b"content-length", b"2")], b"ok"
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve(factory: str) -> None:
    # The same server and settings as `workspaced serve` (src/workspaced/cli/main.py).
    server.serve(
        factory,
        host="127.0.0.1",
        port=int(os.environ["BENCH_FLOOR_PORT"]),
        workers=1,
        limits=ServerLimits(),
    )


if __name__ == "__main__":
    serve("bench.floor:app_factory")
