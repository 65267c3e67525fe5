"""GET /metrics after known traffic: requests by dialect, route template and status, the
database figures, outbox depths, webhook attempts, rate-limit refusals; and, against a
real `serve --workers 2`, one scrape summing both workers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.mail_support import Mailbox
from tests.support import World, free_port, live_server
from workspaced.event.delivery import WebhookSettings
from workspaced.http.app import create_app
from workspaced.http.rate_limits import RateLimitSettings
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.observability.metrics import MULTIPROC_ENV, Metrics

WORKSPACE_ROUTE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by name and labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_client(
    database: Database, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    app = create_app(
        database,
        mail=MailSettings(smtp_url=mailbox.url),
        # Only requests without a valid credential are limited: 3 a minute per address.
        rate_limits=RateLimitSettings(per_credential=0, per_address=3, window_s=60),
        metrics=Metrics(),
        webhooks=WebhookSettings(allow_private=True),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_requests_by_route_template_and_status(metrics_client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = metrics_client.post(
        "/api/v1/organizations/acme/workspaces",
        params={"workspace_id": "apollo"},
        json={"title": "Apollo"},
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    for _ in range(3):
        got = metrics_client.get(
            "/api/v1/organizations/acme/workspaces/apollo", headers=owner.headers
        )
        assert got.status_code == 200
    assert (
        metrics_client.head(
            "/api/v1/organizations/acme/workspaces/apollo", headers=owner.headers
        ).status_code
        == 200
    )
    missing = metrics_client.get(
        "/api/v1/organizations/acme/workspaces/nope", headers=owner.headers
    )
    assert missing.status_code == 404
    assert metrics_client.get("/no/such/path/42", headers=owner.headers).status_code == 404
    assert metrics_client.get("/api/v1/no-such-route/42", headers=owner.headers).status_code == 404

    found = scrape(metrics_client)
    requests = "workspaced_http_requests_total"
    # HEAD is answered as GET (SPEC §5): the same route, 4 requests.
    assert value(found, requests, dialect="aip", route=WORKSPACE_ROUTE, status="200") == 4
    assert value(found, requests, dialect="aip", route=WORKSPACE_ROUTE, status="404") == 1
    assert value(found, requests, dialect="root", route="unmatched", status="404") == 1
    assert value(found, requests, dialect="aip", route="unmatched", status="404") == 1
    histogram = "workspaced_http_request_duration_seconds_count"
    assert value(found, histogram, dialect="aip", route=WORKSPACE_ROUTE) == 5
    # No raw path, id or slug ever becomes a label.
    labels = {v for (_, pairs) in found for (_, v) in pairs}
    assert not [v for v in labels if "apollo" in v or "acme" in v or "42" in v]
    assert value(found, "workspaced_db_statement_duration_seconds_count") > 5
    assert value(found, "workspaced_db_pool_capacity") > 0
    assert ("workspaced_db_pool_connections_in_use", frozenset()) in found
    assert value(found, "workspaced_db_pool_waiting") == 0
    assert value(found, "workspaced_mail_outbox_pending") == 0


def test_webhook_outbox_attempts_and_rate_limit_refusals(
    metrics_client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    # Nothing listens there: every attempt fails and the delivery waits for a retry.
    hook = metrics_client.post(
        "/api/v1/organizations/acme/webhooks",
        json={"url": f"http://127.0.0.1:{free_port()}/in"},
        headers=owner.headers,
    )
    assert hook.status_code == 200, hook.text
    for slug in ("one", "two"):
        made = metrics_client.post(
            "/api/v1/organizations/acme/workspaces",
            params={"workspace_id": slug},
            json={"title": slug},
            headers=owner.headers,
        )
        assert made.status_code == 200
    deadline = time.monotonic() + 10
    while True:
        found = scrape(metrics_client)
        if value(found, "workspaced_webhook_delivery_failures_total") >= 1:
            break
        assert time.monotonic() < deadline, "no delivery attempt within 10 s"
        time.sleep(0.1)
    assert value(found, "workspaced_webhook_delivery_attempts_total") >= 1
    # Both wait behind the failed head of the endpoint's queue.
    assert value(found, "workspaced_webhook_outbox_pending") == 2

    bad = {"Authorization": "Bearer not-a-token"}
    statuses = [metrics_client.get("/api/v1/me", headers=bad).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    found = scrape(metrics_client)
    assert value(found, "workspaced_rate_limit_refusals_total", limit="address") == 1
    assert value(found, "workspaced_rate_limit_refusals_total", limit="credential") == 0


def test_metrics_token(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    app = create_app(database, metrics=Metrics(token="s3cret-scrape"))
    with TestClient(app) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert allowed.status_code == 200 and "workspaced_http_requests_total" in allowed.text


@pytest.mark.slow
def test_two_workers_are_summed_in_one_scrape(
    database_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.person("acme")
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"an earlier run's")
    monkeypatch.setenv(MULTIPROC_ENV, str(directory))
    with live_server(database_url, workers=2) as base:
        assert not (directory / "counter_999999.db").exists()  # cleaned at start
        created = httpx.post(
            f"{base}/api/v1/organizations/acme/workspaces",
            params={"workspace_id": "apollo"},
            json={"title": "Apollo"},
            headers=owner.headers,
        )
        assert created.status_code == 200, created.text
        url = f"{base}/api/v1/organizations/acme/workspaces/apollo"
        for _ in range(20):  # a new connection each: granian spreads them over the workers
            assert httpx.get(url, headers=owner.headers).status_code == 200
        # The other worker hands over its counts every second (FLUSH_INTERVAL_S).
        deadline = time.monotonic() + 10
        while True:
            found = samples(httpx.get(f"{base}/metrics").text)
            served = value(
                found,
                "workspaced_http_requests_total",
                dialect="aip",
                route=WORKSPACE_ROUTE,
                status="200",
            )
            if served >= 20 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        pids = {p.name.rsplit("_", 1)[1] for p in directory.glob("counter_*.db")}
    assert len(pids) == 2
    assert (
        value(
            found,
            "workspaced_http_requests_total",
            dialect="aip",
            route=WORKSPACE_ROUTE,
            status="200",
        )
        == 20
    )
    # Each worker adds its own pool: the live gauges sum both.
    capacity = Database(database_url)
    try:
        pool = capacity.engine.pool
        one = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
    finally:
        capacity.dispose()
    assert value(found, "workspaced_db_pool_capacity") == 2 * one
    assert os.environ[MULTIPROC_ENV] == str(directory)
