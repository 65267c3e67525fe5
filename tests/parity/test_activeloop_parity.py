"""The activeloop dialect and the native aip API are two mouths of one core: the same
scenario leaves the same rows, and each reads what the other wrote."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import Person, World
from workspaced.kit.db import Database
from workspaced.models import Workspace, WorkspaceMembership

AIP = "/api/v1/organizations/acme/workspaces"
AIP_ROLE = {"writer": "editor", "viewer": "viewer"}


@dataclass
class Cast:
    owner: Person
    writer: Person
    viewer: Person
    guest: Person


@pytest.fixture
def cast(world: World) -> Cast:
    world.person("acme", org_role="owner")
    return Cast(*(world.person("acme", org_role="member") for _ in range(4)))


class Activeloop:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def create(self, who: Person, ws: str) -> None:
        self._ok(
            self.client.post(
                "/workspaces", json={"id": ws, "name": ws.title()}, headers=who.headers
            )
        )

    def add(self, who: Person, ws: str, user: Person, access: str) -> None:
        self._ok(
            self.client.post(
                f"/workspaces/{ws}/user",
                json={"user": user.email, "access": access},
                headers=who.headers,
            )
        )

    def change(self, who: Person, ws: str, user: Person, access: str) -> None:
        self._ok(
            self.client.put(
                f"/workspaces/{ws}/user",
                json={"user": user.user_id, "access": access},
                headers=who.headers,
            )
        )

    def remove(self, who: Person, ws: str, user: Person) -> None:
        self._ok(self.client.delete(f"/workspaces/{ws}/user/{user.user_id}", headers=who.headers))

    def delete(self, who: Person, ws: str) -> None:
        self._ok(self.client.delete(f"/workspaces/{ws}", headers=who.headers))

    def access(self, who: Person, ws: str) -> dict[str, str]:
        response = self.client.get(f"/workspaces/{ws}/users", headers=who.headers)
        self._ok(response)
        return {u["user_id"]: u["access"] for u in response.json()["data"]}

    @staticmethod
    def _ok(response: Any) -> None:
        assert response.status_code == 200, response.text


class Aip(Activeloop):
    def create(self, who: Person, ws: str) -> None:
        self._ok(
            self.client.post(
                AIP, params={"workspace_id": ws}, json={"title": ws.title()}, headers=who.headers
            )
        )

    def add(self, who: Person, ws: str, user: Person, access: str) -> None:
        self._ok(
            self.client.post(
                f"{AIP}/{ws}/users",
                json={"user": user.email, "role": AIP_ROLE[access]},
                headers=who.headers,
            )
        )

    def change(self, who: Person, ws: str, user: Person, access: str) -> None:
        self._ok(
            self.client.patch(
                f"{AIP}/{ws}/users/{user.user_id}",
                json={"role": AIP_ROLE[access]},
                headers=who.headers,
            )
        )

    def remove(self, who: Person, ws: str, user: Person) -> None:
        self._ok(self.client.delete(f"{AIP}/{ws}/users/{user.user_id}", headers=who.headers))

    def delete(self, who: Person, ws: str) -> None:
        self._ok(self.client.delete(f"{AIP}/{ws}", headers=who.headers))

    def roles(self, who: Person, ws: str) -> dict[str, str]:
        response = self.client.get(
            f"{AIP}/{ws}/users", params={"filter": "role_scope=workspace"}, headers=who.headers
        )
        self._ok(response)
        return {u["user_id"]: u["role_id"] for u in response.json()["users"]}


Rows = dict[str, tuple[str, str | None]]


def membership_rows(database: Database, slug: str) -> Rows:
    """user -> (role, added_by) of the workspace's explicit members, deleted or not."""
    with database.read() as session:
        workspace_id = session.scalars(select(Workspace.id).where(Workspace.slug == slug)).one()
        rows = session.scalars(
            select(WorkspaceMembership).where(WorkspaceMembership.workspace_id == workspace_id)
        )
        return {str(r.user_id): (r.role_id, str(r.added_by) if r.added_by else None) for r in rows}


def scenario(api: Activeloop, cast: Cast, ws: str, snapshot: Callable[[], Rows]) -> list[Rows]:
    steps = []
    api.create(cast.owner, ws)
    steps.append(snapshot())
    api.add(cast.owner, ws, cast.writer, "writer")
    api.add(cast.owner, ws, cast.viewer, "viewer")
    api.add(cast.owner, ws, cast.guest, "viewer")
    steps.append(snapshot())
    api.change(cast.owner, ws, cast.writer, "viewer")
    api.change(cast.owner, ws, cast.viewer, "writer")
    steps.append(snapshot())
    api.remove(cast.owner, ws, cast.guest)
    steps.append(snapshot())
    api.delete(cast.owner, ws)
    steps.append(snapshot())
    return steps


def test_same_scenario_leaves_the_same_rows(
    client: TestClient, database: Database, cast: Cast
) -> None:
    via_activeloop = scenario(
        Activeloop(client), cast, "one", lambda: membership_rows(database, "one")
    )
    via_aip = scenario(Aip(client), cast, "two", lambda: membership_rows(database, "two"))
    assert via_activeloop == via_aip
    owner = cast.owner.user_id
    assert via_activeloop[-1] == {
        owner: ("owner", owner),
        cast.writer.user_id: ("viewer", owner),
        cast.viewer.user_id: ("editor", owner),
    }
    with database.read() as session:
        deleted = session.scalars(select(Workspace).where(Workspace.slug.in_(["one", "two"])))
        assert all(w.delete_time is not None for w in deleted)


def test_each_dialect_reads_what_the_other_wrote(client: TestClient, cast: Cast) -> None:
    activeloop, aip = Activeloop(client), Aip(client)
    owner, writer, viewer = cast.owner, cast.writer, cast.viewer
    ids = {"owner": owner.user_id, "writer": writer.user_id, "viewer": viewer.user_id}

    activeloop.create(owner, "from-activeloop")
    activeloop.add(owner, "from-activeloop", writer, "writer")
    aip.add(owner, "from-activeloop", viewer, "viewer")
    assert aip.roles(owner, "from-activeloop") == {
        ids["owner"]: "owner",
        ids["writer"]: "editor",
        ids["viewer"]: "viewer",
    }
    assert activeloop.access(viewer, "from-activeloop") == {
        ids["owner"]: "owner",
        ids["writer"]: "writer",
        ids["viewer"]: "viewer",
    }
    workspace = client.get(f"{AIP}/from-activeloop", headers=owner.headers).json()
    assert workspace["title"] == "From-Activeloop"
    assert workspace["creator_email"] == owner.email

    aip.create(owner, "from-aip")
    aip.add(owner, "from-aip", writer, "writer")
    activeloop.change(owner, "from-aip", writer, "viewer")
    assert aip.roles(owner, "from-aip") == {ids["owner"]: "owner", ids["writer"]: "viewer"}
    got = client.get("/workspaces/from-aip", headers=writer.headers).json()
    assert got["name"] == "From-Aip"
    assert got["org_id"] == "acme"
    assert got["creator_user_id"] == owner.user_id
    assert uuid.UUID(got["creator_user_id"])

    activeloop.remove(owner, "from-aip", writer)
    assert aip.roles(owner, "from-aip") == {ids["owner"]: "owner"}
    aip.delete(owner, "from-aip")
    assert [w["id"] for w in client.get("/workspaces", headers=owner.headers).json()["data"]] == [
        "from-activeloop"
    ]
    activeloop.delete(owner, "from-activeloop")
    listed = client.get(AIP, params={"show_deleted": "true"}, headers=owner.headers).json()
    assert {w["name"].rsplit("/", 1)[1] for w in listed["workspaces"]} == {
        "from-activeloop",
        "from-aip",
    }
    assert all("delete_time" in w for w in listed["workspaces"])
