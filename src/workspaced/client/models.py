"""Typed views of the aip dialect's resources.

Every model is a frozen pydantic model that ignores fields it does not know, so a newer
server adding fields never breaks an older SDK. Timestamps are timezone-aware datetimes;
lists are tuples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Model(BaseModel):
    """Base of every resource model: immutable, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _last_segment(name: str) -> str:
    return name.rsplit("/", 1)[-1]


class Organization(Model):
    name: str  # organizations/{slug}
    uid: str
    display_name: str
    create_time: datetime
    update_time: datetime

    @property
    def organization_id(self) -> str:
        """The slug, as used in paths (`client.workspaces.list(org.organization_id)`)."""
        return _last_segment(self.name)


class CreatedOrganization(Organization):
    token: str | None = None
    """Only when the creator signed in with a personal access token: a new token at home
    in the new organization (shown once)."""


class Workspace(Model):
    name: str  # organizations/{org}/workspaces/{slug}
    uid: str
    title: str
    workspace_icon: str | None = None
    workspace_icon_color: str | None = None
    create_time: datetime
    update_time: datetime
    delete_time: datetime | None = None
    purge_time: datetime | None = None
    etag: str
    creator_display_name: str | None = None
    creator_email: str | None = None
    role: str | None = None
    """GET only: the caller's explicit role id on it (None: access through the
    organization role, or a list response)."""
    permissions: tuple[str, ...] | None = None
    """GET only: every permission the caller holds on it (None in list responses)."""

    @property
    def workspace_id(self) -> str:
        """The slug, as used in paths."""
        return _last_segment(self.name)

    @property
    def organization_id(self) -> str:
        return self.name.split("/")[1]

    @property
    def deleted(self) -> bool:
        return self.delete_time is not None


class Member(Model):
    """A user of a workspace (`.../workspaces/{ws}/users/{user_id}`)."""

    name: str
    user_id: str
    display_name: str
    email: str
    role: str  # the role's display name, e.g. "Workspace Viewer"
    role_id: str  # e.g. "viewer"
    role_scope: str  # "workspace" (explicit member) or "organization" (owners/admins)
    create_time: datetime
    update_time: datetime


class OrganizationUser(Model):
    name: str  # organizations/{org}/users/{user_id}
    user_id: str
    email: str
    username: str
    display_name: str
    org_role: str  # owner, admin or member
    create_time: datetime
    update_time: datetime


class Role(Model):
    name: str  # organizations/{org}/roles/{role_id}
    role_id: str
    display_name: str
    description: str
    scope: str
    permissions: tuple[str, ...]
    built_in: bool


class Preferences(Model):
    name: str
    support_team_access: bool


class Invite(Model):
    name: str
    invite_id: str
    email: str
    role: str  # display name
    role_id: str
    state: str  # PENDING, ACCEPTED, REVOKED or EXPIRED
    inviter: str | None = None  # user id
    create_time: datetime
    expire_time: datetime
    accept_time: datetime | None = None


class InviteUser(Model):
    user_id: str
    email: str
    username: str
    display_name: str


class InviteAcceptance(Model):
    invite: Invite
    user: InviteUser
    token: str | None = None
    """Only for an invitee who accepted without an account: the new account's first
    personal access token (shown once)."""


class Token(Model):
    """A personal access token (never its secret)."""

    name: str  # users/{user_id}/tokens/{token_id}
    token_id: str
    display_name: str
    organization: str  # organizations/{slug}: its home
    create_time: datetime
    expire_time: datetime | None = None
    last_used_time: datetime | None = None


class CreatedToken(Token):
    token: str
    """The secret (`wsd_...`), shown only in this response."""


class ApiKey(Model):
    name: str  # organizations/{slug}/apiKeys/{key_id}
    key_id: str
    display_name: str
    permissions: tuple[str, ...]
    creator: str  # users/{user_id}
    create_time: datetime
    expire_time: datetime | None = None
    last_used_time: datetime | None = None


class CreatedApiKey(ApiKey):
    key: str
    """The secret (`wsk_...`), shown only in this response."""


class Webhook(Model):
    name: str  # organizations/{slug}/webhooks/{webhook_id}
    webhook_id: str
    url: str
    event_types: tuple[str, ...]  # () = every event type
    description: str
    disabled: bool
    create_time: datetime
    update_time: datetime


class WebhookWithSecret(Webhook):
    secret: str
    """The signing secret (`whsec_...`), shown only in this response."""


class Delivery(Model):
    name: str
    delivery_id: str
    event_id: str  # the `webhook-id` of every attempt
    event_type: str
    state: str  # PENDING or DELIVERED
    attempts: int
    next_attempt_time: datetime | None = None
    last_attempt_time: datetime | None = None
    response_status: int | None = None
    response_body: str | None = None
    last_error: str | None = None
    delivered_time: datetime | None = None
    create_time: datetime


class EventActor(Model):
    type: str  # user, api_key or operator
    id: str | None = None


class EventData(Model):
    organization_id: str = ""
    resource: str = ""
    actor: EventActor | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class Event(Model):
    """An event, from the feed or from a verified webhook delivery."""

    id: str  # evt_...: the `webhook-id` of its deliveries; deduplicate on it
    type: str
    timestamp: datetime
    data: EventData
    cursor: str | None = None
    """Feed items only: pass it as `after` to continue after this event."""


class EventPage(Model):
    events: tuple[Event, ...]
    next_cursor: str
    """`after` for the next poll (the one given when nothing new has committed)."""


class AuditActor(Model):
    user_id: str | None = None
    token_id: str | None = None
    api_key: str | None = None


class AuditEvent(Model):
    name: str
    event_id: str
    time: datetime
    actor: AuditActor
    action: str
    resource: str
    organization: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


class MeOrganization(Model):
    organization_id: str  # the uid
    name: str  # organizations/{slug}
    display_name: str
    org_role: str


class Me(Model):
    user_id: str
    email: str
    username: str
    display_name: str
    organizations: tuple[MeOrganization, ...]


class AccessCheck(NamedTuple):
    """One question for `permissions.check`: may `user` (id or email) do `permission` on
    `workspace` (slug or uid)? A plain `(user, workspace, permission)` tuple works too."""

    user: str
    workspace: str
    permission: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and the token of the next page ("" on the last)."""

    items: tuple[T, ...]
    next_page_token: str

    @property
    def has_next(self) -> bool:
        return bool(self.next_page_token)
