"""Domain views to members-dialect JSON."""

from __future__ import annotations

from typing import Any

from workspaced.kit.clock import rfc3339
from workspaced.membership.service import MemberView


def member(view: MemberView) -> dict[str, Any]:
    return {
        "workspace_id": str(view.workspace_id),
        "user_id": str(view.user_id),
        "org_id": str(view.org_id),
        "role": view.role_id,
        "username": view.username,
        "email": view.email,
        "full_name": view.display_name,
        "avatar_url": view.avatar_url,
        "added_by": str(view.added_by) if view.added_by is not None else None,
        "created_at": rfc3339(view.create_time),
        "updated_at": rfc3339(view.update_time),
    }
