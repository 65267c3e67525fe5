"""Personal access tokens on the native API: the caller's own and an organization admin's view."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import Person, World, error_of
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import AuditEvent

MINE = "/api/v1/me/tokens"
ORG_TOKENS = "/api/v1/organizations/{org}/tokens"


def create(client: TestClient, person: Person, **body: Any) -> httpx.Response:
    return client.post(MINE, json={"display_name": "laptop", **body}, headers=person.headers)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def works(client: TestClient, secret: str) -> int:
    return client.get("/api/v1/me", headers=bearer(secret)).status_code


def audit_events(database: Database, org_id: str) -> list[AuditEvent]:
    with database.read() as session:
        query = select(AuditEvent).where(AuditEvent.org_id == uuid.UUID(org_id))
        return list(session.scalars(query.order_by(AuditEvent.time)))


def in_future(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def test_create_list_and_revoke_my_token(
    client: TestClient, world: World, database: Database
) -> None:
    me = world.person("acme")
    response = create(client, me, display_name="CI runner")
    assert response.status_code == 200, response.text
    body = response.json()
    secret = body["token"]
    assert secret.startswith("wsd_")
    assert body["name"] == f"users/{me.user_id}/tokens/{body['token_id']}"
    assert body["display_name"] == "CI runner"
    assert body["organization"] == "organizations/acme"
    assert body["expire_time"] is None and body["last_used_time"] is None
    assert works(client, secret) == 200
    listed = client.get(MINE, headers=me.headers)
    assert listed.status_code == 200
    assert secret not in listed.text and '"token"' not in listed.text
    tokens = {t["token_id"]: t for t in listed.json()["tokens"]}
    assert body["token_id"] in tokens and len(tokens) == 2  # plus the fixture's own token
    assert tokens[body["token_id"]]["last_used_time"] is not None
    revoked = client.delete(f"{MINE}/{body['token_id']}", headers=me.headers)
    assert revoked.status_code == 200 and revoked.json() == {}
    gone = client.get("/api/v1/me", headers=bearer(secret))
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"
    remaining = client.get(MINE, headers=me.headers).json()["tokens"]
    assert body["token_id"] not in {t["token_id"] for t in remaining}
    again = client.delete(f"{MINE}/{body['token_id']}", headers=me.headers)
    assert again.status_code == 404
    events = [e for e in audit_events(database, me.org_id) if e.action.startswith("token.")]
    assert [(e.action, e.resource) for e in events][-2:] == [
        ("token.created", body["name"]),
        ("token.revoked", body["name"]),
    ]
    assert all(e.actor_user_id == uuid.UUID(me.user_id) for e in events[-2:])
    everything = json.dumps([[e.before, e.after, e.resource] for e in events], default=str)
    assert secret not in everything
    assert hashlib.sha256(secret.encode()).hexdigest() not in everything


def test_a_token_can_revoke_itself(client: TestClient, world: World) -> None:
    me = world.person("acme")
    own = client.get(MINE, headers=me.headers).json()["tokens"][0]["token_id"]
    assert client.delete(f"{MINE}/{own}", headers=me.headers).status_code == 200
    assert client.get(MINE, headers=me.headers).status_code == 401


def test_expire_time_rules(client: TestClient, world: World) -> None:
    me = world.person("acme")
    for expire_time in [
        in_future(hours=-1),
        in_future(days=366),
        "tomorrow",
        "2030-01-01T00:00:00",  # no time zone
        "",
    ]:
        response = create(client, me, expire_time=expire_time)
        assert response.status_code == 400, expire_time
        assert error_of(response)["details"][1]["field_violations"][0]["field"] == "expire_time"
    expiring = create(client, me, expire_time=in_future(hours=1))
    assert expiring.status_code == 200
    assert create(client, me, expire_time=in_future(days=364)).status_code == 200
    secret = expiring.json()["token"]
    assert works(client, secret) == 200
    clock.advance(timedelta(hours=1, seconds=1))
    assert works(client, secret) == 401
    assert works(client, me.token) == 200


def test_bad_bodies_are_invalid_argument(client: TestClient, world: World) -> None:
    me = world.person("acme")
    for body in [
        {},
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": "x" * 201},
        {"display_name": 5},
        {"display_name": "tab\there"},
        {"display_name": "ok", "organization": "organizations/"},
        {"display_name": "ok", "organization": "organizations/acme/workspaces/x"},
    ]:
        response = client.post(MINE, json=body, headers=me.headers)
        assert response.status_code == 400, body
        assert error_of(response)["status"] == "INVALID_ARGUMENT"
    assert client.get(MINE, params={"page_size": -1}, headers=me.headers).status_code == 400


def test_a_token_creates_tokens_only_for_its_own_home_organization(
    client: TestClient, world: World
) -> None:
    # SPEC §3 rule 6: a personal access token acts only in its home organization, so it
    # cannot mint a token for another one, even one its user belongs to.
    me = world.person("acme", email="multi@example.com")
    me_in_other = world.person("other", email="multi@example.com")
    world.person("third")
    for caller, organization, expected in [
        (me, None, "organizations/acme"),
        (me, "organizations/acme", "organizations/acme"),
        (me_in_other, "other", "organizations/other"),
    ]:
        extra = {"organization": organization} if organization else {}
        response = create(client, caller, **extra)
        assert response.status_code == 200, response.text
        assert response.json()["organization"] == expected
    for organization in ["organizations/other", "other", "organizations/third", "nowhere"]:
        assert create(client, me, organization=organization).status_code == 404


def test_nobody_sees_or_revokes_anyone_elses_token_through_me(
    client: TestClient, world: World
) -> None:
    me = world.person("acme")
    other = world.person("acme")
    theirs = create(client, other).json()
    mine = {t["token_id"] for t in client.get(MINE, headers=me.headers).json()["tokens"]}
    assert theirs["token_id"] not in mine
    response = client.delete(f"{MINE}/{theirs['token_id']}", headers=me.headers)
    assert response.status_code == 404 and error_of(response)["status"] == "NOT_FOUND"
    assert client.delete(f"{MINE}/not-a-uuid", headers=me.headers).status_code == 404
    assert works(client, theirs["token"]) == 200


def test_page_through_my_tokens(client: TestClient, world: World) -> None:
    me = world.person("acme")
    made = [create(client, me, display_name=f"t{i}").json()["token_id"] for i in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        page = client.get(
            MINE, params={"page_size": 2, "page_token": token}, headers=me.headers
        ).json()
        seen += [t["token_id"] for t in page["tokens"]]
        token = page["next_page_token"]
        if not token:
            break
    assert len(seen) == 6 and len(set(seen)) == 6
    assert seen[:5] == list(reversed(made))  # newest first


def test_organization_admins_list_and_revoke_their_users_tokens(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    member = world.person("acme", org_role="member")
    outsider = world.person("other")
    extra = create(client, member, display_name="script").json()
    path = ORG_TOKENS.format(org="acme")
    listed = client.get(path, headers=admin.headers)
    assert listed.status_code == 200
    assert extra["token"] not in listed.text
    names = {t["name"] for t in listed.json()["tokens"]}
    assert extra["name"] in names and len(names) == 4
    only_member = client.get(
        path, params={"filter": f'user_id="{member.user_id}"'}, headers=admin.headers
    ).json()["tokens"]
    assert {t["name"] for t in only_member} == {
        n for n in names if n.startswith(f"users/{member.user_id}/")
    }
    assert (
        client.get(path, params={"filter": "user_id=nope"}, headers=admin.headers).status_code
        == 400
    )
    for person, status in [(member, 403), (outsider, 404)]:
        assert client.get(path, headers=person.headers).status_code == status
        response = client.delete(f"{path}/{extra['token_id']}", headers=person.headers)
        assert response.status_code == status
    denied = client.get(path, headers=member.headers)
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "organization:administer"
    assert works(client, extra["token"]) == 200
    revoked = client.delete(f"{path}/{extra['token_id']}", headers=admin.headers)
    assert revoked.status_code == 200
    assert works(client, extra["token"]) == 401
    assert works(client, member.token) == 200
    event = [e for e in audit_events(database, owner.org_id) if e.action == "token.revoked"][-1]
    assert event.resource == extra["name"] and event.actor_user_id == uuid.UUID(admin.user_id)
    # Another organization's token is not reachable through this organization.
    theirs = client.get(MINE, headers=outsider.headers).json()["tokens"][0]["token_id"]
    assert client.delete(f"{path}/{theirs}", headers=owner.headers).status_code == 404
    assert works(client, outsider.token) == 200


def test_an_admin_cannot_revoke_an_owners_token(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    path = ORG_TOKENS.format(org="acme")
    owners = client.get(MINE, headers=owner.headers).json()["tokens"][0]["token_id"]
    admins = client.get(MINE, headers=admin.headers).json()["tokens"][0]["token_id"]
    refused = client.delete(f"{path}/{owners}", headers=admin.headers)
    assert refused.status_code == 403
    assert works(client, owner.token) == 200
    assert client.delete(f"{path}/{admins}", headers=owner.headers).status_code == 200
    assert works(client, admin.token) == 401
