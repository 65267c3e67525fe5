"""Response shapes of seed 003, for the OpenAPI document (responses are built as dicts)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

BUILT_IN_ROLES = ["owner", "editor", "viewer"]


class Links(BaseModel):
    # Omitted (never null) on the last page, hence no `null` in the schema.
    next: str | SkipJsonSchema[None] = Field(
        default=None,
        description="Path and query of the next page; absent when there are no more results.",
        examples=[
            "/workspace/admin/orgs/{org_id}/workspaces/{workspace_id}/users"
            "?limit=100&cursor=eyJx..."
        ],
    )


class WorkspaceUser(BaseModel):
    # Always sent, null when unknown.
    email: str | None
    full_name: str | None
    # A string, not an enum: an organization's custom roles appear by their role_id, and an
    # enum would make generated clients reject them.
    role: str = Field(
        description="The member's workspace role: `owner`, `editor` or `viewer`, or the "
        "role_id of one of the organization's custom roles.",
        examples=BUILT_IN_ROLES,
    )
    user_id: uuid.UUID


class WorkspaceUserList(BaseModel):
    links: Links
    results: list[WorkspaceUser]
