"""Request bodies and documented response shapes of the aip invitation routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workspaced.http.dialects.aip.schemas import AipInput


class InviteIn(AipInput):
    email: str = Field(min_length=3, max_length=320, description="The invitee's email address")
    role: str = Field(
        min_length=1,
        max_length=200,
        description="Role id or display name, e.g. `viewer` or `Workspace Viewer`",
    )
    ttl: str | None = Field(
        default=None,
        max_length=32,
        description="How long the invite stays valid, as a JSON google.protobuf.Duration: "
        'seconds with an `s` suffix, e.g. `"86400s"`. Default `"604800s"` (7 days), '
        'at most `"2592000s"` (30 days).',
        examples=["86400s"],
    )


class AcceptInviteIn(AipInput):
    invite_token: str | None = Field(
        default=None, max_length=200, description="The `wsi_...` token from the invitation email"
    )
    display_name: str | None = Field(
        default=None,
        max_length=200,
        description="Only without an Authorization header: the name of the new account "
        "created for an invitee who has none",
    )


class Invite(BaseModel):
    name: str
    invite_id: str
    email: str
    role: str
    role_id: str
    state: str = Field(description="PENDING, ACCEPTED, REVOKED or EXPIRED")
    inviter: str | None = Field(description="User id of whoever created the invite")
    create_time: str
    expire_time: str
    accept_time: str | None = None


class InviteList(BaseModel):
    invites: list[Invite]
    next_page_token: str


class InviteUser(BaseModel):
    user_id: str
    email: str
    username: str
    display_name: str


class InviteAcceptance(BaseModel):
    invite: Invite
    user: InviteUser
    token: str | None = Field(
        default=None,
        description="Only for an invitee who accepted without an account: the new account's "
        "first personal access token (shown only once)",
    )
