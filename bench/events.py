"""SPEC §7 and §8 costs, side by side in one run on SQLite:

- permission checks: one `:checkAccess` with 1 check against `GET` one workspace, and
  with 100 checks against 1 (the issue's bounds: >= 0.8, and <= 3x the time);
- the outbox on the write path: adding members with a webhook endpoint subscribed to
  every event (each change also writes its event and a delivery) against the same with
  the endpoint disabled (>= 0.9). The receiver refuses meanwhile, so the worker backs off
  and what is measured is the outbox itself; the same with the receiver accepting, so the
  delivery worker sends every event meanwhile on the server's one core, is reported too;
- delivery throughput: a backlog of events the receiver refused, sent once it accepts.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench import common, servers
from bench.report import Report
from bench.suite import Plan
from bench.writes import WRITE_CONNECTIONS

TARGET = "§7/§8"
BACKLOG = 300


class Receiver:
    """A local webhook receiver: counts deliveries, answers 503 while `refusing`."""

    def __init__(self) -> None:
        self.refusing = False
        self.times: list[float] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                status = 503 if receiver.refusing else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                if status == 200:
                    with receiver.lock:
                        receiver.times.append(time.perf_counter())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((common.HOST, common.free_port()), Handler)
        self.url = f"http://{common.HOST}:{self.server.server_address[1]}/hook"


@contextlib.contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def run(plan: Plan, report: Report) -> None:
    print("§7/§8: checks, the outbox on the write path, webhook delivery", flush=True)
    _checks(plan, report)
    _outbox(plan, report)


def _checks(plan: Plan, report: Report) -> None:
    ds = plan.sqlite_dataset(report)
    auth = {"Authorization": f"Bearer {ds.owner_token}"}

    def body(count: int) -> bytes:
        item = {"user": ds.viewer_id, "workspace": ds.team, "permission": "members:list"}
        return json.dumps({"checks": [item] * count}).encode()

    loads = {
        "GET workspace": common.Load(f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}", auth),
        ":checkAccess, 1 check": common.Load(
            f"/api/v1/organizations/{ds.org}:checkAccess", auth, "POST", body=body(1)
        ),
        ":checkAccess, 100 checks": common.Load(
            f"/api/v1/organizations/{ds.org}:checkAccess", auth, "POST", body=body(100)
        ),
    }
    with contextlib.ExitStack() as stack:
        server = servers.start_ours(stack, ds.database_url, name="checks")
        contenders: dict[str, Callable[[], common.Result]] = {
            label: partial(common.run_load, server.base_url, load, plan.settings)
            for label, load in loads.items()
        }
        results = common.interleaved(contenders, plan.settings.rounds)
    rates = {label: common.median_rps(runs) for label, runs in results.items()}
    base, one, hundred = (rates[label] for label in loads)
    for label, runs in results.items():
        report.add(TARGET, label, f"{rates[label]:,.0f} req/s", note=common.error_note(runs))
    report.add(
        TARGET, ":checkAccess (1) / GET workspace", f"{one / base:.2f}", ">= 0.8", one / base >= 0.8
    )
    report.add(
        TARGET, "time of 100 checks / time of 1", f"{one / hundred:.2f}", "<= 3", one / hundred <= 3
    )


def _drop_pending_deliveries(database_url: str) -> None:
    """Empty the delivery queue between runs (the benchmark's own bookkeeping: a run whose
    receiver refused leaves a backlog that would be sent during the next run): no failed
    delivery waits, no backoff, and the endpoint's cursor at the end of the event log."""
    with contextlib.closing(sqlite3.connect(database_url.split("///", 1)[1], timeout=30)) as db:
        db.execute("DELETE FROM webhook_deliveries WHERE state = 'PENDING'")
        db.execute(
            "UPDATE webhook_endpoints SET retry_time = NULL, failing_since = NULL,"
            " cursor_xid = 0, cursor_event = (SELECT coalesce(max(id), 0) FROM events)"
        )
        db.commit()


def _outbox(plan: Plan, report: Report) -> None:
    members = 3_000 if plan.quick else 30_000
    ds = servers.dataset(
        servers.sqlite_url("events.db"), workspaces=10, members=members, reseed=True
    )
    next_user = itertools.count(ds.team_members)
    path = f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}/users"
    owner = {"Authorization": f"Bearer {ds.owner_token}"}

    def add_body(_: int) -> bytes:
        i = next(next_user)
        if i >= members:
            raise RuntimeError("ran out of users to add: seed more members")
        return json.dumps({"user": f"member{i:07d}@bench.example", "role": "viewer"}).encode()

    load = common.Load(path, owner, "POST", body_for=add_body)
    driver = common.Settings(
        plan.settings.seconds, WRITE_CONNECTIONS, plan.settings.rounds, "python"
    )
    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(running(Receiver()))
        server = servers.start_ours(
            stack, ds.database_url, name="events", env={"WORKSPACED_WEBHOOK_ALLOW_PRIVATE": "true"}
        )
        hooks = f"{server.base_url}/api/v1/organizations/{ds.org}/webhooks"
        made = httpx.post(hooks, json={"url": receiver.url}, headers=owner, timeout=10)
        made.raise_for_status()
        endpoint = f"{hooks}/{made.json()['webhook_id']}"

        def with_endpoint(enabled: bool, delivering: bool = False) -> common.Result:
            httpx.patch(endpoint, json={"disabled": not enabled}, headers=owner, timeout=10)
            _drop_pending_deliveries(ds.database_url)  # each run starts with an empty queue
            receiver.refusing = not delivering
            return common.run_load(server.base_url, load, driver)

        results = common.interleaved(
            {
                "no endpoint (disabled)": partial(with_endpoint, False),
                "an endpoint, all events, receiver refusing": partial(with_endpoint, True),
                "an endpoint, delivered meanwhile": partial(with_endpoint, True, True),
            },
            plan.settings.rounds,
        )
        _drop_pending_deliveries(ds.database_url)
        # Throughput: a backlog the receiver refused, sent once it accepts.
        httpx.patch(endpoint, json={"disabled": False}, headers=owner, timeout=10)
        time.sleep(2)
        receiver.refusing = True
        with httpx.Client(base_url=server.base_url, headers=owner, timeout=10) as client:
            for _ in range(BACKLOG):
                client.post(path, content=add_body(0), headers={"Content-Type": "application/json"})
        time.sleep(1)
        with receiver.lock:
            receiver.times.clear()
        receiver.refusing = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with receiver.lock:
                if len(receiver.times) >= BACKLOG:
                    break
            time.sleep(0.1)
        with receiver.lock:
            times = list(receiver.times)
    rates = {label: common.median_rps(runs) for label, runs in results.items()}
    without = rates["no endpoint (disabled)"]
    with_ = rates["an endpoint, all events, receiver refusing"]
    delivering = rates["an endpoint, delivered meanwhile"]
    for label, runs in results.items():
        report.add(
            TARGET,
            f"add member: {label}",
            f"{rates[label]:,.0f} req/s",
            note=common.error_note(runs),
        )
    report.add(
        TARGET,
        "add member with / without an endpoint",
        f"{with_ / without:.2f}",
        ">= 0.9",
        with_ / without >= 0.9,
    )
    report.add(
        TARGET,
        "add member, delivered meanwhile / without an endpoint",
        f"{delivering / without:.2f}",
        note="the delivery worker shares the server's one core",
    )
    if len(times) >= 2:
        rate = (len(times) - 1) / (times[-1] - times[0])
        report.add(
            TARGET,
            "webhook delivery, one endpoint",
            f"{rate:,.0f} events/s",
            note=f"{len(times)} of a {BACKLOG}-event backlog",
        )
    else:
        report.add(
            TARGET,
            "webhook delivery, one endpoint",
            "no deliveries",
            note="the backlog never drained",
        )
