"""Facts about the current request that belong in audit events.

The HTTP edge binds them once per request; the domain reads them without knowing HTTP.
Context variables follow the request into the worker thread that runs the endpoint.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


CLI = RequestInfo(request_id=None, client_ip=None, user_agent="workspaced-cli")
current_request: ContextVar[RequestInfo] = ContextVar("current_request", default=CLI)
