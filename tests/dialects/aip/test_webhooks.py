"""Webhooks (SPEC §7) against a real HTTP receiver, signatures checked with the
`standardwebhooks` library: endpoint management and who may do it, every change's event
delivered in order, retries with the same webhook-id while other endpoints carry on,
secret rotation, the delivery log and :retry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks.webhooks import WebhookVerificationError

from tests.mail_support import Mailbox
from tests.support import Person, World, issue_api_key, principal_of
from tests.webhook_receiver import Receiver, webhook_receiver
from workspaced.event import webhooks
from workspaced.event.delivery import WebhookSettings
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.models import Event, WebhookDelivery, WebhookEndpoint
from workspaced.workspace import service as workspaces

ORG = "/api/v1/organizations/acme"
HOOKS = f"{ORG}/webhooks"
WS = f"{ORG}/workspaces"
# Retries in a fraction of a second instead of 5 s, 30 s, ...: the same code paths.
FAST = WebhookSettings(
    allow_private=True, retry_schedule=(timedelta(seconds=0.2),) * 7, poll_interval_s=0.05
)


@pytest.fixture
def hooks_client(database: Database, mailbox: Mailbox) -> Iterator[TestClient]:
    app = create_app(database, mail=MailSettings(smtp_url=mailbox.url), webhooks=FAST)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def endpoint(client: TestClient, who: Person, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(HOOKS, json={"url": url, **fields}, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def delivery_log(
    client: TestClient, who: Person, hook: dict[str, Any], count: int
) -> list[dict[str, Any]]:
    """The endpoint's delivery log once it holds `count` finished attempts (it trails a
    delivered attempt: outcomes are recorded together, up to a second later)."""
    deadline = time.monotonic() + 5
    while True:
        log: list[dict[str, Any]] = client.get(
            f"{HOOKS}/{hook['webhook_id']}/deliveries", headers=who.headers
        ).json()["deliveries"]
        if len([d for d in log if d["state"] == "DELIVERED"]) >= count:
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.05)


def test_managing_endpoints(hooks_client: TestClient, world: World, receiver: Receiver) -> None:
    owner = world.person("acme")
    created = hooks_client.post(
        HOOKS,
        json={
            "url": f"{receiver.url}/a",
            "event_types": ["workspace.created"],
            "description": "crm",
        },
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["event_types"] == ["workspace.created"]
    one = f"{HOOKS}/{hook['webhook_id']}"
    listed = hooks_client.get(HOOKS, headers=owner.headers).json()["webhooks"]
    assert [h["webhook_id"] for h in listed] == [hook["webhook_id"]]
    assert hook["secret"] not in str(listed) + hooks_client.get(one, headers=owner.headers).text
    patched = hooks_client.patch(
        one, json={"disabled": True, "description": "paused"}, headers=owner.headers
    )
    assert patched.status_code == 200 and patched.json()["disabled"] is True
    rotated = hooks_client.post(f"{one}:rotateSecret", headers=owner.headers)
    assert rotated.status_code == 200 and rotated.json()["secret"] != hook["secret"]
    assert hooks_client.delete(one, headers=owner.headers).status_code == 200
    assert hooks_client.get(one, headers=owner.headers).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://user:pw@example.com/x"}, "url"),
        ({"url": "https://example.com/x", "event_types": ["workspace.exploded"]}, "event_types"),
        ({"url": "https://example.com/x", "event_types": "workspace.created"}, "event_types"),
    ],
)
def test_bad_endpoints_are_refused(
    hooks_client: TestClient, world: World, database: Database, body: dict[str, Any], field: str
) -> None:
    owner = world.person("acme")
    response = hooks_client.post(HOOKS, json=body, headers=owner.headers)
    assert response.status_code == 400 and field in response.text, response.text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.0.0.7/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ],
)
def test_private_addresses_are_refused_unless_allowed(
    client: TestClient, world: World, url: str
) -> None:
    """The default app (no WORKSPACED_WEBHOOK_ALLOW_PRIVATE): no SSRF into the server's
    own network or the cloud's metadata service."""
    owner = world.person("acme")
    response = client.post(HOOKS, json={"url": url}, headers=owner.headers)
    assert response.status_code == 400 and "private" in response.text, response.text


def test_who_may_manage_endpoints(
    hooks_client: TestClient, world: World, database: Database, receiver: Receiver
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    stranger = world.person("globex")
    body = {"url": f"{receiver.url}/x"}
    assert hooks_client.post(HOOKS, json=body, headers=member.headers).status_code == 403
    assert hooks_client.get(HOOKS, headers=member.headers).status_code == 403
    assert hooks_client.post(HOOKS, json=body, headers=stranger.headers).status_code == 404
    _, manager = issue_api_key(database, owner, ["webhooks:manage"])
    _, other = issue_api_key(database, owner, ["workspaces:get"])
    assert (
        hooks_client.post(
            HOOKS, json=body, headers={"Authorization": f"Bearer {manager}"}
        ).status_code
        == 200
    )
    assert hooks_client.get(HOOKS, headers={"Authorization": f"Bearer {other}"}).status_code == 403


def test_every_change_is_delivered_signed_and_in_order(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")
    hook = endpoint(hooks_client, owner, f"{receiver.url}/all")
    steps = [
        (
            "workspace.created",
            lambda: hooks_client.post(
                WS, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers
            ),
        ),
        (
            "workspace.member.added",
            lambda: hooks_client.post(
                f"{WS}/ws/users",
                json={"user": colleague.user_id, "role": "viewer"},
                headers=owner.headers,
            ),
        ),
        (
            None,
            lambda: hooks_client.patch(
                f"{WS}/ws", json={"title": "Nope"}, headers=colleague.headers
            ),
        ),  # refused: no event
        (
            "workspace.member.updated",
            lambda: hooks_client.patch(
                f"{WS}/ws/users/{colleague.user_id}", json={"role": "editor"}, headers=owner.headers
            ),
        ),
        (
            "workspace.updated",
            lambda: hooks_client.patch(f"{WS}/ws", json={"title": "W2"}, headers=colleague.headers),
        ),
        (
            "workspace.member.removed",
            lambda: hooks_client.delete(
                f"{WS}/ws/users/{colleague.user_id}", headers=owner.headers
            ),
        ),
        ("workspace.deleted", lambda: hooks_client.delete(f"{WS}/ws", headers=owner.headers)),
    ]
    for expected, step in steps:
        assert step().status_code == (200 if expected else 403)
    expected_types = [t for t, _ in steps if t]
    got = receiver.wait("/all", len(expected_types))
    time.sleep(0.3)  # nothing more arrives
    assert len(receiver.at("/all")) == len(expected_types)
    payloads = [r.verified(hook["secret"]) for r in got]
    assert [p["type"] for p in payloads] == expected_types  # type: ignore[index]
    assert len({r.headers["webhook-id"] for r in got}) == len(got)
    with pytest.raises(WebhookVerificationError):
        got[0].verified("whsec_" + "A" * 44)


def test_a_failing_receiver_gets_retries_with_the_same_id_and_delays_no_one_else(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    owner = world.person("acme")
    endpoint(hooks_client, owner, f"{receiver.url}/flaky")
    steady = endpoint(hooks_client, owner, f"{receiver.url}/steady")
    receiver.statuses["/flaky"] = [500, 500]
    receiver.delay_s["/flaky"] = 0.3
    for i in range(3):
        hooks_client.post(WS, json={"title": f"W{i}"}, headers=owner.headers)
    steady_got = receiver.wait("/steady", 3)
    # The steady endpoint had all three while the flaky one was still on its first event.
    flaky_so_far = receiver.at("/flaky")
    assert len({r.headers["webhook-id"] for r in flaky_so_far}) <= 1
    flaky = receiver.wait("/flaky", 5)  # 2 failures + 3 deliveries
    ids = [r.headers["webhook-id"] for r in flaky]
    assert ids[0] == ids[1] == ids[2] and len(set(ids)) == 3  # same id on every attempt
    assert ids[2:] == [r.headers["webhook-id"] for r in steady_got]  # in order
    log = delivery_log(hooks_client, owner, steady, 3)
    assert {d["state"] for d in log} == {"DELIVERED"} and {d["response_status"] for d in log} == {
        200
    }


def test_secret_rotation_signs_with_both_secrets_during_the_rollover(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    owner = world.person("acme")
    hook = endpoint(hooks_client, owner, f"{receiver.url}/rot")
    new = hooks_client.post(
        f"{HOOKS}/{hook['webhook_id']}:rotateSecret", headers=owner.headers
    ).json()["secret"]
    hooks_client.post(WS, json={"title": "W"}, headers=owner.headers)
    [got] = receiver.wait("/rot", 1)
    assert got.verified(new) and got.verified(hook["secret"])
    assert len(got.headers["webhook-signature"].split(" ")) == 2


def test_the_delivery_log_and_retry(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    owner = world.person("acme")
    hook = endpoint(hooks_client, owner, f"{receiver.url}/log", event_types=["workspace.created"])
    hooks_client.post(WS, json={"title": "W"}, headers=owner.headers)
    hooks_client.post(WS, json={"title": "W"}, headers=owner.headers)  # a second workspace.created
    receiver.wait("/log", 2)
    deliveries = f"{HOOKS}/{hook['webhook_id']}/deliveries"
    log = delivery_log(hooks_client, owner, hook, 2)
    assert [d["event_type"] for d in log] == ["workspace.created", "workspace.created"]
    retried = hooks_client.post(
        f"{deliveries}/{log[0]['delivery_id']}:retry", headers=owner.headers
    )
    assert retried.status_code == 200, retried.text
    again = receiver.wait("/log", 3)
    assert again[2].headers["webhook-id"] == log[0]["event_id"]
    assert json.loads(again[2].body)["type"] == "workspace.created"
    missing = hooks_client.post(
        f"{deliveries}/00000000-0000-4000-8000-000000000000:retry", headers=owner.headers
    )
    assert missing.status_code == 404


def test_endpoints_and_deliveries_page(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    """More than one page of either list (this answered 500 before the sort keys were
    selected beside the rows)."""
    owner = world.person("acme")
    for i in range(3):
        hook = endpoint(hooks_client, owner, f"{receiver.url}/p{i}")
    for i in range(3):
        hooks_client.post(WS, json={"title": f"W{i}"}, headers=owner.headers)
    receiver.wait("/p2", 3)
    delivery_log(hooks_client, owner, hook, 3)
    for path, key in (
        (HOOKS, "webhooks"),
        (f"{HOOKS}/{hook['webhook_id']}/deliveries", "deliveries"),
    ):
        seen: list[str] = []
        token = ""
        while True:
            page = hooks_client.get(
                path, params={"page_size": 2, "page_token": token}, headers=owner.headers
            )
            assert page.status_code == 200, page.text
            seen += [item["name"] for item in page.json()[key]]
            token = page.json()["next_page_token"]
            if not token:
                break
        assert len(seen) == len(set(seen)) == 3, (path, seen)


def test_a_change_writes_only_its_event(database: Database, world: World) -> None:
    """The outbox is the event row: a change writes no delivery row for the endpoints
    subscribed to it (the worker writes one per attempt; none runs here)."""
    owner = world.person("acme")
    with database.write() as session:
        webhooks.create(
            session,
            principal_of(database, owner),
            "acme",
            url="http://127.0.0.1:9/x",
            event_types=[],
            allow_private=True,
        )
    with database.write() as session:
        workspaces.create(session, principal_of(database, owner), "acme", title="Changed")
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert (
            session.scalars(select(Event.type).order_by(Event.id)).all()[-1] == "workspace.created"
        )


def test_a_new_endpoint_starts_at_the_end_of_the_log(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    """An endpoint gets the events of changes committed after it was made, none before."""
    owner = world.person("acme")
    created = ["workspace.created"]
    endpoint(hooks_client, owner, f"{receiver.url}/early", event_types=created)
    assert hooks_client.post(WS, json={"title": "Before"}, headers=owner.headers).status_code == 200
    receiver.wait("/early", 1)
    late = endpoint(hooks_client, owner, f"{receiver.url}/late", event_types=created)
    hooks_client.post(WS, json={"title": "After"}, headers=owner.headers)
    [only] = receiver.wait("/late", 1)
    assert json.loads(only.body)["data"]["after"]["title"] == "After"
    early = receiver.wait("/early", 2)
    assert [json.loads(r.body)["data"]["after"]["title"] for r in early] == ["Before", "After"]
    assert [d["state"] for d in delivery_log(hooks_client, owner, late, 1)] == ["DELIVERED"]
    assert len(receiver.at("/late")) == 1


def test_an_endpoint_of_some_types_passes_over_the_others(
    hooks_client: TestClient, world: World, database: Database, receiver: Receiver
) -> None:
    """The cursor moves past events the endpoint does not take (a backlog of other types
    never holds it back), and they leave no delivery row."""
    owner = world.person("acme")
    hook = endpoint(hooks_client, owner, f"{receiver.url}/del", event_types=["workspace.deleted"])
    for i in range(120):  # more than one batch of the worker's read
        made = hooks_client.post(WS, json={"title": f"W{i}"}, headers=owner.headers)
        assert made.status_code == 200
    name = made.json()["name"]
    assert hooks_client.delete(f"/api/v1/{name}", headers=owner.headers).status_code == 200
    [got] = receiver.wait("/del", 1)
    assert json.loads(got.body)["type"] == "workspace.deleted"
    log = delivery_log(hooks_client, owner, hook, 1)
    assert [d["event_type"] for d in log] == ["workspace.deleted"]
    with database.read() as session:
        [(cursor_xid, cursor_event)] = session.execute(
            select(WebhookEndpoint.cursor_xid, WebhookEndpoint.cursor_event)
        ).all()
        last = session.execute(select(Event.xid, Event.id).order_by(Event.xid, Event.id)).all()[-1]
    assert (cursor_xid, cursor_event) == tuple(last)


def test_a_paused_endpoint_resumes_with_the_events_of_its_pause(
    hooks_client: TestClient, world: World, receiver: Receiver
) -> None:
    """`disabled: true` sends nothing; `disabled: false` resumes at the cursor, so the
    events written meanwhile arrive, in order, after the ones before the pause."""
    owner = world.person("acme")
    hook = endpoint(
        hooks_client, owner, f"{receiver.url}/paused", event_types=["workspace.created"]
    )
    one = f"{HOOKS}/{hook['webhook_id']}"
    hooks_client.post(WS, json={"title": "Before"}, headers=owner.headers)
    receiver.wait("/paused", 1)
    assert (
        hooks_client.patch(one, json={"disabled": True}, headers=owner.headers).status_code == 200
    )
    for title in ("During 1", "During 2"):
        hooks_client.post(WS, json={"title": title}, headers=owner.headers)
    time.sleep(0.5)
    assert len(receiver.at("/paused")) == 1
    assert (
        hooks_client.patch(one, json={"disabled": False}, headers=owner.headers).status_code == 200
    )
    got = receiver.wait("/paused", 3)
    titles = [json.loads(r.body)["data"]["after"]["title"] for r in got]
    assert titles == ["Before", "During 1", "During 2"]
