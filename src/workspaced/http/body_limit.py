"""Refuse request bodies above a size, before the app reads them into memory."""

from __future__ import annotations

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
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
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


def dialect_too_large(render: Callable[[], Any]) -> TooLargeRenderer:
    """Adapt a function returning a Starlette Response into a BodyLimit renderer."""

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        await render()(scope, receive, send)

    return respond
