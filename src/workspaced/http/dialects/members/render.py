"""Domain views to members-dialect JSON."""

from __future__ import annotations

from typing import Any

from workspaced.kit.clock import rfc3339
from workspaced.membership.service import MemberView


def member(view: MemberView) -> dict[str, Any]:
    # Ids go to orjson as UUIDs: it writes the same text as str(), in C.
    return {
        "workspace_id": view.workspace_id,
        "user_id": view.user_id,
        "org_id": view.org_id,
        "role": view.role_id,
        "username": view.username,
        "email": view.email,
        "full_name": view.display_name,
        "avatar_url": view.avatar_url,
        "added_by": view.added_by,
        "created_at": rfc3339(view.create_time),
        "updated_at": rfc3339(view.update_time),
    }
