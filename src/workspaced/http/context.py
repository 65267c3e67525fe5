"""Per-process state the dialects share: the database and the page-token codec."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from starlette.requests import Request

from workspaced.auth import service as auth
from workspaced.authz.access import Principal
from workspaced.kit.db import Database
from workspaced.kit.page_tokens import PageTokenCodec
from workspaced.models import ServerSecret


@dataclass
class AppContext:
    database: Database
    page_tokens: PageTokenCodec

    @classmethod
    def load(cls, database: Database) -> AppContext:
        with database.read() as session:
            key = session.scalar(
                select(ServerSecret.value).where(ServerSecret.name == "page_token_key")
            )
        if key is None:
            raise RuntimeError("the database is not migrated: run `workspaced migrate`")
        return cls(database, PageTokenCodec(key))


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.workspaced
    return context


def authenticate(request: Request, authorization: str | None) -> Principal:
    """Resolve the bearer token or raise Unauthenticated (each dialect renders it)."""
    token = auth.parse_authorization_header(authorization)
    database = app_context(request).database
    with database.read() as session:
        principal, last_used = auth.authenticate(session, token)
    if auth.needs_last_used_update(last_used) and principal.token_id is not None:
        with database.write() as session:
            auth.touch_last_used(session, principal.token_id)
    request.state.principal = principal
    return principal
