"""Resolving what a caller may do, and the single `require` check.

Visibility comes first: a caller who cannot see a workspace gets NotFound, exactly
like a missing one. Only a visible resource can answer PermissionDenied.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES, OWNER_PERMISSIONS
from workspaced.kit.errors import PermissionDenied


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: uuid.UUID
    token_id: uuid.UUID | None
    home_org_id: uuid.UUID
    email: str

    @property
    def org_scope(self) -> uuid.UUID | None:
        """The one organization this credential acts in (None: every one of its user's)."""
        return self.home_org_id

    def acts_in(self, org_id: uuid.UUID) -> bool:
        """Credentials stay where they were issued (SPEC §3 rule 6): a personal access token
        acts only in its home organization; elsewhere its holder is treated as an outsider,
        so the answer is the outsider's 404 and nothing there is revealed or changed."""
        return self.org_scope is None or org_id == self.org_scope


@dataclass(frozen=True)
class WorkspaceAccess:
    """What one caller holds on one workspace."""

    resource: str
    org_role: str
    workspace_role_id: str | None
    permissions: frozenset[str]

    @property
    def via_organization(self) -> bool:
        return self.org_role in ORGANIZATION_ADMIN_ROLES


def effective_permissions(org_role: str, workspace_permissions: frozenset[str]) -> frozenset[str]:
    """Organization owners and admins hold owner-level access to every workspace."""
    if org_role in ORGANIZATION_ADMIN_ROLES:
        return OWNER_PERMISSIONS | workspace_permissions
    return workspace_permissions


def can_see_workspace(org_role: str, workspace_role_id: str | None) -> bool:
    return workspace_role_id is not None or org_role in ORGANIZATION_ADMIN_ROLES


def require(access: WorkspaceAccess, permission: str) -> None:
    """Raise PermissionDenied naming `permission` unless `access` holds it."""
    if permission not in access.permissions:
        raise PermissionDenied(permission, access.resource)


def require_all(access: WorkspaceAccess, permissions: Iterable[str]) -> None:
    """Rules 3 and 4: granting a role, or acting on a member who holds one, requires holding
    every permission it carries. Names the first missing permission."""
    missing = sorted(set(permissions) - access.permissions)
    if missing:
        raise PermissionDenied(missing[0], access.resource)
