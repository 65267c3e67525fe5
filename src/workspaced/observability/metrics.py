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
import bisect
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
# How often each process hands what it counted to its metric files (a scrape sees other
# workers' figures this late at most; the scraped worker's own are current).
FLUSH_INTERVAL_S = 1.0


class _Tally:
    """Observations of one histogram child (or counts of a counter child), added up in
    the process and handed to the child by `flush`. In multiprocess mode each change of a
    child's value is a lock and a write to its file, about 4 us: per request and per
    statement that cost a tenth of a hot read's rate (BENCHMARKS.md, "Observability").
    Added up here they cost a list increment, and a flush writes each changed bucket
    once. The histogram's buckets are set through its `_buckets` and `_sum` values
    (prometheus-client keeps them per bucket, not cumulative, since 0.4)."""

    __slots__ = ("bounds", "child", "counts", "lock", "total")

    def __init__(self, child: Any, bounds: tuple[float, ...] | None) -> None:
        self.child = child
        self.bounds = bounds  # None: a counter
        self.counts = [0] * (len(bounds) if bounds else 1)
        self.total = 0.0
        self.lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        assert self.bounds is not None
        i = bisect.bisect_left(self.bounds, seconds)
        with self.lock:
            self.counts[i] += 1
            self.total += seconds

    def count(self) -> None:
        with self.lock:
            self.counts[0] += 1

    def flush(self) -> None:
        with self.lock:
            counts, total = self.counts, self.total
            if not any(counts):
                return
            self.counts, self.total = [0] * len(counts), 0.0
        if self.bounds is None:
            self.child.inc(counts[0])
            return
        for i, n in enumerate(counts):
            if n:
                self.child._buckets[i].inc(n)
        self.child._sum.inc(total)


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
        # A request's two tallies, found by one dict lookup instead of two `labels()`
        # calls (each takes a lock and builds a key) per request.
        self._children: dict[tuple[str, str, int], tuple[_Tally, _Tally]] = {}
        self._tallies: list[_Tally] = []
        self._statements = self._tally(self.statement_seconds, STATEMENT_BUCKETS)
        self._engines: list[Any] = []
        self._scrape: CollectorRegistry | None = None
        self._flusher: threading.Thread | None = None
        self._flush_lock = threading.Lock()

    def _tally(self, child: Any, bounds: tuple[float, ...] | None) -> _Tally:
        tally = _Tally(child, (*bounds, float("inf")) if bounds else None)
        self._tallies.append(tally)
        return tally

    def flush(self) -> None:
        """Hand what this process counted to the metrics (its files, in multiprocess mode)."""
        with self._flush_lock:
            for tally in list(self._tallies):
                tally.flush()
            # Read from the pools (`dispose()` may have replaced one) at each flush: a gauge
            # is a sample anyway, and events per checkout would cost every request.
            self.pool_in_use.set(sum(engine.pool.checkedout() for engine in self._engines))

    def start_flushing(self) -> None:
        """Flush every FLUSH_INTERVAL_S from a daemon thread, and once more at exit."""
        if self._flusher is not None:
            return

        def run() -> None:
            while True:
                time.sleep(FLUSH_INTERVAL_S)
                self.flush()

        self._flusher = threading.Thread(target=run, name="workspaced-metrics", daemon=True)
        self._flusher.start()
        atexit.register(self.flush)

    # -- recording ---------------------------------------------------------------------

    def observe_request(self, dialect: str, route: str, status: int, seconds: float) -> None:
        key = (dialect, route, status)
        tallies = self._children.get(key)
        if tallies is None:
            tallies = self._children[key] = (
                self._tally(self.requests.labels(dialect, route, str(status)), None),
                self._tally(self.request_seconds.labels(dialect, route), REQUEST_BUCKETS),
            )
        tallies[0].count()
        tallies[1].observe(seconds)

    def webhook_attempt(self, delivered: bool) -> None:
        self.webhook_attempts.inc()
        if not delivered:
            self.webhook_failures.inc()

    def rate_limit_refused(self, limit: str) -> None:
        self.rate_limit_refusals.labels(limit).inc()

    def instrument(self, database: Database) -> None:
        """Pool use and statement times of `database`'s engine."""
        engine = database.engine
        statements = self._statements
        pool = engine.pool
        if isinstance(pool, WaitCountingPool):
            self.pool_capacity.inc(pool.size() + pool._max_overflow)
            pool.on_wait = self.pool_waiting.inc  # only when the pool is exhausted
        self._engines.append(engine)
        self.start_flushing()

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
                statements.observe(time.perf_counter() - at)
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
        self.flush()
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
