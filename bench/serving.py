"""SPEC §6 costs: the HTTP server `serve` runs (granian) against uvicorn for the same app
and data, and what the rate limits and statement time limits cost on the hot read path.

All contenders serve the same SQLite data set and are loaded in interleaved rounds; the
table gives each as a ratio of `serve` as shipped with the limits off (the benchmarks'
usual setting). "limits on" sets the per-credential and per-address limits so high that
nothing is refused: what is measured is the counting, not refusals.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable
from functools import partial

from bench import common, servers
from bench.report import Report
from bench.seed import Dataset

TARGET = "§6"
NEVER_REFUSED = str(10**9)


def run(ds: Dataset, settings: common.Settings, report: Report) -> None:
    print("§6: HTTP server and limits, same app and data", flush=True)
    loads = {
        "healthz": common.Load("/healthz", {}),
        "aip: list users (50)": common.Load(
            f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}/users?page_size=50",
            {"Authorization": f"Bearer {ds.viewer_token}"},
        ),
    }
    with contextlib.ExitStack() as stack:
        shipped = servers.start_ours(stack, ds.database_url, name="granian")
        rate_limited = servers.start_ours(
            stack,
            ds.database_url,
            name="granian-rate-limits",
            env={
                "WORKSPACED_RATE_LIMIT_PER_CREDENTIAL": NEVER_REFUSED,
                "WORKSPACED_RATE_LIMIT_PER_ADDRESS": NEVER_REFUSED,
            },
        )
        untimed = servers.start_ours(
            stack,
            ds.database_url,
            name="granian-no-time-limit",
            env={"WORKSPACED_STATEMENT_TIMEOUT": "0"},
        )
        contenders_of: dict[str, common.Server] = {
            "serve (granian), limits off": shipped,
            "serve, rate limits on": rate_limited,
            "serve, statement time limit off": untimed,
        }
        if importlib.util.find_spec("uvicorn") is not None:
            contenders_of["uvicorn, same app"] = servers.start_under_uvicorn(stack, ds.database_url)
        else:
            report.add(TARGET, "uvicorn", "skipped", note="pip install -e '.[bench]' to compare")
        for name, load in loads.items():
            contenders: dict[str, Callable[[], common.Result]] = {
                label: partial(common.run_load, server.base_url, load, settings)
                for label, server in contenders_of.items()
            }
            results = common.interleaved(contenders, settings.rounds)
            base = common.median_rps(results["serve (granian), limits off"])
            for label, runs in results.items():
                rps = common.median_rps(runs)
                ratio = rps / base if base else 0.0
                report.add(
                    TARGET,
                    f"{name}: {label}",
                    f"{ratio:.2f} ({rps:,.0f} req/s)",
                    note=common.error_note(runs),
                )
