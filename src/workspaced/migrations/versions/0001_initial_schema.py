"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:01:56.719863
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from workspaced.kit.db import UTCDateTime

# A frozen copy of the built-in roles at this revision (authz.catalog may change later;
# a later migration, not an edit here, carries such changes).
_VIEWER = ["workspaces:get", "members:list", "roles:list", "preferences:get"]
_EDITOR = [*_VIEWER, "workspaces:update"]
_OWNER = [
    *_EDITOR,
    "workspaces:delete",
    "members:add",
    "members:update",
    "members:remove",
    "invites:list",
    "invites:create",
    "invites:delete",
    "preferences:update",
]
_BUILT_IN_ROLES = [
    ("owner", "Workspace Owner", "workspace", _OWNER),
    ("editor", "Workspace Editor", "workspace", _EDITOR),
    ("viewer", "Workspace Viewer", "workspace", _VIEWER),
    ("owner", "Organization Owner", "organization", _OWNER),
    ("admin", "Organization Admin", "organization", _OWNER),
    ("member", "Organization Member", "organization", []),
]


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email_normalized", name=op.f("uq_users_email_normalized")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "organization_memberships",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("org_role", sa.String(length=20), nullable=False),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_organization_memberships_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organization_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_organization_memberships")),
    )
    with op.batch_alter_table("organization_memberships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organization_memberships_org_role", ["org_id", "org_role"], unique=False
        )
        batch_op.create_index("ix_organization_memberships_user", ["user_id"], unique=False)

    op.create_table(
        "personal_access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("expire_time", UTCDateTime(), nullable=True),
        sa.Column("last_used_time", UTCDateTime(), nullable=True),
        sa.Column("revoke_time", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_personal_access_tokens_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_personal_access_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_access_tokens")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_personal_access_tokens_secret_sha256")),
    )
    with op.batch_alter_table("personal_access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_personal_access_tokens_org_user", ["org_id", "user_id"], unique=False
        )

    op.create_table(
        "roles",
        sa.Column("pk", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("built_in", sa.Boolean(), nullable=False),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_roles_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_roles")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(
            "uq_roles_builtin_role_id",
            ["role_id", "scope"],
            unique=True,
            sqlite_where=sa.text("org_id IS NULL"),
            postgresql_where=sa.text("org_id IS NULL"),
        )
        batch_op.create_index("uq_roles_org_role_id", ["org_id", "role_id"], unique=True)

    op.create_table(
        "workspaces",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=34), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("icon", sa.String(length=200), nullable=True),
        sa.Column("icon_color", sa.String(length=50), nullable=True),
        sa.Column("creator_id", sa.Uuid(), nullable=True),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.Column("delete_time", UTCDateTime(), nullable=True),
        sa.Column("purge_time", UTCDateTime(), nullable=True),
        sa.Column("etag", sa.String(length=32), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_workspaces_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_workspaces_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_workspaces")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workspaces_org_create_time", ["org_id", "create_time", "id"], unique=False
        )
        batch_op.create_index(
            "ix_workspaces_org_slug", ["org_id", "slug", "delete_time"], unique=False
        )
        batch_op.create_index("ix_workspaces_org_title", ["org_id", "title", "id"], unique=False)
        batch_op.create_index(
            "ix_workspaces_org_update_time", ["org_id", "update_time", "id"], unique=False
        )
        batch_op.create_index(
            "uq_workspaces_org_slug_live",
            ["org_id", "slug"],
            unique=True,
            sqlite_where=sa.text("delete_time IS NULL"),
            postgresql_where=sa.text("delete_time IS NULL"),
        )

    op.create_table(
        "invites",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("inviter_id", sa.Uuid(), nullable=True),
        sa.Column("token_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("expire_time", UTCDateTime(), nullable=False),
        sa.Column("accept_time", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "workspace_id"],
            ["workspaces.org_id", "workspaces.id"],
            name=op.f("fk_invites_org_id_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_invites_token_sha256")),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invites_ws_create", ["org_id", "workspace_id", "create_time", "id"], unique=False
        )

    op.create_table(
        "workspace_memberships",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("create_time", UTCDateTime(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "user_id"],
            ["organization_memberships.org_id", "organization_memberships.user_id"],
            name=op.f("fk_workspace_memberships_org_id_user_id_organization_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "workspace_id"],
            ["workspaces.org_id", "workspaces.id"],
            name=op.f("fk_workspace_memberships_org_id_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "workspace_id", "user_id", name=op.f("pk_workspace_memberships")
        ),
    )
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_workspace_memberships_user", ["org_id", "user_id"], unique=False)
        batch_op.create_index(
            "ix_workspace_memberships_ws_create",
            ["org_id", "workspace_id", "create_time", "user_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_workspace_memberships_ws_role", ["org_id", "workspace_id", "role_id"], unique=False
        )

    op.create_table(
        "workspace_preferences",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("support_team_access", sa.Boolean(), nullable=False),
        sa.Column("update_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "workspace_id"],
            ["workspaces.org_id", "workspaces.id"],
            name=op.f("fk_workspace_preferences_org_id_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("org_id", "workspace_id", name=op.f("pk_workspace_preferences")),
    )
    _seed()


def _seed() -> None:
    now = datetime.now(UTC)
    roles = sa.table(
        "roles",
        sa.column("pk", sa.Uuid()),
        sa.column("org_id", sa.Uuid()),
        sa.column("role_id", sa.String()),
        sa.column("display_name", sa.String()),
        sa.column("description", sa.String()),
        sa.column("scope", sa.String()),
        sa.column("permissions", sa.JSON()),
        sa.column("built_in", sa.Boolean()),
        sa.column("create_time", UTCDateTime()),
        sa.column("update_time", UTCDateTime()),
    )
    op.bulk_insert(
        roles,
        [
            {
                "pk": uuid.uuid4(),
                "org_id": None,
                "role_id": role_id,
                "display_name": name,
                "description": name,
                "scope": scope,
                "permissions": permissions,
                "built_in": True,
                "create_time": now,
                "update_time": now,
            }
            for role_id, name, scope, permissions in _BUILT_IN_ROLES
        ],
    )
    secrets_table = sa.table(
        "server_secrets", sa.column("name", sa.String()), sa.column("value", sa.LargeBinary())
    )
    # Shared by every replica: page tokens signed by one are accepted by the others.
    op.bulk_insert(secrets_table, [{"name": "page_token_key", "value": os.urandom(32)}])


def downgrade() -> None:
    op.drop_table("workspace_preferences")
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_workspace_memberships_ws_role")
        batch_op.drop_index("ix_workspace_memberships_ws_create")
        batch_op.drop_index("ix_workspace_memberships_user")

    op.drop_table("workspace_memberships")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index("ix_invites_ws_create")

    op.drop_table("invites")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_workspaces_org_slug_live",
            sqlite_where=sa.text("delete_time IS NULL"),
            postgresql_where=sa.text("delete_time IS NULL"),
        )
        batch_op.drop_index("ix_workspaces_org_update_time")
        batch_op.drop_index("ix_workspaces_org_title")
        batch_op.drop_index("ix_workspaces_org_slug")
        batch_op.drop_index("ix_workspaces_org_create_time")

    op.drop_table("workspaces")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index("uq_roles_org_role_id")
        batch_op.drop_index(
            "uq_roles_builtin_role_id",
            sqlite_where=sa.text("org_id IS NULL"),
            postgresql_where=sa.text("org_id IS NULL"),
        )

    op.drop_table("roles")
    with op.batch_alter_table("personal_access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_access_tokens_org_user")

    op.drop_table("personal_access_tokens")
    with op.batch_alter_table("organization_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_organization_memberships_user")
        batch_op.drop_index("ix_organization_memberships_org_role")

    op.drop_table("organization_memberships")
    op.drop_table("users")
    op.drop_table("server_secrets")
    op.drop_table("organizations")
