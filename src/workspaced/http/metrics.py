"""GET /metrics: the Prometheus text exposition (docs/operations.md, "Monitoring").

Open by default: it shows aggregate counts by route template and status, outbox depths
and pool figures, never an id, a path, a credential or anything a caller sent. With
WORKSPACED_METRICS_TOKEN set it answers only a scrape that sends that bearer token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from workspaced.http.responses import json_response
from workspaced.kit.db import Database
from workspaced.observability.depths import OutboxDepths
from workspaced.observability.metrics import Metrics


def metrics_endpoint(
    metrics: Metrics, database: Database
) -> Callable[[Request], Awaitable[Response]]:
    depths = OutboxDepths(database)

    async def scrape(request: Request) -> Response:
        if not metrics.allows(request.headers.get("authorization")):
            return json_response(
                {"detail": "send the metrics token: Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        # The outbox counts are database reads, and merging the workers' files is I/O.
        body, content_type = await run_in_threadpool(metrics.render, depths)
        return Response(body, media_type=content_type)

    return scrape
