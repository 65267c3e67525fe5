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
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from workspaced.event import outbox, webhooks
from workspaced.event.feed import committed_in_order, past_position
from workspaced.event.outbox import DELIVERED, PENDING
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ids import sortable_uuid
from workspaced.kit.tenancy import in_org
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


# Where an event sits in its organization's log, in commit order: (`Event.xid`, `Event.id`).
Position = tuple[int, int]


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID  # a new id for an event past the cursor, its first attempt
    attempts: int
    url: str
    event_pk: int
    event_id: str
    body: str
    signatures: list[str]  # secrets to sign with
    # Set for an event read past the endpoint's cursor (no delivery row yet): the cursor
    # moves there when the attempt is recorded. None for a PENDING row sent again.
    position: Position | None


@dataclass(frozen=True)
class Batch:
    """What `_due` found: attempts to make in order, and where the cursor may move once
    they are all delivered (past events of types the endpoint does not take)."""

    attempts: list[Attempt]
    skip_to: Position | None


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
            candidates = session.scalars(
                select(WebhookEndpoint.id)
                .where(
                    WebhookEndpoint.disabled.is_(False),
                    _unclaimed(now),
                    or_(WebhookEndpoint.retry_time.is_(None), WebhookEndpoint.retry_time <= now),
                    or_(_retries_due(now), _events_past_cursor(session)),
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
        skip_to: Position | None = None  # the cursor's move, recorded with the next outcomes
        recorded_at = time.monotonic()
        try:
            while delivered < DRAIN:
                if unrecorded or skip_to:  # before reading the queue again, which would hold them
                    self._record_all(endpoint_id, unrecorded, skip_to)
                    unrecorded, skip_to, recorded_at = [], None, time.monotonic()
                batch = self._due(endpoint_id, DRAIN - delivered)
                if not batch.attempts and batch.skip_to is None:
                    return
                for attempt in batch.attempts:
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
                skip_to = batch.skip_to
        except Exception:
            logger.exception("webhook delivery to endpoint %s failed unexpectedly", endpoint_id)
        finally:
            try:
                if unrecorded or skip_to:
                    self._record_all(endpoint_id, unrecorded, skip_to)
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

    def _due(self, endpoint_id: uuid.UUID, limit: int) -> Batch:
        """The endpoint's next attempts, in commit order: its PENDING deliveries (failed or
        retried) up to the first not due yet; when it has none, the events of its types
        past its cursor. Read once for several attempts: one read per event cost the write
        path a tenth of its rate when the delivery worker shares its core."""
        now = clock.now()
        with self.database.read() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is None or endpoint.disabled:
                return Batch([], None)
            secrets = webhooks.signing_secrets(endpoint, now)

            def attempt(event: Event, delivery: WebhookDelivery | None) -> Attempt:
                body = json.dumps(outbox.payload(event), separators=(",", ":"), sort_keys=True)
                return Attempt(
                    delivery.id if delivery else sortable_uuid(),
                    delivery.attempts if delivery else 0,
                    endpoint.url,
                    event.id,
                    event.event_id,
                    body,
                    secrets,
                    None if delivery else (event.xid, event.id),
                )

            retries = session.execute(
                select(WebhookDelivery, Event)
                .join(Event, Event.id == WebhookDelivery.event_pk)
                .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == PENDING)
                .order_by(Event.xid, Event.id)
                .limit(limit)
            ).all()
            if retries:  # the cursor waits behind them
                due = []
                for delivery, event in retries:
                    if delivery.next_attempt_time > now:
                        break
                    due.append(attempt(event, delivery))
                return Batch(due, None)
            events = session.scalars(
                committed_in_order(
                    session,
                    in_org(select(Event), Event, endpoint.org_id).where(
                        past_position(endpoint.cursor_xid, endpoint.cursor_event)
                    ),
                )
                .order_by(Event.xid, Event.id)
                .limit(limit)
            ).all()
            if not events:
                return Batch([], None)
            types = endpoint.event_types
            return Batch(
                [attempt(event, None) for event in events if not types or event.type in types],
                (events[-1].xid, events[-1].id),
            )

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

    def _record_all(
        self, endpoint_id: uuid.UUID, outcomes: list[Outcome], skip_to: Position | None = None
    ) -> None:
        """Record attempts in one transaction, moving the cursor past them (and on to
        `skip_to`) and renewing the claim: it always covers the next attempt (the lease,
        60 s by default, is well above RECORD_EVERY_S plus an attempt's 10 s timeout; a
        shorter one could let another worker start the queue meanwhile: still at least
        once)."""
        with self.database.write() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is None:  # deleted meanwhile: nothing to record
                return
            endpoint.claimed_until = clock.now() + self.settings.lease
            for outcome in outcomes:
                self._record(session, endpoint, outcome)
            if skip_to is not None:
                _move_cursor(endpoint, skip_to)

    def _record(self, session: Session, endpoint: WebhookEndpoint, outcome: Outcome) -> None:
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
            endpoint.failing_since = endpoint.retry_time = None
        else:
            values.update(
                state=PENDING, next_attempt_time=now + self.settings.delay(attempt.attempts + 1)
            )
            retry_at = values["next_attempt_time"]
            # The endpoint's later deliveries wait behind this one (commit order): they
            # come due with it, so the queue is not picked up again before then.
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.state == PENDING,
                    WebhookDelivery.next_attempt_time < retry_at,
                )
                .values(next_attempt_time=retry_at)
                .execution_options(synchronize_session=False)
            )
            endpoint.retry_time = retry_at
            endpoint.failing_since = endpoint.failing_since or now
            if now - endpoint.failing_since >= DISABLE_AFTER:
                endpoint.disabled = True
                logger.warning("webhook endpoint %s disabled: failing for 5 days", endpoint.id)
        if attempt.position is None:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == attempt.delivery_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return
        # The event's first attempt: its delivery row starts here, and the cursor moves
        # past it (a failed one is PENDING now, and the queue waits behind it).
        values.setdefault("next_attempt_time", now)
        session.add(
            WebhookDelivery(
                org_id=endpoint.org_id,
                id=attempt.delivery_id,
                endpoint_id=endpoint.id,
                event_pk=attempt.event_pk,
                create_time=now,
                **values,
            )
        )
        _move_cursor(endpoint, attempt.position)


def _move_cursor(endpoint: WebhookEndpoint, position: Position) -> None:
    if position > (endpoint.cursor_xid, endpoint.cursor_event):  # never back
        endpoint.cursor_xid, endpoint.cursor_event = position


def _retries_due(now: datetime) -> Any:
    """An endpoint has a PENDING delivery due (through the queue index)."""
    return exists().where(
        WebhookDelivery.endpoint_id == WebhookEndpoint.id,
        WebhookDelivery.state == PENDING,
        WebhookDelivery.next_attempt_time <= now,
    )


def _events_past_cursor(session: Session) -> Any:
    """An endpoint's organization has a committed event past its cursor (one seek in the
    log's (org_id, xid, id) index). Types are not looked at: the worker moves the cursor
    past events the endpoint does not take."""
    return committed_in_order(
        session,
        select(Event.id).where(
            Event.org_id == WebhookEndpoint.org_id,
            past_position(WebhookEndpoint.cursor_xid, WebhookEndpoint.cursor_event),
        ),
    ).exists()


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
