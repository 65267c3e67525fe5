"""Domain views to aip JSON."""

from __future__ import annotations

from typing import Any

from workspaced.audit.service import AuditEventView
from workspaced.kit.clock import rfc3339
from workspaced.membership.service import MemberView
from workspaced.models import Organization
from workspaced.organization.users import OrgUserView
from workspaced.preference.service import PreferencesView
from workspaced.role.service import RoleView
from workspaced.workspace.service import WorkspaceView, resource_name


def organization(org: Organization) -> dict[str, Any]:
    return {
        "name": f"organizations/{org.slug}",
        "uid": str(org.id),
        "display_name": org.display_name,
        "create_time": rfc3339(org.create_time),
        "update_time": rfc3339(org.update_time),
    }


def workspace(view: WorkspaceView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": resource_name(view.org_slug, view.slug),
        "uid": str(view.uid),
        "title": view.title,
        "workspace_icon": view.icon,
        "workspace_icon_color": view.icon_color,
        "create_time": rfc3339(view.create_time),
        "update_time": rfc3339(view.update_time),
        "etag": view.etag,
        "creator_display_name": view.creator_display_name,
        "creator_email": view.creator_email,
    }
    if view.delete_time is not None:
        body["delete_time"] = rfc3339(view.delete_time)
        body["purge_time"] = rfc3339(view.purge_time)
    if view.caller_permissions is not None:  # SPEC §8: what the caller holds on it
        body["role"] = view.caller_role
        body["permissions"] = sorted(view.caller_permissions)
    return body


def member(view: MemberView) -> dict[str, Any]:
    user_id = str(view.user_id)  # once: formatting a UUID is not free, and pages hold many
    return {
        "name": f"{resource_name(view.org_slug, view.workspace_slug)}/users/{user_id}",
        "user_id": user_id,
        "display_name": view.display_name,
        "email": view.email,
        "role": view.role_display_name,
        "role_id": view.role_id,
        "role_scope": view.role_scope,
        "create_time": rfc3339(view.create_time),
        "update_time": rfc3339(view.update_time),
    }


def role(org_slug: str, view: RoleView) -> dict[str, Any]:
    return {
        "name": f"organizations/{org_slug}/roles/{view.role_id}",
        "role_id": view.role_id,
        "display_name": view.display_name,
        "description": view.description,
        "scope": view.scope,
        "permissions": sorted(view.permissions),
        "built_in": view.built_in,
    }


def preferences(view: PreferencesView) -> dict[str, Any]:
    return {
        "name": f"{resource_name(view.org_slug, view.workspace_slug)}/preferences",
        "support_team_access": view.support_team_access,
    }


def org_user(view: OrgUserView) -> dict[str, Any]:
    user_id = str(view.user_id)
    return {
        "name": f"organizations/{view.org_slug}/users/{user_id}",
        "user_id": user_id,
        "email": view.email,
        "username": view.username,
        "display_name": view.display_name,
        "org_role": view.org_role,
        "create_time": rfc3339(view.create_time),
        "update_time": rfc3339(view.update_time),
    }


def audit_event(view: AuditEventView) -> dict[str, Any]:
    event = view.event
    return {
        "name": f"organizations/{view.org_slug}/auditEvents/{event.id}",
        "event_id": str(event.id),
        "time": rfc3339(event.time),
        "actor": {
            "user_id": str(event.actor_user_id) if event.actor_user_id else None,
            "token_id": str(event.actor_token_id) if event.actor_token_id else None,
            "api_key": (
                f"organizations/{view.org_slug}/apiKeys/{event.actor_api_key_id}"
                if event.actor_api_key_id
                else None
            ),
        },
        "action": event.action,
        "resource": event.resource,
        "organization": f"organizations/{view.org_slug}",
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "client_ip": event.client_ip,
        "user_agent": event.user_agent,
    }
