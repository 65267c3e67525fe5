from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.support import Person, World


class Activeloop:
    """The seed's eight operations, called as one person."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, who: Person, method: str, path: str, body: object = None) -> Response:
        response = self.client.request(method, path, json=body, headers=who.headers)
        assert isinstance(response, Response)  # TestClient is typed Any under this starlette
        return response

    def create(self, who: Person, id: str, name: str = "A workspace") -> Response:
        return self.call(who, "POST", "/workspaces", {"id": id, "name": name})

    def list(self, who: Person) -> Response:
        return self.call(who, "GET", "/workspaces")

    def get(self, who: Person, workspace: str) -> Response:
        return self.call(who, "GET", f"/workspaces/{workspace}")

    def delete(self, who: Person, workspace: str) -> Response:
        return self.call(who, "DELETE", f"/workspaces/{workspace}")

    def add(self, who: Person, workspace: str, user: str, access: str) -> Response:
        return self.call(
            who, "POST", f"/workspaces/{workspace}/user", {"user": user, "access": access}
        )

    def update(self, who: Person, workspace: str, user: str, access: str) -> Response:
        return self.call(
            who, "PUT", f"/workspaces/{workspace}/user", {"user": user, "access": access}
        )

    def remove(self, who: Person, workspace: str, user: str) -> Response:
        return self.call(who, "DELETE", f"/workspaces/{workspace}/user/{user}")

    def users(self, who: Person, workspace: str) -> Response:
        return self.call(who, "GET", f"/workspaces/{workspace}/users")

    def access_of(self, who: Person, workspace: str) -> dict[str, str]:
        response = self.users(who, workspace)
        assert response.status_code == 200, response.text
        return {u["user_id"]: u["access"] for u in response.json()["data"]}


@pytest.fixture
def al(client: TestClient) -> Activeloop:
    return Activeloop(client)


@pytest.fixture
def team(world: World, al: Activeloop) -> dict[str, Person]:
    """acme: an organization owner (`boss`), a member owning workspace `research`, a
    writer and a viewer of it, and an organization member outside it; `stranger` is in
    another organization."""
    boss = world.person("acme", org_role="owner")
    owner = world.person("acme", org_role="member")
    writer = world.person("acme", org_role="member")
    viewer = world.person("acme", org_role="member")
    outsider = world.person("acme", org_role="member")
    assert al.create(owner, "research", "Research").status_code == 200
    assert al.add(owner, "research", writer.user_id, "writer").status_code == 200
    assert al.add(owner, "research", viewer.email, "viewer").status_code == 200
    stranger = world.person("globex", org_role="owner")
    return {
        "boss": boss,
        "owner": owner,
        "writer": writer,
        "viewer": viewer,
        "outsider": outsider,
        "stranger": stranger,
    }
