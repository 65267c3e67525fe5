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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workspaced.authz.access import Principal, can_see_workspace, effective_permissions
from workspaced.authz.catalog import PERMISSIONS
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ids import parse_uuid
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
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="access:check"
    ).organization
    if len(checks) > MAX_CHECKS:
        raise InvalidArgument("checks", f"at most {MAX_CHECKS} at once")
    for index, check in enumerate(checks):
        _known(check.permission, f"checks[{index}].permission")
    members = _members(session, org.id, {c.user for c in checks})
    spaces = _live_workspaces(session, org.id, {c.workspace for c in checks})
    user_ids = {m[0] for m in members.values()}
    roles_held = _workspace_roles(session, org.id, set(spaces.values()), user_ids)
    permissions_of: dict[str, frozenset[str]] = {}
    results = []
    for check in checks:
        member, workspace_id = members.get(check.user.lower()), spaces.get(check.workspace)
        if member is None or workspace_id is None:
            results.append(False)
            continue
        user_id, org_role = member
        role_id = roles_held.get((workspace_id, user_id))
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


def _members(
    session: Session, org_id: uuid.UUID, refs: set[str]
) -> dict[str, tuple[uuid.UUID, str]]:
    """Organization members by every form a check may name them: id or lower-case email."""
    ids = {u for u in (parse_uuid(r) for r in refs) if u is not None}
    emails = {r.lower() for r in refs if "@" in r}
    OM = OrganizationMembership
    rows = session.execute(
        in_org(select(OM.user_id, OM.org_role, User.email_normalized), OM, org_id)
        .join(User, User.id == OM.user_id)
        .where(or_(OM.user_id.in_(ids), User.email_normalized.in_(emails)))
    ).all()
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for user_id, org_role, email in rows:
        found[str(user_id)] = found[email] = (user_id, org_role)
    return found


def _live_workspaces(session: Session, org_id: uuid.UUID, refs: set[str]) -> dict[str, uuid.UUID]:
    """Live workspaces by slug and by uid (a deleted one answers not allowed, as it
    answers NotFound to every operation but undelete)."""
    uids = {u for u in (parse_uuid(r) for r in refs) if u is not None}
    now = clock.now()
    rows = session.execute(
        in_org(select(Workspace.id, Workspace.slug), Workspace, org_id).where(
            Workspace.delete_time.is_(None),
            or_(Workspace.purge_time.is_(None), Workspace.purge_time > now),
            or_(Workspace.id.in_(uids), Workspace.slug.in_(refs)),
        )
    ).all()
    found: dict[str, uuid.UUID] = {}
    for workspace_id, slug in rows:
        found[str(workspace_id)] = found[slug] = workspace_id
    return found


def _workspace_roles(
    session: Session, org_id: uuid.UUID, workspace_ids: set[uuid.UUID], user_ids: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    if not workspace_ids or not user_ids:
        return {}
    WM = WorkspaceMembership
    rows = session.execute(
        in_org(select(WM.workspace_id, WM.user_id, WM.role_id), WM, org_id).where(
            WM.workspace_id.in_(workspace_ids), WM.user_id.in_(user_ids)
        )
    ).all()
    return {(w, u): r for w, u, r in rows}
