"""Outbox depths, read from the database when /metrics is scraped.

Like the delivery workers, these read across organizations (they report to the operator,
not to a caller). Each count walks an index and stops at DEPTH_CAP, so a scrape costs
the same however far behind delivery has fallen: a depth of DEPTH_CAP means "at least".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import ScalarSelect, Select, func, literal, select, text
from sqlalchemy.exc import SQLAlchemyError

from workspaced.event.feed import past_position
from workspaced.event.outbox import PENDING
from workspaced.kit.db import Database
from workspaced.kit.errors import DomainError
from workspaced.models import Event, MailMessage, WebhookDelivery, WebhookEndpoint
from workspaced.models.mail_message import PENDING_PREDICATE

logger = logging.getLogger("workspaced.metrics")
DEPTH_CAP = 100_000


def _capped_count(query: Select[Any]) -> ScalarSelect[int]:
    """How many rows `query` has, up to DEPTH_CAP, for each endpoint."""
    return (
        select(func.count())
        .select_from(query.limit(DEPTH_CAP).correlate(WebhookEndpoint).subquery())
        .scalar_subquery()
    )


# Per endpoint, what is still to send: its PENDING deliveries (failed or retried; the
# queue index (endpoint_id, state, ...) answers each count), and the events of its
# organization past its cursor (the log's (org_id, xid, id) index), whatever their type.
_WEBHOOK_PENDING = select(
    func.coalesce(
        func.sum(
            _capped_count(
                select(literal(1)).where(
                    WebhookDelivery.endpoint_id == WebhookEndpoint.id,
                    WebhookDelivery.state == PENDING,
                )
            )
            + _capped_count(
                select(literal(1)).where(
                    Event.org_id == WebhookEndpoint.org_id,
                    past_position(WebhookEndpoint.cursor_xid, WebhookEndpoint.cursor_event),
                )
            )
        ),
        0,
    )
).select_from(WebhookEndpoint)

# The partial index of pending mail (its predicate, word for word, so SQLite uses it).
_MAIL_PENDING = select(func.count()).select_from(
    select(literal(1))
    .select_from(MailMessage)
    .where(text(PENDING_PREDICATE))
    .limit(DEPTH_CAP)
    .subquery()
)


def webhook_pending(database: Database) -> int:
    with database.read() as session:
        return min(DEPTH_CAP, int(session.scalar(_WEBHOOK_PENDING) or 0))


def mail_pending(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(_MAIL_PENDING) or 0)


class OutboxDepths(Collector):
    """The outbox gauges, read at scrape time."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        try:
            webhooks, mail = webhook_pending(self.database), mail_pending(self.database)
        except (SQLAlchemyError, DomainError):
            # The database is away or slow: the scrape still answers, without these two
            # (an alert on their absence, or on /readyz, tells the operator).
            logger.warning("metrics: cannot read the outbox depths", exc_info=True)
            return
        yield GaugeMetricFamily(
            "workspaced_webhook_outbox_pending",
            f"Webhook deliveries not yet delivered (counted up to {DEPTH_CAP}).",
            value=webhooks,
        )
        yield GaugeMetricFamily(
            "workspaced_mail_outbox_pending",
            f"Mail messages neither sent nor given up (counted up to {DEPTH_CAP}).",
            value=mail,
        )

    def describe(self) -> Iterator[Metric]:
        # Registering a collector calls describe (or collect): this one must not query.
        return iter(())
