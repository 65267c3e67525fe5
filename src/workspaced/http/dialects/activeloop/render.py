"""Domain views to activeloop JSON."""

from __future__ import annotations

from typing import Any

from workspaced.kit.clock import rfc3339
from workspaced.membership.service import MemberView
from workspaced.workspace.service import WorkspaceView

# Workspace role_id -> the vendor's access word. A custom role has no vendor word and is
# reported by its role_id, so a client can still tell members apart.
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


def member(view: MemberView) -> dict[str, Any]:
    return {
        "user_id": view.user_id,
        "access": ACCESS_OF_ROLE.get(view.role_id, view.role_id),
        "created_at": rfc3339(view.create_time),
    }
