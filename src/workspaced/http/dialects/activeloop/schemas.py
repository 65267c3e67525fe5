"""The seed's models, under the seed's names and titles: FastAPI derives the dialect's
OpenAPI components from them, so a renamed field or class shows up as a schema diff."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workspaced.kit.ids import SLUG_PATTERN, WORKSPACE_SLUG_MAX

Access = Literal["writer", "viewer"]


def _without_defaults(schema: dict[str, Any]) -> None:
    # The seed documents optional response fields without a `default`; pydantic would
    # add `"default": null`, which says nothing a client can use.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class WorkspaceCreateRequest(BaseModel):
    id: str = Field(min_length=1, max_length=WORKSPACE_SLUG_MAX, pattern=SLUG_PATTERN)
    name: str


class WorkspaceObject(BaseModel):
    model_config = ConfigDict(json_schema_extra=_without_defaults)

    id: str
    name: str
    creator_user_id: str | None = None
    org_id: str
    created_at: datetime | None = None


class WorkspaceList(BaseModel):
    data: list[WorkspaceObject]


class WorkspaceAddUserRequest(BaseModel):
    user: str
    access: Access


class WorkspaceUpdateUserRequest(BaseModel):
    user: str
    access: Access


class WorkspaceUser(BaseModel):
    user_id: str
    access: Literal["writer", "viewer", "owner"]
    created_at: datetime


class WorkspaceUserList(BaseModel):
    data: list[WorkspaceUser]
