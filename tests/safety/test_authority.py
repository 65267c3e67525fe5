"""One regression test per class of escalation an attacker's review found (SPEC §3's nine
authority rules), each through the HTTP API as the attacker used it.

Each was shown to fail on the code before the fix (the closing note of the authority
issue lists the figures)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.mail_support import Mailbox
from tests.support import Person, World, error_of
from workspaced.kit.db import Database
from workspaced.models import AuditEvent, Invite

ORG = "/api/v1/organizations/{org}"
WS = ORG + "/workspaces"
ACCEPT = "/api/v1/invites:accept"


def make_workspace(client: TestClient, owner: Person, slug: str = "vault") -> str:
    response = client.post(
        WS.format(org=owner.org),
        params={"workspace_id": slug},
        json={"title": slug},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    return slug


def users_url(person: Person, ws: str, user_id: str = "") -> str:
    base = f"{WS.format(org=person.org)}/{ws}/users"
    return f"{base}/{user_id}" if user_id else base


def add(client: TestClient, actor: Person, ws: str, user: str, role: str) -> httpx.Response:
    return client.post(
        users_url(actor, ws), json={"user": user, "role": role}, headers=actor.headers
    )


def custom_role(client: TestClient, admin: Person, role_id: str, permissions: list[str]) -> None:
    response = client.post(
        ORG.format(org=admin.org) + "/roles",
        json={"role_id": role_id, "display_name": role_id.title(), "permissions": permissions},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


def invite(client: TestClient, actor: Person, ws: str, email: str, role: str) -> httpx.Response:
    return client.post(
        f"{WS.format(org=actor.org)}/{ws}/invites",
        json={"email": email, "role": role},
        headers=actor.headers,
    )


def accept_as_new_account(client: TestClient, token: str) -> httpx.Response:
    return client.post(ACCEPT, json={"invite_token": token, "display_name": "Newcomer"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


VIEWER = ["workspaces:get", "members:list", "roles:list", "preferences:get"]


def test_an_invitation_grants_no_more_than_its_sender_holds(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme", org_role="owner")
    recruiter = world.person("acme", org_role="member")
    ws = make_workspace(client, owner)
    custom_role(client, owner, "recruiter", [*VIEWER, "invites:create"])
    assert add(client, owner, ws, recruiter.email, "recruiter").status_code == 200
    for role in ["owner", "editor", "Workspace Owner"]:
        refused = invite(client, recruiter, ws, "alias@acme.test", role)
        assert refused.status_code == 403, (role, refused.text)
        assert error_of(refused)["status"] == "PERMISSION_DENIED"
    # What the sender holds is still theirs to hand out.
    assert invite(client, recruiter, ws, "alias@acme.test", "viewer").status_code == 200


def test_a_custom_role_cannot_remove_or_demote_a_superior(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    moderator = world.person("acme", org_role="member")
    viewer = world.person("acme", org_role="member")
    ws = make_workspace(client, owner)
    custom_role(client, owner, "moderator", [*VIEWER, "members:remove", "members:update"])
    assert add(client, owner, ws, moderator.email, "moderator").status_code == 200
    assert add(client, owner, ws, viewer.email, "viewer").status_code == 200
    demote = client.patch(
        users_url(owner, ws, owner.user_id), json={"role": "viewer"}, headers=moderator.headers
    )
    assert demote.status_code == 403, demote.text
    remove = client.delete(users_url(owner, ws, owner.user_id), headers=moderator.headers)
    assert remove.status_code == 403, remove.text
    # The same through the members and activeloop dialects.
    members = f"/v1/orgs/{owner.org_id}/workspaces"
    uid = client.get(users_url(owner, ws).rsplit("/users", 1)[0], headers=owner.headers).json()[
        "uid"
    ]
    assert (
        client.delete(f"{members}/{uid}/members/{owner.user_id}", headers=moderator.headers)
    ).status_code == 403
    roles = {
        u["user_id"]: u["role_id"]
        for u in client.get(users_url(owner, ws), headers=owner.headers).json()["users"]
    }
    assert roles[owner.user_id] == "owner"
    # A member who holds no more than the moderator can be acted on.
    assert (
        client.delete(users_url(owner, ws, viewer.user_id), headers=moderator.headers)
    ).status_code == 200


def test_a_pending_invitation_dies_with_its_senders_authority(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    org_owner = world.person("acme")
    insider = world.person("acme", org_role="member")
    ws = make_workspace(client, insider)
    sent = invite(client, insider, ws, "alias@elsewhere.test", "owner")
    assert sent.status_code == 200
    token = mailbox.invite_token("alias@elsewhere.test")
    removed = client.delete(
        ORG.format(org="acme") + f"/users/{insider.user_id}", headers=org_owner.headers
    )
    # Refused while the insider is the only owner of the live workspace: give it another.
    assert removed.status_code == 400
    assert add(client, org_owner, ws, org_owner.email, "owner").status_code == 200
    removed = client.delete(
        ORG.format(org="acme") + f"/users/{insider.user_id}", headers=org_owner.headers
    )
    assert removed.status_code == 200, removed.text
    refused = accept_as_new_account(client, token)
    assert refused.status_code == 400, refused.text
    assert "token" not in refused.json()
    with database.read() as session:
        states = set(session.scalars(select(Invite.state)))
        revoked = list(
            session.scalars(
                select(AuditEvent.resource).where(AuditEvent.action == "invite.revoked")
            )
        )
    assert states == {"REVOKED"}
    assert revoked == [sent.json()["name"]]  # the invite's own resource name

    # Demoted rather than removed: the invite stops working as well.
    sender = world.person("acme", org_role="member")
    ws2 = make_workspace(client, sender, "second")
    sent = invite(client, sender, ws2, "other-alias@elsewhere.test", "owner")
    assert sent.status_code == 200
    token2 = mailbox.invite_token("other-alias@elsewhere.test")
    assert add(client, org_owner, ws2, org_owner.email, "owner").status_code == 200
    demoted = client.patch(
        users_url(org_owner, ws2, sender.user_id),
        json={"role": "viewer"},
        headers=org_owner.headers,
    )
    assert demoted.status_code == 200
    refused = accept_as_new_account(client, token2)
    assert refused.status_code == 400, refused.text
    assert error_of(refused)["details"][0]["reason"] == "INVITE_REVOKED"


def test_a_token_acts_only_in_its_home_organization(client: TestClient, world: World) -> None:
    x_user = world.person("xorg")
    y_owner = world.person("yorg")
    world.person("yorg", email=x_user.email)  # the same user is a member of Y too
    ws = make_workspace(client, y_owner)
    assert add(client, y_owner, ws, x_user.email, "owner").status_code == 200
    uid = client.get(f"{WS.format(org='yorg')}/{ws}", headers=y_owner.headers).json()["uid"]
    x_headers = x_user.headers
    for url in [
        f"{WS.format(org='yorg')}/{ws}",
        f"{WS.format(org='yorg')}/{ws}/users",
        ORG.format(org="yorg"),
        ORG.format(org="yorg") + "/users",
        f"/v1/orgs/{y_owner.org_id}/workspaces/{uid}/members",
        f"/workspace/admin/orgs/{y_owner.org_id}/workspaces/{uid}/users",
    ]:
        assert client.get(url, headers=x_headers).status_code == 404, url
    assert add(client, x_user, ws, y_owner.email, "viewer").status_code == 404
    minted = client.post(
        "/api/v1/me/tokens", json={"display_name": "y", "organization": "yorg"}, headers=x_headers
    )
    assert minted.status_code == 404


def test_adding_an_account_from_elsewhere_reveals_nothing_of_it(
    client: TestClient, world: World
) -> None:
    world.person("xorg", email="real.person@x.test", name="Real Person")
    y_admin = world.person("yorg", org_role="owner")
    known = client.post(
        ORG.format(org="yorg") + "/users",
        json={"email": "real.person@x.test"},
        headers=y_admin.headers,
    )
    unknown = client.post(
        ORG.format(org="yorg") + "/users",
        json={"email": "nobody.yet@x.test"},
        headers=y_admin.headers,
    )
    assert known.status_code == unknown.status_code == 200
    assert "Real Person" not in known.text
    assert known.json()["display_name"] == "real.person"
    assert unknown.json()["display_name"] == "nobody.yet"
    assert set(known.json()) == set(unknown.json())


def test_undelete_never_brings_back_a_workspace_without_owners(
    client: TestClient, world: World, database: Database
) -> None:
    org_owner = world.person("acme")
    sole = world.person("acme", org_role="member")
    ws = make_workspace(client, sole)
    url = f"{WS.format(org='acme')}/{ws}"
    assert client.delete(url, headers=sole.headers).status_code == 200
    removed = client.delete(
        ORG.format(org="acme") + f"/users/{sole.user_id}", headers=org_owner.headers
    )
    assert removed.status_code == 200, removed.text
    undeleted = client.post(url + ":undelete", headers=org_owner.headers)
    assert undeleted.status_code == 200, undeleted.text
    users = client.get(url + "/users", headers=org_owner.headers).json()["users"]
    owners = [
        u["user_id"] for u in users if u["role_id"] == "owner" and u["role_scope"] == "workspace"
    ]
    assert owners == [org_owner.user_id]


def test_one_string_names_one_role(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    ws = make_workspace(client, owner)
    roles = ORG.format(org="acme") + "/roles"

    def create(role_id: str, display_name: str) -> httpx.Response:
        body: dict[str, Any] = {
            "role_id": role_id,
            "display_name": display_name,
            "permissions": VIEWER,
        }
        return client.post(roles, json=body, headers=owner.headers)

    assert create("gamma", "Gamma role").status_code == 200
    # A display name equal to another role's id (any case), or an id equal to another
    # role's display name, would make one string name two roles.
    assert create("beta", "gamma").status_code == 409
    assert create("beta", "GAMMA").status_code == 409
    assert create("beta", "Viewer").status_code == 409
    assert create("gamma-role", "Delta").status_code == 200
    assert create("delta", "Something").status_code == 409
    # The id wins over a display name in every dialect.
    assert add(client, owner, ws, member.email, "gamma").json()["role_id"] == "gamma"


def test_removed_users_credentials_never_work_again(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    second = client.post(
        "/api/v1/me/tokens", json={"display_name": "laptop"}, headers=member.headers
    ).json()["token"]
    removed = client.delete(
        ORG.format(org="acme") + f"/users/{member.user_id}", headers=owner.headers
    )
    assert removed.status_code == 200
    readd = client.post(
        ORG.format(org="acme") + "/users", json={"email": member.email}, headers=owner.headers
    )
    assert readd.status_code == 200
    for token in [member.token, second]:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_gets_a_credential_for_an_address_they_do_not_read(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    """The squatter of the review: a plain member invites someone else's address into a
    workspace of their own. The secret now goes only to that address, so the squatter holds
    nothing to accept with, and the real person keeps the address."""
    squatter = world.person("acme", org_role="member")
    ws = make_workspace(client, squatter)
    sent = invite(client, squatter, ws, "newhire@other.test", "owner")
    assert sent.status_code == 200
    token = mailbox.invite_token("newhire@other.test")
    seen_by_squatter = [
        sent.text,
        client.get(f"{WS.format(org='acme')}/{ws}/invites", headers=squatter.headers).text,
        client.get(
            f"{WS.format(org='acme')}/{ws}/invites/{sent.json()['invite_id']}",
            headers=squatter.headers,
        ).text,
    ]
    with database.read() as session:
        audit_rows = [
            repr((event.before, event.after)) for event in session.scalars(select(AuditEvent))
        ]
    for text in seen_by_squatter + audit_rows:
        assert token not in text and "wsi_" not in text
    assert [m.recipients for m in mailbox.all()] == [("newhire@other.test",)]

    # The other company adds its new hire: an unverified placeholder, claimed by whoever
    # reads the address's mail, that is, by an invitation delivered there.
    other_owner = world.person("other")
    placed = client.post(
        ORG.format(org="other") + "/users",
        json={"email": "newhire@other.test"},
        headers=other_owner.headers,
    )
    assert placed.status_code == 200
    other_ws = make_workspace(client, other_owner, "onboarding")
    assert invite(client, other_owner, other_ws, "newhire@other.test", "viewer").status_code == 200
    claimed = accept_as_new_account(client, mailbox.invite_token("newhire@other.test", nth=2))
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["user"]["user_id"] == placed.json()["user_id"]
    real_token = claimed.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(real_token)).status_code == 200

    # Now the address is verified: a later invitation needs its owner signed in, so a
    # leaked invite secret alone no longer yields a credential for the account.
    refused = accept_as_new_account(client, token)
    assert refused.status_code == 401, refused.text
    assert "token" not in refused.json()
    signed_in = client.post(ACCEPT, json={"invite_token": token}, headers=bearer(real_token))
    assert signed_in.status_code == 200, signed_in.text


def test_an_invitation_whose_sender_lost_the_authority_reads_revoked(
    client: TestClient, world: World, database: Database, mailbox: Mailbox
) -> None:
    """Rule 5, visible: when the sender's authority shrinks, the invitations they can no
    longer grant are REVOKED at once (in the list, with an audit event), not left PENDING
    until someone tries the link; those they still cover stay PENDING."""
    owner = world.person("acme")
    sender = world.person("acme", org_role="member")
    admin = world.person("acme", org_role="admin")
    recruiter = world.person("acme", org_role="member")

    def state(sent: httpx.Response) -> str:
        got = client.get("/api/v1/" + sent.json()["name"], headers=owner.headers)
        assert got.status_code == 200, got.text
        return str(got.json()["state"])

    # Demoted, then removed, in the workspace.
    ws = make_workspace(client, sender, "lapse")
    as_owner = invite(client, sender, ws, "a@elsewhere.test", "owner")
    as_viewer = invite(client, sender, ws, "b@elsewhere.test", "viewer")
    assert add(client, owner, ws, owner.email, "owner").status_code == 200
    demoted = client.patch(
        users_url(owner, ws, sender.user_id), json={"role": "editor"}, headers=owner.headers
    )
    assert demoted.status_code == 200, demoted.text
    assert (state(as_owner), state(as_viewer)) == ("REVOKED", "PENDING")
    removed = client.delete(users_url(owner, ws, sender.user_id), headers=owner.headers)
    assert removed.status_code == 200, removed.text
    assert state(as_viewer) == "REVOKED"

    # Demoted in the organization: an admin's owner-level access to every workspace ends.
    ws2 = make_workspace(client, owner, "lapse-two")
    by_admin = invite(client, admin, ws2, "c@elsewhere.test", "owner")
    assert by_admin.status_code == 200, by_admin.text
    changed = client.patch(
        ORG.format(org="acme") + f"/users/{admin.user_id}",
        json={"org_role": "member"},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert state(by_admin) == "REVOKED"

    # The sender's custom role edited down below what the invitation grants.
    custom_role(client, owner, "recruiter", [*VIEWER, "invites:create"])
    ws3 = make_workspace(client, owner, "lapse-three")
    assert add(client, owner, ws3, recruiter.email, "recruiter").status_code == 200
    by_recruiter = invite(client, recruiter, ws3, "d@elsewhere.test", "viewer")
    assert by_recruiter.status_code == 200, by_recruiter.text
    edited = client.patch(
        ORG.format(org="acme") + "/roles/recruiter",
        json={"permissions": ["workspaces:get", "invites:create"]},
        headers=owner.headers,
    )
    assert edited.status_code == 200, edited.text
    assert state(by_recruiter) == "REVOKED"

    with database.read() as session:
        reasons = {
            resource: (after or {}).get("reason")
            for resource, after in session.execute(
                select(AuditEvent.resource, AuditEvent.after).where(
                    AuditEvent.action == "invite.revoked"
                )
            )
        }
    lapsed = [as_owner, as_viewer, by_admin, by_recruiter]
    assert set(reasons) == {sent.json()["name"] for sent in lapsed}
    assert set(reasons.values()) == {"inviter no longer holds every permission of the role"}
    for address in ("a", "b", "c", "d"):
        refused = accept_as_new_account(client, mailbox.invite_token(f"{address}@elsewhere.test"))
        assert error_of(refused)["details"][0]["reason"] == "INVITE_REVOKED", refused.text
