"""At least once, across crashes (SPEC §7): a burst of changes against a real `serve`,
the whole process group killed with SIGKILL in the middle of it, a restart, and then every
event the database holds (every change that committed) reaches the receiver, none lost.

Runs: WORKSPACED_WEBHOOK_CRASH_RUNS (default 5).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import AbstractContextManager

import httpx
import pytest
from sqlalchemy import select

from tests.safety import stats
from tests.safety.test_faults import server_process
from tests.support import World
from tests.webhook_receiver import webhook_receiver
from workspaced.kit.db import Database
from workspaced.models import Event, WebhookDelivery

RUNS = int(os.environ.get("WORKSPACED_WEBHOOK_CRASH_RUNS", "5"))
CHANGES = 30
LEASE_S = "2"  # a crashed worker's claim runs out quickly here (default 60 s)


def serve(database_url: str) -> AbstractContextManager[tuple[subprocess.Popen[bytes], str]]:
    env = {"WORKSPACED_WEBHOOK_ALLOW_PRIVATE": "true", "WORKSPACED_WEBHOOK_LEASE": LEASE_S}
    return server_process(database_url, env=env, own_group=True)


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
