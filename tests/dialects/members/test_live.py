"""The same contract over real HTTP: a `workspaced serve` process and httpx."""

from __future__ import annotations

import httpx

from tests.dialects.members.helpers import (
    MEMBER_FIELDS,
    Team,
    add,
    assert_422,
    assert_envelope,
    listed,
    make_team,
    roles_by_user,
)
from tests.support import World, live_server


def test_every_operation_over_http(database_url: str, world: World) -> None:
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=30) as http:
        team = make_team(http, world)
        person = world.person("acme", org_role="member", name="Live Person")

        created = add(http, team, team.owner, person.user_id)
        assert created.status_code == 201, created.text
        assert set(created.json()) == MEMBER_FIELDS
        assert created.json()["role"] == "viewer"
        body = listed(http, team, limit=1, offset=1)
        assert body == {"members": [created.json()], "total": 2}

        updated = http.patch(
            team.member_url(person.user_id), json={"role": "editor"}, headers=team.owner.headers
        )
        assert updated.status_code == 200
        assert updated.json()["role"] == "editor"
        assert roles_by_user(http, team)[person.user_id] == "editor"

        removed = http.delete(team.member_url(person.user_id), headers=team.owner.headers)
        assert removed.status_code == 204
        assert removed.content == b""
        assert listed(http, team)["total"] == 1


def test_errors_over_http(database_url: str, world: World) -> None:
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=30) as http:
        team: Team = make_team(http, world)
        viewer = world.person("acme", org_role="member")
        add(http, team, team.owner, viewer.user_id)
        owner = team.owner.headers

        unauthenticated = http.get(team.url)
        assert_envelope(unauthenticated, 401, "AUTHENTICATION_FAILED")
        assert unauthenticated.headers["www-authenticate"] == "Bearer"
        forbidden = add(http, team, viewer, team.owner.user_id)
        assert assert_envelope(forbidden, 403, "FORBIDDEN")["details"] == {
            "required_permission": "members:add"
        }
        assert_envelope(
            http.get("/v1/orgs/acme/workspaces/nope/members", headers=owner),
            404,
            "RESOURCE_NOT_FOUND",
        )
        assert_envelope(
            http.delete(team.member_url(team.owner.user_id), headers=owner), 409, "CONFLICT"
        )
        assert_422(add(http, team, team.owner, viewer.user_id, "root"), ["body", "role"])
        assert_422(
            http.post(
                team.url, content=b"{", headers={**owner, "content-type": "application/json"}
            ),
            ["body", 1],
        )
        assert_422(http.get(team.url, params={"limit": 1001}, headers=owner), ["query", "limit"])
        not_allowed = http.put(team.url, headers=owner)
        assert_envelope(not_allowed, 405, "METHOD_NOT_ALLOWED")
        assert not_allowed.headers["allow"] == "GET, HEAD, POST"
        assert_envelope(http.get("/v1/unknown", headers=owner), 404, "RESOURCE_NOT_FOUND")
        too_big = http.post(
            team.url,
            content=b"x" * (1024 * 1024 + 1),
            headers={**owner, "content-type": "application/json"},
        )
        assert_envelope(too_big, 413, "PAYLOAD_TOO_LARGE")
        assert http.get("/openapi/members.json").json()["info"]["title"] == "Workspace Members API"
        assert listed(http, team)["total"] == 2


def test_streamed_oversized_body_over_http(database_url: str, world: World) -> None:
    """Chunked transfer has no Content-Length: the limit applies as the body streams in."""
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=30) as http:
        team = make_team(http, world)

        def chunks():  # type: ignore[no-untyped-def]
            yield b'{"user_id": "'
            for _ in range(40):
                yield b"x" * 32768
            yield b'"}'

        response = http.post(
            team.url,
            content=chunks(),
            headers={**team.owner.headers, "content-type": "application/json"},
        )
        assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
        assert listed(http, team)["total"] == 1
