"""Prometheus metrics (SPEC §9, docs/operations.md "Monitoring").

Requests are counted by dialect, route template and status, never by raw path: a path
holds ids, and a label per id would grow without bound. Outbox depths are not kept in
memory: a scrape reads them from the database (`observability.depths`), so every worker
and replica reports the same truth.

`serve` runs granian worker processes; each writes its values to files in
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, set up by `serve`
before the workers start, `prepare_multiprocess_dir`) and whichever worker answers a
scrape sums them all. Without that directory (in-process tests, the app under another
server) values live in the process.
"""

from __future__ import annotations

import atexit
import glob
import hmac
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import event

from workspaced.kit.db import Database, WaitCountingPool, context_free

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the one route label of every path no route matched
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
    5.0,
)
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db$")


class Metrics:
    """Every metric the service records, plus the scrape. One per process (its values
    share the process's multiprocess files)."""

    def __init__(self, *, token: str | None = None) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        # prometheus-client chooses in-process or file-backed values when it is first
        # imported, and `serve`'s main process may import it before it sets the directory
        # (its workers fork from it): choose again now.
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        self.token = token or None
        self.registry = CollectorRegistry()
        # In multiprocess mode the values go to files and the scrape reads those; the
        # objects must not also be registered, or the scrape would report them twice.
        own = None if self.multiprocess_dir else self.registry
        self.requests = Counter(
            "workspaced_http_requests",
            "HTTP requests answered, by dialect, route template and status.",
            ("dialect", "route", "status"),
            registry=own,
        )
        self.request_seconds = Histogram(
            "workspaced_http_request_duration_seconds",
            "Time to answer a request, by dialect and route template.",
            ("dialect", "route"),
            buckets=REQUEST_BUCKETS,
            registry=own,
        )
        self.statement_seconds = Histogram(
            "workspaced_db_statement_duration_seconds",
            "Time the database took to run a statement (and hand over its rows).",
            buckets=STATEMENT_BUCKETS,
            registry=own,
        )
        self.pool_in_use = Gauge(
            "workspaced_db_pool_connections_in_use",
            "Database connections checked out of the pools, summed over live workers.",
            multiprocess_mode="livesum",
            registry=own,
        )
        self.pool_waiting = Gauge(
            "workspaced_db_pool_waiting",
            "Callers waiting for a database connection (every one in use), over live workers.",
            multiprocess_mode="livesum",
            registry=own,
        )
        self.pool_capacity = Gauge(
            "workspaced_db_pool_capacity",
            "Database connections the pools may open, summed over live workers.",
            multiprocess_mode="livesum",
            registry=own,
        )
        self.webhook_attempts = Counter(
            "workspaced_webhook_delivery_attempts",
            "Webhook delivery attempts made.",
            registry=own,
        )
        self.webhook_failures = Counter(
            "workspaced_webhook_delivery_failures",
            "Webhook delivery attempts that failed (no 2xx answer); each is retried later.",
            registry=own,
        )
        self.rate_limit_refusals = Counter(
            "workspaced_rate_limit_refusals",
            "Requests refused with 429 by a rate limit, by limit (credential or address).",
            ("limit",),
            registry=own,
        )
        # A request's two children, found by one dict lookup instead of two `labels()`
        # calls (each takes a lock and builds a key) per request.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._scrape: CollectorRegistry | None = None

    # -- recording ---------------------------------------------------------------------

    def observe_request(self, dialect: str, route: str, status: int, seconds: float) -> None:
        key = (dialect, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(dialect, route, str(status)),
                self.request_seconds.labels(dialect, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def webhook_attempt(self, delivered: bool) -> None:
        self.webhook_attempts.inc()
        if not delivered:
            self.webhook_failures.inc()

    def rate_limit_refused(self, limit: str) -> None:
        self.rate_limit_refusals.labels(limit).inc()

    def instrument(self, database: Database) -> None:
        """Pool use and statement times of `database`'s engine."""
        engine = database.engine
        in_use, seconds = self.pool_in_use, self.statement_seconds
        pool = engine.pool
        if isinstance(pool, WaitCountingPool):
            self.pool_capacity.inc(pool.size() + pool._max_overflow)
            pool.on_wait = self.pool_waiting.inc

        def checked_out(*_: Any) -> None:
            in_use.inc()

        def checked_in(*_: Any) -> None:
            in_use.dec()

        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "checkin", checked_in)

        # A statement's before and after listeners run on its thread with nothing in
        # between but the statement itself, so a thread-local start time pairs them.
        started = threading.local()

        @context_free
        def before(
            _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
        ) -> tuple[str, Any]:
            started.at = time.perf_counter()
            return statement, parameters

        @context_free
        def after(*_: Any) -> None:
            at = getattr(started, "at", None)
            if at is not None:
                seconds.observe(time.perf_counter() - at)
                started.at = None

        event.listen(engine, "before_cursor_execute", before, retval=True)
        event.listen(engine, "after_cursor_execute", after)

    # -- scraping ----------------------------------------------------------------------

    def allows(self, authorization: str | None) -> bool:
        """Whether a scrape with this Authorization header may read the metrics."""
        if self.token is None:
            return True
        given = (authorization or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())

    def render(self, extra: Collector | None = None) -> tuple[bytes, str]:
        """The text exposition of every metric (all workers' in multiprocess mode), and
        its content type. `extra` adds what a scrape reads fresh (outbox depths)."""
        registry = self._scrape_registry(extra)
        if self.multiprocess_dir is not None:
            _forget_dead_workers(self.multiprocess_dir)
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def _scrape_registry(self, extra: Collector | None) -> CollectorRegistry:
        if self._scrape is None:
            if self.multiprocess_dir is not None:
                scrape = CollectorRegistry()
                MultiProcessCollector(scrape, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            else:
                scrape = self.registry
            if extra is not None:
                scrape.register(extra)
            self._scrape = scrape
        return self._scrape


def _forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of worker processes that are gone (granian respawns a worker
    that died, under a new pid): their pool figures are no longer true. Counters stay."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        match = _LIVE_GAUGE_FILE.search(path)
        if match is None:
            continue
        pid = int(match.group(1))
        if not _alive(pid):
            mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_multiprocess_dir() -> str:
    """Set up PROMETHEUS_MULTIPROC_DIR for `serve`'s workers, before they start: the
    operator's directory emptied of an earlier run's files, or a new temporary one
    (removed at exit). Returns it."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for path in _metric_files(given):
            os.remove(path)
        return given
    directory = tempfile.mkdtemp(prefix="workspaced-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _metric_files(directory: str) -> Iterator[str]:
    yield from glob.glob(os.path.join(directory, "*.db"))
