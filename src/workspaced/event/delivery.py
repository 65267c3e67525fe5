"""The webhook delivery worker: a thread in every `serve` process (SPEC §7).

Deliveries of one endpoint go out one at a time, in commit order: a worker claims the
endpoint with a conditional UPDATE that sets a lease (`claimed_until`), so of several
workers (threads, processes, replicas on one PostgreSQL) exactly one sends its queue,
and a worker that dies leaves a lease that runs out, after which another resumes (at
least once; exactly once in the normal case). A failing endpoint holds back only its own
queue; up to CONCURRENCY endpoints are served at a time. Each attempt is claimed, sent
with no transaction open, then recorded: a slow receiver never holds a database lock.

Like the mail outbox, this reads queues across organizations (it acts for the operator,
not for a caller), so its statements are not organization-scoped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from workspaced.event import outbox, webhooks
from workspaced.event.feed import committed_in_order
from workspaced.event.outbox import DELIVERED, PENDING
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.kit.errors import InvalidArgument
from workspaced.models import Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("workspaced.webhooks")

# SPEC §7: the first retry within 10 s, the second within 60 s, then growing, every 6 h
# from the seventh on; an endpoint failing for DISABLE_AFTER is disabled.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
DISABLE_AFTER = timedelta(days=5)
ATTEMPT_TIMEOUT_S = 10.0
LEASE = timedelta(seconds=60)
CONCURRENCY = 8
DRAIN = 50  # deliveries sent per claim, at most, before the endpoint is let go
RECORD_EVERY_S = 1.0  # delivered attempts are recorded together, at least this often
RESPONSE_KEPT = 1000  # characters of a response body kept for the delivery log


@dataclass(frozen=True)
class WebhookSettings:
    allow_private: bool = False  # WORKSPACED_WEBHOOK_ALLOW_PRIVATE
    retry_schedule: tuple[timedelta, ...] = RETRY_SCHEDULE
    poll_interval_s: float = 1.0
    # How long a worker's claim on an endpoint lasts without renewal (it is renewed before
    # every attempt): after a crash, the endpoint's queue resumes elsewhere past it.
    lease: timedelta = LEASE

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return self.retry_schedule[min(attempts, len(self.retry_schedule)) - 1]


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID
    attempts: int
    url: str
    event_id: str
    body: str
    signatures: list[str]  # secrets to sign with


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    delivered: bool
    status: int | None
    text: str | None
    error: str | None
    time: datetime


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        settings: WebhookSettings,
        on_attempt: Callable[[bool], None] | None = None,  # told whether it delivered
    ) -> None:
        self.database = database
        self.on_attempt = on_attempt
        self.settings = settings
        self.owner = uuid.uuid4()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="workspaced-webhook")
        self._busy: set[uuid.UUID] = set()
        self._busy_lock = threading.Lock()
        self._client = httpx.Client(timeout=ATTEMPT_TIMEOUT_S, follow_redirects=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workspaced-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        outbox.written.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.dispatch_due()
            except Exception:  # the database is away: keep the worker, try again later
                logger.exception("webhook delivery: cannot read the queue")
            outbox.written.wait(self.settings.poll_interval_s)
            outbox.written.clear()

    def dispatch_due(self) -> int:
        """Claim endpoints whose next delivery is due and hand each to the pool; how many."""
        now = clock.now()
        with self._busy_lock:
            free = CONCURRENCY - len(self._busy)
            busy = set(self._busy)
        if free <= 0:
            return 0
        with self.database.read() as session:
            # A literal, not a parameter: the index of due deliveries is partial (PENDING
            # only), and SQLite uses it only for the same literal.
            due = exists().where(
                WebhookDelivery.endpoint_id == WebhookEndpoint.id,
                WebhookDelivery.state == literal_column(f"'{PENDING}'"),
                WebhookDelivery.next_attempt_time <= now,
            )
            candidates = session.scalars(
                select(WebhookEndpoint.id)
                .where(
                    WebhookEndpoint.disabled.is_(False),
                    _unclaimed(now),
                    or_(WebhookEndpoint.retry_time.is_(None), WebhookEndpoint.retry_time <= now),
                    due,
                )
                # In no fixed order: with more endpoints due than CONCURRENCY, the same
                # first few would otherwise always win.
                .order_by(func.random())
                .limit(free + len(busy))
            ).all()
        started = 0
        for endpoint_id in candidates:
            if endpoint_id in busy or started >= free or not self._claim(endpoint_id):
                continue
            with self._busy_lock:
                self._busy.add(endpoint_id)
            self._pool.submit(self._drain, endpoint_id)
            started += 1
        return started

    def _claim(self, endpoint_id: uuid.UUID) -> bool:
        now = clock.now()
        with self.database.write() as session:
            result = session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, _unclaimed(now))
                .values(claimed_until=now + self.settings.lease)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def _drain(self, endpoint_id: uuid.UUID) -> None:
        delivered = 0
        unrecorded: list[Outcome] = []
        recorded_at = time.monotonic()
        try:
            while delivered < DRAIN:
                if unrecorded:  # before reading the queue again, which would hold them
                    self._record_all(endpoint_id, unrecorded)
                    unrecorded, recorded_at = [], time.monotonic()
                due = self._due(endpoint_id, DRAIN - delivered)
                if not due:
                    return
                for attempt in due:
                    if self._stopping.is_set():
                        return
                    outcome = self._send(attempt)
                    unrecorded.append(outcome)
                    # Outcomes are recorded together, at least every RECORD_EVERY_S and at
                    # once after a failure: one write per delivered event halved the write
                    # path's rate on SQLite (one commit, one fsync, each). A crash before
                    # the record sends those again: at least once, as ever.
                    if not outcome.delivered or time.monotonic() - recorded_at >= RECORD_EVERY_S:
                        self._record_all(endpoint_id, unrecorded)
                        unrecorded, recorded_at = [], time.monotonic()
                    if not outcome.delivered:
                        return
                    delivered += 1
        except Exception:
            logger.exception("webhook delivery to endpoint %s failed unexpectedly", endpoint_id)
        finally:
            try:
                if unrecorded:
                    self._record_all(endpoint_id, unrecorded)
                with self.database.write() as session:
                    session.execute(
                        update(WebhookEndpoint)
                        .where(WebhookEndpoint.id == endpoint_id)
                        .values(claimed_until=None)
                        .execution_options(synchronize_session=False)
                    )
            finally:
                with self._busy_lock:
                    self._busy.discard(endpoint_id)
                if delivered == DRAIN:
                    outbox.written.set()  # stopped at the batch's end: more may be waiting

    def _due(self, endpoint_id: uuid.UUID, limit: int) -> list[Attempt]:
        """The endpoint's oldest undelivered events, in commit order, up to the first that
        is not due yet (read once for several attempts: one read per event cost the
        write path a tenth of its rate when the delivery worker shares its core)."""
        now = clock.now()
        with self.database.read() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is None or endpoint.disabled:
                return []
            query = (
                select(WebhookDelivery, Event)
                .join(Event, Event.id == WebhookDelivery.event_pk)
                .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == PENDING)
            )
            heads = session.execute(
                committed_in_order(session, query).order_by(Event.xid, Event.id).limit(limit)
            ).all()
            secrets = webhooks.signing_secrets(endpoint, now)
            due = []
            for delivery, event in heads:
                if delivery.next_attempt_time > now:
                    break
                body = json.dumps(outbox.payload(event), separators=(",", ":"), sort_keys=True)
                due.append(
                    Attempt(
                        delivery.id, delivery.attempts, endpoint.url, event.event_id, body, secrets
                    )
                )
            return due

    def _send(self, attempt: Attempt) -> Outcome:
        """One attempt, not recorded yet."""
        now = clock.now()
        status: int | None = None
        text: str | None = None
        error: str | None = None
        try:
            if not self.settings.allow_private:
                webhooks.refuse_private(urlsplit(attempt.url).hostname or "")
            response = self._client.post(
                attempt.url, content=attempt.body, headers=_headers(attempt, now)
            )
            status, text = response.status_code, response.text[:RESPONSE_KEPT]
        except InvalidArgument as refused:
            error = refused.message
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:RESPONSE_KEPT]
        delivered = status is not None and 200 <= status < 300
        if self.on_attempt is not None:
            self.on_attempt(delivered)
        return Outcome(attempt, delivered, status, text, error, now)

    def _record_all(self, endpoint_id: uuid.UUID, outcomes: list[Outcome]) -> None:
        """Record attempts in one transaction, renewing the claim: it always covers the
        next attempt (the lease, 60 s by default, is well above RECORD_EVERY_S plus an
        attempt's 10 s timeout; a shorter one could let another worker start the queue
        meanwhile: still at least once)."""
        with self.database.write() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is not None:
                endpoint.claimed_until = clock.now() + self.settings.lease
            for outcome in outcomes:
                self._record(session, endpoint_id, endpoint, outcome)

    def _record(
        self,
        session: Session,
        endpoint_id: uuid.UUID,
        endpoint: WebhookEndpoint | None,
        outcome: Outcome,
    ) -> None:
        attempt, now = outcome.attempt, outcome.time
        values: dict[str, Any] = {
            "attempts": attempt.attempts + 1,
            "last_attempt_time": now,
            "response_status": outcome.status,
            "response_body": outcome.text,
            "last_error": outcome.error,
        }
        if outcome.delivered:
            values.update(state=DELIVERED, delivered_time=now)
            if endpoint is not None:
                endpoint.failing_since = endpoint.retry_time = None
        else:
            values["next_attempt_time"] = retry_at = now + self.settings.delay(attempt.attempts + 1)
            # The endpoint's later deliveries wait behind this one (commit order): they
            # come due with it, so the queue is not picked up again before then.
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id == endpoint_id,
                    WebhookDelivery.state == PENDING,
                    WebhookDelivery.next_attempt_time < retry_at,
                )
                .values(next_attempt_time=retry_at)
                .execution_options(synchronize_session=False)
            )
            if endpoint is not None:
                endpoint.retry_time = retry_at
                endpoint.failing_since = endpoint.failing_since or now
                if now - endpoint.failing_since >= DISABLE_AFTER:
                    endpoint.disabled = True
                    logger.warning("webhook endpoint %s disabled: failing for 5 days", endpoint_id)
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == attempt.delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _unclaimed(now: datetime) -> Any:
    return or_(WebhookEndpoint.claimed_until.is_(None), WebhookEndpoint.claimed_until < now)


def _headers(attempt: Attempt, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: the signature of every current secret, space-separated
    (a receiver holding either secret verifies during a rollover)."""
    signatures = " ".join(
        Webhook(secret).sign(attempt.event_id, now, attempt.body) for secret in attempt.signatures
    )
    return {
        "content-type": "application/json",
        "user-agent": "workspaced-webhooks",
        "webhook-id": attempt.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }
