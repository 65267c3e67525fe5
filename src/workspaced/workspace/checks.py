"""Permission checks (SPEC §8): what may the caller do on a workspace (`test_permissions`),
and, for an organization's owners/admins or an API key holding `access:check`, what may
any user do (`check_access`, up to MAX_CHECKS at once).

`check_access` answers what `workspace.service.resolve` followed by `require` would for
each user, from a handful of queries whatever the number of checks (a property test holds
the two to the same answers). It reads the database as it is: a check after an
acknowledged change sees the change, there is no cache. A user or workspace outside the
organization is simply not allowed: the answer never says which one was missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, or_, select, union
from sqlalchemy.orm import Session

from workspaced.authz.access import Principal, can_see_workspace, effective_permissions
from workspaced.authz.catalog import PERMISSIONS
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ids import parse_uuid
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.tenancy import in_org
from workspaced.models import OrganizationMembership, User, Workspace, WorkspaceMembership
from workspaced.organization import service as organizations
from workspaced.role import service as roles
from workspaced.workspace import service as workspaces

MAX_CHECKS = 100
MAX_TESTED = 100


@dataclass(frozen=True)
class Check:
    user: str  # a user id or an email
    workspace: str  # a workspace id (slug) or uid
    permission: str


def _known(permission: str, field: str) -> None:
    if permission not in PERMISSIONS:
        raise InvalidArgument(field, f"{permission!r} is not a workspace permission")


def test_permissions(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str, permissions: list[str]
) -> list[str]:
    """The permissions of `permissions` the caller holds on the workspace (IAM's
    testIamPermissions): NotFound if they cannot see it, as every other operation."""
    if len(permissions) > MAX_TESTED:
        raise InvalidArgument("permissions", f"at most {MAX_TESTED} at once")
    for permission in permissions:
        _known(permission, "permissions")
    access = workspaces.resolve(session, principal, org_ref, workspace_ref).access
    return [p for p in dict.fromkeys(permissions) if p in access.permissions]


def check_access(
    session: Session, principal: Principal, org_ref: str, checks: Sequence[Check]
) -> list[bool]:
    """For each check, whether that user holds that permission on that workspace."""
    org = organizations.read_as_admin(session, principal, org_ref, permission="access:check")
    if len(checks) > MAX_CHECKS:
        raise InvalidArgument("checks", f"at most {MAX_CHECKS} at once")
    for index, check in enumerate(checks):
        _known(check.permission, f"checks[{index}].permission")
    if not checks:
        return []
    grid = _access_grid(session, org.id, {c.user for c in checks}, {c.workspace for c in checks})
    permissions_of: dict[str, frozenset[str]] = {}
    results = []
    for check in checks:
        found = grid.get((_user_key(check.user), _workspace_key(check.workspace)))
        if found is None:  # not a member, or not a live workspace of the organization
            results.append(False)
            continue
        org_role, role_id = found
        if not can_see_workspace(org_role, role_id):
            results.append(False)
            continue
        held: frozenset[str] = frozenset()
        if role_id is not None:
            if role_id not in permissions_of:
                permissions_of[role_id] = roles.permissions_of(session, org.id, role_id)
            held = permissions_of[role_id]
        results.append(check.permission in effective_permissions(org_role, held))
    return results


def _user_key(ref: str) -> str:
    user_id = parse_uuid(ref)
    return str(user_id) if user_id is not None else ref.lower()


def _workspace_key(ref: str) -> str:
    workspace_id = parse_uuid(ref)
    return str(workspace_id) if workspace_id is not None else ref


@lru_cache(maxsize=64)
def _grid_query(user_ids: int, emails: int, workspace_ids: int, slugs: int) -> PreparedSelect:
    # Built once per shape (how many of each kind of reference; values are bound
    # parameters, one each, so the statement runs prepared: an expanding IN list would
    # make SQLAlchemy render it again on every call).
    OM, WM = OrganizationMembership, WorkspaceMembership

    def named(column: Any, prefix: str, count: int) -> list[Any]:
        # No condition for no values: an empty IN would be rendered per execution.
        if not count:
            return []
        return [column.in_([bindparam(f"{prefix}{i}", type_=column.type) for i in range(count)])]

    now = bindparam("now", type_=Workspace.purge_time.type)
    # The named users and workspaces are found by their own indexes first (an OR across
    # two tables would make the database walk every membership of the organization).
    named_users = select(User.id).where(
        or_(*named(User.id, "user_id", user_ids), *named(User.email_normalized, "email", emails))
    )
    org_id = bindparam("org_id", type_=OM.org_id.type)
    # By uid or by slug: a union of index lookups (an OR would scan the organization's
    # workspaces).
    by_uid = [
        in_org(select(Workspace.id), Workspace, org_id).where(condition)
        for condition in named(Workspace.id, "workspace_id", workspace_ids)
    ]
    by_slug = [
        in_org(select(Workspace.id), Workspace, org_id).where(
            condition, Workspace.delete_time.is_(None)
        )
        for condition in named(Workspace.slug, "slug", slugs)
    ]
    lookups = [*by_uid, *by_slug]
    named_workspaces = union(*lookups) if len(lookups) > 1 else lookups[0]
    query = (
        in_org(
            select(OM.user_id, User.email_normalized, OM.org_role).add_columns(
                Workspace.id, Workspace.slug, WM.role_id
            ),
            OM,
            org_id,
        )
        .join(User, User.id == OM.user_id)
        .join(
            Workspace,
            (Workspace.org_id == OM.org_id)
            & Workspace.id.in_(named_workspaces)
            & Workspace.delete_time.is_(None)
            & or_(Workspace.purge_time.is_(None), Workspace.purge_time > now),
        )
        # The organization is named so that the membership's primary key serves the join
        # (without it SQLite built a temporary index over every workspace membership).
        .outerjoin(
            WM,
            (WM.org_id == OM.org_id)
            & (WM.workspace_id == Workspace.id)
            & (WM.user_id == OM.user_id),
        )
        .where(OM.user_id.in_(named_users))
    )
    return PreparedSelect(query)


def _access_grid(
    session: Session, org_id: uuid.UUID, user_refs: set[str], workspace_refs: set[str]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(user ref, workspace ref) -> (organization role, workspace role or None), for every
    named organization member and live workspace, in one query: every member named (by
    id or email) against every live workspace named (by uid or slug), with the member's
    workspace role where they hold one. Deleted workspaces are left out: they answer
    NotFound to every operation but undelete."""
    user_ids = [u for u in (parse_uuid(r) for r in user_refs) if u is not None]
    emails = sorted(r.lower() for r in user_refs if "@" in r)
    workspace_ids = [w for w in (parse_uuid(r) for r in workspace_refs) if w is not None]
    slugs = sorted(workspace_refs)
    parameters: dict[str, Any] = {"org_id": org_id, "now": clock.now()}
    for prefix, values in (
        ("user_id", user_ids),
        ("email", emails),
        ("workspace_id", workspace_ids),
        ("slug", slugs),
    ):
        parameters.update((f"{prefix}{i}", value) for i, value in enumerate(values))
    query = _grid_query(len(user_ids), len(emails), len(workspace_ids), len(slugs))
    grid: dict[tuple[str, str], tuple[str, str | None]] = {}
    for user_id, email, org_role, workspace_id, slug, role_id in query.all(
        session.connection(), parameters
    ):
        for user_key in (str(user_id), email):
            for workspace_key in (str(workspace_id), slug):
                grid[(user_key, workspace_key)] = (org_role, role_id)
    return grid
