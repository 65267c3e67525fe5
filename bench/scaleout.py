"""Target 6: one vs two `workspaced serve` worker processes on one PostgreSQL.

This machine has two cores and the load generator needs one of them, so the second
process mostly competes for the same CPU time: the ratio shows what a second process
buys here, not what it would buy with a core of its own.
"""

from __future__ import annotations

import contextlib
import os

from bench import common, servers
from bench.report import Report
from bench.suite import Plan


def run(plan: Plan, report: Report) -> None:
    ds = plan.postgres_dataset(report)
    if ds is None:
        return
    print("target 6: 1 vs 2 serve processes on PostgreSQL", flush=True)
    settings = plan.settings
    load = common.Load(
        f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}/users?page_size=50",
        {"Authorization": f"Bearer {ds.viewer_token}"},
    )
    with contextlib.ExitStack() as stack:
        # Unpinned: the processes may use whatever CPU the load generator leaves.
        one = servers.start_ours(stack, ds.database_url, name="workspaced-1", cpu=None)
        two = servers.start_ours(stack, ds.database_url, name="workspaced-2", workers=2, cpu=None)
        results = common.interleaved(
            {
                "one": lambda: common.run_load(one.base_url, load, settings),
                "two": lambda: common.run_load(two.base_url, load, settings),
            },
            settings.rounds,
        )
    rps1, rps2 = common.median_rps(results["one"]), common.median_rps(results["two"])
    errors = common.total_errors(results["one"]) + common.total_errors(results["two"])
    report.add(
        "6",
        "2 vs 1 serve processes, PostgreSQL, list users (50)",
        f"{rps2 / rps1:.2f}x ({rps2:,.0f} vs {rps1:,.0f} req/s)",
        note=f"{os.cpu_count()} cores shared with the load generator"
        + (f"; {common.error_note(results['one'] + results['two'])}" if errors else ""),
    )
