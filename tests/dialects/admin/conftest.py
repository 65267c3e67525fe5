"""A small organization for the admin dialect: who is who, one workspace, explicit members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import Person, World
from workspaced.authz.access import Principal
from workspaced.authz.catalog import WORKSPACE_SCOPE
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.membership import service as memberships
from workspaced.models import Role
from workspaced.workspace import service as workspaces

USERS = "/workspace/admin/orgs/{org}/workspaces/{ws}/users"
PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "invalid-params"}


def principal(person: Person) -> Principal:
    return Principal(uuid.UUID(person.user_id), None, uuid.UUID(person.org_id), person.email)


def create_workspace(database: Database, creator: Person, slug: str) -> str:
    with database.write() as session:
        view = workspaces.create(session, principal(creator), creator.org, title=slug, slug=slug)
    return str(view.uid)


def add_member(
    database: Database, by: Person, workspace_id: str, person: Person, role: str
) -> None:
    with database.write() as session:
        memberships.add(
            session, principal(by), by.org, workspace_id, user_ref=person.user_id, role=role
        )


def delete_workspace(database: Database, by: Person, workspace_id: str) -> None:
    with database.write() as session:
        workspaces.delete(session, principal(by), by.org, workspace_id)


def add_custom_role(database: Database, org_id: str, role_id: str) -> None:
    now = clock.now()
    with database.write() as session:
        session.add(
            Role(
                pk=uuid.uuid4(),
                org_id=uuid.UUID(org_id),
                role_id=role_id,
                display_name=role_id.title(),
                description="",
                scope=WORKSPACE_SCOPE,
                permissions=["workspaces:get", "members:list"],
                built_in=False,
                create_time=now,
                update_time=now,
            )
        )


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """The problem body of `response`, after checking what every problem must carry."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_MEMBERS, body
    assert body["status"] == status
    assert body["type"].startswith("https://workspaced.dev/problems/")
    assert body["title"]
    assert "Traceback" not in response.text
    return body


@dataclass
class Scene:
    """acme: an owner, an admin, a plain member who owns the workspace, an editor and a
    viewer; globex: an outsider."""

    org_owner: Person
    org_admin: Person
    ws_owner: Person
    editor: Person
    viewer: Person
    outsider: Person
    workspace_id: str

    @property
    def url(self) -> str:
        return USERS.format(org=self.org_owner.org_id, ws=self.workspace_id)

    @property
    def explicit_members(self) -> list[Person]:
        return [self.ws_owner, self.editor, self.viewer]


@pytest.fixture
def scene(world: World, database: Database) -> Scene:
    org_owner = world.person("acme", name="Olive Owner")
    org_admin = world.person("acme", org_role="admin", name="Adam Admin")
    ws_owner = world.person("acme", org_role="member", name="Wanda Workspace")
    editor = world.person("acme", org_role="member", name="Ed Editor")
    viewer = world.person("acme", org_role="member", name="Vic Viewer")
    outsider = world.person("globex", name="Otto Outsider")
    workspace_id = create_workspace(database, ws_owner, "research")
    add_member(database, ws_owner, workspace_id, editor, "editor")
    add_member(database, ws_owner, workspace_id, viewer, "viewer")
    return Scene(org_owner, org_admin, ws_owner, editor, viewer, outsider, workspace_id)
