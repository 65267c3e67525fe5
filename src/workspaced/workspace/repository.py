"""SQL for workspaces."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Select, bindparam, select, update
from sqlalchemy.orm import Session, aliased

from workspaced.kit.db import locked
from workspaced.kit.ids import parse_uuid
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.models import (
    Organization,
    OrganizationMembership,
    User,
    Workspace,
    WorkspaceMembership,
)
from workspaced.workspace.records import (
    ORGANIZATION_FIELDS,
    WORKSPACE_FIELDS,
    CreatorRecord,
    OrganizationRecord,
    WorkspaceRecord,
)

OM = OrganizationMembership
Creator = aliased(User, name="creator")


# A slug names its live workspace, else its most recently deleted one: this order, limit 1.
_LIVE_FIRST = (Workspace.delete_time.is_not(None), Workspace.delete_time.desc())


def find_by_ref(
    session: Session, org_id: uuid.UUID, ref: str, *, lock: bool = False
) -> Workspace | None:
    """A workspace by uid or slug. A slug names the live workspace if there is one,
    else the most recently deleted one (so soft-deleted workspaces stay addressable)."""
    ws_uuid = parse_uuid(ref)
    query = in_org(select(Workspace), Workspace, org_id)
    if ws_uuid is not None:
        query = query.where(Workspace.id == ws_uuid)
    else:
        query = query.where(Workspace.slug == ref).order_by(*_LIVE_FIRST).limit(1)
    if lock:
        query = locked(query)
    return session.scalars(query).first()


def _member_role_of_caller() -> tuple[Any, Any]:
    """Outer-join target and condition: the `user_id` parameter's explicit membership."""
    return (
        WorkspaceMembership,
        (WorkspaceMembership.org_id == Workspace.org_id)
        & (WorkspaceMembership.workspace_id == Workspace.id)
        & (WorkspaceMembership.user_id == bindparam("user_id")),
    )


@lru_cache(maxsize=4)
def _with_member_role_statement(by_id: bool, lock: bool) -> Select[Workspace, str | None]:
    # Built once per variant, values bound at execution: resolved on every request.
    query = in_org(
        select(Workspace, WorkspaceMembership.role_id).outerjoin(*_member_role_of_caller()),
        Workspace,
        bindparam("org_id"),
    )
    if by_id:
        query = query.where(Workspace.id == bindparam("ref"))
    else:
        query = query.where(Workspace.slug == bindparam("ref")).order_by(*_LIVE_FIRST).limit(1)
    return locked(query, of=Workspace) if lock else query


def find_with_member_role(
    session: Session, org_id: uuid.UUID, ref: str, user_id: uuid.UUID, *, lock: bool = False
) -> tuple[Workspace | None, str | None]:
    """`find_by_ref` and `user_id`'s explicit role in the workspace, in one query."""
    ws_uuid = parse_uuid(ref)
    query = _with_member_role_statement(ws_uuid is not None, lock)
    parameters = {
        "org_id": org_id,
        "user_id": user_id,
        "ref": ws_uuid if ws_uuid is not None else ref,
    }
    row = session.execute(query, parameters).first()
    return (None, None) if row is None else (row[0], row[1])


@lru_cache(maxsize=8)
def _with_organization_statement(
    org_by_id: bool, workspace_by_id: bool, with_creator: bool
) -> PreparedSelect:
    # The organization with the caller's org role, and the workspace with the caller's
    # workspace role, in one round trip (the read path of every workspace request), as
    # plain columns in record field order: no ORM entities to load. `GET` of a workspace
    # also needs its creator's name and email; the join is only in that variant.
    query = (
        select(
            *(getattr(Organization, name).label(f"org_{name}") for name in ORGANIZATION_FIELDS),
            OM.org_role,
            *(getattr(Workspace, name).label(f"ws_{name}") for name in WORKSPACE_FIELDS),
            WorkspaceMembership.role_id,
        )
        .select_from(Organization)
        .join(OM, (OM.org_id == Organization.id) & (OM.user_id == bindparam("user_id")))
        .outerjoin(
            Workspace,
            (Workspace.org_id == Organization.id)
            & ((Workspace.id if workspace_by_id else Workspace.slug) == bindparam("ref")),
        )
        .outerjoin(*_member_role_of_caller())
        .where((Organization.id if org_by_id else Organization.slug) == bindparam("org_ref"))
    )
    if with_creator:
        query = query.add_columns(Creator.display_name, Creator.email).outerjoin(
            Creator, Creator.id == Workspace.creator_id
        )
    return PreparedSelect((query if workspace_by_id else query.order_by(*_LIVE_FIRST)).limit(1))


_ORG_END = len(ORGANIZATION_FIELDS)
_WS_START, _WS_END = _ORG_END + 1, _ORG_END + 1 + len(WORKSPACE_FIELDS)


class Resolution(NamedTuple):
    organization: OrganizationRecord
    org_role: str  # the user's
    workspace: WorkspaceRecord | None
    role_id: str | None  # the user's explicit workspace role
    creator: CreatorRecord | None  # only when asked for, and only with a workspace


def find_with_organization(
    session: Session, org_ref: str, ref: str, user_id: uuid.UUID, *, with_creator: bool = False
) -> Resolution | None:
    """The organization, the user's org role, the workspace and the user's workspace role
    (and the creator's name and email if asked) in one query; None when the organization
    does not exist or the user is not its member."""
    org_uuid, ws_uuid = parse_uuid(org_ref), parse_uuid(ref)
    prepared = _with_organization_statement(org_uuid is not None, ws_uuid is not None, with_creator)
    parameters = {
        "user_id": user_id,
        "org_ref": org_uuid if org_uuid is not None else org_ref,
        "ref": ws_uuid if ws_uuid is not None else ref,
    }
    row = prepared.first(session.connection(), parameters)
    if row is None:
        return None
    organization = OrganizationRecord(*row[:_ORG_END])
    workspace_values = row[_WS_START:_WS_END]
    # The workspace id (its second field) is NULL when the outer join found no workspace.
    workspace = WorkspaceRecord(*workspace_values) if workspace_values[1] is not None else None
    creator = CreatorRecord(*row[_WS_END + 1 :]) if with_creator and workspace is not None else None
    return Resolution(organization, row[_ORG_END], workspace, row[_WS_END], creator)


def live_slug_taken(session: Session, org_id: uuid.UUID, slug: str) -> bool:
    query = in_org(select(Workspace.id), Workspace, org_id).where(
        Workspace.slug == slug, Workspace.delete_time.is_(None)
    )
    return session.scalar(query.limit(1)) is not None


def member_role(
    session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> str | None:
    query = in_org(select(WorkspaceMembership.role_id), WorkspaceMembership, org_id).where(
        WorkspaceMembership.workspace_id == workspace_id,
        WorkspaceMembership.user_id == user_id,
    )
    return session.scalar(query)


def view_query(org_id: uuid.UUID | BindParameter[Any]) -> AnySelect:
    """Workspace columns plus the creator's name and email, labelled by sort-key name."""
    return in_org(
        select(
            Workspace.id.label("id"),
            Workspace.org_id,
            Workspace.slug,
            Workspace.title.label("title"),
            Workspace.icon,
            Workspace.icon_color,
            Workspace.creator_id,
            User.display_name.label("creator_display_name"),
            User.email.label("creator_email"),
            Workspace.create_time.label("create_time"),
            Workspace.update_time.label("update_time"),
            Workspace.delete_time,
            Workspace.purge_time,
            Workspace.etag,
            Workspace.member_count,
        ).outerjoin(User, User.id == Workspace.creator_id),
        Workspace,
        org_id,
    )


def visible_to_member(query: AnySelect, org_id: uuid.UUID, user_id: uuid.UUID) -> AnySelect:
    """Restrict to workspaces where `user_id` is an explicit member."""
    membership = in_org(select(WorkspaceMembership.workspace_id), WorkspaceMembership, org_id)
    return query.where(Workspace.id.in_(membership.where(WorkspaceMembership.user_id == user_id)))


def conditional_update(
    session: Session,
    workspace: WorkspaceRecord,
    expected_etag: str | None,
    values: dict[str, Any],
) -> bool:
    """Apply `values` if the etag still matches; False when someone else changed it first.
    (`workspace` is the record resolved before: read the result with `view_of`.)"""
    query = in_org(update(Workspace), Workspace, workspace.org_id).where(
        Workspace.id == workspace.id
    )
    if expected_etag is not None:
        query = query.where(Workspace.etag == expected_etag)
    result = session.execute(query.values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


@lru_cache(maxsize=1)
def _add_to_member_count_statement() -> Any:
    # Built once, values bound at execution: every membership change runs it. (UPDATE
    # reserves column names for SET values, so the parameters are named differently.)
    return (
        in_org(update(Workspace), Workspace, bindparam("in_org_id"))
        .where(Workspace.id == bindparam("in_workspace_id"))
        .values(member_count=Workspace.member_count + bindparam("delta"))
        .execution_options(synchronize_session=False)
    )


def add_to_member_count(
    session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, delta: int
) -> None:
    parameters = {"in_org_id": org_id, "in_workspace_id": workspace_id, "delta": delta}
    session.execute(_add_to_member_count_statement(), parameters)
