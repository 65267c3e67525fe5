"""SIGTERM (SPEC §9): `serve` stops accepting, lets requests and webhook attempts in flight
finish, then exits 0; no write it acknowledged is lost. Against a real `serve` on the
database under test."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.safety.test_faults import server_process
from tests.support import World
from tests.webhook_receiver import webhook_receiver
from workspaced.event.outbox import DELIVERED
from workspaced.kit.db import Database
from workspaced.models import WebhookDelivery, Workspace

WRITERS = 8


def _create(client: httpx.Client, slug: str) -> int | str:
    try:
        response = client.post(
            "/api/v1/organizations/acme/workspaces",
            params={"workspace_id": slug},
            json={"title": slug},
        )
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return response.status_code


def _slugs(database: Database) -> set[str]:
    with database.read() as session:
        return set(session.scalars(select(Workspace.slug)))


def test_sigterm_during_a_burst_loses_no_acknowledged_write(
    database_url: str, database: Database, world: World
) -> None:
    owner = world.person("acme")
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=base, headers=owner.headers, timeout=10) as client:
            while not stop.is_set():
                slug = f"w{uuid.uuid4().hex[:12]}"
                if _create(client, slug) == 200:
                    acknowledged.append(slug)
                elif len(acknowledged) and process.poll() is not None:
                    return

    with server_process(database_url, env={"WORKSPACED_RATE_LIMIT_PER_CREDENTIAL": "0"}) as (
        process,
        base,
    ):
        writers = [threading.Thread(target=write) for _ in range(WRITERS)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 50:  # the burst is under way
            assert time.monotonic() < deadline, "the burst never got going"
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
        # Stopped accepting: a new connection is refused.
        try:
            httpx.get(base + "/healthz", timeout=2)
            refused = False
        except httpx.ConnectError:
            refused = True
        assert refused
    missing = set(acknowledged) - _slugs(database)
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost"


@contextmanager
def _writes_blocked(database_url: str) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the workspaces table (PostgreSQL) from
    another connection, so a write the server starts waits in flight until we let go."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("COMMIT")
            holder.close()
        return
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as holder:
        holder.execute("LOCK TABLE workspaces IN EXCLUSIVE MODE")
        yield
        holder.commit()


def test_a_request_in_flight_at_sigterm_is_answered_and_kept(
    database_url: str, database: Database, world: World
) -> None:
    owner = world.person("acme")
    answered: dict[str, int | str] = {}
    with server_process(database_url) as (process, base):

        def create() -> None:
            with httpx.Client(base_url=base, headers=owner.headers, timeout=30) as client:
                answered["held"] = _create(client, "held")

        with _writes_blocked(database_url):
            request = threading.Thread(target=create)
            request.start()
            time.sleep(0.5)  # the request is in the server, waiting for the lock
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert process.poll() is None  # still finishing it
        request.join(timeout=30)
        assert process.wait(timeout=30) == 0
    assert answered["held"] == 200
    assert "held" in _slugs(database)


def test_a_webhook_attempt_in_flight_at_sigterm_completes_and_is_recorded(
    database_url: str, database: Database, world: World
) -> None:
    owner = world.person("acme")
    env = {"WORKSPACED_WEBHOOK_ALLOW_PRIVATE": "true"}
    with webhook_receiver() as receiver:
        receiver.delay_s["/slow"] = 2.0  # the receiver takes its time to answer 200
        with server_process(database_url, env=env) as (process, base):
            with httpx.Client(base_url=base, headers=owner.headers, timeout=10) as client:
                made = client.post(
                    "/api/v1/organizations/acme/webhooks", json={"url": f"{receiver.url}/slow"}
                )
                assert made.status_code == 200, made.text
                assert _create(client, "announced") == 200
            time.sleep(0.7)  # the attempt is under way: the receiver is sleeping on it
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        assert len(receiver.at("/slow")) == 1
    with database.read() as session:
        states = list(session.scalars(select(WebhookDelivery.state)))
    assert states == [DELIVERED]  # recorded, so no restart sends it again
