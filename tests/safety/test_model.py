"""A stateful model test: random sequences of workspace, membership, organization-user and
token changes, each sent through a randomly chosen dialect, checked after every step
against a small in-memory model of who can see and do what.

Each example gets its own organization (a unique slug) in one shared database, so no
cleanup runs between examples. Examples: WORKSPACED_MODEL_EXAMPLES (default 500 on SQLite,
60 on PostgreSQL, where every request costs more round trips).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import update

from tests.safety import stats
from tests.support import Person, World, postgres_base_url
from workspaced.auth import token_format
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import PersonalAccessToken

DEFAULT_EXAMPLES = 60 if postgres_base_url() else 500
EXAMPLES = int(os.environ.get("WORKSPACED_MODEL_EXAMPLES", str(DEFAULT_EXAMPLES)))
SLUGS = ["w1", "w2", "w3"]
PEOPLE = ["admin", "ann", "bob", "cat"]  # admin is the organization's owner
ROLES = ["owner", "editor", "viewer"]
_orgs = itertools.count()

# What each workspace role may do (SPEC §2); organization owners may do everything.
MAY = {
    "owner": {"get", "update", "delete", "members"},
    "editor": {"get", "update"},
    "viewer": {"get"},
}


@dataclass
class Model:
    workspaces: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> user -> role
    dead: set[str] = field(default_factory=set)  # revoked token or removed from the org
    removed: set[str] = field(default_factory=set)  # no longer in the organization

    def sees(self, who: str, slug: str) -> bool:
        return who == "admin" or who in self.workspaces[slug]

    def may(self, who: str, slug: str, action: str) -> bool:
        if who == "admin":
            return True
        role = self.workspaces[slug].get(who)
        return role is not None and action in MAY[role]

    def owners(self, slug: str) -> int:
        return sum(1 for role in self.workspaces[slug].values() if role == "owner")


class Membership(RuleBasedStateMachine):
    client: TestClient
    database: Database

    def __init__(self) -> None:
        super().__init__()
        self.org = f"model-{next(_orgs)}"
        world = World(self.database)
        self.people: dict[str, Person] = {
            name: world.person(self.org, org_role="owner" if name == "admin" else "member")
            for name in PEOPLE
        }
        # Reads the truth for the checks; never touched by the rules.
        self.checker = world.person(self.org, org_role="admin")
        self.model = Model()
        self.uids: dict[str, str] = {}
        self.steps = 0
        stats.add("model examples")

    # -- helpers ------------------------------------------------------------------------

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, headers=self.people[who].headers, **kwargs)
        assert response.status_code < 500, response.text
        return response

    def expect(self, response: httpx.Response, status: int) -> None:
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url}: expected {status}, got "
            f"{response.status_code} {response.text[:300]}\nmodel: {self.model}"
        )

    def refused(self, who: str, slug: str, action: str) -> int | None:
        """The status a refused caller gets, or None when the call may proceed."""
        if who in self.model.dead:
            return 401
        if slug not in self.model.workspaces or not self.model.sees(who, slug):
            return 404
        if not self.model.may(who, slug, action):
            return 403
        return None

    def user_id(self, name: str) -> str:
        return self.people[name].user_id

    # -- rules --------------------------------------------------------------------------

    @rule(
        who=st.sampled_from(PEOPLE),
        slug=st.sampled_from(SLUGS),
        via=st.sampled_from(["aip", "activeloop"]),
    )
    def create_workspace(self, who: str, slug: str, via: str) -> None:
        if via == "aip":
            response = self.call(
                who,
                "POST",
                f"/api/v1/organizations/{self.org}/workspaces",
                params={"workspace_id": slug},
                json={"title": slug.upper()},
            )
        else:
            response = self.call(who, "POST", "/workspaces", json={"id": slug, "name": slug})
        if who in self.model.dead:
            self.expect(response, 401)
        elif slug in self.model.workspaces:
            self.expect(response, 409)
        else:
            self.expect(response, 200)
            self.model.workspaces[slug] = {who: "owner"}
            self.uids.pop(slug, None)

    @rule(
        who=st.sampled_from(PEOPLE),
        slug=st.sampled_from(SLUGS),
        via=st.sampled_from(["aip", "activeloop"]),
    )
    def delete_workspace(self, who: str, slug: str, via: str) -> None:
        path = (
            f"/api/v1/organizations/{self.org}/workspaces/{slug}"
            if via == "aip"
            else f"/workspaces/{slug}"
        )
        response = self.call(who, "DELETE", path)
        status = self.refused(who, slug, "delete")
        self.expect(response, status or 200)
        if status is None:
            del self.model.workspaces[slug]

    @rule(
        who=st.sampled_from(PEOPLE),
        slug=st.sampled_from(SLUGS),
        member=st.sampled_from(PEOPLE),
        role=st.sampled_from(ROLES),
        via=st.sampled_from(["aip", "activeloop", "members"]),
    )
    def add_member(self, who: str, slug: str, member: str, role: str, via: str) -> None:
        if via == "activeloop" and role == "owner":
            via = "members"  # activeloop grants writer or viewer only
        uid = self.user_id(member)
        if via == "aip":
            response = self.call(
                who,
                "POST",
                f"/api/v1/organizations/{self.org}/workspaces/{slug}/users",
                json={"user": uid, "role": role},
            )
        elif via == "activeloop":
            access = "writer" if role == "editor" else "viewer"
            response = self.call(
                who, "POST", f"/workspaces/{slug}/user", json={"user": uid, "access": access}
            )
        else:
            response = self.call(
                who,
                "POST",
                f"/v1/orgs/{self.org}/workspaces/{slug}/members",
                json={"user_id": uid, "role": role},
            )
        status = self.refused(who, slug, "members")
        if status is None and member in self.model.removed:
            status = 404
        if status is None and member in self.model.workspaces[slug]:
            status = 409
        self.expect(response, status or (201 if via == "members" else 200))
        if status is None:
            self.model.workspaces[slug][member] = role

    @rule(
        who=st.sampled_from(PEOPLE),
        slug=st.sampled_from(SLUGS),
        member=st.sampled_from(PEOPLE),
        role=st.sampled_from(ROLES),
        via=st.sampled_from(["aip", "activeloop", "members"]),
    )
    def change_role(self, who: str, slug: str, member: str, role: str, via: str) -> None:
        if via == "activeloop" and role == "owner":
            via = "aip"
        uid = self.user_id(member)
        if via == "aip":
            response = self.call(
                who,
                "PATCH",
                f"/api/v1/organizations/{self.org}/workspaces/{slug}/users/{uid}",
                json={"role": role},
            )
        elif via == "activeloop":
            access = "writer" if role == "editor" else "viewer"
            response = self.call(
                who, "PUT", f"/workspaces/{slug}/user", json={"user": uid, "access": access}
            )
        else:
            response = self.call(
                who,
                "PATCH",
                f"/v1/orgs/{self.org}/workspaces/{slug}/members/{uid}",
                json={"role": role},
            )
        status = self.refused(who, slug, "members")
        members = self.model.workspaces.get(slug, {})
        if status is None and member not in members:
            status = 404
        if (
            status is None
            and members[member] == "owner"
            and role != "owner"
            and self.model.owners(slug) == 1
        ):
            status = 400 if via == "aip" else 409  # the last owner stays
        self.expect(response, status or 200)
        if status is None:
            members[member] = role

    @rule(
        who=st.sampled_from(PEOPLE),
        slug=st.sampled_from(SLUGS),
        member=st.sampled_from(PEOPLE),
        via=st.sampled_from(["aip", "activeloop", "members"]),
    )
    def remove_member(self, who: str, slug: str, member: str, via: str) -> None:
        uid = self.user_id(member)
        path = {
            "aip": f"/api/v1/organizations/{self.org}/workspaces/{slug}/users/{uid}",
            "activeloop": f"/workspaces/{slug}/user/{uid}",
            "members": f"/v1/orgs/{self.org}/workspaces/{slug}/members/{uid}",
        }[via]
        response = self.call(who, "DELETE", path)
        status = self.refused(who, slug, "members")
        members = self.model.workspaces.get(slug, {})
        if status is None and member not in members:
            status = 404
        if status is None and members[member] == "owner" and self.model.owners(slug) == 1:
            status = 400 if via == "aip" else 409
        self.expect(response, status or {"aip": 200, "activeloop": 200, "members": 204}[via])
        if status is None:
            del members[member]

    @rule(member=st.sampled_from(PEOPLE[1:]))
    def remove_org_user(self, member: str) -> None:
        response = self.call(
            "admin", "DELETE", f"/api/v1/organizations/{self.org}/users/{self.user_id(member)}"
        )
        if "admin" in self.model.dead:
            self.expect(response, 401)
            return
        if member in self.model.removed:
            self.expect(response, 404)
            return
        sole_owner = any(
            m.get(member) == "owner" and self.model.owners(slug) == 1
            for slug, m in self.model.workspaces.items()
        )
        if sole_owner:
            self.expect(response, 400)  # FAILED_PRECONDITION: give it another owner first
            return
        self.expect(response, 200)
        self.model.removed.add(member)
        self.model.dead.add(member)
        for members in self.model.workspaces.values():
            members.pop(member, None)

    @rule(who=st.sampled_from(PEOPLE))
    def revoke_token(self, who: str) -> None:
        # Revocation has its own API (DELETE /api/v1/me/tokens/{id}); here the row is
        # revoked directly so the model can revoke any token, including an admin's.
        digest = token_format.digest(self.people[who].token)
        with self.database.write() as session:
            session.execute(
                update(PersonalAccessToken)
                .where(PersonalAccessToken.secret_sha256 == digest)
                .values(revoke_time=clock.now())
            )
        self.model.dead.add(who)

    # -- checks after every step ---------------------------------------------------------

    @invariant()
    def everyone_sees_what_the_model_says(self) -> None:
        self.steps += 1
        via = "aip" if self.steps % 2 else "activeloop"
        for who in PEOPLE:
            if via == "aip":
                response = self.call(who, "GET", f"/api/v1/organizations/{self.org}/workspaces")
            else:
                response = self.call(who, "GET", "/workspaces")
            if who in self.model.dead:
                self.expect(response, 401)
                continue
            self.expect(response, 200)
            body = response.json()
            seen = (
                {w["name"].rsplit("/", 1)[-1] for w in body["workspaces"]}
                if via == "aip"
                else {w["id"] for w in body["data"]}
            )
            expected = {s for s in self.model.workspaces if self.model.sees(who, s)}
            assert seen == expected, (who, via, seen, expected)

    @invariant()
    def members_are_what_the_model_says(self) -> None:
        for slug, members in self.model.workspaces.items():
            expected = {self.user_id(name): role for name, role in members.items()}
            assert self.model.owners(slug) >= 1
            assert self._listed(slug) == expected, (slug, members)

    def _listed(self, slug: str) -> dict[str, str]:
        """Explicit members as the checker reads them, through members, admin or activeloop
        in turn."""
        headers = self.checker.headers
        via = self.steps % 3
        if via == 0:
            response = self.client.get(
                f"/v1/orgs/{self.org}/workspaces/{slug}/members", headers=headers
            )
            assert response.status_code == 200, response.text
            return {m["user_id"]: m["role"] for m in response.json()["members"]}
        if via == 1:
            if slug not in self.uids:
                got = self.client.get(
                    f"/api/v1/organizations/{self.org}/workspaces/{slug}", headers=headers
                )
                self.uids[slug] = got.json()["uid"]
            response = self.client.get(
                f"/workspace/admin/orgs/{self.checker.org_id}/workspaces/{self.uids[slug]}/users",
                headers=headers,
            )
            assert response.status_code == 200, response.text
            return {m["user_id"]: m["role"] for m in response.json()["results"]}
        response = self.client.get(f"/workspaces/{slug}/users", headers=headers)
        assert response.status_code == 200, response.text
        access = {"owner": "owner", "writer": "editor", "viewer": "viewer"}
        return {m["user_id"]: access[m["access"]] for m in response.json()["data"]}


def test_membership_model(client: TestClient, database: Database) -> None:
    Membership.client = client
    Membership.database = database
    run_state_machine_as_test(
        Membership,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    stats.STATS["model examples requested"] = EXAMPLES
