"""The whole scenario over real HTTP against `workspaced serve`."""

from __future__ import annotations

import httpx
import pytest

from tests.support import World, live_server

pytestmark = pytest.mark.slow


def test_scenario_over_http(database_url: str, world: World) -> None:
    owner = world.person("acme")
    writer = world.person("acme")
    viewer = world.person("acme")
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        document = http.get("/openapi/activeloop.json").json()
        assert document["info"]["title"] == "Activeloop Deep Research API"

        def call(
            method: str, path: str, json: object = None, headers: dict[str, str] = owner.headers
        ) -> httpx.Response:
            return http.request(method, path, json=json, headers=headers)

        assert call("GET", "/workspaces", headers={}).status_code == 401
        created = call("POST", "/workspaces", {"id": "research", "name": "Research"})
        assert created.status_code == 200, created.text
        assert created.headers["content-type"] == "application/json"
        assert call("POST", "/workspaces", {"id": "research", "name": "Again"}).status_code == 409
        assert call("GET", "/workspaces").json()["data"] == [created.json()]
        assert call("GET", "/workspaces/research").json() == created.json()

        added = call(
            "POST", "/workspaces/research/user", {"user": writer.user_id, "access": "writer"}
        )
        assert added.json()["access"] == "writer"
        assert (
            call(
                "POST", "/workspaces/research/user", {"user": viewer.email, "access": "viewer"}
            ).status_code
            == 200
        )
        assert (
            call(
                "POST", "/workspaces/research/user", {"user": viewer.email, "access": "admin"}
            ).status_code
            == 422
        )
        assert (
            call(
                "DELETE", f"/workspaces/research/user/{writer.user_id}", headers=viewer.headers
            ).status_code
            == 403
        )
        changed = call(
            "PUT", "/workspaces/research/user", {"user": writer.email, "access": "viewer"}
        )
        assert changed.json() == {**added.json(), "access": "viewer"}
        listed = call("GET", "/workspaces/research/users", headers=viewer.headers).json()
        assert [(u["user_id"], u["access"]) for u in listed["data"]] == [
            (owner.user_id, "owner"),
            (writer.user_id, "viewer"),
            (viewer.user_id, "viewer"),
        ]
        removed = call("DELETE", f"/workspaces/research/user/{writer.user_id}")
        assert removed.status_code == 200
        assert call("GET", "/workspaces/research", headers=writer.headers).status_code == 404
        assert call("DELETE", f"/workspaces/research/user/{owner.user_id}").status_code == 409

        deleted = call("DELETE", "/workspaces/research")
        assert deleted.json() == created.json()
        assert call("GET", "/workspaces/research").json() == {
            "detail": "Workspace 'research' not found"
        }
        malformed = http.post(
            "/workspaces",
            content=b"{",
            headers={**owner.headers, "Content-Type": "application/json"},
        )
        assert malformed.status_code == 422
