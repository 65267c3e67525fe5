"""Durability and faults against a real `workspaced serve` process.

- SQLite: kill -9 the server in the middle of a stream of writes, restart it, and find
  every acknowledged write (every 200) and a database that passes `PRAGMA integrity_check`.
- PostgreSQL: drop the server's connections (pg_terminate_backend) under load; the service
  recovers without a restart. Make the database unreachable (rename it): /readyz answers
  503, no request hangs past its timeout, and readiness comes back with the database.

Kills per run: WORKSPACED_FAULT_KILLS (default 3).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.safety import stats
from tests.support import (
    World,
    free_port,
    live_server,
    postgres_admin,
    postgres_base_url,
    terminate_sessions,
)

KILLS = int(os.environ.get("WORKSPACED_FAULT_KILLS", "3"))
TIMEOUT = httpx.Timeout(10.0)
ORG = "acme"


@contextmanager
def server_process(
    database_url: str, *, env: dict[str, str] | None = None, own_group: bool = False
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Like tests.support.live_server, but hands out the process so a test can kill it.
    `own_group`: the server gets a process group of its own, so that
    `os.killpg(process.pid, SIGKILL)` takes its workers down at the same instant."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "workspaced", "serve"),
            *("--port", str(port), "--database-url", database_url),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=own_group,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "server exited during start-up"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start within 30 s"
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            if own_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        process.wait(timeout=10)


def write_stream(
    base: str, headers: dict[str, str], prefix: str, stop: threading.Event
) -> list[str]:
    """Create workspaces one after another until the server dies; return the slugs the
    server acknowledged with a 200."""
    acknowledged: list[str] = []
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        for n in range(100_000):
            if stop.is_set():
                break
            slug = f"{prefix}-{n}"
            try:
                response = client.post(
                    f"/api/v1/organizations/{ORG}/workspaces",
                    params={"workspace_id": slug},
                    json={"title": slug},
                    headers=headers,
                )
            except httpx.HTTPError:
                break  # the server is gone: this write was never acknowledged
            if response.status_code == 200:
                acknowledged.append(slug)
    return acknowledged


@pytest.mark.skipif(postgres_base_url() is not None, reason="kill -9 durability is a SQLite test")
def test_kill_9_loses_no_acknowledged_write(database_url: str, world: World) -> None:
    owner = world.person(ORG)
    path = Path(make_url(database_url).database or "")
    acknowledged: list[str] = []
    for kill in range(KILLS):
        with server_process(database_url) as (process, base):
            stop = threading.Event()
            result: list[str] = []
            writer = threading.Thread(
                target=lambda r=result, k=kill, s=stop: r.extend(
                    write_stream(base, owner.headers, f"k{k}", s)
                )
            )
            writer.start()
            time.sleep(1.0 + 0.3 * kill)  # let writes pile up, then pull the plug mid-stream
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            stop.set()
            writer.join(timeout=30)
            assert not writer.is_alive(), "a request hung after the server died"
        assert result, "no write was acknowledged before the kill"
        acknowledged += result
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = {row[0] for row in connection.execute("SELECT slug FROM workspaces")}
        missing = [slug for slug in acknowledged if slug not in stored]
        assert not missing, f"acknowledged but lost after kill -9: {missing[:10]}"
        stats.add("kill -9 survived")
        stats.add("acknowledged writes checked after kill -9", len(result))
    # And a restarted server serves them.
    with live_server(database_url) as base:
        listed: set[str] = set()
        token = ""
        while True:
            response = httpx.get(
                f"{base}/api/v1/organizations/{ORG}/workspaces",
                params={"page_size": 1000, "page_token": token},
                headers=owner.headers,
                timeout=TIMEOUT,
            )
            assert response.status_code == 200, response.text
            listed |= {w["name"].rsplit("/", 1)[-1] for w in response.json()["workspaces"]}
            token = response.json()["next_page_token"]
            if not token:
                break
        assert set(acknowledged) <= listed


def _terminate(database_url: str, name: str) -> int:
    admin = postgres_admin(database_url)
    try:
        with admin.connect() as connection:
            return terminate_sessions(connection, name)
    finally:
        admin.dispose()


def _connections(database_url: str, name: str) -> int:
    """How many backends are connected to database `name` (other than ours)."""
    admin = postgres_admin(database_url)
    try:
        with admin.connect() as connection:
            value = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(value)


def _wait_for_connections(database_url: str, name: str, seconds: float = 10) -> bool:
    """Whether the server holds database connections again within `seconds` (on a loaded
    machine, reconnecting after a kill can take longer than the pause between rounds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _connections(database_url, name) >= 1:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(postgres_base_url() is None, reason="needs PostgreSQL")
def test_dropped_connections_recover_without_restart(database_url: str, world: World) -> None:
    owner = world.person(ORG)
    name = make_url(database_url).database or ""
    with (
        server_process(database_url) as (_, base),
        httpx.Client(base_url=base, timeout=TIMEOUT) as client,
    ):
        stop = threading.Event()
        failures: list[int] = []
        dropped: list[str] = []

        def load() -> None:
            with httpx.Client(base_url=base, timeout=TIMEOUT) as loader:
                while not stop.is_set():
                    try:
                        response = loader.get(
                            f"/api/v1/organizations/{ORG}/workspaces", headers=owner.headers
                        )
                    except httpx.TransportError as exc:
                        dropped.append(repr(exc))
                        continue
                    if response.status_code != 200:
                        failures.append(response.status_code)

        loaders = [threading.Thread(target=load) for _ in range(4)]
        for thread in loaders:
            thread.start()
        try:
            time.sleep(0.5)
            for _ in range(3):
                assert _wait_for_connections(database_url, name), "the server reconnected"
                assert _terminate(database_url, name) >= 1  # the server held connections
                time.sleep(0.3)
        finally:
            stop.set()
            for thread in loaders:
                thread.join(timeout=30)
        assert not any(t.is_alive() for t in loaders), "a request hung"
        # A request whose database connection died gets an answer (a 5xx), and its HTTP
        # connection stays usable: nothing is reset or dropped on the client.
        assert not dropped, dropped[:3]
        assert all(status >= 500 for status in failures), failures
        # Requests in flight when their connection died may fail (5xx); every request
        # after that succeeds, on the same process: pool_pre_ping replaced the dead ones.
        for n in range(20):
            response = client.post(
                f"/api/v1/organizations/{ORG}/workspaces",
                params={"workspace_id": f"after-{n}"},
                json={"title": "after"},
                headers=owner.headers,
            )
            assert response.status_code == 200, response.text
        assert client.get("/readyz").status_code == 200
        stats.add("pg_terminate_backend rounds survived", 3)
        stats.STATS["requests failed while their connection was killed"] = len(failures)


@pytest.mark.skipif(postgres_base_url() is None, reason="needs PostgreSQL")
def test_readyz_is_503_while_the_database_is_unreachable(database_url: str, world: World) -> None:
    owner = world.person(ORG)
    name = make_url(database_url).database or ""
    hidden = name + "_away"
    with (
        server_process(database_url) as (_, base),
        httpx.Client(base_url=base, timeout=TIMEOUT) as client,
    ):
        assert client.get("/readyz").status_code == 200
        admin = postgres_admin(database_url)
        try:
            with admin.connect() as connection:
                _terminate(database_url, name)
                connection.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{hidden}"'))
            started = time.monotonic()
            ready = client.get("/readyz")
            assert ready.status_code == 503, ready.text
            # An API request fails fast in its dialect's format; nothing hangs.
            response = client.get(f"/api/v1/organizations/{ORG}/workspaces", headers=owner.headers)
            assert response.status_code >= 500
            assert "error" in response.json()
            assert time.monotonic() - started < TIMEOUT.read  # type: ignore[operator]
        finally:
            with admin.connect() as connection:
                _terminate(database_url, hidden)
                connection.execute(text(f'ALTER DATABASE "{hidden}" RENAME TO "{name}"'))
            admin.dispose()
        # Back without a restart.
        deadline = time.monotonic() + 15
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "readiness did not come back"
            time.sleep(0.2)
        response = client.get(f"/api/v1/organizations/{ORG}/workspaces", headers=owner.headers)
        assert response.status_code == 200, response.text
