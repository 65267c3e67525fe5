"""Target 1: reads over HTTP as a fraction of the raw-ASGI floor serving the same bytes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bench import common, domain, servers
from bench.report import Report
from bench.seed import Dataset

GOAL = 0.15


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    token: str
    method: str = "GET"
    body: bytes | None = None

    def load(self) -> common.Load:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return common.Load(self.path, headers, self.method, self.body)


def endpoints(ds: Dataset) -> list[Endpoint]:
    """A permission-checked read of the 50-member `team` workspace in every dialect."""
    org, ws = ds.org, ds.team
    return [
        Endpoint(
            "aip: list users (50)",
            f"/api/v1/organizations/{org}/workspaces/{ws}/users?page_size=50",
            ds.viewer_token,
        ),
        Endpoint(
            "aip: get workspace", f"/api/v1/organizations/{org}/workspaces/{ws}", ds.viewer_token
        ),
        Endpoint("activeloop: list users (50)", f"/workspaces/{ws}/users", ds.viewer_token),
        Endpoint(
            "members: list members (50)",
            f"/v1/orgs/{ds.org_id}/workspaces/{ds.team_id}/members?limit=50",
            ds.viewer_token,
        ),
        # The admin dialect answers organization owners/admins only.
        Endpoint(
            "admin: list users (50)",
            f"/workspace/admin/orgs/{ds.org_id}/workspaces/{ds.team_id}/users?limit=50",
            ds.owner_token,
        ),
    ]


def probe(
    server: common.Server, found: list[Endpoint], report: Report, target: str
) -> tuple[list[Endpoint], dict[str, tuple[int, str, bytes]]]:
    """Keep the endpoints that answer 200 (dialects land at different times) and capture
    each body, so the floor can serve exactly the same bytes."""
    live: list[Endpoint] = []
    captured: dict[str, tuple[int, str, bytes]] = {}
    for endpoint in found:
        status, headers, body = common.fetch(
            server.base_url + endpoint.path,
            endpoint.load().headers,
            endpoint.method,
            endpoint.body,
        )
        if status != 200:
            report.add(target, endpoint.name, "skipped", note=f"answered {status}: not available")
            continue
        live.append(endpoint)
        content_type = headers.get("content-type", headers.get("Content-Type", "application/json"))
        captured[endpoint.path.split("?")[0]] = (200, content_type, body)
    return live, captured


def run(ds: Dataset, settings: common.Settings, report: Report) -> None:
    print("target 1: reads vs the raw ASGI floor (and a bare FastAPI app, same bytes)", flush=True)
    with contextlib.ExitStack() as stack:
        ours = servers.start_ours(stack, ds.database_url)
        live, captured = probe(ours, endpoints(ds), report, "1")
        floor = servers.start_floor(stack, captured)
        ceiling = servers.start_floor(stack, captured, module="bench.ceiling")
        work = domain.reads(ds)
        for endpoint in live:
            load = endpoint.load()
            contenders: dict[str, Callable[[], common.Result]] = {
                "floor": partial(common.run_load, floor.base_url, load, settings),
                "ceiling": partial(common.run_load, ceiling.base_url, load, settings),
                "ours": partial(common.run_load, ours.base_url, load, settings),
            }
            if endpoint.name in work:
                contenders["domain"] = partial(domain.rate, work[endpoint.name], settings.seconds)
            results = common.interleaved(contenders, settings.rounds)
            floor_rps = common.median_rps(results["floor"])
            ours_rps = common.median_rps(results["ours"])
            ratio = ours_rps / floor_rps if floor_rps else 0.0
            errors = common.total_errors(results["ours"])
            notes = [
                _bound("bare FastAPI, same bytes, no work", results["ceiling"], floor_rps),
                _bound("our work alone, no HTTP", results.get("domain"), floor_rps),
                common.error_note(results["ours"]),
            ]
            report.add(
                "1",
                endpoint.name,
                f"{ratio:.3f} of floor ({ours_rps:,.0f} vs {floor_rps:,.0f} req/s)",
                f">= {GOAL}",
                ratio >= GOAL and errors == 0,
                "; ".join(note for note in notes if note),
            )


def _bound(what: str, results: list[common.Result] | None, floor_rps: float) -> str:
    """'<what>: 0.40 of floor (4,331 req/s)' for the report's note, '' when not measured."""
    if not results or not floor_rps:
        return ""
    rps = common.median_rps(results)
    return f"{what}: {rps / floor_rps:.3f} of floor ({rps:,.0f} req/s)"
