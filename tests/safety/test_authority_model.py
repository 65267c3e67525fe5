"""The attacker's model test (SPEC §3): random histories of grants, role changes, removals,
invitations and acceptances by every kind of actor — organization owner and admin, plain
members holding built-in and custom roles, users removed from the organization, a user of
another organization, and anonymous clients — each answer checked against an oracle of the
nine rules, and after every step the server's memberships compared with the model's.

Custom roles give members partial powers (`recruiter` may add and invite, `gatekeeper` may
change and remove), the shapes the review escalated through. Invitations are read from a
real SMTP server, as their invitee would. An invitation accepted anonymously fills the next
guest slot, so newcomers act in later steps; unfilled slots are anonymous clients.

The two principal kinds of the identity issue act too: `key`, an organization API key the
admin created (it borrows the admin's authority, capped to its own permissions, and dies
for good when the admin stops being an owner or admin), and `jm`, a member who signs in
with the identity provider's JWT (a removed JWT user is an outsider, not unauthenticated:
the provider still vouches for them).

Grants, role changes and removals go three ways (`via`): the AIP dialect, the members
dialect (grants only) and the admin console's forms. Each actor with a personal access
token opens its own console session through the real sign-in form (its own cookie jar,
once, lazily); the JWT user, the API key and anonymous clients cannot (the sign-in form
refuses a JWT and a key), so their console posts are sent to sign-in and change nothing,
and so are those of a removed user, whose session dies with the removal. The console must
agree with the oracle: an allowed form redirects back to the members page, a refused one
answers the domain's status; the invariants then prove it wrote exactly what was allowed.

Examples: WORKSPACED_AUTHORITY_EXAMPLES (default 150 on SQLite, 30 on PostgreSQL).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests import jwt_support
from tests.console.console_support import csrf_of, sign_in
from tests.mail_support import Mailbox
from tests.safety import stats
from tests.support import Person, World, issue_api_key, postgres_base_url
from workspaced.authz.catalog import (
    EDITOR_PERMISSIONS,
    OWNER_PERMISSIONS,
    VIEWER_PERMISSIONS,
)
from workspaced.console.web import SESSION_COOKIE
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.mail import MailSettings

DEFAULT_EXAMPLES = 30 if postgres_base_url() else 150
EXAMPLES = int(os.environ.get("WORKSPACED_AUTHORITY_EXAMPLES", str(DEFAULT_EXAMPLES)))

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": OWNER_PERMISSIONS,
    "editor": EDITOR_PERMISSIONS,
    "viewer": VIEWER_PERMISSIONS,
    "recruiter": VIEWER_PERMISSIONS | {"members:add", "invites:create"},
    "gatekeeper": VIEWER_PERMISSIONS | {"members:update", "members:remove"},
}
ROLES = list(ROLE_PERMISSIONS)
CUSTOM = ["recruiter", "gatekeeper"]
# Organization owner, admin, three members, and a member signed in with a JWT.
INSIDERS = ["root", "adm", "m1", "m2", "m3", "jm"]
GUESTS = ["g0", "g1", "g2"]  # filled by anonymous acceptances; anonymous until then
JWT_USERS = {"jm"}
KEY = "key"  # an API key created by "adm"
KEY_PERMISSIONS = VIEWER_PERMISSIONS | {
    "members:add",
    "members:update",
    "members:remove",
    "invites:create",
    "organization.users:remove",
}
ACTORS = [*INSIDERS, KEY, "out", *GUESTS]
SUBJECTS = [*INSIDERS[1:], "out", *GUESTS]
SLUGS = ["w1", "w2"]
CONSOLE = "/console"
# How the console answers what the API answers 400 (rule 9, a failed precondition): 409,
# as `console.web.status_of` maps every FailedPrecondition.
CONSOLE_STATUS = {400: 409}
_runs = itertools.count()


@dataclass
class Invitation:
    sender: str
    slug: str
    role: str
    email: str
    token: str
    state: str = "PENDING"


@dataclass
class Model:
    org_role: dict[str, str]  # who is in the organization, with which role
    workspaces: dict[str, dict[str, str]]  # slug -> member -> role
    invitations: list[Invitation] = field(default_factory=list)
    key_live: bool = True  # rule 5: dies for good when its creator stops being an admin

    def in_org(self, who: str) -> bool:
        return self.key_live if who == KEY else who in self.org_role

    def is_org_admin(self, who: str) -> bool:
        return self.key_live if who == KEY else self.org_role.get(who) in ("owner", "admin")

    def acting_org_role(self, who: str) -> str:
        """A key acts as an admin, whoever created it."""
        return "admin" if who == KEY else self.org_role[who]

    def creator_changed(self) -> None:
        if self.org_role.get("adm") not in ("owner", "admin"):
            self.key_live = False

    def permissions(self, who: str, slug: str) -> frozenset[str]:
        if who == KEY:
            return OWNER_PERMISSIONS & KEY_PERMISSIONS if self.key_live else frozenset()
        role = self.workspaces[slug].get(who)
        held = ROLE_PERMISSIONS[role] if role else frozenset()
        return OWNER_PERMISSIONS | held if self.is_org_admin(who) else held

    def sees(self, who: str, slug: str) -> bool:
        return self.is_org_admin(who) or who in self.workspaces[slug]

    def owners(self, slug: str) -> int:
        return sum(1 for role in self.workspaces[slug].values() if role == "owner")

    def sole_owner_somewhere(self, who: str) -> bool:
        return any(
            m.get(who) == "owner" and self.owners(s) == 1 for s, m in self.workspaces.items()
        )


@dataclass
class Browser:
    """One actor's console: its own cookie jar over the app, and its session's CSRF token
    ("" when the sign-in form refused to open a session)."""

    client: TestClient
    csrf_token: str


class Authority(RuleBasedStateMachine):
    client: TestClient
    database: Database
    mailbox: Mailbox

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_runs)
        self.removed: set[str] = set()  # removed from the organization
        self.org = f"auth-{self.run}"
        world = World(self.database)
        roles = {
            "root": "owner",
            "adm": "admin",
            "m1": "member",
            "m2": "member",
            "m3": "member",
            "jm": "member",
        }
        self.people: dict[str, Person] = {
            name: world.person(self.org, org_role=role) for name, role in roles.items()
        }
        # jm signs in with the identity provider's JWT (linked by its verified email).
        self.people["jm"] = replace(
            self.people["jm"], token=jwt_support.token_for(self.people["jm"].email)
        )
        _, key = issue_api_key(self.database, self.people["adm"], KEY_PERMISSIONS)
        self.people[KEY] = Person(self.org, self.people["adm"].org_id, "", "", key, "admin")
        self.people["out"] = world.person(f"other-{self.run}")
        self.checker = world.person(self.org, org_role="admin")  # reads the truth, never acts
        for role_id in CUSTOM:
            created = self.client.post(
                f"/api/v1/organizations/{self.org}/roles",
                json={
                    "role_id": role_id,
                    "display_name": role_id.title(),
                    "permissions": sorted(ROLE_PERMISSIONS[role_id]),
                },
                headers=self.people["root"].headers,
            )
            assert created.status_code == 200, created.text
        self.model = Model(org_role=dict(roles), workspaces={})
        for slug, creator in zip(SLUGS, ["m1", "root"], strict=True):
            made = self.client.post(
                f"/api/v1/organizations/{self.org}/workspaces",
                params={"workspace_id": slug},
                json={"title": slug},
                headers=self.people[creator].headers,
            )
            assert made.status_code == 200, made.text
            self.model.workspaces[slug] = {creator: "owner"}
        # Partial powers from the start, so that one step can try to escalate through them.
        for slug, member, role in [
            ("w1", "m2", "recruiter"),
            ("w1", "m3", "gatekeeper"),
            ("w2", "m1", "viewer"),
            ("w2", "m3", "recruiter"),
        ]:
            granted = self.client.post(
                self.ws_path(slug) + "/users",
                json={"user": self.people[member].user_id, "role": role},
                headers=self.people["root"].headers,
            )
            assert granted.status_code == 200, granted.text
            self.model.workspaces[slug][member] = role
        self.mails = 0
        self.browsers: dict[str, Browser] = {}
        self.anonymous_browser = Browser(self.new_browser(), "")
        stats.add("authority model examples")

    # -- helpers ------------------------------------------------------------------------

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        person = self.people.get(who)
        headers = person.headers if person is not None else {}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 500, response.text
        return response

    def expect(self, response: httpx.Response, status: int, why: str) -> None:
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url}: expected {status} ({why}), "
            f"got {response.status_code} {response.text[:300]}\nmodel: {self.model}"
        )

    def user_id(self, who: str) -> str:
        person = self.people.get(who)
        return person.user_id if person is not None else "00000000-0000-4000-8000-000000000000"

    def ws_path(self, slug: str) -> str:
        return f"/api/v1/organizations/{self.org}/workspaces/{slug}"

    def dead(self, who: str) -> bool:
        """No credential that authenticates: anonymous, removed (a JWT still does: its
        user is then an outsider), or the key after its creator's authority ended."""
        if who == KEY:
            return not self.model.key_live
        return who not in self.people or (who in self.removed and who not in JWT_USERS)

    def refusal(self, who: str, slug: str, permission: str) -> tuple[int, str] | None:
        """How the caller is refused before the operation looks at its input, if it is."""
        if self.dead(who):
            return 401, "no live credential"
        if not self.model.in_org(who):
            return 404, "outside the organization"
        if not self.model.sees(who, slug):
            return 404, "cannot see the workspace"
        if permission not in self.model.permissions(who, slug):
            return 403, f"lacks {permission}"
        return None

    # -- the console ---------------------------------------------------------------------

    def new_browser(self) -> TestClient:
        """A client with its own cookie jar, over the same app and the same event loop
        (the running client's portal) as `self.client`."""
        browser = TestClient(
            self.client.app, base_url=str(self.client.base_url), raise_server_exceptions=False
        )
        browser.portal = self.client.portal
        return browser

    def console_capable(self, who: str) -> bool:
        """Holds a personal access token that still opens a console session."""
        return (
            who in self.people and who not in JWT_USERS and who != KEY and who not in self.removed
        )

    def browser(self, who: str) -> Browser:
        """`who`'s console, signed in through the real sign-in form the first time."""
        if who not in self.people:
            return self.anonymous_browser  # no credential: nothing to sign in with
        if who in self.browsers:
            return self.browsers[who]
        client = self.new_browser()
        signed = sign_in(client, self.people[who].token)
        assert signed.status_code < 500, signed.text
        if self.console_capable(who):
            assert signed.status_code == 303, signed.text[:300]
            home = client.get(signed.headers["location"])
            assert home.status_code == 200, home.text[:300]
            browser = Browser(client, csrf_of(home.text))
            stats.add("authority model console sessions")
        else:
            # A JWT and an API key are not personal access tokens, and a removed user's
            # token no longer authenticates: the form refuses, and no session is opened.
            assert signed.status_code == 400, (who, signed.status_code, signed.text[:300])
            assert SESSION_COOKIE not in client.cookies, who
            browser = Browser(client, "")
        self.browsers[who] = browser
        return browser

    def console_post(self, who: str, path: str, data: dict[str, str]) -> httpx.Response:
        browser = self.browser(who)
        response: httpx.Response = browser.client.post(
            CONSOLE + path,
            data={"csrf_token": browser.csrf_token, **data},
            follow_redirects=False,
        )
        assert response.status_code < 500, response.text
        return response

    def console_path(self, slug: str) -> str:
        return f"/orgs/{self.org}/workspaces/{slug}/members"

    def expect_console(
        self,
        who: str,
        slug: str,
        response: httpx.Response,
        refused: tuple[int, str] | None,
        notice: str,
    ) -> bool:
        """Check the console's answer against the oracle's; whether the change happened."""
        where = f"{response.request.method} {response.request.url} as {who}"
        if not self.console_capable(who):
            # No session (anonymous, the key, the JWT user) or a dead one (removed): sent
            # to sign-in, whatever the rules would allow with a live credential.
            assert response.status_code == 303, (where, response.status_code, response.text)
            location = response.headers["location"]
            assert location.startswith(CONSOLE + "/sign-in"), (where, location)
            stats.add("authority model console steps sent to sign-in")
            return False
        if refused is None:
            assert response.status_code == 303, (
                f"{where}: expected the form to succeed, got {response.status_code} "
                f"{response.text[:300]}\nmodel: {self.model}"
            )
            expected = f"{CONSOLE}{self.console_path(slug)}?notice={notice}"
            assert response.headers["location"] == expected, (where, response.headers)
            stats.add("authority model console steps allowed")
            return True
        status, why = refused
        expected_status = CONSOLE_STATUS.get(status, status)
        assert response.status_code == expected_status, (
            f"{where}: expected {expected_status} ({why}), got {response.status_code} "
            f"{response.text[:300]}\nmodel: {self.model}"
        )
        if status == 400:
            assert "Make someone else an owner first" in response.text, where
        stats.add(f"authority model console steps refused {expected_status}")
        return False

    # -- rules --------------------------------------------------------------------------

    @rule(
        who=st.sampled_from(ACTORS),
        slug=st.sampled_from(SLUGS),
        subject=st.sampled_from(SUBJECTS),
        role=st.sampled_from(ROLES),
        via=st.sampled_from(["aip", "members", "console"]),
    )
    def grant(self, who: str, slug: str, subject: str, role: str, via: str) -> None:
        uid = self.user_id(subject)
        if via == "console":
            # The console adds by email; an empty slot's address belongs to nobody (rule 7:
            # `out`'s, an account elsewhere, must answer the same).
            person = self.people.get(subject)
            email = person.email if person is not None else f"nobody-{self.run}@nowhere.test"
            response = self.console_post(
                who, self.console_path(slug), {"email": email, "role": role}
            )
        elif via == "aip":
            response = self.call(
                who, "POST", self.ws_path(slug) + "/users", json={"user": uid, "role": role}
            )
        else:
            response = self.call(
                who,
                "POST",
                f"/v1/orgs/{self.org}/workspaces/{slug}/members",
                json={"user_id": uid, "role": role},
            )
        refused = self.refusal(who, slug, "members:add")
        if refused is None and not ROLE_PERMISSIONS[role] <= self.model.permissions(who, slug):
            refused = 403, "rule 3: grants more than the granter holds"
        if refused is None and not self.model.in_org(subject):
            refused = 404, "subject outside the organization"
        if refused is None and subject in self.model.workspaces[slug]:
            refused = 409, "already a member"
        if via == "console":
            if self.expect_console(who, slug, response, refused, "member-added"):
                self.model.workspaces[slug][subject] = role
        elif refused is None:
            self.expect(response, 201 if via == "members" else 200, "granted")
            self.model.workspaces[slug][subject] = role
        else:
            self.expect(response, *refused)

    @rule(
        who=st.sampled_from(ACTORS),
        slug=st.sampled_from(SLUGS),
        subject=st.sampled_from(SUBJECTS),
        role=st.sampled_from(ROLES),
        via=st.sampled_from(["aip", "console"]),
    )
    def change_role(self, who: str, slug: str, subject: str, role: str, via: str = "aip") -> None:
        if via == "console":
            response = self.console_post(
                who,
                self.console_path(slug) + f"/{self.user_id(subject)}/role",
                {"role": role},
            )
        else:
            response = self.call(
                who,
                "PATCH",
                self.ws_path(slug) + f"/users/{self.user_id(subject)}",
                json={"role": role},
            )
        members = self.model.workspaces[slug]
        refused = self.refusal(who, slug, "members:update")
        held = self.model.permissions(who, slug)
        if refused is None and not ROLE_PERMISSIONS[role] <= held:
            refused = 403, "rule 3: grants more than the granter holds"
        if refused is None and subject not in members:
            refused = 404, "not a member"
        if refused is None and not ROLE_PERMISSIONS[members[subject]] <= held:
            refused = 403, "rule 4: acts on a superior"
        if (
            refused is None
            and members[subject] == "owner"
            and role != "owner"
            and self.model.owners(slug) == 1
        ):
            refused = 400, "rule 9: the last owner stays"
        if via == "console":
            if self.expect_console(who, slug, response, refused, "role-changed"):
                members[subject] = role
        elif refused is None:
            self.expect(response, 200, "changed")
            members[subject] = role
        else:
            self.expect(response, *refused)

    @rule(
        who=st.sampled_from(ACTORS),
        slug=st.sampled_from(SLUGS),
        subject=st.sampled_from(SUBJECTS),
        via=st.sampled_from(["aip", "console"]),
    )
    def remove_member(self, who: str, slug: str, subject: str, via: str = "aip") -> None:
        uid = self.user_id(subject)
        if via == "console":
            response = self.console_post(who, self.console_path(slug) + f"/{uid}/remove", {})
        else:
            response = self.call(who, "DELETE", self.ws_path(slug) + f"/users/{uid}")
        members = self.model.workspaces[slug]
        refused = self.refusal(who, slug, "members:remove")
        if refused is None and subject not in members:
            refused = 404, "not a member"
        if refused is None and not ROLE_PERMISSIONS[members[subject]] <= self.model.permissions(
            who, slug
        ):
            refused = 403, "rule 4: acts on a superior"
        if refused is None and members[subject] == "owner" and self.model.owners(slug) == 1:
            refused = 400, "rule 9: the last owner stays"
        if via == "console":
            if self.expect_console(who, slug, response, refused, "member-removed"):
                del members[subject]
        elif refused is None:
            self.expect(response, 200, "removed")
            del members[subject]
        else:
            self.expect(response, *refused)

    @rule(who=st.sampled_from(ACTORS), slug=st.sampled_from(SLUGS), role=st.sampled_from(ROLES))
    def invite(self, who: str, slug: str, role: str) -> None:
        self.mails += 1
        email = f"invitee-{self.run}-{self.mails}@elsewhere.test"
        response = self.call(
            who, "POST", self.ws_path(slug) + "/invites", json={"email": email, "role": role}
        )
        refused = self.refusal(who, slug, "invites:create")
        if refused is None and not ROLE_PERMISSIONS[role] <= self.model.permissions(who, slug):
            refused = 403, "rule 3: invites to more than the sender holds"
        if refused is not None:
            self.expect(response, *refused)
            return
        self.expect(response, 200, "invited")
        assert "wsi_" not in response.text  # rule 2
        token = self.mailbox.invite_token(email)
        # A key's invitation is sent on its creator's authority (rule 5 follows the admin).
        sender = "adm" if who == KEY else who
        self.model.invitations.append(Invitation(sender, slug, role, email, token))

    @precondition(lambda self: any(g not in self.people for g in GUESTS))
    @rule(pick=st.integers(min_value=0, max_value=50))
    def accept_anonymously(self, pick: int) -> None:
        if not self.model.invitations:
            return
        invitation = self.model.invitations[pick % len(self.model.invitations)]
        response = self.client.post(
            "/api/v1/invites:accept",
            json={"invite_token": invitation.token, "display_name": "Guest"},
        )
        assert response.status_code < 500, response.text
        sender, slug = invitation.sender, invitation.slug
        if invitation.state == "ACCEPTED":
            # Its address now has a verified account: only its owner, signed in, may accept.
            self.expect(response, 401, "rule 1: the address's account must sign in")
            return
        valid = (
            invitation.state == "PENDING"
            and self.model.in_org(sender)
            and ROLE_PERMISSIONS[invitation.role] <= self.model.permissions(sender, slug)
        )
        if not valid:
            self.expect(response, 400, "rule 5: not pending, or its sender's authority ended")
            return
        self.expect(response, 200, "accepted")
        invitation.state = "ACCEPTED"
        guest = next(g for g in GUESTS if g not in self.people)
        body = response.json()
        self.people[guest] = Person(
            self.org,
            self.people["root"].org_id,
            body["user"]["user_id"],
            invitation.email,
            body["token"],
            "member",
        )
        self.model.org_role[guest] = "member"
        self.model.workspaces[slug][guest] = invitation.role

    @precondition(lambda self: self.model.invitations)
    @rule(pick=st.integers(min_value=0, max_value=50), demote_to=st.sampled_from(["viewer", ""]))
    def cut_a_senders_authority(self, pick: int, demote_to: str) -> None:
        """The organization owner demotes (or removes) the sender of an invitation in its
        workspace: the step that makes rule 5 matter, which random steps rarely line up."""
        invitation = self.model.invitations[pick % len(self.model.invitations)]
        if invitation.sender not in self.model.workspaces[invitation.slug]:
            return
        if demote_to:
            self.change_role("root", invitation.slug, invitation.sender, demote_to)
        else:
            self.remove_member("root", invitation.slug, invitation.sender)

    @rule(
        slug=st.sampled_from(SLUGS),
        action=st.sampled_from(["grant", "change_role", "remove_member"]),
        role=st.sampled_from(ROLES),
        pick=st.integers(min_value=0, max_value=50),
    )
    def console_by_a_holder(self, slug: str, action: str, role: str, pick: int) -> None:
        """Someone who holds the form's permission in the workspace uses it in the console,
        on a member of the organization (not yet in the workspace for a grant, in it
        otherwise): the console's allowed path, which random steps rarely line up. Rules
        3, 4 and 9 may still refuse it."""
        permission = {
            "grant": "members:add",
            "change_role": "members:update",
            "remove_member": "members:remove",
        }[action]
        holders = [
            who
            for who in self.people
            if self.console_capable(who)
            and self.model.in_org(who)
            and permission in self.model.permissions(who, slug)
        ]
        members = self.model.workspaces[slug]
        subjects = [
            subject
            for subject in SUBJECTS
            if self.model.in_org(subject) and (subject in members) != (action == "grant")
        ]
        if not holders or not subjects:
            return
        who = holders[pick % len(holders)]
        subject = subjects[pick // len(holders) % len(subjects)]
        if action == "grant":
            self.grant(who, slug, subject, role, "console")
        elif action == "change_role":
            self.change_role(who, slug, subject, role, "console")
        else:
            self.remove_member(who, slug, subject, "console")

    @rule()
    def toggle_the_admin(self) -> None:
        """The organization owner demotes the admin to member, or makes them admin again:
        an admin's owner-level access to every workspace comes and goes with it."""
        current = self.model.org_role.get("adm")
        role = "member" if current == "admin" else "admin"
        response = self.call(
            "root",
            "PATCH",
            f"/api/v1/organizations/{self.org}/users/{self.user_id('adm')}",
            json={"org_role": role},
        )
        if current is None:
            self.expect(response, 404, "removed from the organization")
            return
        if current == "owner" and self.model.org_role["root"] != "owner":
            self.expect(response, 403, "rule 4: admins cannot touch owners")
            return
        self.expect(response, 200, "organization role changed")
        self.model.org_role["adm"] = role
        self.model.creator_changed()

    @rule(who=st.sampled_from(ACTORS), subject=st.sampled_from(["root", *SUBJECTS]))
    def transfer_ownership(self, who: str, subject: str) -> None:
        """An owner hands the organization to another member and becomes an admin."""
        response = self.call(
            who,
            "POST",
            f"/api/v1/organizations/{self.org}:transferOwnership",
            json={"user": self.user_id(subject)},
        )
        refused: tuple[int, str] | None = None
        if self.dead(who):
            refused = 401, "no live credential"
        elif not self.model.in_org(who):
            refused = 404, "outside the organization"
        elif self.model.acting_org_role(who) != "owner":
            refused = 403, "rules 3 and 4: only an owner makes an owner (never a key)"
        elif not self.model.in_org(subject) or subject == who:
            refused = 400, "to another member of the organization only"
        if refused is not None:
            self.expect(response, *refused)
            return
        self.expect(response, 200, "ownership transferred")
        self.model.org_role[subject] = "owner"
        self.model.org_role[who] = "admin"
        self.model.creator_changed()

    @rule(who=st.sampled_from(ACTORS), subject=st.sampled_from(SUBJECTS))
    def remove_from_organization(self, who: str, subject: str) -> None:
        if self.console_capable(subject):
            self.browser(subject)  # a console session open at the removal must die with it
        response = self.call(
            who, "DELETE", f"/api/v1/organizations/{self.org}/users/{self.user_id(subject)}"
        )
        refused: tuple[int, str] | None = None
        if self.dead(who):
            refused = 401, "no live credential"
        elif not self.model.in_org(who):
            refused = 404, "outside the organization"
        elif not self.model.is_org_admin(who):
            refused = 403, "not an organization admin"
        elif not self.model.in_org(subject):
            refused = 404, "not in the organization"
        elif self.model.org_role[subject] == "owner" and self.model.acting_org_role(who) != "owner":
            refused = 403, "rule 4: admins cannot touch owners"
        elif (
            self.model.org_role[subject] == "owner"
            and list(self.model.org_role.values()).count("owner") == 1
        ):
            refused = 400, "rule 9: the organization keeps an owner"
        elif self.model.sole_owner_somewhere(subject):
            refused = 400, "rule 9: sole owner of a live workspace"
        if refused is not None:
            self.expect(response, *refused)
            return
        self.expect(response, 200, "removed from the organization")
        del self.model.org_role[subject]
        self.removed.add(subject)
        for members in self.model.workspaces.values():
            members.pop(subject, None)
        for invitation in self.model.invitations:
            if invitation.sender == subject and invitation.state == "PENDING":
                invitation.state = "REVOKED"
        self.model.creator_changed()

    # -- checks after every step ---------------------------------------------------------

    @invariant()
    def memberships_are_what_the_rules_allow(self) -> None:
        for slug, members in self.model.workspaces.items():
            assert self.model.owners(slug) >= 1, slug  # rule 9, in the model itself
            listed = self.client.get(
                self.ws_path(slug) + "/users",
                headers=self.checker.headers,
                params={"page_size": 100},
            )
            assert listed.status_code == 200, listed.text
            explicit = {
                u["user_id"]: u["role_id"]
                for u in listed.json()["users"]
                if u["role_scope"] == "workspace"
            }
            assert explicit == {self.user_id(m): r for m, r in members.items()}, (slug, members)

    @invariant()
    def invitations_read_as_their_senders_authority_allows(self) -> None:
        """Rule 5, visible: an invitation its sender can no longer grant reads REVOKED
        from the step that shrank the sender's authority on (a later regrant does not
        revive it)."""
        for invitation in self.model.invitations:
            lapsed = not (
                self.model.in_org(invitation.sender)
                and ROLE_PERMISSIONS[invitation.role]
                <= self.model.permissions(invitation.sender, invitation.slug)
            )
            if invitation.state == "PENDING" and lapsed:
                invitation.state = "REVOKED"
        for slug in SLUGS:
            listed = self.client.get(
                self.ws_path(slug) + "/invites",
                headers=self.checker.headers,
                params={"page_size": 1000},
            )
            assert listed.status_code == 200, listed.text
            read = {i["email"]: i["state"] for i in listed.json()["invites"]}
            expected = {i.email: i.state for i in self.model.invitations if i.slug == slug}
            assert read == expected, slug

    @invariant()
    def credentials_work_exactly_for_those_still_in(self) -> None:
        for who in self.removed - JWT_USERS:
            response = self.call(who, "GET", "/api/v1/me")  # call() sends their old token
            self.expect(response, 401, "removed: every credential stops (rule 6)")
        for who in self.removed & JWT_USERS:
            me = self.call(who, "GET", "/api/v1/me").json()
            assert f"organizations/{self.org}" not in [o["name"] for o in me["organizations"]]
        for who in self.removed & set(self.browsers):
            page = self.browsers[who].client.get(
                CONSOLE + self.console_path("w1"), follow_redirects=False
            )
            assert page.status_code == 303, (who, page.status_code, page.text[:300])
            assert page.headers["location"].startswith(CONSOLE + "/sign-in"), who
        probe = self.call(KEY, "GET", f"/api/v1/organizations/{self.org}/workspaces")
        self.expect(probe, 200 if self.model.key_live else 401, "rule 5: the key and its creator")


def test_authority_model(database: Database, mailbox: Mailbox) -> None:
    app = create_app(
        database, mail=MailSettings(smtp_url=mailbox.url), identity=jwt_support.verifier()
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        _run(client, database, mailbox)


def _run(client: TestClient, database: Database, mailbox: Mailbox) -> None:
    Authority.client = client
    Authority.database = database
    Authority.mailbox = mailbox
    run_state_machine_as_test(
        Authority,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    stats.STATS["authority model examples requested"] = EXAMPLES
