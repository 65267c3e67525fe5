"""The work bound of target 1: the aip reads' own work with no HTTP at all.

One "request" here is exactly what the aip handler does between parsing and sending:
look the bearer token up, resolve the organization, workspace and roles, check the
permission, read the page (or the workspace), render it and serialize it with orjson,
through the same service and render functions, in the benchmark's own process pinned to
the server's core. No server, no framework, no socket.

Its rate as a fraction of the floor is what target 1 could reach if the HTTP layer cost
nothing beyond the floor itself; when it is under the goal, no choice of web framework
meets the goal without a faster implementation of the domain work itself.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

import orjson

from bench import common
from bench.seed import Dataset


def reads(ds: Dataset) -> dict[str, Callable[[], bytes]]:
    """{endpoint name (as in bench.reads): one request's domain work}."""
    from workspaced.auth import service as auth
    from workspaced.authz.access import Principal
    from workspaced.http.context import AppContext
    from workspaced.http.dialects.aip import render
    from workspaced.kit.db import Database
    from workspaced.kit.pagination import PageRequest
    from workspaced.mail import MailSettings
    from workspaced.membership import service as memberships
    from workspaced.workspace import service as workspaces

    database = Database(ds.database_url)
    codec = AppContext.load(database, MailSettings()).page_tokens
    header = f"Bearer {ds.viewer_token}"
    page = PageRequest.of(50, None)

    def caller() -> Principal:
        with database.read_connection() as connection:
            principal, _ = auth.authenticate(connection, auth.parse_authorization_header(header))
        return principal

    def list_users() -> bytes:
        principal = caller()
        with database.read() as session:
            items, token = memberships.list_users(
                session,
                principal,
                ds.org,
                ds.team,
                page=page,
                codec=codec,
                filter_text="",
                order_by="",
            )
        return orjson.dumps({"users": [render.member(m) for m in items], "next_page_token": token})

    def get_workspace() -> bytes:
        principal = caller()
        with database.read() as session:
            view = workspaces.get(session, principal, ds.org, ds.team, include_deleted=True)
        return orjson.dumps(render.workspace(view))

    return {"aip: list users (50)": list_users, "aip: get workspace": get_workspace}


def rate(work: Callable[[], bytes], seconds: float) -> common.Result:
    """Calls per second of `work`, run back to back on the server's core."""
    with _pinned(common.SERVER_CPU):
        for _ in range(20):  # warm caches and SQLAlchemy's statement cache
            work()
        done = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            work()
            done += 1
        return common.Result(done / (time.perf_counter() - started), 0)


@contextlib.contextmanager
def _pinned(cpu: str) -> Iterator[None]:
    """Run on the server's core, as the servers do (where the OS lets us pin)."""
    if not hasattr(os, "sched_setaffinity") or not common.pinning_available():
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(cpu)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
