"""Invitations on the native API: create, list, revoke, accept (signed in or as a new user)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.mail_support import Mailbox
from tests.support import Person, World, error_of, live_server
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import AuditEvent, Invite, OrganizationMembership, Workspace

WS = "/api/v1/organizations/acme/workspaces"
INVITES = WS + "/{ws}/invites"
ACCEPT = "/api/v1/invites:accept"


def workspace(client: TestClient, owner: Person, slug: str = "research") -> str:
    response = client.post(
        WS, params={"workspace_id": slug}, json={"title": slug}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return slug


def invite(
    client: TestClient,
    actor: Person,
    email: str,
    role: str = "viewer",
    ws: str = "research",
    **extra: Any,
) -> httpx.Response:
    return client.post(
        INVITES.format(ws=ws), json={"email": email, "role": role, **extra}, headers=actor.headers
    )


def created(client: TestClient, actor: Person, email: str, **extra: Any) -> dict[str, Any]:
    response = invite(client, actor, email, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def accept(
    client: TestClient, token: str, person: Person | None = None, **extra: Any
) -> httpx.Response:
    headers = person.headers if person is not None else {}
    return client.post(ACCEPT, json={"invite_token": token, **extra}, headers=headers)


def audit_events(database: Database, org: Person, action: str | None = None) -> list[AuditEvent]:
    """The organization's audit events (other tests' events may share a PostgreSQL database)."""
    with database.read() as session:
        query = (
            select(AuditEvent)
            .where(AuditEvent.org_id == uuid.UUID(org.org_id))
            .order_by(AuditEvent.time)
        )
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


def dump(events: list[AuditEvent]) -> str:
    return json.dumps(
        [[e.action, e.resource, e.before, e.after, e.user_agent, e.request_id] for e in events]
    )


def members(client: TestClient, person: Person, ws: str = "research") -> dict[str, str]:
    users = client.get(WS + f"/{ws}/users", headers=person.headers).json()["users"]
    return {u["email"]: u["role_id"] for u in users if u["role_scope"] == "workspace"}


def member_count(database: Database, ws: str = "research") -> int:
    with database.read() as session:
        return int(session.scalar(select(Workspace.member_count).where(Workspace.slug == ws)) or 0)


def test_the_token_is_mailed_to_the_invitee_only_and_stored_only_as_its_hash(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    response = invite(client, owner, "Ann@Example.com", role="Workspace Editor")
    assert response.status_code == 200
    assert "invite_token" not in response.text and "wsi_" not in response.text
    body = response.json()
    [mail] = mailbox.wait_for("Ann@Example.com")
    token = mail.invite_token
    assert token.startswith("wsi_") and len(token) >= 4 + 43  # >= 256 random bits
    assert mail.recipients == ("Ann@Example.com",)
    assert mail.message["From"] == "workspaced@localhost"
    assert "research" in mail.message["Subject"]
    assert "as Workspace Editor" in mail.body
    assert "http://127.0.0.1:8000/api/v1/invites:accept" in mail.body
    assert [m.recipients for m in mailbox.all()] == [("Ann@Example.com",)]
    assert body["name"] == f"organizations/acme/workspaces/research/invites/{body['invite_id']}"
    assert body["email"] == "Ann@Example.com"
    assert (body["role"], body["role_id"], body["state"]) == (
        "Workspace Editor",
        "editor",
        "PENDING",
    )
    assert body["inviter"] == owner.user_id
    lifetime = datetime.fromisoformat(body["expire_time"]) - datetime.fromisoformat(
        body["create_time"]
    )
    assert lifetime == timedelta(days=7)
    with database.read() as session:
        row = session.scalars(select(Invite)).one()
    assert row.token_sha256 == hashlib.sha256(token.encode()).digest()
    listed = client.get(INVITES.format(ws="research"), headers=owner.headers)
    got = client.get(INVITES.format(ws="research") + "/" + body["invite_id"], headers=owner.headers)
    for response in (listed, got):
        assert response.status_code == 200
        assert token not in response.text and "invite_token" not in response.text
    events = audit_events(database, owner, "invite.created")
    assert [e.resource for e in events] == [body["name"]]
    assert events[0].actor_user_id == uuid.UUID(owner.user_id)
    assert events[0].after is not None and events[0].after["role"] == "editor"
    everything = dump(audit_events(database, owner))
    assert token not in everything and row.token_sha256.hex() not in everything


def test_ttl_is_a_duration_in_seconds_up_to_30_days(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, "a@example.com", ttl="86400s")
    lifetime = datetime.fromisoformat(body["expire_time"]) - datetime.fromisoformat(
        body["create_time"]
    )
    assert lifetime == timedelta(days=1)
    assert invite(client, owner, "b@example.com", ttl="2592000s").status_code == 200
    for ttl in ["2592001s", "0s", "1d", "-5s", "s", "86400", 86400, "1e5s"]:
        response = invite(client, owner, "c@example.com", ttl=ttl)
        assert response.status_code == 400, ttl
        assert error_of(response)["status"] == "INVALID_ARGUMENT"


def test_bad_input_is_invalid_argument(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    for body in [
        {"email": "not-an-email", "role": "viewer"},
        {"email": "a@example.com", "role": "no-such-role"},
        {"email": "a@example.com"},
        {"email": 5, "role": "viewer"},
        {"email": "a@example.com", "role": "viewer", "ttl": "x" * 100},
        {"email": "x" * 400 + "@example.com", "role": "viewer"},
    ]:
        response = client.post(INVITES.format(ws="research"), json=body, headers=owner.headers)
        assert response.status_code == 400, body
        assert error_of(response)["status"] == "INVALID_ARGUMENT"
    malformed = client.post(
        INVITES.format(ws="research"),
        content=b"{",
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    for invite_id in ["nope", str(uuid.uuid4())]:
        path = INVITES.format(ws="research") + "/" + invite_id
        assert client.get(path, headers=owner.headers).status_code == 404
        assert client.delete(path, headers=owner.headers).status_code == 404


def test_permissions_and_visibility(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme")
    stranger = world.person("acme")
    outsider = world.person("other")
    workspace(client, owner)
    client.post(
        WS + "/research/users",
        json={"user": viewer.user_id, "role": "viewer"},
        headers=owner.headers,
    )
    listed = client.get(INVITES.format(ws="research"), headers=viewer.headers)
    assert listed.status_code == 403
    assert error_of(listed)["details"][0]["metadata"]["permission"] == "invites:list"
    denied = invite(client, viewer, "a@example.com")
    assert denied.status_code == 403
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "invites:create"
    body = created(client, owner, "a@example.com")
    revoke = client.delete(
        INVITES.format(ws="research") + "/" + body["invite_id"], headers=viewer.headers
    )
    assert revoke.status_code == 403
    assert error_of(revoke)["details"][0]["metadata"]["permission"] == "invites:delete"
    for person in (stranger, outsider):
        assert client.get(INVITES.format(ws="research"), headers=person.headers).status_code == 404
        assert invite(client, person, "b@example.com").status_code == 404
    anonymous = client.get(INVITES.format(ws="research"))
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"


def test_signed_in_invitee_accepts_once(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme", email="Bob@Example.com")
    workspace(client, owner)
    body = created(client, owner, "bob@EXAMPLE.com", role="editor")
    response = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["invite"]["state"] == "ACCEPTED" and result["invite"]["accept_time"]
    assert result["user"]["user_id"] == invitee.user_id
    assert "token" not in result
    assert members(client, owner)[invitee.email] == "editor"
    assert member_count(database) == 2
    again = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert again.status_code == 409
    assert error_of(again)["status"] == "ALREADY_EXISTS"
    assert member_count(database) == 2
    # The membership records who invited, like a direct add records who added.
    with database.read() as session:
        accepted = audit_events(database, owner, "invite.accepted")
        added = audit_events(database, owner, "workspace.member.added")
        assert session.scalar(select(Invite.state)) == "ACCEPTED"
    assert [e.actor_user_id for e in accepted] == [uuid.UUID(invitee.user_id)]
    assert [e.resource for e in added] == [
        f"organizations/acme/workspaces/research/users/{invitee.user_id}"
    ]
    assert added[0].actor_user_id == uuid.UUID(invitee.user_id)
    # Already an organization member: accepting adds no organization membership.
    joined = audit_events(database, owner, "organization.user.added")
    assert all(e.actor_user_id != uuid.UUID(invitee.user_id) for e in joined)


def test_accepting_makes_a_user_of_another_organization_a_member(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    guest = world.person("other", email="guest@example.com")
    workspace(client, owner)
    body = created(client, owner, guest.email)
    accepted = accept(client, mailbox.invite_token(body["email"]), guest)
    assert accepted.status_code == 200
    with database.read() as session:
        role = session.scalar(
            select(OrganizationMembership.org_role).where(
                OrganizationMembership.org_id == uuid.UUID(owner.org_id),
                OrganizationMembership.user_id == uuid.UUID(guest.user_id),
            )
        )
    assert role == "member"
    # The guest's token stays in its home organization (rule 6); accepting gave them a
    # first token at home in this one.
    assert client.get(WS + "/research", headers=guest.headers).status_code == 404
    here = {"Authorization": f"Bearer {accepted.json()['token']}"}
    assert client.get(WS + "/research", headers=here).status_code == 200
    added = [
        e
        for e in audit_events(database, owner, "organization.user.added")
        if e.resource == f"organizations/acme/users/{guest.user_id}"
    ]
    assert len(added) == 1 and added[0].actor_user_id == uuid.UUID(guest.user_id)


def test_an_invite_for_a_cannot_be_accepted_by_b(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    a = world.person("acme", email="a@x.com")
    b = world.person("acme", email="b@x.com")
    workspace(client, owner)
    body = created(client, owner, "A@X.com")
    response = accept(client, mailbox.invite_token(body["email"]), b)
    assert response.status_code == 403
    error = error_of(response)
    assert error["status"] == "PERMISSION_DENIED"
    assert "different email" in error["message"] and "a@x.com" not in error["message"].lower()
    assert b.email not in members(client, owner)
    assert accept(client, mailbox.invite_token(body["email"]), a).status_code == 200


def test_reading_and_listing_never_consume(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email)
    path = INVITES.format(ws="research")
    for _ in range(3):
        assert client.get(path, headers=owner.headers).json()["invites"][0]["state"] == "PENDING"
        got = client.get(path + "/" + body["invite_id"], headers=owner.headers).json()
        assert got["state"] == "PENDING"
    assert accept(client, mailbox.invite_token(body["email"]), invitee).status_code == 200


def test_revoked_invite_cannot_be_accepted(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email)
    path = INVITES.format(ws="research") + "/" + body["invite_id"]
    revoked = client.delete(path, headers=owner.headers)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "REVOKED"
    response = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert response.status_code == 400
    assert error_of(response)["status"] == "FAILED_PRECONDITION"
    assert invitee.email not in members(client, owner)
    twice = client.delete(path, headers=owner.headers)
    assert twice.status_code == 400 and error_of(twice)["status"] == "FAILED_PRECONDITION"
    events = audit_events(database, owner, "invite.revoked")
    assert len(events) == 1 and events[0].before == {"state": "PENDING"}
    assert events[0].after == {"state": "REVOKED"}


def test_accepted_invite_cannot_be_revoked(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email)
    assert accept(client, mailbox.invite_token(body["email"]), invitee).status_code == 200
    response = client.delete(
        INVITES.format(ws="research") + "/" + body["invite_id"], headers=owner.headers
    )
    assert response.status_code == 400 and error_of(response)["status"] == "FAILED_PRECONDITION"


def test_expired_invite_reads_as_expired_and_cannot_be_accepted(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email, ttl="3600s")
    clock.advance(timedelta(hours=1, seconds=1))
    path = INVITES.format(ws="research")
    assert client.get(path, headers=owner.headers).json()["invites"][0]["state"] == "EXPIRED"
    expired = client.get(path, params={"filter": "state=EXPIRED"}, headers=owner.headers)
    assert [i["invite_id"] for i in expired.json()["invites"]] == [body["invite_id"]]
    pending = client.get(path, params={"filter": "state=PENDING"}, headers=owner.headers)
    assert pending.json()["invites"] == []
    response = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert response.status_code == 400
    assert error_of(response)["status"] == "FAILED_PRECONDITION"
    assert invitee.email not in members(client, owner)


def test_an_existing_member_gets_409(client: TestClient, world: World, mailbox: Mailbox) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email)
    client.post(
        WS + "/research/users",
        json={"user": invitee.email, "role": "viewer"},
        headers=owner.headers,
    )
    response = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert response.status_code == 409 and error_of(response)["status"] == "ALREADY_EXISTS"
    # Inviting someone who is already a member is refused up front too.
    again = invite(client, owner, invitee.email)
    assert again.status_code == 409 and error_of(again)["status"] == "ALREADY_EXISTS"


def test_unknown_malformed_and_missing_tokens(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, owner.email.replace("@", "+x@"))
    real = mailbox.invite_token(body["email"])
    forged = real[:-3] + ("AAA" if real[-3:] != "AAA" else "BBB")
    for token in [forged, "wsi_nope", "x" * 200, "wsd_" + real[4:]]:
        response = accept(client, token, owner)
        assert response.status_code == 404, token
        assert error_of(response)["status"] == "NOT_FOUND"
        assert token not in response.text
    missing = client.post(ACCEPT, json={}, headers=owner.headers)
    assert missing.status_code == 400
    too_long = accept(client, "x" * 201, owner)
    assert too_long.status_code == 400


def test_new_user_accepts_without_an_account(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, "Newbie@Example.com", role="editor")
    response = accept(client, mailbox.invite_token(body["email"]), display_name="New Bie")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["user"]["email"] == "Newbie@Example.com"
    assert result["user"]["display_name"] == "New Bie"
    secret = result["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["user_id"] == result["user"]["user_id"]
    assert [(o["name"], o["org_role"]) for o in me["organizations"]] == [
        ("organizations/acme", "member")
    ]
    assert client.get(WS + "/research", headers=headers).status_code == 200
    assert members(client, owner)["Newbie@Example.com"] == "editor"
    tokens = client.get("/api/v1/me/tokens", headers=headers).json()["tokens"]
    assert [t["organization"] for t in tokens] == ["organizations/acme"]
    new_user = uuid.UUID(result["user"]["user_id"])
    actions = {e.action for e in audit_events(database, owner) if e.actor_user_id == new_user}
    assert actions == {
        "invite.accepted",
        "organization.user.added",
        "workspace.member.added",
        "token.created",
    }
    everything = dump(audit_events(database, owner))
    assert secret not in everything and mailbox.invite_token(body["email"]) not in everything
    # The account exists now: accepting again without signing in is refused.
    again = accept(client, mailbox.invite_token(body["email"]), display_name="Again")
    assert again.status_code == 401


def test_unauthenticated_accept_needs_a_name_and_an_unknown_email(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    known = world.person("other")
    workspace(client, owner)
    body = created(client, owner, known.email)
    for response in [
        client.post(ACCEPT, json={}),
        client.post(ACCEPT, json={"invite_token": mailbox.invite_token(body["email"])}),
        accept(client, mailbox.invite_token(body["email"]), display_name="Someone"),
        client.post(
            ACCEPT,
            json={"invite_token": mailbox.invite_token(body["email"])},
            headers={"Authorization": "Bearer wsd_bad"},
        ),
    ]:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert error_of(response)["status"] == "UNAUTHENTICATED"
    for name in ["", "   ", "x" * 201, "tab\there"]:
        fresh = created(client, owner, f"{uuid.uuid4().hex[:8]}@example.com")
        response = accept(client, mailbox.invite_token(fresh["email"]), display_name=name)
        assert response.status_code == 400, name


def test_accepting_into_a_deleted_workspace_fails(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    body = created(client, owner, invitee.email)
    assert client.delete(WS + "/research", headers=owner.headers).status_code == 200
    response = accept(client, mailbox.invite_token(body["email"]), invitee)
    assert response.status_code == 400 and error_of(response)["status"] == "FAILED_PRECONDITION"


def test_list_filters_and_pages(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    workspace(client, owner)
    emails = [f"user{i}@example.com" for i in range(5)]
    ids = [created(client, owner, e)["invite_id"] for e in emails]
    path = INVITES.format(ws="research")
    client.delete(path + "/" + ids[0], headers=owner.headers)
    seen: list[str] = []
    token = ""
    while True:
        page = client.get(
            path, params={"page_size": 2, "page_token": token}, headers=owner.headers
        ).json()
        assert len(page["invites"]) <= 2
        seen += [i["invite_id"] for i in page["invites"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == list(reversed(ids))  # newest first
    by_email = client.get(
        path, params={"filter": 'email="USER3@example.com"'}, headers=owner.headers
    )
    assert [i["invite_id"] for i in by_email.json()["invites"]] == [ids[3]]
    contains = client.get(
        path, params={"filter": 'email:"user" AND state=PENDING'}, headers=owner.headers
    )
    assert len(contains.json()["invites"]) == 4
    revoked = client.get(path, params={"filter": "state=revoked"}, headers=owner.headers)
    assert [i["invite_id"] for i in revoked.json()["invites"]] == [ids[0]]
    ordered = client.get(path, params={"order_by": "email"}, headers=owner.headers).json()
    assert [i["email"] for i in ordered["invites"]] == emails
    first = client.get(path, params={"page_size": 1}, headers=owner.headers).json()
    mismatch = client.get(
        path,
        params={"page_token": first["next_page_token"], "filter": "state=PENDING"},
        headers=owner.headers,
    )
    assert mismatch.status_code == 400
    for bad in ["state=NOPE", "state>PENDING", "role=viewer", "email<x", "(("]:
        response = client.get(path, params={"filter": bad}, headers=owner.headers)
        assert response.status_code == 400, bad


def test_invite_flow_over_real_http(database_url: str, world: World, mailbox: Mailbox) -> None:
    owner = world.person("acme")
    with (
        live_server(database_url, smtp_url=mailbox.url) as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        assert (
            http.post(
                WS, params={"workspace_id": "live"}, json={"title": "Live"}, headers=owner.headers
            ).status_code
            == 200
        )
        made = http.post(
            INVITES.format(ws="live"),
            json={"email": "fresh@example.com", "role": "Workspace Viewer", "ttl": "3600s"},
            headers=owner.headers,
        )
        assert made.status_code == 200, made.text
        accepted = http.post(
            ACCEPT,
            json={
                "invite_token": mailbox.invite_token("fresh@example.com"),
                "display_name": "Fresh",
            },
        )
        assert accepted.status_code == 200, accepted.text
        headers = {"Authorization": f"Bearer {accepted.json()['token']}"}
        users = http.get(WS + "/live/users", headers=headers)
        assert users.status_code == 200
        assert "fresh@example.com" in {u["email"] for u in users.json()["users"]}
        listed = http.get(INVITES.format(ws="live"), headers=owner.headers).json()["invites"]
        assert [i["state"] for i in listed] == ["ACCEPTED"]


def test_resend_mails_a_new_secret_and_the_old_one_stops_working(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    viewer = world.person("acme")
    invitee = world.person("acme")
    workspace(client, owner)
    client.post(
        WS + "/research/users",
        json={"user": viewer.user_id, "role": "viewer"},
        headers=owner.headers,
    )
    body = created(client, owner, invitee.email, role="editor")
    path = INVITES.format(ws="research") + "/" + body["invite_id"]
    first = mailbox.invite_token(invitee.email)
    # Viewers may not (invites:create); outsiders learn nothing.
    denied = client.post(path + ":resend", headers=viewer.headers)
    assert denied.status_code == 403
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "invites:create"
    outsider = world.person("other")
    assert client.post(path + ":resend", headers=outsider.headers).status_code == 404
    missing = INVITES.format(ws="research") + "/" + str(uuid.uuid4())
    assert client.post(missing + ":resend", headers=owner.headers).status_code == 404

    resent = client.post(path + ":resend", headers=admin.headers)
    assert resent.status_code == 200, resent.text
    view = resent.json()
    assert view["state"] == "PENDING" and view["inviter"] == admin.user_id
    assert view["expire_time"] >= body["expire_time"]
    assert "wsi_" not in resent.text  # the secret goes only into the mail
    second = mailbox.invite_token(invitee.email, nth=2)
    assert second != first
    assert accept(client, first, invitee).status_code in (400, 404)  # the old link is dead
    assert accept(client, second, invitee).status_code == 200
    events = audit_events(database, owner, "invite.resent")
    assert len(events) == 1 and events[0].actor_user_id == uuid.UUID(admin.user_id)
    assert events[0].after is not None and events[0].after["email"] == invitee.email
    # Accepted: nothing to resend.
    again = client.post(path + ":resend", headers=owner.headers)
    assert again.status_code == 400 and error_of(again)["status"] == "FAILED_PRECONDITION"
