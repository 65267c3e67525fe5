"""Target 3: adding members over HTTP (SQLite, synchronous=FULL) vs the raw single-row
insert rate of the same SQLite build, measured in the same run."""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import time

from bench import ceiling, common, servers
from bench.report import Report
from bench.suite import Plan

GOAL = 0.7
# Writers serialize on SQLite's single write lock; a few connections keep it busy
# without piling up busy-wait retries.
WRITE_CONNECTIONS = 4


def raw_insert_rate(path: str, seconds: float) -> float:
    """Single-row INSERT transactions, one after another, with the server's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_inserts (id INTEGER PRIMARY KEY, "
            "user_id TEXT NOT NULL, role_id TEXT NOT NULL, create_time TEXT NOT NULL)"
        )
        done = 0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO raw_inserts (user_id, role_id, create_time) VALUES (?, ?, ?)",
                (f"user-{done}", "viewer", "2024-01-01 00:00:00.000000"),
            )
            connection.execute("COMMIT")
            done += 1
        return done / (time.perf_counter() - started)
    finally:
        connection.close()


def run(plan: Plan, report: Report) -> None:
    print(
        "target 3: adding members over HTTP vs raw inserts (SQLite, synchronous=FULL)", flush=True
    )
    settings = plan.settings
    members = 2_000 if plan.quick else 20_000
    url = servers.sqlite_url("writes.db")
    # A fresh database every run: this benchmark consumes its users.
    ds = servers.dataset(url, workspaces=10, members=members, reseed=True)
    raw_path = str(common.WORK / "raw-inserts.db")
    next_user = itertools.count(ds.team_members)  # members 0..team-2 are already in `team`
    path = f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}/users"

    def body(_: int) -> bytes:
        i = next(next_user)
        if i >= members:
            raise RuntimeError("ran out of users to add: seed more members")
        return json.dumps({"user": f"member{i:07d}@bench.example", "role": "viewer"}).encode()

    load = common.Load(path, {"Authorization": f"Bearer {ds.owner_token}"}, "POST", body_for=body)
    python_driver = common.Settings(settings.seconds, WRITE_CONNECTIONS, settings.rounds, "python")
    # The same request to a bare FastAPI route that validates the body and does nothing:
    # no FastAPI endpoint can add members faster than that on this server.
    bare = common.Load(
        ceiling.WRITE_PATH,
        load.headers,
        "POST",
        body=json.dumps({"user": "member0000000@bench.example", "role": "viewer"}).encode(),
    )
    with contextlib.ExitStack() as stack:
        ours = servers.start_ours(stack, ds.database_url, name="workspaced-writes")
        bare_server = servers.start_floor(stack, {}, module="bench.ceiling")
        results = common.interleaved(
            {
                "raw": lambda: common.Result(raw_insert_rate(raw_path, settings.seconds), 0),
                "http": lambda: common.run_load(ours.base_url, load, python_driver),
                # Its best shot: the strongest load generator available and 32 connections.
                "ceiling": lambda: common.run_load(bare_server.base_url, bare, settings),
            },
            settings.rounds,
        )
    raw = common.median_rps(results["raw"])
    http = common.median_rps(results["http"])
    bound = common.median_rps(results["ceiling"])
    errors = common.total_errors(results["http"])
    ratio = http / raw if raw else 0.0
    report.add(
        "3",
        "add member over HTTP vs raw single-row insert",
        f"{ratio:.2f} ({http:,.0f} vs {raw:,.0f} per s)",
        f">= {GOAL}",
        ratio >= GOAL and errors == 0,
        "; ".join(
            note
            for note in (
                f"bare FastAPI POST, body validated, no work: {bound / raw if raw else 0:.2f} "
                f"({bound:,.0f} per s)",
                common.error_note(results["http"]),
            )
            if note
        ),
    )
