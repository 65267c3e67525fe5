"""Fast JSON responses: services' results are serialized once, by orjson, and never
re-validated on the way out (the OpenAPI models document them; tests check conformance).
Renderers may hand over `uuid.UUID` values as they are: orjson writes the canonical text,
the same as `str()`, without a Python call per id."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import orjson
from starlette.responses import Response, StreamingResponse

T = TypeVar("T")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
) -> Response:
    return JSON(content, status_code=status_code, headers=headers, media_type=media_type)


def secret_response(content: Any, status_code: int = 200) -> Response:
    """A JSON response carrying a secret shown once (a new token, API key or webhook
    secret): `Cache-Control: no-store`, so no browser or proxy cache keeps a copy (SPEC §5)."""
    return json_response(content, status_code=status_code, headers={"Cache-Control": "no-store"})


def streamed_list(key: str, batches: Iterable[list[T]], render: Callable[[T], Any]) -> Response:
    """`{key: [...]}` written batch by batch as `batches` yields them: the server holds one
    batch, never the whole list (SPEC §6: an unpaged list of any length costs the same
    memory). Authorize before calling: once the body starts, the status is sent."""

    def body() -> Iterator[bytes]:
        yield b'{"' + key.encode() + b'":['
        first = True
        for batch in batches:
            if not batch:
                continue
            chunk = b",".join(orjson.dumps(render(item)) for item in batch)
            yield chunk if first else b"," + chunk
            first = False
        yield b"]}"

    return StreamingResponse(body(), media_type="application/json")
