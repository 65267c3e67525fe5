"""The Python SDK (`workspaced.client`) against a real `workspaced serve`: every call goes
over HTTP to a live server, nothing is mocked.

One server (and database) serves the whole module; each test works in its own
organization so that the tests stay independent. The retry test starts a second server
on the same database with a tiny rate limit."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support import Person, World, issue_api_key, live_server
from tests.webhook_receiver import webhook_receiver
from workspaced.client import (
    Aborted,
    AccessCheck,
    AlreadyExists,
    AsyncClient,
    Client,
    ConnectionFailed,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    WebhookVerificationError,
    WorkspacedError,
    verify_webhook,
)
from workspaced.kit.db import Database

if TYPE_CHECKING:
    from tests.support import TestDatabases


@dataclass
class Env:
    base: str
    url: str
    database: Database
    world: World

    def org(self) -> str:
        return f"sdk-{uuid.uuid4().hex[:8]}"

    def client(self, who: Person | str) -> Client:
        token = who if isinstance(who, str) else who.token
        return Client(self.base, token=token, timeout=10)


@pytest.fixture(scope="module")
def env(test_databases: TestDatabases) -> Iterator[Env]:
    url = test_databases.fresh_url()
    database = Database(url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            # The webhook receiver listens on loopback, which endpoints may not use otherwise.
            patch.setenv("WORKSPACED_WEBHOOK_ALLOW_PRIVATE", "true")
            with live_server(url) as base:
                yield Env(base, url, database, World(database))
    finally:
        database.dispose()
        test_databases.clean(url)


class Counter:
    """An httpx event hook recording the status of every response."""

    def __init__(self) -> None:
        self.statuses: list[int] = []

    def __call__(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)


# --- workspaces -----------------------------------------------------------------------


def test_workspaces_create_list_get_update_delete(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    counter = Counter()
    http = httpx.Client(timeout=10, event_hooks={"response": [counter]})
    with http, Client(env.base, token=owner.token, http_client=http) as client:
        created = [
            client.workspaces.create(org, title=f"Team {i}", workspace_id=f"team-{i}")
            for i in range(5)
        ]
        assert created[0].workspace_id == "team-0" and created[0].organization_id == org
        assert created[0].name == f"organizations/{org}/workspaces/team-0"

        # The iterator follows next_page_token: 5 workspaces, 2 a page, 3 requests.
        counter.statuses.clear()
        listed = list(client.workspaces.list(org, order_by="title", page_size=2))
        assert [w.workspace_id for w in listed] == [f"team-{i}" for i in range(5)]
        assert counter.statuses == [200, 200, 200]

        first = client.workspaces.page(org, order_by="title", page_size=2)
        assert len(first.items) == 2 and first.has_next
        second = client.workspaces.page(
            org, order_by="title", page_size=2, page_token=first.next_page_token
        )
        assert [w.title for w in second.items] == ["Team 2", "Team 3"]
        filtered = list(client.workspaces.list(org, filter='title = "Team 4"'))
        assert [w.workspace_id for w in filtered] == ["team-4"]

        got = client.workspaces.get(org, "team-1")
        assert got.uid == created[1].uid and got.role == "owner"
        assert got.permissions is not None and "workspaces:update" in got.permissions
        assert client.workspaces.get(org, got.uid).workspace_id == "team-1"  # by uid too

        updated = client.workspaces.update(
            org, "team-1", title="Renamed", workspace_icon="rocket", etag=got.etag
        )
        assert (updated.title, updated.workspace_icon) == ("Renamed", "rocket")
        assert updated.etag != got.etag
        with pytest.raises(Aborted) as stale:  # the etag of before the update
            client.workspaces.update(org, "team-1", title="Again", etag=got.etag)
        assert stale.value.status_code == 409
        cleared = client.workspaces.update(org, "team-1", update_mask=["workspace_icon"])
        assert (cleared.title, cleared.workspace_icon) == ("Renamed", None)

        with pytest.raises(AlreadyExists):
            client.workspaces.create(org, title="Dup", workspace_id="team-0")

        deleted = client.workspaces.delete(org, "team-0")
        assert deleted.deleted and deleted.purge_time is not None
        assert client.workspaces.get(org, "team-0").delete_time is not None
        assert "team-0" not in {w.workspace_id for w in client.workspaces.list(org)}
        assert "team-0" in {w.workspace_id for w in client.workspaces.list(org, show_deleted=True)}
        assert not client.workspaces.undelete(org, "team-0").deleted
        assert client.workspaces.count_users(org, ["team-0", created[2].uid]) == {
            "team-0": 1,
            created[2].uid: 1,
        }


def test_members_add_list_update_remove(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    bob = env.world.person(org, org_role="member", name="Bob Builder")
    with env.client(owner) as client:
        client.workspaces.create(org, title="Design", workspace_id="design")
        added = client.members.add(org, "design", bob.email, role="viewer")
        assert (added.user_id, added.role_id, added.role) == (
            bob.user_id,
            "viewer",
            "Workspace Viewer",
        )
        assert added.role_scope == "workspace"

        members = list(client.members.list(org, "design", page_size=1))
        assert {m.user_id for m in members} == {owner.user_id, bob.user_id}
        viewers = list(client.members.list(org, "design", filter='role="Workspace Viewer"'))
        assert [m.email for m in viewers] == [bob.email]
        assert [m.user_id for m in client.members.list(org, "design", filter='search:"bob"')] == [
            bob.user_id
        ]

        assert client.members.update(org, "design", bob.user_id, role="editor").role_id == "editor"
        with pytest.raises(AlreadyExists):
            client.members.add(org, "design", bob.user_id, role="viewer")
        client.members.remove(org, "design", bob.email)  # by email too
        assert [m.user_id for m in client.members.list(org, "design")] == [owner.user_id]
        with pytest.raises(FailedPrecondition) as last_owner:
            client.members.remove(org, "design", owner.user_id)
        assert last_owner.value.status_code == 400


# --- errors ---------------------------------------------------------------------------


def test_errors_map_to_exceptions_with_their_details(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    viewer = env.world.person(org, org_role="member")
    with env.client(owner) as client, env.client(viewer) as as_viewer:
        client.workspaces.create(org, title="Ops", workspace_id="ops")
        client.members.add(org, "ops", viewer.user_id, role="viewer")

        with pytest.raises(NotFound) as missing:
            client.workspaces.get(org, "nope")
        error = missing.value
        assert (error.status_code, error.status, error.reason) == (404, "NOT_FOUND", "NOT_FOUND")
        assert error.metadata["resource_id"] == "nope" and error.resource_id == "nope"
        assert error.domain == "workspaced" and "nope" in str(error)

        with pytest.raises(InvalidArgument) as bad:
            client.workspaces.create(org, title="x" * 201)
        assert bad.value.status_code == 400 and bad.value.violation("title") is not None
        with pytest.raises(InvalidArgument) as bad_mask:
            client.workspaces.update(org, "ops", title="t", update_mask="title,color")
        assert [v.field for v in bad_mask.value.field_violations] == ["update_mask"]
        with pytest.raises(InvalidArgument) as bad_size:
            client.workspaces.page(org, page_size=-1)
        assert bad_size.value.violation("page_size") is not None

        with pytest.raises(PermissionDenied) as denied:
            as_viewer.workspaces.update(org, "ops", title="mine now")
        assert denied.value.status_code == 403
        assert denied.value.permission == "workspaces:update"
        assert denied.value.metadata["permission"] == "workspaces:update"

    with env.client("wsd_" + "a" * 40) as stranger, pytest.raises(Unauthenticated) as unknown:
        stranger.workspaces.get(org, "ops")
    assert unknown.value.status_code == 401 and isinstance(unknown.value, WorkspacedError)

    # Nothing listening: no response at all (not retried for long: a small max_retries).
    nowhere = Client("http://127.0.0.1:9", token=owner.token, max_retries=1)
    with nowhere, pytest.raises(ConnectionFailed) as refused:
        nowhere.workspaces.get(org, "ops")
    assert refused.value.status_code == 0 and refused.value.__cause__ is not None


# --- credentials ----------------------------------------------------------------------


def test_api_keys_as_credential_and_resource(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    _, secret = issue_api_key(env.database, owner, ["workspaces:get", "members:list"])
    with env.client(owner) as client, env.client(secret) as backend:
        client.workspaces.create(org, title="Billing", workspace_id="billing")
        assert [w.workspace_id for w in backend.workspaces.list(org)] == ["billing"]
        assert [m.user_id for m in backend.members.list(org, "billing")] == [owner.user_id]
        with pytest.raises(PermissionDenied) as denied:
            backend.workspaces.create(org, title="Nope")
        assert denied.value.permission == "workspaces:create"

        expires = datetime.now(UTC) + timedelta(days=30)
        made = client.api_keys.create(
            org, display_name="sync", permissions=["workspaces:get"], expire_time=expires
        )
        assert made.key.startswith("wsk_") and made.permissions == ("workspaces:get",)
        assert made.expire_time is not None and made.creator == f"users/{owner.user_id}"
        assert made.key_id in {k.key_id for k in client.api_keys.list(org)}
        assert client.api_keys.get(org, made.key_id).display_name == "sync"
        with env.client(made.key) as new_key:
            assert new_key.workspaces.get(org, "billing").title == "Billing"
            client.api_keys.revoke(org, made.key_id)
            with pytest.raises(Unauthenticated):
                new_key.workspaces.get(org, "billing")
        with pytest.raises(NotFound):
            client.api_keys.get(org, made.key_id)


def test_me_organizations_tokens_roles_preferences_invites_audit(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org, name="Olive Owner")
    with env.client(owner) as client:
        me = client.me()
        assert me.user_id == owner.user_id and me.display_name == "Olive Owner"
        assert [(o.name, o.org_role) for o in me.organizations] == [
            (f"organizations/{org}", "owner")
        ]
        assert [o.organization_id for o in client.organizations.list()] == [org]
        assert client.organizations.update(org, display_name="Acme Inc").display_name == "Acme Inc"
        assert client.organizations.get(org).display_name == "Acme Inc"

        token = client.tokens.create(display_name="laptop")
        assert token.token.startswith("wsd_") and token.organization == f"organizations/{org}"
        assert token.token_id in {t.token_id for t in client.tokens.list()}
        assert token.token_id in {t.token_id for t in client.tokens.list_for_organization(org)}
        with env.client(token.token) as laptop:
            assert laptop.me().user_id == owner.user_id
            client.tokens.revoke(token.token_id)
            with pytest.raises(Unauthenticated):
                laptop.me()

        carol = client.organization_users.add(org, email="carol@example.com", org_role="admin")
        assert carol.org_role == "admin"
        assert client.organization_users.get(org, "carol@example.com").user_id == carol.user_id
        assert client.organization_users.update(org, carol.user_id, org_role="member").org_role == (
            "member"
        )
        users = list(client.organization_users.list(org, page_size=1))
        assert {u.user_id for u in users} == {owner.user_id, carol.user_id}
        client.organization_users.remove(org, carol.user_id)
        with pytest.raises(NotFound):
            client.organization_users.get(org, carol.user_id)

        client.workspaces.create(org, title="Lab", workspace_id="lab")
        assert {"owner", "editor", "viewer"} <= {r.role_id for r in client.roles.list(org)}
        auditor = client.roles.create(
            org,
            role_id="auditor",
            display_name="Auditor",
            permissions=["workspaces:get", "members:list"],
        )
        assert not auditor.built_in and auditor.permissions == ("members:list", "workspaces:get")
        assert "auditor" in {r.role_id for r in client.roles.list_for_workspace(org, "lab")}
        changed = client.roles.update(org, "auditor", description="reads things")
        assert changed.description == "reads things"
        assert client.roles.get(org, "auditor").description == "reads things"
        client.roles.delete(org, "auditor")
        with pytest.raises(NotFound):
            client.roles.get(org, "auditor")

        assert client.preferences.get(org, "lab").support_team_access is False
        assert client.preferences.update(org, "lab", support_team_access=True).support_team_access

        invite = client.invites.create(
            org, "lab", email="dave@example.com", role="viewer", ttl=timedelta(days=1)
        )
        assert invite.state == "PENDING" and invite.role_id == "viewer"
        assert invite.expire_time - invite.create_time == timedelta(days=1)
        pending = list(client.invites.list(org, "lab", filter="state=PENDING"))
        assert [i.invite_id for i in pending] == [invite.invite_id]
        assert client.invites.get(org, "lab", invite.invite_id).email == "dave@example.com"
        resent = client.invites.resend(org, "lab", invite.invite_id)
        assert resent.invite_id == invite.invite_id and resent.state == "PENDING"
        assert client.invites.revoke(org, "lab", invite.invite_id).state == "REVOKED"
        with pytest.raises(FailedPrecondition):
            client.invites.revoke(org, "lab", invite.invite_id)
        with pytest.raises(NotFound) as no_invite:
            client.invites.accept("wsi_not-a-real-token")
        assert no_invite.value.metadata["resource_id"] == "invite_token"

        actions = {e.action for e in client.audit_events.list(org, page_size=5)}
        assert {"workspace.created", "invite.revoked", "role.deleted"} <= actions

        new_org = client.organizations.create(
            display_name="Side Project", organization_id=org + "-b"
        )
        assert new_org.organization_id == org + "-b" and new_org.token is not None
        with env.client(new_org.token) as there:
            assert there.organizations.get(org + "-b").display_name == "Side Project"


def test_permission_checks(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    viewer = env.world.person(org, org_role="member")
    with env.client(owner) as client, env.client(viewer) as as_viewer:
        workspace = client.workspaces.create(org, title="Docs", workspace_id="docs")
        client.members.add(org, "docs", viewer.email, role="viewer")
        held = as_viewer.permissions.test(org, "docs", ["workspaces:get", "members:add"])
        assert held == ["workspaces:get"]
        assert client.permissions.test(org, "docs", ["members:add"]) == ["members:add"]
        results = client.permissions.check(
            org,
            [
                (viewer.user_id, "docs", "workspaces:get"),
                AccessCheck(viewer.email, workspace.uid, "members:add"),
                {"user": "nobody@example.com", "workspace": "docs", "permission": "workspaces:get"},
                (owner.user_id, "no-such-workspace", "workspaces:get"),
            ],
        )
        assert results == [True, False, False, False]
        with pytest.raises(PermissionDenied):
            as_viewer.permissions.check(org, [(viewer.user_id, "docs", "workspaces:get")])
    _, key = issue_api_key(env.database, owner, ["access:check"])
    with env.client(key) as backend:
        assert backend.permissions.check(org, [(viewer.email, "docs", "members:list")]) == [True]


# --- webhooks and events --------------------------------------------------------------


def test_webhooks_and_verify_webhook_and_the_event_feed(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    with webhook_receiver() as receiver, env.client(owner) as client:
        hook = client.webhooks.create(
            org,
            url=f"{receiver.url}/sdk",
            event_types=["workspace.created", "workspace.updated"],
            description="sdk test",
        )
        assert hook.secret.startswith("whsec_") and hook.event_types == (
            "workspace.created",
            "workspace.updated",
        )
        made = client.workspaces.create(org, title="Hooked", workspace_id="hooked")
        (delivery,) = receiver.wait("/sdk", 1)

        event = verify_webhook(delivery.body, delivery.headers, hook.secret)
        assert event.id == delivery.headers["webhook-id"] and event.id.startswith("evt_")
        assert event.type == "workspace.created"
        assert event.data.resource == f"organizations/{org}/workspaces/hooked"
        assert event.data.after is not None and event.data.after["uid"] == made.uid
        assert event.data.actor is not None and event.data.actor.id == owner.user_id
        # str bodies and case-insensitive header names verify too
        upper = {k.upper(): v for k, v in delivery.headers.items()}
        assert verify_webhook(delivery.body.decode(), upper, hook.secret).id == event.id

        tampered = delivery.body.replace(b"hooked", b"hacked")
        with pytest.raises(WebhookVerificationError):
            verify_webhook(tampered, delivery.headers, hook.secret)
        other = client.webhooks.create(org, url=f"{receiver.url}/other")
        with pytest.raises(WebhookVerificationError):
            verify_webhook(delivery.body, delivery.headers, other.secret)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(delivery.body, {"content-type": "application/json"}, hook.secret)

        deadline = time.monotonic() + 10
        while True:  # the log trails the attempt: outcomes are recorded together
            log = list(client.webhooks.deliveries(org, hook.webhook_id))
            if (log and log[0].state == "DELIVERED") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        (logged,) = log
        assert (logged.state, logged.event_id, logged.response_status) == (
            "DELIVERED",
            event.id,
            200,
        )
        again = client.webhooks.retry(org, hook.webhook_id, logged.delivery_id)
        assert again.event_id == event.id
        (resent, *_) = receiver.wait("/sdk", 2)[1:]
        assert verify_webhook(resent.body, resent.headers, hook.secret).id == event.id

        assert {h.webhook_id for h in client.webhooks.list(org, page_size=1)} == {
            hook.webhook_id,
            other.webhook_id,
        }
        assert client.webhooks.get(org, hook.webhook_id).description == "sdk test"
        paused = client.webhooks.update(org, hook.webhook_id, disabled=True, event_types=[])
        assert paused.disabled and paused.event_types == ()
        rotated = client.webhooks.rotate_secret(org, hook.webhook_id)
        assert rotated.secret != hook.secret
        client.webhooks.delete(org, other.webhook_id)
        with pytest.raises(NotFound):
            client.webhooks.get(org, other.webhook_id)

        # The feed holds the same event, with the same id, in commit order.
        feed = list(client.events.iterate(org, page_size=1))
        created = [e for e in feed if e.type == "workspace.created"]
        assert [e.id for e in created] == [event.id]
        assert all(e.cursor for e in feed)
        first = client.events.list(org, page_size=1)
        assert len(first.events) == 1 and first.next_cursor == first.events[0].cursor
        rest = client.events.list(org, after=first.next_cursor)
        assert [e.id for e in rest.events] == [e.id for e in feed[1:]]
        assert client.events.list(org, after=rest.next_cursor).events == ()
        assert list(client.events.iterate(org, after=rest.next_cursor)) == []


# --- async ----------------------------------------------------------------------------


def test_async_client(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    member = env.world.person(org, org_role="member")

    async def scenario() -> None:
        async with AsyncClient(env.base, token=owner.token, timeout=10) as client:
            made = await asyncio.gather(
                *(
                    client.workspaces.create(org, title=f"A{i}", workspace_id=f"a-{i}")
                    for i in range(3)
                )
            )
            assert sorted(w.workspace_id for w in made) == ["a-0", "a-1", "a-2"]
            listed = [w.workspace_id async for w in client.workspaces.list(org, page_size=2)]
            assert sorted(listed) == ["a-0", "a-1", "a-2"]
            page = await client.workspaces.page(org, page_size=2, order_by="title")
            assert [w.workspace_id for w in page.items] == ["a-0", "a-1"] and page.has_next
            assert (await client.workspaces.get(org, "a-1")).role == "owner"
            added = await client.members.add(org, "a-1", member.email, role="viewer")
            assert added.role_id == "viewer"
            assert await client.permissions.test(org, "a-1", ["members:add"]) == ["members:add"]
            with pytest.raises(NotFound) as missing:
                await client.workspaces.get(org, "missing")
            assert missing.value.resource_id == "missing"
            with pytest.raises(InvalidArgument) as bad:
                await client.workspaces.create(org, title="x" * 201)
            assert bad.value.violation("title") is not None
            types = [e.type async for e in client.events.iterate(org, page_size=2)]
            assert types.count("workspace.created") == 3
            assert (await client.me()).user_id == owner.user_id
        async with AsyncClient(env.base, token=member.token) as as_member:
            with pytest.raises(PermissionDenied) as denied:
                await as_member.workspaces.delete(org, "a-1")
            assert denied.value.permission == "workspaces:delete"

    asyncio.run(scenario())


# --- retries --------------------------------------------------------------------------


def test_retries_honour_retry_after_for_reads_only(env: Env) -> None:
    org = env.org()
    owner = env.world.person(org)
    with env.client(owner) as setup:
        setup.workspaces.create(org, title="Busy", workspace_id="busy")
    limits = {"WORKSPACED_RATE_LIMIT_PER_CREDENTIAL": "5", "WORKSPACED_RATE_LIMIT_WINDOW": "2"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in limits.items():
            patch.setenv(name, value)
        with live_server(env.url) as limited:
            counter = Counter()
            http = httpx.Client(timeout=10, event_hooks={"response": [counter]})
            with http, Client(limited, token=owner.token, http_client=http) as client:
                started = time.monotonic()
                for _ in range(8):  # 5 per 2 s window: the 6th is refused, waited for, resent
                    assert client.workspaces.get(org, "busy").title == "Busy"
                assert 429 in counter.statuses and counter.statuses.count(200) == 8
                assert time.monotonic() - started >= 0.5  # it slept for Retry-After

                # Spend the rest of the window without retrying...
                impatient = Client(limited, token=owner.token, max_retries=0)
                with impatient, pytest.raises(ResourceExhausted) as refused:
                    for _ in range(10):
                        impatient.workspaces.get(org, "busy")
                assert refused.value.status_code == 429
                assert refused.value.retry_after is not None and refused.value.retry_after >= 1
                # ...then a POST that creates something: refused once, never sent again.
                counter.statuses.clear()
                with pytest.raises(ResourceExhausted) as not_retried:
                    client.workspaces.create(org, title="Not twice", workspace_id="not-twice")
                assert counter.statuses == [429] and not_retried.value.retry_after is not None
                # A read-only POST is retried like a GET.
                counter.statuses.clear()
                assert client.permissions.test(org, "busy", ["workspaces:get"]) == [
                    "workspaces:get"
                ]
                assert counter.statuses[0] == 429 and counter.statuses[-1] == 200
    with env.client(owner) as after, pytest.raises(NotFound):
        after.workspaces.get(org, "not-twice")


def test_verify_webhook_on_a_locally_signed_delivery() -> None:
    """verify_webhook on a delivery signed exactly like the server does (no server needed):
    the Standard Webhooks signature over `{id}.{timestamp}.{body}`."""
    from standardwebhooks.webhooks import Webhook

    secret = "whsec_" + "MAdgHPNL1S2dC6QEtmo7IN33dYcwZvPrv8Ys4oL+muE="
    body = json.dumps(
        {
            "data": {"resource": "organizations/acme", "actor": {"type": "operator", "id": None}},
            "timestamp": "2026-12-04T02:35:49.382467Z",
            "type": "organization.updated",
            "future_field": 1,
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "evt_" + "0" * 32,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("evt_" + "0" * 32, now, body),
    }
    event = verify_webhook(body.encode(), headers, secret)
    assert (event.type, event.data.actor and event.data.actor.type) == (
        "organization.updated",
        "operator",
    )
    stale = {**headers, "webhook-timestamp": str(int(now.timestamp()) - 3600)}
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(body, stale, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, "not base64!")
