"""Refuse request bodies above a size, before the app reads them into memory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TooLargeRenderer = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestTooLarge(HTTPException):
    """Raised while the body streams in. An HTTPException, so FastAPI's body parsing lets it
    through to the dialect's error handler (which renders 413 in the dialect's format)."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


# After refusing a body, read and discard at most this much more of it, for at most this
# long ("lingering close", as nginx does). granian (hyper) closes a connection whose
# request body is left unread, and under concurrency the client's next request then
# fails ("server disconnected without sending a response": 4-12 % of them with four
# concurrent clients, tests/safety/test_hostile_connections.py; 0 after); a bounded drain
# lets the exchange end cleanly without letting a client make us read without end.
DRAIN_MAX_BYTES = 8 * 1024 * 1024
DRAIN_MAX_SECONDS = 5.0


async def drain(receive: Receive) -> None:
    """Read and discard what is left of the request body, within the bounds above."""
    left = DRAIN_MAX_BYTES
    try:
        async with asyncio.timeout(DRAIN_MAX_SECONDS):
            while left > 0:
                message = await receive()
                if message["type"] != "http.request":
                    return
                left -= len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, too_large: TooLargeRenderer) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self.too_large(scope, receive, send)
                    await drain(receive)
                    return
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise RequestTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLarge:
            if not started:
                await self.too_large(scope, receive, send)
        if refused:
            await drain(receive)


def dialect_too_large(render: Callable[[], Any]) -> TooLargeRenderer:
    """Adapt a function returning a Starlette Response into a BodyLimit renderer."""

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        await render()(scope, receive, send)

    return respond
