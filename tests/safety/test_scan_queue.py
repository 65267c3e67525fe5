"""SPEC §6: a list that a caller-supplied filter may turn into a scan takes a slot of the
bounded scan queue, so token lookups and keyed reads never wait behind it; the same list
without a filter does not. Every aip list route with a `filter` parameter is covered
(read from the route table, so a new one is checked the day it is written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.safety.fixture_world import SafetyWorld
from tests.safety.routes import ROUTES, Route, fill, path_values
from workspaced.http import context as http_context

# Filters that only name keys (exact matches an index answers) never scan.
KEYED_FILTERS = {"/api/v1/organizations/{organization_id}/tokens": "user_id = only"}
FILTERED = [
    r
    for r in ROUTES
    if r.dialect == "aip"
    and r.method == "GET"
    and "filter" in r.query
    and r.path not in KEYED_FILTERS
]
FILTERS = {"users": 'search:"a"', "invites": 'email:"a"', "auditEvents": 'action:"a"'}


def _filter_for(route: Route) -> str:
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    return FILTERS.get(last, 'title:"a"')


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads that took a scan slot, by their function's name."""
    taken: list[str] = []
    real = http_context._run_scan

    async def counting(read: Callable[[], Any]) -> Any:
        taken.append(read.__qualname__)
        return await real(read)

    monkeypatch.setattr(http_context, "_run_scan", counting)
    return taken


def test_the_filtered_lists_are_found() -> None:
    paths = {r.path.rsplit("/", 1)[-1] for r in FILTERED}
    assert {"workspaces", "users", "invites", "auditEvents"} <= paths, paths


@pytest.mark.parametrize("route", FILTERED, ids=[r.id for r in FILTERED])
def test_a_filtered_list_takes_a_scan_slot(
    route: Route, client: TestClient, safety_world: SafetyWorld, scans: list[str]
) -> None:
    path = fill(route.path, path_values(route, safety_world))
    headers = safety_world.org_owner.headers
    plain = client.get(path, headers=headers)
    assert plain.status_code == 200, plain.text
    assert scans == [], "an unfiltered page is bounded by an index: no scan slot"
    filtered = client.get(path, params={"filter": _filter_for(route)}, headers=headers)
    assert filtered.status_code == 200, filtered.text
    assert len(scans) == 1, scans
