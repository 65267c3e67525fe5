"""What the HTTP edge records about each request once it is answered: the request
metrics and, with JSON logs, the request's log line (`http.app.DialectDispatcher` calls
`RequestObserver.finish`)."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from workspaced.authz.access import Principal
from workspaced.observability import logs
from workspaced.observability.metrics import UNMATCHED, Metrics


class RequestObserver:
    def __init__(self, metrics: Metrics | None, *, log_requests: bool) -> None:
        self.metrics = metrics
        self.log_requests = log_requests

    def __bool__(self) -> bool:
        return self.metrics is not None or self.log_requests

    def finish(
        self,
        scope: Scope,
        *,
        dialect: str,
        status: int,
        seconds: float,
        request_id: str | None,
        method: str,
    ) -> None:
        # The route template routing matched (FastAPI records it in the scope), never the
        # raw path: that holds ids, and for invitations their secret.
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        if self.metrics is not None:
            self.metrics.observe_request(dialect, route, status, seconds)
        if self.log_requests:
            fields: dict[str, Any] = {
                "request_id": request_id,
                "dialect": dialect,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            }
            state = scope.get("state")
            principal = state.get("principal") if isinstance(state, dict) else None
            if isinstance(principal, Principal):
                fields["principal_kind"] = principal.kind
                fields["principal_id"] = str(principal.api_key_id or principal.user_id)
            logs.log_request(fields)
