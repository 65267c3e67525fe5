"""At least once, across crashes (SPEC §7): a burst of changes against a real `serve`,
the whole process group killed with SIGKILL in the middle of it, a restart, and then every
event the database holds (every change that committed) reaches the receiver, none lost.

Runs: WORKSPACED_WEBHOOK_CRASH_RUNS (default 5).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from tests.safety import stats
from tests.support import World, free_port
from tests.webhook_receiver import webhook_receiver
from workspaced.kit.db import Database
from workspaced.models import Event, WebhookDelivery

RUNS = int(os.environ.get("WORKSPACED_WEBHOOK_CRASH_RUNS", "5"))
CHANGES = 30
LEASE_S = "2"  # a crashed worker's claim runs out quickly here (default 60 s)


@contextmanager
def serve(database_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workspaced",
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,  # its own process group: SIGKILL reaches every worker at once
        env={
            **os.environ,
            "WORKSPACED_WEBHOOK_ALLOW_PRIVATE": "true",
            "WORKSPACED_WEBHOOK_LEASE": LEASE_S,
        },
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
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


def burst(base: str, headers: dict[str, str], prefix: str, acknowledged: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for n in range(CHANGES):
            try:
                response = client.post(
                    "/api/v1/organizations/acme/workspaces",
                    json={"title": f"{prefix}-{n}"},
                    headers=headers,
                )
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                acknowledged.append(response.json()["name"])


@pytest.mark.slow
def test_kill_9_during_a_burst_loses_no_event(
    database_url: str, database: Database, world: World
) -> None:
    owner = world.person("acme")
    lost_total = 0
    with webhook_receiver() as receiver:
        receiver.delay_s["/hook"] = 0.02  # deliveries trail the burst, so some are in flight
        with serve(database_url) as (_, base):
            made = httpx.post(
                f"{base}/api/v1/organizations/acme/webhooks",
                json={"url": f"{receiver.url}/hook"},
                headers=owner.headers,
            )
            assert made.status_code == 200, made.text
        for run in range(RUNS):
            acknowledged: list[str] = []
            with serve(database_url) as (process, base):
                writer = threading.Thread(
                    target=burst, args=(base, owner.headers, f"r{run}", acknowledged)
                )
                writer.start()
                time.sleep(0.3 + 0.1 * run)
                os.killpg(process.pid, signal.SIGKILL)
                writer.join(timeout=30)
            with serve(database_url):
                with database.read() as session:
                    # Every event since the endpoint exists (the owner's bootstrap before
                    # it had nowhere to go).
                    expected = set(
                        session.scalars(
                            select(Event.event_id).join(
                                WebhookDelivery, WebhookDelivery.event_pk == Event.id
                            )
                        )
                    )
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    got = {r.headers["webhook-id"] for r in receiver.at("/hook")}
                    if expected <= got:
                        break
                    time.sleep(0.2)
                lost = expected - {r.headers["webhook-id"] for r in receiver.at("/hook")}
                lost_total += len(lost)
                stats.add("webhook crash runs")
                assert not lost, f"run {run}: {len(lost)} of {len(expected)} events never arrived"
    assert lost_total == 0
