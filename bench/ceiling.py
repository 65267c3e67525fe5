"""The framework ceiling: FastAPI answering with the floor's bytes and doing nothing else.

No authentication, no database, no serialization: one FastAPI route per captured path
returning the pre-serialized body, plus one `POST` route that validates a member body
(`{"user": str, "role": str}`) with pydantic and answers a fixed 200, as a write endpoint
with no work behind it would. Whatever any FastAPI endpoint does, it cannot be faster
than this on the same server, so `ceiling / floor` bounds what target 1 can reach and
`ceiling POST / raw inserts` what target 3 can reach, measured in the same run.

It reads the floor's file (`BENCH_FLOOR_FILE`) and runs under the same server and settings.
"""

from __future__ import annotations

import os
from typing import Any

from bench import floor

WRITE_PATH = "/ceiling/users"


def app_factory() -> Any:
    from fastapi import FastAPI, Response
    from pydantic import BaseModel

    class NewMember(BaseModel):
        user: str
        role: str

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for path, (status, headers, body) in floor.load(os.environ["BENCH_FLOOR_FILE"]).items():
        media_type = dict(headers)[b"content-type"].decode()

        def serve(
            status: int = status, body: bytes = body, media_type: str = media_type
        ) -> Response:
            return Response(body, status_code=status, media_type=media_type)

        # The path parameters of our routes are literal here: matching a template costs
        # FastAPI more, so this stays an upper bound.
        app.add_api_route(path, _no_params(serve), methods=["GET"])

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b"ok")

    @app.post(WRITE_PATH)
    async def add(member: NewMember) -> Response:
        return Response(b'{"user":"added"}', media_type="application/json")

    return app


def _no_params(serve: Any) -> Any:
    """An async endpoint with no parameters for FastAPI to solve (the defaults above only
    bind the loop variables)."""

    async def endpoint() -> Any:
        return serve()

    return endpoint


if __name__ == "__main__":
    floor.serve("bench.ceiling:app_factory")
