from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Person, World
from workspaced.auth import token_format
from workspaced.workspace import service as workspace_service

BODY = {"user": "x@example.com", "access": "viewer"}
OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/workspaces", {"id": "research", "name": "R"}),
    ("GET", "/workspaces", None),
    ("GET", "/workspaces/research", None),
    ("DELETE", "/workspaces/research", None),
    ("POST", "/workspaces/research/user", BODY),
    ("PUT", "/workspaces/research/user", BODY),
    ("DELETE", "/workspaces/research/user/x@example.com", None),
    ("GET", "/workspaces/research/users", None),
]
IDS = [f"{m} {p}" for m, p, _ in OPERATIONS]


@pytest.fixture
def owner(client: TestClient, world: World) -> Person:
    person = world.person("acme")
    created = client.post(
        "/workspaces", json={"id": "research", "name": "R"}, headers=person.headers
    )
    assert created.status_code == 200
    return person


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        pytest.param(None, "Not authenticated", id="missing"),
        pytest.param("Bearer", "Invalid authentication credentials", id="empty"),
        pytest.param("Basic dXNlcjpwYXNz", "Invalid authentication credentials", id="basic"),
        pytest.param(
            "Bearer wsd_not-a-token", "Invalid authentication credentials", id="malformed"
        ),
        # Well-formed (valid checksum) but never issued; ids stay stable across xdist workers.
        pytest.param(
            "Bearer " + token_format.generate(), "Invalid authentication credentials", id="unknown"
        ),
    ],
)
def test_every_operation_requires_a_valid_token(
    client: TestClient,
    owner: Person,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    authorization: str | None,
    detail: str,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/workspaces/research", headers=owner.headers).status_code == 200


def test_unknown_routes_and_methods(client: TestClient, owner: Person) -> None:
    missing = client.get("/workspaces/research/nothing-here", headers=owner.headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong = client.patch("/workspaces/research", json={}, headers=owner.headers)
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}
    assert "GET" in wrong.headers["allow"]


def test_malformed_json_is_422_like_fastapi(client: TestClient, owner: Person) -> None:
    for method, path in [
        ("POST", "/workspaces"),
        ("POST", "/workspaces/research/user"),
        ("PUT", "/workspaces/research/user"),
    ]:
        response = client.request(
            method,
            path,
            content=b'{"id": "x",',
            headers={**owner.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        [item] = response.json()["detail"]
        assert item["type"] == "json_invalid"
        assert item["loc"][0] == "body"
        assert set(item) == {"loc", "msg", "type"}


def test_missing_body_is_422(client: TestClient, owner: Person) -> None:
    response = client.post("/workspaces", headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_too_large_body_is_413(client: TestClient, owner: Person) -> None:
    big = {"id": "big", "name": "x" * (2 * 1024 * 1024)}
    response = client.post("/workspaces", json=big, headers=owner.headers)
    assert response.status_code == 413
    assert isinstance(response.json()["detail"], str)
    assert client.get("/workspaces/big", headers=owner.headers).status_code == 404


@pytest.mark.parametrize("workspace_id", ["re%00search", "x" * 5000, "%F0%9F%92%A5", "A"])
def test_ids_that_name_nothing_are_404(
    client: TestClient, owner: Person, workspace_id: str
) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, f"/workspaces/{workspace_id}", headers=owner.headers)
        assert response.status_code == 404, response.text
    users = client.get(f"/workspaces/{workspace_id}/users", headers=owner.headers)
    assert users.status_code == 404


@pytest.mark.parametrize("user", ["a\u0000b@example.com", "x" * 5000, "💥", ""])
def test_user_refs_that_name_nobody_are_404(client: TestClient, owner: Person, user: str) -> None:
    for method in ("POST", "PUT"):
        response = client.request(
            method,
            "/workspaces/research/user",
            json={"user": user, "access": "viewer"},
            headers=owner.headers,
        )
        assert response.status_code == 404, response.text
    if user:
        removed = client.delete(
            f"/workspaces/research/user/{user.replace(chr(0), '%00')}", headers=owner.headers
        )
        assert removed.status_code == 404


def test_crash_is_a_bare_500(
    client: TestClient, owner: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(workspace_service, "get", explode)
    response = client.get("/workspaces/research", headers=owner.headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert "secret" not in response.text
