"""The permission catalogue and the built-in roles. Data, not `if` chains.

The initial migration seeds the `roles` table from a frozen copy of this table.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE_SCOPE = "workspace"
ORGANIZATION_SCOPE = "organization"

PERMISSIONS: dict[str, str] = {
    "workspaces:get": "See the workspace",
    "workspaces:update": "Change the workspace's title and icon",
    "workspaces:delete": "Delete and undelete the workspace",
    "members:list": "List the workspace's members",
    "members:add": "Add members to the workspace",
    "members:update": "Change members' roles",
    "members:remove": "Remove members from the workspace",
    "invites:list": "List the workspace's invitations",
    "invites:create": "Invite people to the workspace",
    "invites:delete": "Revoke invitations",
    "preferences:get": "Read the workspace's preferences",
    "preferences:update": "Change the workspace's preferences",
    "roles:list": "List the roles that can be granted in the workspace",
}

VIEWER_PERMISSIONS = frozenset({"workspaces:get", "members:list", "roles:list", "preferences:get"})
EDITOR_PERMISSIONS = VIEWER_PERMISSIONS | {"workspaces:update"}
OWNER_PERMISSIONS = frozenset(PERMISSIONS)


@dataclass(frozen=True)
class BuiltInRole:
    role_id: str
    display_name: str
    description: str
    scope: str
    permissions: frozenset[str]


BUILT_IN_WORKSPACE_ROLES: dict[str, BuiltInRole] = {
    role.role_id: role
    for role in (
        BuiltInRole(
            "owner",
            "Workspace Owner",
            "Full control of the workspace, its members, invitations and preferences.",
            WORKSPACE_SCOPE,
            OWNER_PERMISSIONS,
        ),
        BuiltInRole(
            "editor",
            "Workspace Editor",
            "Can see the workspace and its members and change its title and icon.",
            WORKSPACE_SCOPE,
            EDITOR_PERMISSIONS,
        ),
        BuiltInRole(
            "viewer",
            "Workspace Viewer",
            "Can see the workspace, its members, roles and preferences.",
            WORKSPACE_SCOPE,
            VIEWER_PERMISSIONS,
        ),
    )
}

BUILT_IN_ORGANIZATION_ROLES: dict[str, BuiltInRole] = {
    role.role_id: role
    for role in (
        BuiltInRole(
            "owner",
            "Organization Owner",
            "Owns the organization: every workspace and every organization user.",
            ORGANIZATION_SCOPE,
            OWNER_PERMISSIONS,
        ),
        BuiltInRole(
            "admin",
            "Organization Admin",
            "Administers every workspace and the organization's users, except owners.",
            ORGANIZATION_SCOPE,
            OWNER_PERMISSIONS,
        ),
        BuiltInRole(
            "member",
            "Organization Member",
            "Belongs to the organization; sees the workspaces they are a member of.",
            ORGANIZATION_SCOPE,
            frozenset(),
        ),
    )
}

# What an organization API key may hold besides the workspace permissions above (which it
# holds on every workspace of its organization). Owner-only powers (ownership transfer,
# acting on owners) are in neither list: no key can ever carry them (SPEC §3).
ORGANIZATION_PERMISSIONS: dict[str, str] = {
    "organization:update": "Rename the organization",
    "organization.users:list": "See the organization's users (any member may; a key, given this)",
    "organization.users:add": "Add users to the organization (as admins or members)",
    "organization.users:update": "Change organization users' roles (between admin and member)",
    "organization.users:remove": "Remove users (not owners) from the organization",
    "organization.tokens:list": "List the personal access tokens at home in the organization",
    "organization.tokens:revoke": "Revoke personal access tokens (not owners') of the organization",
    "workspaces:create": "Create workspaces (owned by the key's creator)",
    "roles:manage": "Create, edit and delete the organization's custom roles",
    "audit:list": "Read the organization's audit log",
    "events:list": "Read the organization's event feed",
    "webhooks:manage": "Manage the organization's webhook endpoints and their deliveries",
    "access:check": "Check what users may do (:checkAccess)",
}
API_KEY_PERMISSIONS = frozenset(PERMISSIONS) | frozenset(ORGANIZATION_PERMISSIONS)

# Organization roles whose holders get owner-level access to every workspace of the org.
ORGANIZATION_ADMIN_ROLES = frozenset(
    role_id for role_id, role in BUILT_IN_ORGANIZATION_ROLES.items() if role.permissions
)
OWNER_ROLE_ID = "owner"
ADMIN_ROLE_ID = "admin"
