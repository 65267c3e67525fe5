"""SPEC §6 bounded work, end to end, on a 100,000-member workspace against a live server:

- one workspace viewer sends 40 concurrent worst-case member lists (substring filters
  that scan every row, some past the cost budget): `/healthz` answers within 1 s
  throughout, and every expensive request ends within 30 s with 2xx, 400, 429 or 503;
- activeloop's unpaged member list of the whole workspace costs the server no more
  memory than the 50-member one (it is streamed).

The review measured `/healthz` at 138 s under this load. Members:
WORKSPACED_HOSTILE_MEMBERS (default 100,000).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from bench.seed import seed

from tests.support import TestDatabases, live_server, server_rss_kib

MEMBERS = int(os.environ.get("WORKSPACED_HOSTILE_MEMBERS", "100000"))
CONCURRENT = 40
WORST_WITHIN_BUDGET = " OR ".join(f'search:"zq{i}x"' for i in range(5))  # 10 column scans
PAST_BUDGET = " OR ".join(f'search:"zq{i}x"' for i in range(100))


@pytest.mark.slow
def test_expensive_filters_never_starve_honest_callers(test_databases: TestDatabases) -> None:
    url = test_databases.fresh_url()
    try:
        dataset = seed(
            url,
            org=f"hostile-{uuid.uuid4().hex[:8]}",
            workspaces=3,
            members=MEMBERS,
            log=lambda _message: None,
        )
        with live_server(url) as base:
            _attack(base, dataset.org, dataset.big, dataset.viewer_token)
            _unpaged_lists_keep_memory_flat(base, dataset)
    finally:
        test_databases.clean(url)


def _attack(base: str, org: str, workspace: str, token: str) -> None:
    path = f"/api/v1/organizations/{org}/workspaces/{workspace}/users"
    headers = {"Authorization": f"Bearer {token}"}
    stop = threading.Event()
    health: list[float] = []

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                health.append(time.monotonic() - started)
                time.sleep(0.1)

    def expensive(i: int) -> tuple[int, float]:
        query = PAST_BUDGET if i % 2 else WORST_WITHIN_BUDGET
        started = time.monotonic()
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.get(path, params={"filter": query}, headers=headers)
        return response.status_code, time.monotonic() - started

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
            outcomes = list(pool.map(expensive, range(CONCURRENT)))
    finally:
        stop.set()
        prober.join()
    statuses = Counter(status for status, _ in outcomes)
    slowest = max(seconds for _, seconds in outcomes)
    print(  # the closing note's figures
        f"\nhostile filters ({MEMBERS} members): statuses {dict(statuses)}, slowest "
        f"{slowest:.1f} s; /healthz p100 {max(health):.3f} s over {len(health)} probes"
    )
    assert set(statuses) <= {200, 400, 429, 503}, statuses
    assert statuses[400] == CONCURRENT // 2  # every filter past the budget, refused at once
    assert slowest < 30
    assert max(health) < 1.0, sorted(health)[-5:]


def _unpaged_lists_keep_memory_flat(base: str, dataset: Any) -> None:
    headers = {"Authorization": f"Bearer {dataset.owner_token}"}
    with httpx.Client(base_url=base, timeout=120) as client:

        def listed(workspace: str) -> int:
            response = client.get(f"/workspaces/{workspace}/users", headers=headers)
            assert response.status_code == 200, response.text[:300]
            return len(response.json()["data"])

        assert listed(dataset.team) == dataset.team_members
        small = server_rss_kib(base)
        assert listed(dataset.big) > dataset.members  # and the workspace's owner
        grown_mib = (server_rss_kib(base) - small) / 1024
    print(f"unpaged list of {dataset.members} members: server RSS grew {grown_mib:.1f} MiB")
    assert grown_mib < 20
