"""Request bodies and documented response shapes of the aip dialect."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AipInput(BaseModel):
    """Every aip request body. Output-only fields (name, uid, create_time, ...) may be
    echoed back by clients and are ignored. JSON types are strict (SPEC §5): `"yes"` is
    not a boolean and `5` is not a string, as in the protobuf JSON mapping aip follows."""

    model_config = ConfigDict(extra="ignore", str_max_length=10_000, strict=True)


class OrganizationIn(AipInput):
    display_name: str = Field(min_length=1, max_length=200)


class OrganizationPatch(AipInput):
    display_name: str | None = Field(default=None, max_length=200)


class TransferOwnershipIn(AipInput):
    user: str = Field(
        min_length=1,
        max_length=320,
        description="The member (user id or email) who becomes an owner; the caller "
        "becomes an admin",
    )


class WorkspaceIn(AipInput):
    title: str = Field(max_length=200)
    workspace_icon: str | None = Field(default=None, max_length=200)
    workspace_icon_color: str | None = Field(default=None, max_length=50)


class WorkspacePatch(AipInput):
    title: str | None = Field(default=None, max_length=200)
    workspace_icon: str | None = Field(default=None, max_length=200)
    workspace_icon_color: str | None = Field(default=None, max_length=50)
    etag: str | None = Field(default=None, max_length=100)


class PreferencesPatch(AipInput):
    support_team_access: bool | None = None


class AddUserIn(AipInput):
    user: str = Field(min_length=1, max_length=320, description="User id (UUID) or email")
    role: str = Field(
        min_length=1,
        max_length=200,
        description="Role id or display name, e.g. `viewer` or `Workspace Viewer`",
    )


class ChangeRoleIn(AipInput):
    role: str = Field(min_length=1, max_length=200)


class CountUsersIn(AipInput):
    workspace_ids: list[str] = Field(max_length=1000)


class Organization(BaseModel):
    name: str
    uid: str
    display_name: str
    create_time: str
    update_time: str


class CreatedOrganization(Organization):
    token: str | None = Field(
        default=None,
        description="Only when the caller signed in with a personal access token (which "
        "acts only in its home organization): a new one at home in this organization, "
        "shown once",
    )


class OrganizationList(BaseModel):
    organizations: list[Organization]
    next_page_token: str


class Workspace(BaseModel):
    name: str
    uid: str
    title: str
    workspace_icon: str | None = None
    workspace_icon_color: str | None = None
    create_time: str
    update_time: str
    delete_time: str | None = None
    purge_time: str | None = None
    etag: str
    creator_display_name: str | None = None
    creator_email: str | None = None
    role: str | None = Field(
        default=None,
        description="GET only: the caller's explicit role on it (null: access through the "
        "organization role)",
    )
    permissions: list[str] | None = Field(
        default=None, description="GET only: every permission the caller holds on it"
    )


class WorkspaceList(BaseModel):
    workspaces: list[Workspace]
    next_page_token: str


class WorkspaceUser(BaseModel):
    name: str
    user_id: str
    display_name: str
    email: str
    role: str
    role_id: str
    role_scope: str
    create_time: str
    update_time: str


class WorkspaceUserList(BaseModel):
    users: list[WorkspaceUser]
    next_page_token: str


class Role(BaseModel):
    name: str
    role_id: str
    display_name: str
    description: str
    scope: str
    permissions: list[str]
    built_in: bool


class RoleList(BaseModel):
    roles: list[Role]
    next_page_token: str


class Preferences(BaseModel):
    name: str
    support_team_access: bool


class CountUsersOut(BaseModel):
    counts: dict[str, int]


class MeOrganization(BaseModel):
    organization_id: str
    name: str
    display_name: str
    org_role: str


class Me(BaseModel):
    user_id: str
    email: str
    username: str
    display_name: str
    organizations: list[MeOrganization]


class Empty(BaseModel):
    pass


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")


class Status(BaseModel):
    code: int
    status: str
    message: str
    details: list[ErrorDetail]


class ErrorResponse(BaseModel):
    error: Status


class OrgUserIn(AipInput):
    email: str = Field(min_length=3, max_length=320)
    org_role: str = Field(default="member", max_length=20, description="owner, admin or member")
    display_name: str | None = Field(default=None, max_length=200)


class OrgUserPatch(AipInput):
    org_role: str = Field(max_length=20, description="owner, admin or member")


class OrgUser(BaseModel):
    name: str
    user_id: str
    email: str
    username: str
    display_name: str
    org_role: str
    create_time: str
    update_time: str


class OrgUserList(BaseModel):
    users: list[OrgUser]
    next_page_token: str


class RoleIn(AipInput):
    role_id: str = Field(min_length=1, max_length=63)
    display_name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    permissions: list[str] = Field(max_length=100)


class RolePatch(AipInput):
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    permissions: list[str] | None = Field(default=None, max_length=100)


class AuditEvent(BaseModel):
    name: str
    event_id: str
    time: str
    actor: dict[str, str | None]
    action: str
    resource: str
    organization: str
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


class AuditEventList(BaseModel):
    audit_events: list[AuditEvent]
    next_page_token: str
