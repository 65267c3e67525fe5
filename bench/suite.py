"""Which data sets each benchmark uses, and the order `all` runs them in."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

from bench import common, servers
from bench.report import Report
from bench.seed import Dataset


@dataclass
class Plan:
    quick: bool
    settings: common.Settings
    postgres_url: str
    reseed: bool = False
    _reported: set[tuple[str, str]] = field(default_factory=set)

    @property
    def members(self) -> int:
        return 2_000 if self.quick else 1_000_000

    @property
    def workspaces(self) -> int:
        return 200 if self.quick else 100_000

    def sqlite_dataset(self, report: Report | None = None) -> Dataset:
        name = "quick.db" if self.quick else "scale.db"
        return self._dataset(servers.sqlite_url(name), report)

    def postgres_dataset(self, report: Report | None = None) -> Dataset | None:
        if not servers.postgres_available(self.postgres_url):
            if report:
                report.add("2/6", "PostgreSQL", "skipped", note=f"{self.postgres_url} unreachable")
            return None
        url = self.postgres_url + ("_quick" if self.quick else "")
        return self._dataset(url, report)

    def _dataset(self, url: str, report: Report | None) -> Dataset:
        started = time.perf_counter()
        ds = servers.dataset(
            url, workspaces=self.workspaces, members=self.members, reseed=self.reseed
        )
        fresh = time.perf_counter() - started > 1
        key = ("4", url)
        if report is not None and key not in self._reported:
            self._reported.add(key)
            backend = url.split(":", 1)[0].split("+")[0]
            report.add(
                "4",
                f"bulk load, {backend}: {ds.workspaces:,} workspaces + {ds.members:,} members",
                f"{ds.seconds:.0f} s",
                "minutes",
                ds.seconds < 15 * 60,
                "" if fresh else "data set cached from an earlier run; time is from its seeding",
            )
        return ds


def run(command: str, plan: Plan, report: Report) -> None:
    from bench import (
        depth,
        events,
        identity,
        observability,
        peers,
        reads,
        scaleout,
        serving,
        writes,
    )

    steps = {
        "reads": lambda: reads.run(plan.sqlite_dataset(report), plan.settings, report),
        "depth": lambda: depth.run(plan, report),
        "writes": lambda: writes.run(plan, report),
        "peers": lambda: peers.run(plan, report),
        "scaleout": lambda: scaleout.run(plan, report),
        "serving": lambda: serving.run(plan.sqlite_dataset(report), plan.settings, report),
        "identity": lambda: identity.run(plan.sqlite_dataset(report), plan.settings, report),
        "events": lambda: events.run(plan, report),
        "observability": lambda: observability.run(
            plan.sqlite_dataset(report), plan.settings, report
        ),
    }
    chosen = list(steps) if command == "all" else [command]
    failed = []
    for name in chosen:
        try:
            steps[name]()
        except Exception as exc:
            # One broken benchmark must not hide the others' numbers; the exit status
            # still says something failed.
            traceback.print_exc()
            report.add(name, "FAILED", type(exc).__name__, note=str(exc).splitlines()[0][:120])
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")
