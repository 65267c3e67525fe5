"""Custom workspace roles: an organization's own named sets of catalogue permissions.

They can be granted wherever a built-in role can. The last-owner rule belongs to the
built-in `owner` role alone, so custom role ids may never shadow a built-in one.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, require
from workspaced.authz.catalog import (
    BUILT_IN_ORGANIZATION_ROLES,
    BUILT_IN_WORKSPACE_ROLES,
    PERMISSIONS,
    WORKSPACE_SCOPE,
)
from workspaced.invitation import lapse
from workspaced.kit import clock
from workspaced.kit.db import locked
from workspaced.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InUse,
    InvalidArgument,
    NotFound,
)
from workspaced.kit.ids import slug_problem
from workspaced.kit.tenancy import in_org
from workspaced.kit.validation import check_text
from workspaced.models import Invite, Role, WorkspaceMembership
from workspaced.organization import service as organizations
from workspaced.role.service import RoleView, forget_custom_roles, workspace_roles
from workspaced.workspace import service as workspaces

ROLE_ID_MAX = 63
DISPLAY_NAME_MAX = 200
DESCRIPTION_MAX = 1000
RESERVED_IDS = set(BUILT_IN_WORKSPACE_ROLES) | set(BUILT_IN_ORGANIZATION_ROLES)


def _view(role: Role) -> RoleView:
    return RoleView(
        role.role_id,
        role.display_name,
        role.description,
        role.scope,
        frozenset(role.permissions),
        False,
    )


def _validate_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise InvalidArgument("permissions", f"unknown permissions: {', '.join(unknown)}")
    if not permissions:
        raise InvalidArgument("permissions", "must name at least one permission")
    return sorted(set(permissions))


def _check_names_free(session: Session, org_id: uuid.UUID, display_name: str, role_id: str) -> None:
    """Role input accepts ids and (in aip) display names, so no string may name two roles
    (rule 8): display names are unique and never equal any role's id, and a new id never
    equals another role's display name. Compared case-insensitively, as input is."""
    name, ident = display_name.strip().lower(), role_id.lower()
    for role in workspace_roles(session, org_id):
        if role.role_id == role_id:
            continue
        if role.display_name.lower() == name or role.role_id.lower() == name:
            raise AlreadyExists(f"a role named {display_name!r} already exists")
        if role.display_name.lower() == ident:
            raise AlreadyExists(f"role id {role_id!r} is another role's display name")
    if name in RESERVED_IDS:
        raise AlreadyExists(f"a role named {display_name!r} already exists")


def _find(session: Session, org_id: uuid.UUID, role_id: str, *, lock: bool = False) -> Role | None:
    query = in_org(select(Role), Role, org_id).where(Role.role_id == role_id)
    if lock:
        query = locked(query)
    return session.scalars(query).one_or_none()


def get(session: Session, principal: Principal, org_ref: str, role_id: str) -> tuple[str, RoleView]:
    org = organizations.resolve(session, principal, org_ref).organization
    principal.require_key_permission("roles:list", f"organizations/{org.slug}")
    for role in workspace_roles(session, org.id):
        if role.role_id == role_id:
            return org.slug, role
    raise NotFound("role", role_id)


def list_roles(session: Session, principal: Principal, org_ref: str) -> tuple[str, list[RoleView]]:
    org = organizations.resolve(session, principal, org_ref).organization
    principal.require_key_permission("roles:list", f"organizations/{org.slug}")
    return org.slug, workspace_roles(session, org.id)


def list_for_workspace(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str
) -> tuple[str, list[RoleView]]:
    """The roles assignable in a workspace, for whoever holds `roles:list` on it."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "roles:list")
    return ctx.organization.slug, workspace_roles(session, ctx.organization.id)


def create(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    role_id: str,
    display_name: str,
    description: str = "",
    permissions: list[str],
) -> tuple[str, RoleView]:
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="roles:manage"
    ).organization
    problem = slug_problem(role_id, ROLE_ID_MAX)
    if problem:
        raise InvalidArgument("role_id", problem)
    if role_id in RESERVED_IDS:
        raise InvalidArgument("role_id", f"{role_id!r} is a built-in role")
    check_text("display_name", display_name, DISPLAY_NAME_MAX, required=True)
    check_text("description", description, DESCRIPTION_MAX, required=False)
    granted = _validate_permissions(permissions)
    if _find(session, org.id, role_id) is not None:
        raise AlreadyExists(f"role {role_id!r} already exists", resource_id=role_id)
    _check_names_free(session, org.id, display_name, role_id)
    now = clock.now()
    role = Role(
        pk=uuid.uuid4(),
        org_id=org.id,
        role_id=role_id,
        display_name=display_name,
        description=description,
        scope=WORKSPACE_SCOPE,
        permissions=granted,
        built_in=False,
        create_time=now,
        update_time=now,
    )
    session.add(role)
    session.flush()
    forget_custom_roles(session)
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="role.created",
        resource=f"organizations/{org.slug}/roles/{role_id}",
        after={"display_name": display_name, "permissions": granted},
    )
    return org.slug, _view(role)


def update(
    session: Session,
    principal: Principal,
    org_ref: str,
    role_id: str,
    *,
    display_name: str | None = None,
    description: str | None = None,
    permissions: list[str] | None = None,
) -> tuple[str, RoleView]:
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="roles:manage"
    ).organization
    if role_id in BUILT_IN_WORKSPACE_ROLES:
        raise FailedPrecondition("built-in roles cannot be changed", reason="BUILT_IN_ROLE")
    role = _find(session, org.id, role_id, lock=True)
    if role is None:
        raise NotFound("role", role_id)
    before = {
        "display_name": role.display_name,
        "description": role.description,
        "permissions": list(role.permissions),
    }
    if display_name is not None:
        check_text("display_name", display_name, DISPLAY_NAME_MAX, required=True)
        _check_names_free(session, org.id, display_name, role_id)
        role.display_name = display_name
    if description is not None:
        check_text("description", description, DESCRIPTION_MAX, required=False)
        role.description = description
    if permissions is not None:
        role.permissions = _validate_permissions(permissions)
    role.update_time = clock.now()
    session.flush()
    forget_custom_roles(session)
    if permissions is not None:
        # Its holders may no longer cover what they invited to.
        lapse.revoke_lapsed(session, principal, org)
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="role.updated",
        resource=f"organizations/{org.slug}/roles/{role_id}",
        before=before,
        after={
            "display_name": role.display_name,
            "description": role.description,
            "permissions": list(role.permissions),
        },
    )
    return org.slug, _view(role)


def delete(session: Session, principal: Principal, org_ref: str, role_id: str) -> None:
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="roles:manage"
    ).organization
    if role_id in BUILT_IN_WORKSPACE_ROLES:
        raise FailedPrecondition("built-in roles cannot be deleted", reason="BUILT_IN_ROLE")
    # The row lock conflicts with the share lock every grant of a custom role takes
    # (role.service.resolve_role_input), so no grant can slip in between check and delete.
    role = _find(session, org.id, role_id, lock=True)
    if role is None:
        raise NotFound("role", role_id)
    assigned = session.scalar(
        select(
            exists(
                in_org(select(WorkspaceMembership.user_id), WorkspaceMembership, org.id).where(
                    WorkspaceMembership.role_id == role_id
                )
            )
        )
    )
    pending = session.scalar(
        select(
            exists(
                in_org(select(Invite.id), Invite, org.id).where(
                    Invite.role_id == role_id, Invite.state == "PENDING"
                )
            )
        )
    )
    if assigned or pending:
        raise InUse(
            f"role {role_id!r} is still assigned; change those members' roles first",
            resource_id=role_id,
        )
    session.delete(role)
    session.flush()
    forget_custom_roles(session)
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="role.deleted",
        resource=f"organizations/{org.slug}/roles/{role_id}",
        before={"display_name": role.display_name, "permissions": list(role.permissions)},
    )
