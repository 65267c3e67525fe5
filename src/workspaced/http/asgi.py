"""ASGI entry point for uvicorn workers: configuration comes from `WORKSPACED_*`."""

from __future__ import annotations

from starlette.types import ASGIApp

from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.settings import Settings


def app_factory() -> ASGIApp:
    settings = Settings()
    return create_app(
        Database(settings.database_url, time_limit_s=settings.statement_timeout or None),
        max_body_bytes=settings.max_body_bytes,
        mail=settings.mail(),
        rate_limits=settings.rate_limits(),
    )
