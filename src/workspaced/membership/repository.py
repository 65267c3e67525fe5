"""SQL for workspace memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Subquery, Uuid, cast, delete, exists, func, literal, null, select
from sqlalchemy.orm import Session

from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES, OWNER_ROLE_ID
from workspaced.kit.tenancy import in_org
from workspaced.models import OrganizationMembership, User, WorkspaceMembership

WM = WorkspaceMembership
OM = OrganizationMembership


def get(
    session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> WorkspaceMembership | None:
    query = in_org(select(WM), WM, org_id).where(
        WM.workspace_id == workspace_id, WM.user_id == user_id
    )
    return session.scalars(query).one_or_none()


def count_owners(session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID) -> int:
    query = in_org(select(func.count()), WM, org_id).where(
        WM.workspace_id == workspace_id, WM.role_id == OWNER_ROLE_ID
    )
    return session.scalar(query) or 0


def remove(session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, user_id: uuid.UUID) -> int:
    result = session.execute(
        in_org(delete(WM), WM, org_id).where(WM.workspace_id == workspace_id, WM.user_id == user_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _user_columns() -> list[Any]:
    return [
        User.username.label("username"),
        User.display_name.label("display_name"),
        User.email.label("email"),
        User.avatar_url.label("avatar_url"),
    ]


# Building these subqueries (and SQLAlchemy's lazily computed column collections and cache
# keys on them) cost more than running them: a listing builds several statements on top of
# them per request. They are immutable SQL constructs holding only the two ids as bound
# values, so one instance per workspace is shared; this caches SQL text, never rows or any
# authorization decision.
_SUBQUERY_CACHE = 4096


@lru_cache(maxsize=_SUBQUERY_CACHE)
def explicit_members(org_id: uuid.UUID, workspace_id: uuid.UUID) -> Subquery:
    """Explicit members of a workspace, as rows of the common member shape."""
    return (
        in_org(
            select(
                WM.user_id.label("user_id"),
                *_user_columns(),
                WM.role_id.label("role_id"),
                literal("workspace").label("role_scope"),
                WM.added_by.label("added_by"),
                WM.create_time.label("created_time"),
                WM.update_time.label("updated_time"),
            ).join(User, User.id == WM.user_id),
            WM,
            org_id,
        )
        .where(WM.workspace_id == workspace_id)
        .subquery("explicit_members")
    )


@lru_cache(maxsize=_SUBQUERY_CACHE)
def organization_scoped_members(org_id: uuid.UUID, workspace_id: uuid.UUID) -> Subquery:
    """Organization owners/admins who reach the workspace through their org role only."""
    explicit = in_org(select(WM.user_id), WM, org_id).where(
        WM.workspace_id == workspace_id, WM.user_id == OM.user_id
    )
    return (
        in_org(
            select(
                OM.user_id.label("user_id"),
                *_user_columns(),
                OM.org_role.label("role_id"),
                literal("organization").label("role_scope"),
                cast(null(), Uuid).label("added_by"),
                OM.create_time.label("created_time"),
                OM.update_time.label("updated_time"),
            ).join(User, User.id == OM.user_id),
            OM,
            org_id,
        )
        .where(OM.org_role.in_(ORGANIZATION_ADMIN_ROLES), ~exists(explicit))
        .subquery("organization_members")
    )


def explicit_admin_counts(
    session: Session,
    org_id: uuid.UUID,
    workspace_ids: Sequence[uuid.UUID],
    admin_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, int]:
    """Per workspace, how many organization admins are also explicit members."""
    if not admin_ids or not workspace_ids:
        return {}
    query = (
        in_org(select(WM.workspace_id, func.count()), WM, org_id)
        .where(WM.workspace_id.in_(workspace_ids), WM.user_id.in_(admin_ids))
        .group_by(WM.workspace_id)
    )
    return {row[0]: int(row[1]) for row in session.execute(query)}
