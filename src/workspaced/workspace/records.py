"""The organization and workspace a request resolved to, as plain values.

Every workspace-scoped request resolves both first. Loading them as ORM entities cost
about a fifth of a member-list request (identity map, instance state, attribute
instrumentation) for objects nobody modifies: changes go through UPDATE statements keyed
by id. So the resolution hands out these frozen records instead, from one Core query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workspaced.models import Organization, Workspace


class Named(Protocol):
    """Anything with an id and a slug: a record or an ORM entity."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def slug(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: uuid.UUID
    slug: str
    display_name: str
    create_time: datetime
    update_time: datetime

    @classmethod
    def of(cls, organization: Organization) -> OrganizationRecord:
        return cls(*(getattr(organization, name) for name in ORGANIZATION_FIELDS))


@dataclass(frozen=True, slots=True)
class WorkspaceRecord:
    org_id: uuid.UUID
    id: uuid.UUID
    slug: str
    title: str
    icon: str | None
    icon_color: str | None
    creator_id: uuid.UUID | None
    create_time: datetime
    update_time: datetime
    delete_time: datetime | None
    purge_time: datetime | None
    etag: str
    member_count: int

    @classmethod
    def of(cls, workspace: Workspace) -> WorkspaceRecord:
        return cls(*(getattr(workspace, name) for name in WORKSPACE_FIELDS))


@dataclass(frozen=True, slots=True)
class CreatorRecord:
    """The name and email of a workspace's creator (None where the user is gone)."""

    display_name: str | None
    email: str | None


# Field order of the records, which is also the column order of the queries that fill them.
ORGANIZATION_FIELDS = tuple(OrganizationRecord.__dataclass_fields__)
WORKSPACE_FIELDS = tuple(WorkspaceRecord.__dataclass_fields__)
