"""Target 5: the same 50-member page served by peers, measured in the same run as ours.

* django-organizations with a thin Django REST Framework view (`django_peer/`), installed
  from PyPI into its own venv, served by gunicorn (one process, gthread, 8 threads).
* better-auth's organization plugin on SQLite via better-sqlite3 (`better_auth/`),
  installed from npm, served by node:http on the machine's Node.js.

Each peer is pinned to the same core as our server and seeded with the same shape of data
(one organization/workspace of 50 members, read by a plain member with a token). The peers
are skipped in --quick mode: installing them needs the package registries.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench import common, servers
from bench.report import Report
from bench.suite import Plan

HERE = Path(__file__).parent
DJANGO_GOAL = 5.0
BETTER_AUTH_GOAL = 1.0
DJANGO_PACKAGES = [
    "django>=5,<6",
    "django-organizations>=2.4",
    "djangorestframework>=3.15",
    "gunicorn>=22",
]


def _django(stack: contextlib.ExitStack, members: int) -> tuple[common.Server, common.Load]:
    venv = common.WORK / "peer-django-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *DJANGO_PACKAGES], check=True)
    db = common.WORK / "peer-django.sqlite3"
    db.unlink(missing_ok=True)
    env = {**os.environ, "PEER_DB": str(db), "PYTHONPATH": str(HERE / "django_peer")}
    out = subprocess.run(
        [str(python), str(HERE / "django_peer" / "peer" / "seed.py"), str(members)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    port = common.free_port()
    server = common.start_server(
        stack,
        "peer-django",
        [
            str(venv / "bin" / "gunicorn"),
            "peer.wsgi",
            "-b",
            f"{common.HOST}:{port}",
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            "8",
        ],
        port=port,
        env={"PEER_DB": str(db), "PYTHONPATH": str(HERE / "django_peer")},
        health_path=seeded["path"],
    )
    return server, common.Load(seeded["path"], {"Authorization": f"Token {seeded['token']}"})


def _better_auth(stack: contextlib.ExitStack, members: int) -> tuple[common.Server, common.Load]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node/npm not found")
    work = common.WORK / "peer-better-auth"
    work.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "server.mjs"):
        shutil.copy(HERE / "better_auth" / name, work / name)
    if not (work / "node_modules" / "better-auth").exists():
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=work, check=True)
    db = work / "peer.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    port = common.free_port()
    env = {**os.environ, "PEER_DB": str(db), "PEER_PORT": str(port), "NODE_ENV": "production"}
    out = subprocess.run(
        [node, "server.mjs", "seed", str(members)],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    server = common.start_server(
        stack,
        "peer-better-auth",
        [node, "server.mjs", "serve"],
        port=port,
        env={"PEER_DB": str(db), "PEER_PORT": str(port), "NODE_ENV": "production"},
        health_path="/api/auth/ok",
        cwd=str(work),
    )
    return server, common.Load(seeded["path"], {"Authorization": f"Bearer {seeded['token']}"})


Starter = Callable[[contextlib.ExitStack, int], tuple[common.Server, common.Load]]
PEERS: dict[str, tuple[Starter, float]] = {
    "django-organizations + DRF": (_django, DJANGO_GOAL),
    "better-auth organization plugin": (_better_auth, BETTER_AUTH_GOAL),
}


def run(plan: Plan, report: Report) -> None:
    if plan.quick:
        report.add("5", "peers", "skipped", note="--quick: peers need package installs")
        return
    print("target 5: peers", flush=True)
    ds = plan.sqlite_dataset(report)
    settings = plan.settings
    with contextlib.ExitStack() as stack:
        ours = servers.start_ours(stack, ds.database_url)
        contenders: dict[str, Callable[[], common.Result]] = {}
        ours_load = common.Load(
            f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}/users?page_size=50",
            {"Authorization": f"Bearer {ds.viewer_token}"},
        )
        contenders["ours"] = lambda: common.run_load(ours.base_url, ours_load, settings)
        goals: dict[str, float] = {}
        for name, (start, goal) in PEERS.items():
            try:
                server, load = start(stack, ds.team_members)
                status, _, body = common.fetch(server.base_url + load.path, load.headers)
                if status != 200:
                    raise RuntimeError(f"answered {status}: {body[:200]!r}")
            except Exception as exc:
                report.add("5", name, "skipped", note=f"{type(exc).__name__}: {exc}"[:200])
                continue
            goals[name] = goal
            contenders[name] = partial(common.run_load, server.base_url, load, settings)
        results = common.interleaved(contenders, settings.rounds)
    ours_rps = common.median_rps(results["ours"])
    for name, goal in goals.items():
        peer_rps = common.median_rps(results[name])
        multiple = ours_rps / peer_rps if peer_rps else float("inf")
        errors = common.total_errors(results[name])
        report.add(
            "5",
            f"ours vs {name} (50-member page)",
            f"{multiple:.2f}x ({ours_rps:,.0f} vs {peer_rps:,.0f} req/s)",
            f">= {goal:g}x",
            multiple >= goal,
            ("peer: " + common.error_note(results[name])) if errors else "",
        )
