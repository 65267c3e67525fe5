"""`python -m bench profile`: where our server spends its time under load.

Starts `workspaced serve` on the read data set, drives one endpoint with the load
generator and samples the server with py-spy (`pip install -e '.[bench]'`), then prints
the frames that hold the most on-CPU samples, self and cumulative.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import subprocess
import threading
from pathlib import Path

from bench import common, servers
from bench.suite import Plan

# Frames of threads parked waiting for work: not CPU time.
_IDLE = ("Condition.wait", "select (selectors", "Queue.get", "_worker (concurrent")


def summarize(raw: Path, top: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or any(idle in frames[-1] for idle in _IDLE):
            continue
        count = int(count_text)
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return "no samples"
    lines = [f"{samples} on-CPU samples", "", "self:"]
    lines += [f"{c / samples:6.1%}  {f}" for f, c in own.most_common(top)]
    lines += ["", "cumulative (workspaced, fastapi, starlette, sqlalchemy.orm):"]
    keep = ("workspaced/", "fastapi/", "starlette/", "sqlalchemy/orm/")
    picked = [(f, c) for f, c in total.most_common() if any(k in f for k in keep)]
    lines += [f"{c / samples:6.1%}  {f}" for f, c in picked[: top * 2]]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench profile", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="use the small data set")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--endpoint",
        choices=("users", "workspace", "deep"),
        default="users",
        help="list 50 users of `team`, get `team`, or the page at 90%% of `big`",
    )
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy not found: pip install -e '.[bench]'")
    plan = Plan(quick=args.quick, settings=common.Settings(seconds=args.seconds), postgres_url="")
    ds = plan.sqlite_dataset()
    base = f"/api/v1/organizations/{ds.org}/workspaces"
    if args.endpoint == "users":
        path = f"{base}/{ds.team}/users?page_size=50"
    elif args.endpoint == "workspace":
        path = f"{base}/{ds.team}"
    else:
        from bench.depth import deep_token

        token = deep_token(ds, ds.members * 9 // 10)
        path = f"{base}/{ds.big}/users?page_size=50&page_token={token}"
    load = common.Load(path, {"Authorization": f"Bearer {ds.viewer_token}"})
    raw = common.WORK / "profile.txt"
    with contextlib.ExitStack() as stack:
        ours = servers.start_ours(stack, ds.database_url)
        common.run_load(ours.base_url, load, common.Settings(seconds=2))  # warm up
        result: list[common.Result] = []
        driver = threading.Thread(
            target=lambda: result.append(common.run_load(ours.base_url, load, plan.settings))
        )
        driver.start()
        subprocess.run(
            [
                py_spy,
                "record",
                "-p",
                str(ours.pid),
                "-d",
                str(int(args.seconds) - 1),
                "-f",
                "raw",
                "-o",
                str(raw),
            ],
            check=True,
            capture_output=True,
        )
        driver.join()
    print(f"{path}\n{result[0].requests_per_s:,.0f} req/s while sampled\n")
    print(summarize(raw))
