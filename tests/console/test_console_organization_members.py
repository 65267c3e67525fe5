"""The organization members page: owners and admins add, change and remove members
through `organization/users.py`, whose refusals (rules 3, 4, 6 and the last owner) are
shown at the refused form."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.console.console_support import post_form, sign_in
from tests.support import Person, World
from workspaced.console.pages import organization_members
from workspaced.kit.db import Database
from workspaced.models import AuditEvent, OrganizationMembership, PersonalAccessToken, User

MEMBERS = "/console/orgs/acme/members"


def _roles(database: Database, org_id: str) -> dict[str, str]:
    """email -> organization role, for everyone in the organization."""
    with database.read() as session:
        rows = session.execute(
            select(User.email, OrganizationMembership.org_role)
            .join(OrganizationMembership, OrganizationMembership.user_id == User.id)
            .where(OrganizationMembership.org_id == uuid.UUID(org_id))
        ).all()
    return {email: role for email, role in rows}


def _user_id(database: Database, email: str) -> str:
    with database.read() as session:
        return str(session.scalars(select(User.id).where(User.email == email)).one())


def test_owner_adds_changes_and_removes_a_member(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    sign_in(client, owner.token)
    page = client.get(MEMBERS)
    assert page.status_code == 200
    assert owner.email in page.text and 'href="/console/orgs/acme/members"' in page.text
    assert 'href="/console/orgs/acme/members"' in client.get("/console/orgs/acme/workspaces").text

    added = post_form(
        client, MEMBERS, MEMBERS, {"email": "new@example.com", "role": "admin", "display_name": "N"}
    )
    assert added.status_code == 303 and "member-added" in added.headers["location"]
    assert _roles(database, owner.org_id)["new@example.com"] == "admin"
    row = client.get(MEMBERS).text
    assert "new@example.com" in row and "The member was added." not in row  # notice: redirect
    again = post_form(client, MEMBERS, MEMBERS, {"email": "new@example.com", "role": "member"})
    assert again.status_code == 409 and 'id="add-error"' in again.text
    bad = post_form(client, MEMBERS, MEMBERS, {"email": "not an address", "role": "member"})
    assert bad.status_code == 400 and 'id="add-email-error"' in bad.text
    bad_role = post_form(client, MEMBERS, MEMBERS, {"email": "x@example.com", "role": "boss"})
    assert bad_role.status_code == 400 and 'id="add-role-error"' in bad_role.text
    assert "x@example.com" not in _roles(database, owner.org_id)

    new_id = _user_id(database, "new@example.com")
    changed = post_form(client, MEMBERS, f"{MEMBERS}/{new_id}/role", {"role": "member"})
    assert changed.status_code == 303
    assert _roles(database, owner.org_id)["new@example.com"] == "member"

    found = client.get(MEMBERS + "?search=NEW@")
    assert 'data-email="new@example.com"' in found.text
    assert f'data-email="{owner.email}"' not in found.text

    removed = post_form(client, MEMBERS, f"{MEMBERS}/{new_id}/remove", {})
    assert removed.status_code == 303
    assert "new@example.com" not in _roles(database, owner.org_id)
    assert "new@example.com" not in client.get(MEMBERS).text
    with database.read() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"organization.user.role_changed", "organization.user.removed"} <= actions


def test_members_are_paged_with_the_lists_tokens(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(organization_members, "PAGE_SIZE", 2)
    people = [world.person("acme") for _ in range(3)]
    sign_in(client, people[0].token)
    first = client.get(MEMBERS).text
    assert "Next page" in first
    next_link = first.split('href="?search=&amp;page_token=')[1].split('"')[0]
    second = client.get(f"{MEMBERS}?page_token={next_link}").text
    shown = [
        p.email for p in people for page in (first, second) if f'data-email="{p.email}"' in page
    ]
    assert sorted(shown) == sorted(p.email for p in people)
    assert "Next page" not in second and "First page" in second
    junk = client.get(f"{MEMBERS}?page_token=junk")
    assert junk.status_code == 400 and 'id="search-error"' in junk.text


def _refused_at_row(response: httpx.Response, person: Person) -> None:
    assert response.status_code == 403, response.text[-500:]
    assert f'id="member-{person.user_id}-error"' in response.text and "Refused" in response.text


def test_an_admin_cannot_touch_an_owner(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    other_owner = world.person("acme", org_role="owner")
    admin = world.person("acme", org_role="admin")
    member = world.person("acme", org_role="member")
    before = _roles(database, owner.org_id)
    sign_in(client, admin.token)
    _refused_at_row(
        post_form(client, MEMBERS, f"{MEMBERS}/{owner.user_id}/role", {"role": "member"}), owner
    )
    _refused_at_row(
        post_form(client, MEMBERS, f"{MEMBERS}/{other_owner.user_id}/remove", {}), other_owner
    )
    # Nor grant owner (rule 3), to a member or a newcomer.
    _refused_at_row(
        post_form(client, MEMBERS, f"{MEMBERS}/{member.user_id}/role", {"role": "owner"}), member
    )
    newcomer = post_form(client, MEMBERS, MEMBERS, {"email": "boss@example.com", "role": "owner"})
    assert newcomer.status_code == 403 and 'id="add-error"' in newcomer.text
    assert _roles(database, owner.org_id) == before
    # What admins may do, they do.
    promoted = post_form(client, MEMBERS, f"{MEMBERS}/{member.user_id}/role", {"role": "admin"})
    assert promoted.status_code == 303
    assert _roles(database, owner.org_id)[member.email] == "admin"


def test_the_last_owner_is_never_demoted_or_removed(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    world.person("acme", org_role="admin")
    sign_in(client, owner.token)
    for action, data in (("role", {"role": "admin"}), ("remove", {})):
        refused = post_form(client, MEMBERS, f"{MEMBERS}/{owner.user_id}/{action}", data)
        assert refused.status_code == 409
        assert f'id="member-{owner.user_id}-error"' in refused.text
        assert "must keep at least one owner" in refused.text
        assert "Make someone else an owner first" in refused.text
    assert _roles(database, owner.org_id)[owner.email] == "owner"


def test_members_and_outsiders_do_not_reach_the_page(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    outsider = world.person("zenith")
    sign_in(client, member.token)
    assert client.get(MEMBERS).status_code == 403
    assert (
        'href="/console/orgs/acme/members"' not in client.get("/console/orgs/acme/workspaces").text
    )
    csrf_page = "/console/orgs/acme/workspaces"
    refused = post_form(client, csrf_page, f"{MEMBERS}/{owner.user_id}/remove", {})
    assert refused.status_code == 403
    client.cookies.clear()
    sign_in(client, outsider.token)
    assert client.get(MEMBERS).status_code == 404
    assert client.get("/console/orgs/no-such-org/members").status_code == 404
    assert client.get("/console/orgs/zenith/members").status_code == 200
    assert owner.email in _roles(database, owner.org_id)


def test_removing_a_member_ends_their_console_session(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    theirs = TestClient(client.app)
    sign_in(theirs, member.token)
    assert theirs.get("/console/orgs/acme/workspaces").status_code == 200
    sign_in(client, owner.token)
    removed = post_form(client, MEMBERS, f"{MEMBERS}/{member.user_id}/remove", {})
    assert removed.status_code == 303
    gone = theirs.get("/console/orgs/acme/workspaces", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/sign-in")
    with database.read() as session:
        tokens = session.scalars(
            select(PersonalAccessToken).where(
                PersonalAccessToken.user_id == uuid.UUID(member.user_id)
            )
        ).all()
    assert tokens and all(token.revoke_time is not None for token in tokens)


def test_the_navigation_offers_admin_pages_to_owners_and_admins_only(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    admin_pages = ("members", "audit", "api-keys", "webhooks", "settings")
    sign_in(client, member.token)
    page = client.get("/console/orgs/acme/workspaces").text
    assert 'href="/console/orgs/acme/roles"' in page
    for name in admin_pages:
        assert f'href="/console/orgs/acme/{name}"' not in page, name
    sign_in(client, owner.token)
    page = client.get("/console/orgs/acme/workspaces").text
    for name in admin_pages:
        assert f'href="/console/orgs/acme/{name}"' in page, name
