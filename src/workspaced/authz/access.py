"""Resolving what a caller may do, and the single `require` check.

Visibility comes first: a caller who cannot see a workspace gets NotFound, exactly
like a missing one. Only a visible resource can answer PermissionDenied.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from workspaced.authz.catalog import ADMIN_ROLE_ID, ORGANIZATION_ADMIN_ROLES, OWNER_PERMISSIONS
from workspaced.kit.errors import PermissionDenied


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user (through a personal access token or an identity
    provider's JWT), or an organization API key.

    An API key is a service credential, not a person: `user_id` is its creator, whose
    organization membership it borrows while the creator is an owner or admin (rule 5),
    and `key_permissions` is what it may do with that authority. It acts as an
    organization admin capped to those permissions (so never with owner-only powers).

    The operator at the command line (`operator`) holds no credential: it acts on the
    authority of one member's membership (`user_id`: an owner of the organization, the
    user a token is issued to, the creator of a key), so every rule holds exactly as for
    that member, and audit events name the operator, not the member.
    """

    user_id: uuid.UUID
    token_id: uuid.UUID | None
    # The organization a personal access token or an API key is issued in, and acts in
    # alone. For a JWT (`every_org`) the organization its user joined first: where the
    # dialects whose paths name no organization act; None if the user belongs to none.
    home_org_id: uuid.UUID | None
    email: str
    api_key_id: uuid.UUID | None = None
    key_permissions: frozenset[str] = frozenset()
    every_org: bool = False  # an identity provider's JWT acts in all its user's orgs
    operator: bool = False  # the operator, through the CLI, on `user_id`'s authority

    @property
    def kind(self) -> str:
        if self.operator:
            return "operator"
        if self.api_key_id is not None:
            return "api_key"
        if self.every_org:
            return "jwt"
        return "token" if self.token_id is not None else "user"

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def org_scope(self) -> uuid.UUID | None:
        """The one organization this credential acts in (None: every one of its user's)."""
        return None if self.every_org else self.home_org_id

    def acts_in(self, org_id: uuid.UUID) -> bool:
        """Credentials stay where they were issued (SPEC §3 rule 6): a personal access token
        or an API key acts only in its home organization; elsewhere its holder is treated
        as an outsider, so the answer is the outsider's 404 and nothing there is revealed
        or changed."""
        return self.org_scope is None or org_id == self.org_scope

    def org_role_for(self, member_role: str) -> str:
        """The organization role this caller acts with, given its user's membership: an API
        key acts as an admin (its creator is an owner or admin, or the key does not
        authenticate), so owner-only powers stay out of its reach."""
        return ADMIN_ROLE_ID if self.is_api_key else member_role

    def limit(self, permissions: frozenset[str]) -> frozenset[str]:
        """What this caller may use of `permissions` its user's roles give: all of them
        for a user, the intersection with its own set for an API key."""
        return permissions & self.key_permissions if self.is_api_key else permissions

    def require_key_permission(self, permission: str, resource: str) -> None:
        """Organization-level powers every owner/admin holds through their role; an API
        key holds only those it was given."""
        if self.is_api_key and permission not in self.key_permissions:
            raise PermissionDenied(permission, resource)

    def require_person(self, resource: str) -> None:
        """Operations that only a person can do (their own tokens, accepting an invitation,
        creating an organization, creating API keys): an API key is refused."""
        if self.is_api_key:
            denied = PermissionDenied("user", resource)
            denied.message = "an API key acts for a service, not a person: use a user's credential"
            raise denied


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
