"""Two `serve` replicas on one PostgreSQL database deliver one endpoint's events (SPEC §7):
200 events, written through both replicas, each delivered exactly once (the normal case:
no crash), in the order they committed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from tests.support import World, live_server, postgres_base_url
from tests.webhook_receiver import webhook_receiver
from workspaced.kit.db import Database
from workspaced.models import Event, WebhookDelivery

EVENTS = 200


@pytest.mark.slow
@pytest.mark.skipif(postgres_base_url() is None, reason="replicas share a PostgreSQL database")
def test_two_replicas_deliver_each_event_once(
    database_url: str, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSPACED_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WORKSPACED_RATE_LIMIT_PER_CREDENTIAL", "0")
    owner = world.person("acme")
    with (
        webhook_receiver() as receiver,
        live_server(database_url) as one,
        live_server(database_url) as two,
    ):
        made = httpx.post(
            f"{one}/api/v1/organizations/acme/webhooks",
            json={"url": f"{receiver.url}/hook"},
            headers=owner.headers,
        )
        assert made.status_code == 200, made.text

        def create(n: int) -> int:
            base = one if n % 2 else two
            response = httpx.post(
                f"{base}/api/v1/organizations/acme/workspaces",
                json={"title": f"W{n}"},
                headers=owner.headers,
                timeout=30,
            )
            return response.status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(create, range(EVENTS)))
        assert statuses == [200] * EVENTS
        got = receiver.wait("/hook", EVENTS, timeout=60)
        time.sleep(2)  # anything sent twice would have arrived by now
        got = receiver.at("/hook")
    ids = [r.headers["webhook-id"] for r in got]
    with database.read() as session:
        committed = list(
            session.scalars(
                select(Event.event_id)
                .join(WebhookDelivery, WebhookDelivery.event_pk == Event.id)
                .order_by(Event.xid, Event.id)
            )
        )
    assert len(ids) == len(set(ids)) == EVENTS, f"{len(ids) - len(set(ids))} sent twice"
    assert ids == committed  # one endpoint's queue, in order, whichever replica sent it
