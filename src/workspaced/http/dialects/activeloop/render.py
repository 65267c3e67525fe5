"""Domain views to activeloop JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workspaced.kit.clock import rfc3339
from workspaced.membership.service import MemberView
from workspaced.workspace.service import WorkspaceView

# Workspace role_id -> the vendor's access word. A custom role has no vendor word: it reads
# as its nearest built-in role (`roles.nearest_built_in`), so every value stays inside the
# seed's enum and generated clients can parse the list.
ACCESS_OF_ROLE = {"owner": "owner", "editor": "writer", "viewer": "viewer"}
ROLE_OF_ACCESS = {"writer": "editor", "viewer": "viewer"}


def workspace(view: WorkspaceView) -> dict[str, Any]:
    return {
        "id": view.slug,
        "name": view.title,
        "creator_user_id": view.creator_id,
        "org_id": view.org_slug,
        "created_at": rfc3339(view.create_time),
    }


def member(view: MemberView, nearest_built_in: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`nearest_built_in`: custom role id -> built-in role id (needed where custom roles
    may appear)."""
    role = (nearest_built_in or {}).get(view.role_id, view.role_id)
    return {
        "user_id": view.user_id,
        "access": ACCESS_OF_ROLE.get(role, "viewer"),
        "created_at": rfc3339(view.create_time),
    }
