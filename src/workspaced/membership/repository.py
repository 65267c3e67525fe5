"""SQL for workspace memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Select,
    Subquery,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session

from workspaced.authz.catalog import OWNER_ROLE_ID
from workspaced.kit.db import UUIDType
from workspaced.kit.tenancy import in_org
from workspaced.models import OrganizationMembership, User, WorkspaceMembership
from workspaced.models.organization_membership import ADMIN_ROLE_IDS

WM = WorkspaceMembership
OM = OrganizationMembership


@lru_cache(maxsize=1)
def _get_statement() -> Select[WorkspaceMembership]:
    # Built once, values bound at execution: every membership change reads its row here.
    return in_org(select(WM), WM, bindparam("org_id")).where(
        WM.workspace_id == bindparam("workspace_id"), WM.user_id == bindparam("user_id")
    )


def get(
    session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> WorkspaceMembership | None:
    parameters = {"org_id": org_id, "workspace_id": workspace_id, "user_id": user_id}
    return session.scalars(_get_statement(), parameters).one_or_none()


def new(
    org_id: uuid.UUID,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    role_id: str,
    *,
    added_by: uuid.UUID | None,
    now: datetime,
) -> WorkspaceMembership:
    """A membership row to add (the caller adds it, flushes it, and counts it)."""
    return WorkspaceMembership(
        org_id=org_id,
        workspace_id=workspace_id,
        user_id=user_id,
        role_id=role_id,
        added_by=added_by,
        create_time=now,
        update_time=now,
    )


def count_owners(session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID) -> int:
    query = in_org(select(func.count()), WM, org_id).where(
        WM.workspace_id == workspace_id, WM.role_id == OWNER_ROLE_ID
    )
    return session.scalar(query) or 0


def set_role(
    session: Session,
    org_id: uuid.UUID,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    role_id: str,
    now: datetime,
) -> None:
    session.execute(
        in_org(update(WM), WM, org_id)
        .where(WM.workspace_id == workspace_id, WM.user_id == user_id)
        .values(role_id=role_id, update_time=now)
        .execution_options(synchronize_session=False)
    )


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


# A member listing is built from these two subqueries. They hold no values: the
# organization and workspace are the bound parameters `org_id` and `workspace_id` (see
# `arm_parameters`), so each is built once per process and every statement built on them
# is compiled once and reused from SQLAlchemy's cache. Building them per request cost more
# than running them.


# The columns of both member subqueries, in order (`listing.view_of_row` unpacks them).
MEMBER_COLUMNS = (
    "user_id",
    "username",
    "display_name",
    "email",
    "avatar_url",
    "role_id",
    "role_scope",
    "added_by",
    "created_time",
    "updated_time",
)


def arm_parameters(org_id: uuid.UUID, workspace_id: uuid.UUID) -> dict[str, Any]:
    """The values of the parameters `explicit_members` and `organization_scoped_members`
    are bound to."""
    return {"org_id": org_id, "workspace_id": workspace_id}


@lru_cache(maxsize=1)
def explicit_members() -> Subquery:
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
            bindparam("org_id"),
        )
        .where(WM.workspace_id == bindparam("workspace_id"))
        .subquery("explicit_members")
    )


@lru_cache(maxsize=1)
def organization_scoped_members() -> Subquery:
    """Organization owners/admins who reach the workspace through their org role only."""
    explicit = in_org(select(WM.user_id), WM, bindparam("org_id")).where(
        WM.workspace_id == bindparam("workspace_id"), WM.user_id == OM.user_id
    )
    return (
        in_org(
            select(
                OM.user_id.label("user_id"),
                *_user_columns(),
                OM.org_role.label("role_id"),
                literal("organization").label("role_scope"),
                cast(null(), UUIDType).label("added_by"),
                OM.create_time.label("created_time"),
                OM.update_time.label("updated_time"),
            ).join(User, User.id == OM.user_id),
            OM,
            bindparam("org_id"),
        )
        # The predicate of the partial index `ix_organization_memberships_admins`, as
        # literals: a planner uses a partial index only when the query's WHERE visibly
        # implies the index's (bound parameters do not), and a bound IN list would be an
        # "expanding" parameter rewritten into the SQL on every execution besides.
        .where(OM.org_role.in_([literal_column(f"'{role}'") for role in ADMIN_ROLE_IDS]))
        .where(~exists(explicit))
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
