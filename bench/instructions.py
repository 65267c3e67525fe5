"""`python -m bench instructions`: CPU instructions per request, counted, not timed.

Wall-clock numbers on a shared 2-core machine swing by 2x between runs; instruction counts
do not. This runs the ASGI app in process (no HTTP server, no load generator) under
valgrind's callgrind, once with `--warm` requests and once with `--warm + --requests`, and
reports the difference per request, for each hot read. Use it to judge a change to the
request path: a change that does not move this number did not make the server cheaper.

`aip-add-user` counts a write: each request adds a new member (`POST .../users`). Each
valgrind run works on a fresh copy of the data set (so both runs of a write add the same
users, and concurrent runs cannot disturb each other), with every token marked unused.

Needs valgrind (Debian package `valgrind`). Each endpoint takes a minute or two.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.suite import Plan

# {placeholders} are fields of the seeded Dataset.
ENDPOINTS = {
    "aip-users": ("/api/v1/organizations/{org}/workspaces/{team}/users", "page_size=50"),
    "aip-workspace": ("/api/v1/organizations/{org}/workspaces/{team}", ""),
    "activeloop-users": ("/workspaces/{team}/users", ""),
    "members-members": ("/v1/orgs/{org_id}/workspaces/{team_id}/members", "limit=50"),
    "admin-users": ("/workspace/admin/orgs/{org_id}/workspaces/{team_id}/users", "limit=50"),
    "aip-add-user": ("/api/v1/organizations/{org}/workspaces/{team}/users", ""),
}
# Writes: request i posts this body ({i} counts from the first user not yet in `team`).
WRITE_BODIES = {"aip-add-user": '{{"user": "member{i:07d}@bench.example", "role": "viewer"}}'}
_COLLECTED = re.compile(r"Collected : (\d+)")


async def _drive(path: str, query: str, token: str, count: int, body: str, first: int) -> None:
    from workspaced.http.asgi import app_factory

    app = app_factory()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {token}".encode()),
            *([(b"content-type", b"application/json")] if body else []),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    bodies = iter(body.format(i=first + i).encode() for i in range(count)) if body else None

    async def receive() -> dict[str, object]:
        payload = next(bodies) if bodies is not None else b""
        return {"type": "http.request", "body": payload, "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))  # type: ignore[call-overload]

    for _ in range(count):
        await app(dict(scope), receive, send)  # type: ignore[arg-type]
    if set(statuses) - {200, 201}:
        raise SystemExit(f"{path} answered {sorted(set(statuses))}")


def _child(argv: list[str]) -> None:
    """Run inside valgrind: `count` requests to one endpoint."""
    path, query, token, count, body, first = argv
    asyncio.run(_drive(path, query, token, int(count), body, int(first)))


def _instructions(valgrind: str, args: list[str], env: dict[str, str]) -> int:
    result = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            *("-m", "bench.instructions", "--child", *args),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = _COLLECTED.search(result.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def _fresh_copy(database_url: str) -> str:
    """A copy of a SQLite data set (through SQLite's backup API: consistent even in WAL)."""
    from bench import common

    source_path = database_url.removeprefix("sqlite:///")
    target_path = common.WORK / f"instructions-{os.getpid()}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(target_path) as target:
        source.backup(target)
    return f"sqlite:///{target_path}"


def _forget_token_use(database_url: str) -> None:
    """Mark every token never used. A token records its use at most once a minute, with a
    write; whether a run's first request wrote would otherwise depend on how long ago the
    previous run was, and a write counted in one run but not the other skews the
    difference by far more than a request costs. Now the first request of every run
    writes, and the difference cancels it."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE personal_access_tokens SET last_used_time = NULL")


def _count(
    valgrind: str, child: list[str], requests: int, env: dict[str, str], database_url: str
) -> int:
    """One valgrind run on its own copy of the data set: writes add the same users in
    every run, and no other run (or process) can change what this one reads."""
    path, query, token, body, first = child
    copy_url = _fresh_copy(database_url)
    try:
        _forget_token_use(copy_url)
        env = {**env, "WORKSPACED_DATABASE_URL": copy_url}
        return _instructions(valgrind, [path, query, token, str(requests), body, first], env)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(copy_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        _child(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench instructions", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="use the small data set")
    parser.add_argument("--endpoint", choices=sorted(ENDPOINTS), action="append")
    parser.add_argument("--warm", type=int, default=20, help="requests before counting")
    parser.add_argument("--requests", type=int, default=100, help="requests counted")
    args = parser.parse_args(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind not found: apt-get install valgrind")
    from bench import common

    plan = Plan(quick=args.quick, settings=common.Settings(seconds=1), postgres_url="")
    ds = plan.sqlite_dataset()
    fields = dataclasses.asdict(ds)
    # Fixed hash seed: dict layouts, and so instruction counts, repeat run to run.
    env = {**os.environ, "PYTHONHASHSEED": "0", "WORKSPACED_DATABASE_URL": ds.database_url}
    print(f"data set: {ds.database_url} ({ds.members:,} members in the organization)")
    for name in args.endpoint or sorted(ENDPOINTS):
        template, query = ENDPOINTS[name]
        path = template.format(**fields)
        body = WRITE_BODIES.get(name, "")
        # Admin routes need an organization admin; writes need a workspace owner.
        token = ds.owner_token if name.startswith("admin") or body else ds.viewer_token
        child = [path, query, token, body, str(ds.team_members)]
        base = _count(valgrind, child, args.warm, env, ds.database_url)
        counted = _count(valgrind, child, args.warm + args.requests, env, ds.database_url)
        per_request = (counted - base) / args.requests
        print(f"{name:18s} {per_request / 1e6:6.2f} M instructions per request", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
