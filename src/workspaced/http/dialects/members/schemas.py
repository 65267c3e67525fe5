"""Request bodies and documented response shapes of the members dialect."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_ROLE = "viewer"
ROLE_MAX = 64  # the width of role_id columns: anything longer cannot name a role
ROLE_HELP = "Role id: `owner`, `editor`, `viewer` or a custom role id of the organization"


class _In(BaseModel):
    # Unknown fields are ignored (clients may echo a whole Member back), but every string
    # is bounded so no body can make us carry megabytes through validation.
    model_config = ConfigDict(extra="ignore", str_max_length=10_000)


class AddMemberRequest(_In):
    user_id: uuid.UUID = Field(description="User ID (UUID) of an organization member")
    role: str | None = Field(
        default=DEFAULT_ROLE,
        min_length=1,
        max_length=ROLE_MAX,
        description=f"{ROLE_HELP}; defaults to `{DEFAULT_ROLE}`",
    )


class UpdateMemberRoleRequest(_In):
    role: str = Field(min_length=1, max_length=ROLE_MAX, description=ROLE_HELP)


class Member(BaseModel):
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: str = Field(description=ROLE_HELP)
    username: str
    email: str
    full_name: str = Field(description="The user's display name")
    avatar_url: str | None
    added_by: uuid.UUID | None = Field(description="User ID of whoever added the member")
    created_at: datetime
    updated_at: datetime


class MemberList(BaseModel):
    members: list[Member]
    total: int = Field(description="Number of explicit members of the workspace")


class ErrorResponse(BaseModel):
    error: str = Field(
        description="AUTHENTICATION_FAILED, FORBIDDEN, RESOURCE_NOT_FOUND, "
        "CONFLICT, METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE or "
        "INTERNAL_SERVER_ERROR"
    )
    message: str
    details: dict[str, Any]
    timestamp: str = Field(description="UTC, e.g. 2025-01-01T00:00:00.000000")
    status_code: int
