"""Workspace roles: the built-in ones (data in authz.catalog) and an organization's custom ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from workspaced.authz.catalog import BUILT_IN_WORKSPACE_ROLES, WORKSPACE_SCOPE
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.tenancy import in_org
from workspaced.models import Role


@dataclass(frozen=True)
class RoleView:
    role_id: str
    display_name: str
    description: str
    scope: str
    permissions: frozenset[str]
    built_in: bool


BUILT_IN_VIEWS = [
    RoleView(r.role_id, r.display_name, r.description, r.scope, r.permissions, True)
    for r in BUILT_IN_WORKSPACE_ROLES.values()
]


@lru_cache(maxsize=1)
def _custom_roles_statement() -> Select[Role]:
    query = in_org(select(Role), Role, bindparam("org_id"))
    return query.where(Role.scope == WORKSPACE_SCOPE).order_by(Role.role_id)


def _custom_roles(session: Session, org_id: uuid.UUID) -> list[RoleView]:
    # Read once per transaction: a request may need role names more than once. Writes of
    # custom roles call `forget_custom_roles`.
    cache: dict[uuid.UUID, list[RoleView]] = session.info.setdefault("custom_roles", {})
    found = cache.get(org_id)
    if found is None:
        rows = session.scalars(_custom_roles_statement(), {"org_id": org_id})
        found = [
            RoleView(
                r.role_id, r.display_name, r.description, r.scope, frozenset(r.permissions), False
            )
            for r in rows
        ]
        cache[org_id] = found
    return found


# Most powerful first: a custom role reads as the first of these it covers entirely.
_BUILT_IN_BY_POWER = ("owner", "editor", "viewer")


def nearest_built_in(session: Session, org_id: uuid.UUID) -> dict[str, str]:
    """Each custom workspace role's nearest built-in role: the most powerful one whose
    every permission it holds (`viewer` when it covers not even that one). For dialects
    whose vocabulary knows only the built-in roles."""
    nearest = {}
    for role in _custom_roles(session, org_id):
        covered = (
            r
            for r in _BUILT_IN_BY_POWER
            if BUILT_IN_WORKSPACE_ROLES[r].permissions <= role.permissions
        )
        nearest[role.role_id] = next(covered, "viewer")
    return nearest


def forget_custom_roles(session: Session) -> None:
    """Drop the transaction's copy of custom roles after writing one."""
    session.info.pop("custom_roles", None)


def workspace_roles(session: Session, org_id: uuid.UUID) -> list[RoleView]:
    """Every role assignable in the organization's workspaces, built-in first."""
    return BUILT_IN_VIEWS + _custom_roles(session, org_id)


BUILT_IN_NAMES = {r.role_id: r.display_name for r in BUILT_IN_WORKSPACE_ROLES.values()}


def display_names_for(
    session: Session, org_id: uuid.UUID, role_ids: Iterable[str]
) -> dict[str, str]:
    """Display names covering `role_ids`: the built-in names alone when every id is built in
    (most pages), without reading the organization's custom roles."""
    if all(role_id in BUILT_IN_NAMES for role_id in role_ids):
        return BUILT_IN_NAMES
    return display_names(session, org_id)


def permissions_of(session: Session, org_id: uuid.UUID, role_id: str) -> frozenset[str]:
    built_in = BUILT_IN_WORKSPACE_ROLES.get(role_id)
    if built_in is not None:
        return built_in.permissions
    query = in_org(select(Role.permissions), Role, org_id).where(
        Role.role_id == role_id, Role.scope == WORKSPACE_SCOPE
    )
    permissions = session.scalar(query)
    return frozenset(permissions or ())


def display_names(session: Session, org_id: uuid.UUID) -> dict[str, str]:
    return {role.role_id: role.display_name for role in workspace_roles(session, org_id)}


def resolve_role_input(
    session: Session,
    org_id: uuid.UUID,
    value: str,
    *,
    field: str = "role",
    allow_display_name: bool = False,
) -> str:
    """The role_id that `value` names: a role_id, or (where allowed) a display name,
    case-insensitively. An unknown role is invalid input.

    Callers are about to grant the role: a custom role is share-locked so that it cannot be
    deleted by a concurrent transaction before the grant commits.
    """
    # A role id always wins over a display name (rule 8): ids first, then names.
    known = workspace_roles(session, org_id)
    found = next((role for role in known if role.role_id == value), None)
    if found is None and allow_display_name:
        wanted = value.strip().lower()
        found = next((role for role in known if role.role_id.lower() == wanted), None) or next(
            (role for role in known if role.display_name.lower() == wanted), None
        )
    if found is not None and (found.built_in or _share_lock(session, org_id, found.role_id)):
        return found.role_id
    raise InvalidArgument(field, f"unknown role {value!r}")


def _share_lock(session: Session, org_id: uuid.UUID, role_id: str) -> bool:
    query = in_org(select(Role.pk), Role, org_id).where(Role.role_id == role_id)
    return session.scalar(query.with_for_update(read=True)) is not None
