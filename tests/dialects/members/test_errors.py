"""The envelope for errors that come from outside the domain: authentication, routing,
body size and crashes."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.dialects.members.helpers import Team, assert_envelope, listed
from tests.support import World
from workspaced.membership import service as memberships


def every_operation(team: Team) -> list[tuple[str, str, object]]:
    member = team.member_url(team.owner.user_id)
    return [
        ("GET", team.url, None),
        ("POST", team.url, {"user_id": str(uuid.uuid4())}),
        ("PATCH", member, {"role": "editor"}),
        ("DELETE", member, None),
    ]


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer nope", "Basic abc", "Bearer wsd_" + "a" * 40]
)
def test_every_operation_answers_401_without_a_valid_token(
    client: TestClient, team: Team, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, url, body in every_operation(team):
        response = client.request(method, url, json=body, headers=headers)
        result = assert_envelope(response, 401, "AUTHENTICATION_FAILED")
        assert response.headers["www-authenticate"] == "Bearer"
        assert result["details"] == {}
        if authorization is None:
            assert result["message"] == "Authentication required"
    assert listed(client, team)["total"] == 1


def test_authentication_comes_before_input_validation(client: TestClient, team: Team) -> None:
    for method, url, body in [
        ("PATCH", team.member_url("not-a-uuid"), {"role": 5}),
        ("POST", team.url, {"user_id": "nope"}),
        ("GET", team.url + "?limit=0", None),
    ]:
        response = client.request(method, url, json=body)
        assert_envelope(response, 401, "AUTHENTICATION_FAILED")
    # Even a body FastAPI cannot parse (before any dependency runs) gets the 401 first.
    for raw in (b"{", b"\x8f\x1f"):
        for headers in ({}, {"Authorization": "Bearer nope"}):
            response = client.post(
                team.url, content=raw, headers={**headers, "content-type": "application/json"}
            )
            assert_envelope(response, 401, "AUTHENTICATION_FAILED")
            assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_paths_are_404_envelopes(client: TestClient, team: Team) -> None:
    for path in [
        "/v1",
        "/v1/nope",
        "/v1/orgs/acme/workspaces",
        team.url + "/a/b",
        team.url.removesuffix("/members") + "/things",
    ]:
        response = client.get(path, headers=team.owner.headers)
        body = assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
        assert body["details"] == {"resource_type": "route", "resource_id": path}


def test_wrong_method_is_405_with_allow(client: TestClient, team: Team) -> None:
    member = team.member_url(team.owner.user_id)
    for method, url, allowed in [
        ("PUT", team.url, "GET, HEAD, POST"),
        ("DELETE", team.url, "GET, HEAD, POST"),
        ("GET", member, "DELETE, PATCH"),
        ("POST", member, "DELETE, PATCH"),
    ]:
        response = client.request(method, url, headers=team.owner.headers)
        body = assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == allowed
        assert body["details"]["allowed_methods"] == allowed.split(", ")


def test_body_over_one_mebibyte_is_413(client: TestClient, team: Team) -> None:
    big = b'{"user_id": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = client.post(
        team.url, content=big, headers={**team.owner.headers, "content-type": "application/json"}
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted as it streams
        yield b'{"user_id": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    streamed = client.post(
        team.url,
        content=chunks(),
        headers={**team.owner.headers, "content-type": "application/json"},
    )
    assert_envelope(streamed, 413, "PAYLOAD_TOO_LARGE")
    assert listed(client, team)["total"] == 1


def test_unexpected_error_is_500_without_a_stack_trace(
    client: TestClient, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/app.py line 42")

    monkeypatch.setattr(memberships, "list_all_explicit", explode)
    monkeypatch.setattr(memberships, "add", explode)
    for response in (
        client.get(team.url, headers=team.owner.headers),
        client.post(team.url, json={"user_id": team.owner.user_id}, headers=team.owner.headers),
    ):
        body = assert_envelope(response, 500, "INTERNAL_SERVER_ERROR")
        assert body["message"] == "An unexpected error occurred"
        assert body["details"] == {}
        assert "secret" not in response.text
        assert "Traceback" not in response.text


def test_error_timestamps_are_utc_without_offset(
    client: TestClient, world: World, team: Team
) -> None:
    from datetime import UTC, datetime

    response = client.get(team.url)
    stamp = datetime.strptime(response.json()["timestamp"], "%Y-%m-%dT%H:%M:%S.%f")
    assert abs((stamp.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()) < 60
