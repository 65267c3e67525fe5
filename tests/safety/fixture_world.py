"""A realistic world for the safety tests: two organizations, one workspace W in the first,
people with every relationship to W, and tokens in every state a caller can hold.

Everything is created through the domain (as the CLI and the services do); only token
states that have no API yet (revoked, expired) and an invite row are written directly.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import inspect, select, text, update

from tests import jwt_support
from tests.support import Person, World, issue_api_key
from workspaced.auth import service as auth
from workspaced.auth import token_format
from workspaced.authz.access import Principal
from workspaced.authz.catalog import API_KEY_PERMISSIONS, VIEWER_PERMISSIONS
from workspaced.event import webhooks
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.membership import service as memberships
from workspaced.models import Event, Invite, PersonalAccessToken, Role, WebhookDelivery
from workspaced.organization import users as org_users
from workspaced.workspace import service as workspaces

ORG_A = "acme"
ORG_B = "globex"
W_SLUG = "apollo"
# A title nobody else uses: if it shows up in a response to someone who cannot see W,
# W has leaked.
W_TITLE = "Apollo Secret 7f3a"
MISSING_SLUG = "no-such-ws"
MISSING_ORG_SLUG = "no-such-org"
CUSTOM_ROLE = "auditor"


def principal(person: Person) -> Principal:
    return Principal(uuid.UUID(person.user_id), None, uuid.UUID(person.org_id), person.email)


def bad_checksum(token: str) -> str:
    """The same token with its last checksum character changed: well-shaped, wrong sum."""
    last = token[-1]
    replacement = next(c for c in token_format.ALPHABET if c != last)
    return token[:-1] + replacement


@dataclass
class SafetyWorld:
    database: Database
    org_owner: Person  # owner of organization A (owner-level access to every workspace)
    ws_owner: Person  # organization member who created W, so its explicit owner
    editor: Person  # editor of W: the target of member changes and removals
    viewer: Person  # viewer of W
    outsider: Person  # member of organization A with no access to W
    other: Person  # owner of organization B
    w_id: str
    b_workspace_id: str
    revoked_token: str
    expired_token: str
    spare_token_id: str  # a live token of ws_owner, for routes that name a token
    invite_id: str  # a pending invite of W, for routes that name an invite
    spare_key_id: str  # a live API key of A, for routes that name a key
    viewer_key: str  # an API key of A holding a viewer's permissions only
    other_key: str  # an API key of B holding every permission a key can
    lapsed_key: str  # an API key of A whose creator is no longer an admin (rule 5)
    webhook_id: str  # a webhook endpoint of A, for routes that name one
    delivery_id: str  # one of its deliveries

    @property
    def org_a_id(self) -> str:
        return self.ws_owner.org_id

    @property
    def org_b_id(self) -> str:
        return self.other.org_id


def _issue(database: Database, person: Person, **kwargs: object) -> tuple[str, str]:
    with database.write() as session:
        row, secret = auth.issue_token(
            session,
            user_id=uuid.UUID(person.user_id),
            org_id=uuid.UUID(person.org_id),
            display_name="safety",
            **kwargs,  # type: ignore[arg-type]
        )
        return str(row.id), secret


def build_world(database: Database) -> SafetyWorld:
    people = World(database)
    org_owner = people.person(ORG_A, name="Olga Owner")
    ws_owner = people.person(ORG_A, org_role="member", name="Wanda Creator")
    editor = people.person(ORG_A, org_role="member", name="Eddie Editor")
    viewer = people.person(ORG_A, org_role="member", name="Vera Viewer")
    outsider = people.person(ORG_A, org_role="member", name="Otto Outsider")
    other = people.person(ORG_B, name="Boris Other")
    with database.write() as session:  # an endpoint of A, so W's creation has a delivery
        hook, _ = webhooks.create(
            session,
            principal(org_owner),
            ORG_A,
            url="http://127.0.0.1:9/hook",
            event_types=[],
            allow_private=True,
        )
    with database.write() as session:
        view = workspaces.create(session, principal(ws_owner), ORG_A, title=W_TITLE, slug=W_SLUG)
        for person, role in ((editor, "editor"), (viewer, "viewer")):
            memberships.add(
                session, principal(ws_owner), ORG_A, W_SLUG, user_ref=person.user_id, role=role
            )
        b_view = workspaces.create(session, principal(other), ORG_B, title="Globex Home")
    revoked_id, revoked = _issue(database, ws_owner)
    _, expired = _issue(database, ws_owner, expire_time=clock.now() - timedelta(minutes=1))
    spare_id, _ = _issue(database, ws_owner)
    with database.write() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == uuid.UUID(revoked_id))
            .values(revoke_time=clock.now())
        )
        invite = Invite(
            org_id=uuid.UUID(ws_owner.org_id),
            id=uuid.uuid4(),
            workspace_id=view.uid,
            email="invitee@example.com",
            email_normalized="invitee@example.com",
            role_id="viewer",
            state="PENDING",
            inviter_id=uuid.UUID(ws_owner.user_id),
            token_sha256=hashlib.sha256(secrets.token_bytes(32)).digest(),
            create_time=clock.now(),
            expire_time=clock.now() + timedelta(days=7),
        )
        session.add(invite)
        invite_id = str(invite.id)
        # A custom role nobody holds, for routes that name a role.
        session.add(
            Role(
                pk=uuid.uuid4(),
                org_id=uuid.UUID(ws_owner.org_id),
                role_id=CUSTOM_ROLE,
                display_name="Auditor",
                description="Reads workspaces",
                scope="workspace",
                permissions=["workspaces:get"],
                built_in=False,
                create_time=clock.now(),
                update_time=clock.now(),
            )
        )
    jwt_support.sign_in(database, other.email)  # B's owner also signs in with a JWT
    admin = people.person(ORG_A, org_role="admin", name="Ada Admin")
    spare_key_id, _ = issue_api_key(database, org_owner, ["workspaces:get"], "spare")
    _, viewer_key = issue_api_key(database, org_owner, VIEWER_PERMISSIONS, "viewer")
    _, other_key = issue_api_key(database, other, API_KEY_PERMISSIONS, "other")
    _, lapsed_key = issue_api_key(database, admin, API_KEY_PERMISSIONS, "lapsed")
    with database.write() as session:  # demoted through the domain: the key is revoked
        org_users.update_user(
            session, principal(org_owner), ORG_A, admin.user_id, org_role="member"
        )
    with database.write() as session:  # W's creation, as the delivery worker logs an attempt
        event = session.scalars(
            select(Event)
            .where(Event.org_id == hook.endpoint.org_id, Event.type == "workspace.created")
            .order_by(Event.id)
            .limit(1)
        ).one()
        delivery_id = uuid.uuid4()
        session.add(
            WebhookDelivery(
                org_id=event.org_id,
                id=delivery_id,
                endpoint_id=hook.endpoint.id,
                event_pk=event.id,
                state="PENDING",
                attempts=1,
                next_attempt_time=clock.now() + timedelta(hours=1),
                create_time=clock.now(),
            )
        )
    return SafetyWorld(
        database,
        org_owner,
        ws_owner,
        editor,
        viewer,
        outsider,
        other,
        str(view.uid),
        str(b_view.uid),
        revoked,
        expired,
        spare_id,
        invite_id,
        spare_key_id,
        viewer_key,
        other_key,
        lapsed_key,
        str(hook.endpoint.id),
        str(delivery_id),
    )


def row_counts(database: Database) -> dict[str, int]:
    """Rows in every table of the schema (whatever tables later migrations add)."""
    with database.engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        return {
            name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in names
        }
