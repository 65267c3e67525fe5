"""ASGI entry point for the server's worker processes: configuration comes from
`WORKSPACED_*`."""

from __future__ import annotations

import ctypes
import signal
import sys
from datetime import timedelta

from starlette.types import ASGIApp

from workspaced.auth.oidc import TokenVerifier
from workspaced.event.delivery import WebhookSettings
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.observability import logs
from workspaced.observability.metrics import Metrics
from workspaced.observability.tracing import Tracing
from workspaced.retention.schedule import PurgeSchedule
from workspaced.settings import Settings


def app_factory() -> ASGIApp:
    _stop_with_supervisor()
    settings = Settings()
    logs.configure(settings.log_format)
    database = Database(settings.database_url, time_limit_s=settings.statement_timeout or None)
    every = settings.purge_interval
    return create_app(
        database,
        max_body_bytes=settings.max_body_bytes,
        mail=settings.mail(),
        rate_limits=settings.rate_limits(),
        organization_creation=settings.organization_creation,
        cors_origins=settings.cors_origin_list(),
        identity=TokenVerifier(settings.oidc_issuers()) if settings.oidc_issuers() else None,
        console_oidc=settings.console_oidc(),
        webhooks=WebhookSettings(
            allow_private=settings.webhook_allow_private,
            lease=timedelta(seconds=settings.webhook_lease),
        ),
        purge=(
            PurgeSchedule(database, settings.retention(), every=timedelta(seconds=every))
            if every
            else None
        ),
        metrics=Metrics(token=settings.metrics_token) if settings.metrics else None,
        log_requests=settings.log_format == "json",
        tracing=Tracing.from_environment(),
    )


def _stop_with_supervisor() -> None:
    """The server runs each worker as a child of its supervisor process. Should the
    supervisor be killed outright (SIGKILL, the OOM killer), its workers would go on
    serving as orphans, holding the port and the database; on Linux the kernel instead
    sends them SIGTERM, which stops them gracefully."""
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
