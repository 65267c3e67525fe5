"""Shared helpers of the members-dialect tests: URLs, workspace setup, envelope checks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from tests.support import Person, World
from workspaced.kit import clock
from workspaced.models import Role, WorkspaceMembership

MEMBERS = "/v1/orgs/{org}/workspaces/{ws}/members"
AIP_WS = "/api/v1/organizations/{org}/workspaces"
MEMBER_FIELDS = {
    "workspace_id",
    "user_id",
    "org_id",
    "role",
    "username",
    "email",
    "full_name",
    "avatar_url",
    "added_by",
    "created_at",
    "updated_at",
}
ENVELOPE_FIELDS = {"error", "message", "details", "timestamp", "status_code"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


class Client(Protocol):
    """What both the ASGI TestClient and an httpx.Client offer."""

    def get(self, url: str, **kwargs: Any) -> Any: ...
    def post(self, url: str, **kwargs: Any) -> Any: ...
    def patch(self, url: str, **kwargs: Any) -> Any: ...
    def delete(self, url: str, **kwargs: Any) -> Any: ...


def members_url(org: str, ws: str, user_id: str | None = None) -> str:
    url = MEMBERS.format(org=org, ws=ws)
    return url if user_id is None else f"{url}/{user_id}"


@dataclass
class Team:
    """An organization with a workspace whose creator is its only explicit owner."""

    owner: Person
    org: str
    org_id: str
    ws: str
    ws_uid: str

    @property
    def url(self) -> str:
        return members_url(self.org, self.ws)

    def member_url(self, user_id: str) -> str:
        return members_url(self.org, self.ws, user_id)


def create_workspace(client: Client, owner: Person, slug: str) -> str:
    response = client.post(
        AIP_WS.format(org=owner.org),
        params={"workspace_id": slug},
        json={"title": slug.title()},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    uid: str = response.json()["uid"]
    return uid


def make_team(client: Client, world: World, org: str = "acme", slug: str = "research") -> Team:
    owner = world.person(org, org_role="owner", name="Ann Owner")
    uid = create_workspace(client, owner, slug)
    return Team(owner, org, owner.org_id, slug, uid)


def add(client: Client, team: Team, actor: Person, user_id: str, role: str | None = None) -> Any:
    body: dict[str, Any] = {"user_id": user_id}
    if role is not None:
        body["role"] = role
    return client.post(team.url, json=body, headers=actor.headers)


def listed(
    client: Client, team: Team, actor: Person | None = None, **params: Any
) -> dict[str, Any]:
    response = client.get(team.url, params=params, headers=(actor or team.owner).headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def roles_by_user(client: Client, team: Team) -> dict[str, str]:
    return {m["user_id"]: m["role"] for m in listed(client, team, limit=1000)["members"]}


def assert_envelope(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_FIELDS, body
    assert body["error"] == error
    assert body["status_code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    return body


def assert_422(response: Any, loc: list[str | int]) -> dict[str, Any]:
    """pydantic v2's shape, and the first error at `loc`."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for error in detail:
        assert {"loc", "msg", "type", "input"} <= set(error), error
    matching = [e for e in detail if e["loc"] == loc]
    assert matching, detail
    first: dict[str, Any] = matching[0]
    return first


def parse_rfc3339(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def add_custom_role(world: World, org_id: str, role_id: str, permissions: list[str]) -> None:
    now = clock.now()
    with world.database.write() as session:
        session.add(
            Role(
                pk=uuid.uuid4(),
                org_id=uuid.UUID(org_id),
                role_id=role_id,
                display_name=role_id.title(),
                description="",
                scope="workspace",
                permissions=permissions,
                built_in=False,
                create_time=now,
                update_time=now,
            )
        )


def explicit_member_ids(world: World, team: Team) -> set[str]:
    """Straight from the table, to check `total` against the truth."""
    with world.database.read() as session:
        rows = session.scalars(
            select(WorkspaceMembership.user_id).where(
                WorkspaceMembership.workspace_id == uuid.UUID(team.ws_uid)
            )
        )
        return {str(r) for r in rows}
