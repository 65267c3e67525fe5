"""Token lifecycle, last-use tracking, and bad input on the native API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from tests.support import World, error_of, live_server
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import OrganizationMembership, PersonalAccessToken, Workspace

BASE = "/api/v1/organizations/acme/workspaces"


def last_used(database: Database, user_id: str) -> object:
    with database.read() as session:
        return session.scalar(
            select(PersonalAccessToken.last_used_time).where(
                PersonalAccessToken.user_id == uuid.UUID(user_id)
            )
        )


def test_last_used_time_is_written_at_most_once_a_minute(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    assert last_used(database, owner.user_id) is None
    client.get(BASE, headers=owner.headers)
    first = last_used(database, owner.user_id)
    assert first is not None
    client.get(BASE, headers=owner.headers)
    assert last_used(database, owner.user_id) == first
    clock.advance(timedelta(seconds=61))
    client.get(BASE, headers=owner.headers)
    assert last_used(database, owner.user_id) != first


def test_revoked_expired_and_removed_tokens_stop_at_once(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    revoked = world.person("acme")
    expiring = world.person("acme")
    removed = world.person("acme")
    for person in (revoked, expiring, removed):
        assert client.get(BASE, headers=person.headers).status_code == 200
    with database.write() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.user_id == uuid.UUID(revoked.user_id))
            .values(revoke_time=clock.now())
        )
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.user_id == uuid.UUID(expiring.user_id))
            .values(expire_time=clock.now() + timedelta(minutes=5))
        )
        session.execute(
            delete(OrganizationMembership).where(
                OrganizationMembership.user_id == uuid.UUID(removed.user_id)
            )
        )
    assert client.get(BASE, headers=expiring.headers).status_code == 200
    clock.advance(timedelta(minutes=6))
    for person in (revoked, expiring, removed):
        response = client.get(BASE, headers=person.headers)
        assert response.status_code == 401
        assert error_of(response)["status"] == "UNAUTHENTICATED"
    assert client.get(BASE, headers=owner.headers).status_code == 200


def workspace_rows(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(Workspace)) or 0


def test_bad_input_is_a_clean_4xx_and_writes_nothing(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    json_headers = {**owner.headers, "Content-Type": "application/json"}
    bodies: list[bytes] = [
        b"{",
        b"[]",
        b"null",
        b'"title"',
        b'{"title": null}',
        b'{"title": 5}',
        b'{"title": ["x"]}',
        b'{"title": "' + b"x" * 10_000 + b'"}',
        b'{"title": "tab\\there"}',
        b'{"title": "ok", "workspace_icon": 7}',
        '{"title": "\u00e9\u6f22\U0001f600", "workspace_icon": "\u0000"}'.encode(),
        b"\xff\xfe",
        b'{"title": "x"}' + b" " * (2 * 1024 * 1024),
    ]
    for body in bodies:
        response = client.post(BASE, content=body, headers=json_headers)
        assert 400 <= response.status_code < 500, (body[:40], response.status_code)
        assert "error" in response.json(), body[:40]
    assert (
        client.post(
            BASE, content=b'{"title": "x"}' + b" " * (2 * 1024 * 1024), headers=json_headers
        ).status_code
        == 413
    )
    for params in [{"workspace_id": "x" * 10_000}, {"workspace_id": "UPPER"}]:
        assert (
            client.post(BASE, params=params, json={"title": "t"}, headers=owner.headers).status_code
            == 400
        )
    for filter_text in [
        'title = "x\' OR 1=1 --"',
        "(" * 5000,
        " AND ".join(["title:a"] * 2000),
        "title = \u0000",
        "\U0001f600 = 1",
    ]:
        response = client.get(BASE, params={"filter": filter_text}, headers=owner.headers)
        assert response.status_code in (200, 400), filter_text[:30]
        if response.status_code == 200:
            assert response.json()["workspaces"] == []
    for page_size in ["abc", "1e9", "-5", ""]:
        response = client.get(BASE, params={"page_size": page_size}, headers=owner.headers)
        assert response.status_code == 400, page_size
    # Above the maximum is coerced, not refused (AIP-158).
    huge = client.get(BASE, params={"page_size": "99999999999999999999"}, headers=owner.headers)
    assert huge.status_code == 200
    assert client.get(BASE + "/" + "x" * 5000, headers=owner.headers).status_code == 404
    assert workspace_rows(database) == 1 - 1  # nothing was written


def test_real_http_round_trip(database_url: str, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme")
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        created = http.post(
            BASE, params={"workspace_id": "live"}, json={"title": "Live"}, headers=owner.headers
        )
        assert created.status_code == 200
        assert created.headers["etag"] == f'"{created.json()["etag"]}"'
        added = http.post(
            BASE + "/live/users",
            json={"user": viewer.email, "role": "viewer"},
            headers=owner.headers,
        )
        assert added.status_code == 200
        assert (
            http.patch(BASE + "/live", json={"title": "x"}, headers=viewer.headers).status_code
            == 403
        )
        listed = http.get(BASE + "/live/users", headers=viewer.headers).json()["users"]
        assert {u["user_id"] for u in listed} == {owner.user_id, viewer.user_id}
        assert http.get(BASE + "/live").status_code == 401
        assert http.delete(BASE + "/live", headers=owner.headers).json()["delete_time"]
