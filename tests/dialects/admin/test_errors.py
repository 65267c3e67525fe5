"""Every error is an RFC 9457 problem: 401, 404, 405, 413, 422 and 500 here (403, 404 for
callers and 410 are in test_users)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.dialects.admin.conftest import USERS, Scene, problem_of
from workspaced.membership import service as memberships

INVALID = "https://workspaced.dev/problems/invalid-params"


def invalid_names(response: object) -> list[str]:
    body = problem_of(response, 422)
    assert body["type"] == INVALID
    assert body["title"] == "Unprocessable Content"
    assert body["detail"]
    for param in body["invalid-params"]:
        assert set(param) == {"name", "reason"} and param["reason"]
    return [param["name"] for param in body["invalid-params"]]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer wsd_" + "A" * 40,
    ],
)
def test_missing_or_bad_token_is_401_with_challenge(
    client: TestClient, scene: Scene, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(scene.url, headers=headers)
    body = problem_of(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["type"] == "https://workspaced.dev/problems/unauthenticated"
    assert body["title"] == "Unauthorized"


def test_authentication_comes_before_validation(client: TestClient) -> None:
    problem_of(client.get(USERS.format(org="acme", ws="research")), 401)


@pytest.mark.parametrize(
    ("org", "ws", "names"),
    [
        ("acme", None, ["org_id"]),
        (None, "research", ["workspace_id"]),
        ("acme", "research", ["org_id", "workspace_id"]),
        ("3fa85f64-5717-4562-b3fc-2c963f66afa", None, ["org_id"]),
    ],
)
def test_non_uuid_path_parameters_are_422(
    client: TestClient, scene: Scene, org: str | None, ws: str | None, names: list[str]
) -> None:
    url = USERS.format(org=org or scene.org_owner.org_id, ws=ws or scene.workspace_id)
    assert invalid_names(client.get(url, headers=scene.org_owner.headers)) == names


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"user_id": "bob@example.com"}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "a.b"}, "cursor"),
        ({"cursor": "x" * 5000}, "cursor"),
    ],
)
def test_bad_query_parameters_are_422(
    client: TestClient, scene: Scene, params: dict[str, str], name: str
) -> None:
    response = client.get(scene.url, params=params, headers=scene.org_owner.headers)
    assert invalid_names(response) == [name]


@pytest.mark.parametrize("limit", ["1", "1000"])
def test_limit_bounds_are_accepted(client: TestClient, scene: Scene, limit: str) -> None:
    response = client.get(scene.url, params={"limit": limit}, headers=scene.org_owner.headers)
    assert response.status_code == 200


def test_cursor_is_bound_to_its_filter_and_workspace(client: TestClient, scene: Scene) -> None:
    first = client.get(scene.url, params={"limit": 1}, headers=scene.org_owner.headers).json()
    cursor = first["links"]["next"].split("cursor=")[1]
    other_filter = client.get(
        scene.url,
        params={"cursor": cursor, "user_id": scene.editor.user_id},
        headers=scene.org_owner.headers,
    )
    assert invalid_names(other_filter) == ["cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = client.get(scene.url, params={"cursor": tampered}, headers=scene.org_owner.headers)
    assert invalid_names(response) == ["cursor"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_with_allow(client: TestClient, scene: Scene, method: str) -> None:
    response = client.request(method, scene.url, headers=scene.org_owner.headers, json={})
    body = problem_of(response, 405)
    assert body["type"] == "https://workspaced.dev/problems/method-not-allowed"
    assert "GET" in [m.strip() for m in response.headers["allow"].split(",")]
    assert method in body["detail"]


def test_unknown_path_under_the_dialect_is_a_404_problem(client: TestClient, scene: Scene) -> None:
    for path in ["/workspace/admin", "/workspace/admin/orgs", scene.url + "/" + str(uuid.uuid4())]:
        body = problem_of(client.get(path, headers=scene.org_owner.headers), 404)
        assert body["type"] == "https://workspaced.dev/problems/not-found"


def test_huge_body_is_413(client: TestClient, scene: Scene) -> None:
    response = client.post(
        scene.url,
        content=b"x" * (1024 * 1024 + 1),
        headers={**scene.org_owner.headers, "content-type": "application/json"},
    )
    body = problem_of(response, 413)
    assert body["title"] == "Content Too Large"


def test_crash_is_a_500_problem_without_traceback(
    client: TestClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(memberships, "list_for_org_admin", explode)
    response = client.get(scene.url, headers=scene.org_owner.headers)
    body = problem_of(response, 500)
    assert body["type"] == "https://workspaced.dev/problems/internal-error"
    assert "secret internals" not in response.text
