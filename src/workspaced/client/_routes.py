"""Every route of the aip dialect (`/api/v1`) as a `Call` or `ListCall`: its method, path,
query parameters and body. The sync and async resources both send these, so each route's
wire format is written once, here.

Optional arguments left at None are not sent (the server's default applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from workspaced.client import models as m
from workspaced.client._http import Call, ListCall, Request, path

API = "/api/v1"
ORG = API + "/organizations/{}"
WORKSPACES = ORG + "/workspaces"
WORKSPACE = WORKSPACES + "/{}"


def _none(_: Any) -> None:
    return None


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _mask(update_mask: str | Sequence[str] | None) -> str | None:
    if update_mask is None or isinstance(update_mask, str):
        return update_mask
    return ",".join(update_mask)


def _masked_body(update_mask: str | Sequence[str] | None, **fields: Any) -> dict[str, Any]:
    """AIP-134: fields given (not None), plus those named by `update_mask` even when None
    (so `workspace_icon=None, update_mask=["workspace_icon"]` clears the icon)."""
    named = set()
    if update_mask is not None:
        text = update_mask if isinstance(update_mask, str) else ",".join(update_mask)
        named = {p.strip() for p in text.split(",") if p.strip()}
        if "*" in named:
            named = set(fields)
    return {k: v for k, v in fields.items() if v is not None or k in named}


def rfc3339(value: datetime | str | None, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"{field} must be timezone-aware (e.g. datetime.now(UTC))")
    return value.isoformat()


def duration(value: timedelta | float | str | None) -> str | None:
    """A JSON google.protobuf.Duration: `"86400s"`."""
    if value is None or isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"{text}s"


# --- organizations ------------------------------------------------------------------


def list_organizations() -> ListCall[m.Organization]:
    return ListCall(
        Request("GET", API + "/organizations"), "organizations", m.Organization.model_validate
    )


def get_organization(org: str) -> Call[m.Organization]:
    return Call(Request("GET", path(ORG, org)), m.Organization.model_validate)


def create_organization(
    display_name: str, organization_id: str | None
) -> Call[m.CreatedOrganization]:
    request = Request(
        "POST",
        API + "/organizations",
        params={"organization_id": organization_id},
        json={"display_name": display_name},
    )
    return Call(request, m.CreatedOrganization.model_validate)


def update_organization(
    org: str, display_name: str | None, update_mask: str | Sequence[str] | None
) -> Call[m.Organization]:
    request = Request(
        "PATCH",
        path(ORG, org),
        params={"update_mask": _mask(update_mask)},
        json=_masked_body(update_mask, display_name=display_name),
    )
    return Call(request, m.Organization.model_validate)


def transfer_ownership(org: str, user: str) -> Call[m.Organization]:
    request = Request("POST", path(ORG + ":transferOwnership", org), json={"user": user})
    return Call(request, m.Organization.model_validate)


# --- workspaces ---------------------------------------------------------------------


def list_workspaces(
    org: str, filter: str | None, order_by: str | None, show_deleted: bool
) -> ListCall[m.Workspace]:
    params = {"filter": filter, "order_by": order_by, "show_deleted": show_deleted or None}
    request = Request("GET", path(WORKSPACES, org), params=params)
    return ListCall(request, "workspaces", m.Workspace.model_validate)


def list_my_workspaces(org: str, filter: str | None, order_by: str | None) -> ListCall[m.Workspace]:
    params = {"filter": filter, "order_by": order_by}
    request = Request("GET", path(API + "/me/organizations/{}/workspaces", org), params=params)
    return ListCall(request, "workspaces", m.Workspace.model_validate)


def get_workspace(org: str, workspace: str) -> Call[m.Workspace]:
    return Call(Request("GET", path(WORKSPACE, org, workspace)), m.Workspace.model_validate)


def create_workspace(
    org: str,
    title: str,
    workspace_id: str | None,
    workspace_icon: str | None,
    workspace_icon_color: str | None,
) -> Call[m.Workspace]:
    request = Request(
        "POST",
        path(WORKSPACES, org),
        params={"workspace_id": workspace_id},
        json=_body(
            title=title, workspace_icon=workspace_icon, workspace_icon_color=workspace_icon_color
        ),
    )
    return Call(request, m.Workspace.model_validate)


def update_workspace(
    org: str,
    workspace: str,
    *,
    title: str | None,
    workspace_icon: str | None,
    workspace_icon_color: str | None,
    etag: str | None,
    update_mask: str | Sequence[str] | None,
) -> Call[m.Workspace]:
    body = _masked_body(
        update_mask,
        title=title,
        workspace_icon=workspace_icon,
        workspace_icon_color=workspace_icon_color,
    )
    if etag is not None:
        body["etag"] = etag.strip('"')
    request = Request(
        "PATCH",
        path(WORKSPACE, org, workspace),
        params={"update_mask": _mask(update_mask)},
        json=body,
    )
    return Call(request, m.Workspace.model_validate)


def delete_workspace(org: str, workspace: str, etag: str | None) -> Call[m.Workspace]:
    params = {"etag": etag.strip('"') if etag is not None else None}
    request = Request("DELETE", path(WORKSPACE, org, workspace), params=params)
    return Call(request, m.Workspace.model_validate)


def undelete_workspace(org: str, workspace: str) -> Call[m.Workspace]:
    request = Request("POST", path(WORKSPACE + ":undelete", org, workspace))
    return Call(request, m.Workspace.model_validate)


def _counts(body: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (body.get("counts") or {}).items()}


def count_users(org: str, workspace_ids: Iterable[str]) -> Call[dict[str, int]]:
    request = Request(
        "POST",
        path(WORKSPACES + ":countUsers", org),
        json={"workspace_ids": list(workspace_ids)},
        idempotent=True,  # a read
    )
    return Call(request, _counts)


# --- workspace members --------------------------------------------------------------


def list_members(
    org: str, workspace: str, filter: str | None, order_by: str | None
) -> ListCall[m.Member]:
    request = Request(
        "GET",
        path(WORKSPACE + "/users", org, workspace),
        params={"filter": filter, "order_by": order_by},
    )
    return ListCall(request, "users", m.Member.model_validate)


def add_member(org: str, workspace: str, user: str, role: str) -> Call[m.Member]:
    request = Request(
        "POST", path(WORKSPACE + "/users", org, workspace), json={"user": user, "role": role}
    )
    return Call(request, m.Member.model_validate)


def update_member(org: str, workspace: str, user: str, role: str) -> Call[m.Member]:
    request = Request(
        "PATCH", path(WORKSPACE + "/users/{}", org, workspace, user), json={"role": role}
    )
    return Call(request, m.Member.model_validate)


def remove_member(org: str, workspace: str, user: str) -> Call[None]:
    return Call(Request("DELETE", path(WORKSPACE + "/users/{}", org, workspace, user)), _none)


# --- organization users -------------------------------------------------------------


def list_organization_users(
    org: str, filter: str | None, order_by: str | None
) -> ListCall[m.OrganizationUser]:
    request = Request(
        "GET", path(ORG + "/users", org), params={"filter": filter, "order_by": order_by}
    )
    return ListCall(request, "users", m.OrganizationUser.model_validate)


def get_organization_user(org: str, user: str) -> Call[m.OrganizationUser]:
    request = Request("GET", path(ORG + "/users/{}", org, user))
    return Call(request, m.OrganizationUser.model_validate)


def add_organization_user(
    org: str, email: str, org_role: str | None, display_name: str | None
) -> Call[m.OrganizationUser]:
    request = Request(
        "POST",
        path(ORG + "/users", org),
        json=_body(email=email, org_role=org_role, display_name=display_name),
    )
    return Call(request, m.OrganizationUser.model_validate)


def update_organization_user(org: str, user: str, org_role: str) -> Call[m.OrganizationUser]:
    request = Request("PATCH", path(ORG + "/users/{}", org, user), json={"org_role": org_role})
    return Call(request, m.OrganizationUser.model_validate)


def remove_organization_user(org: str, user: str) -> Call[None]:
    return Call(Request("DELETE", path(ORG + "/users/{}", org, user)), _none)


# --- roles --------------------------------------------------------------------------


def list_roles(org: str) -> ListCall[m.Role]:
    return ListCall(Request("GET", path(ORG + "/roles", org)), "roles", m.Role.model_validate)


def list_workspace_roles(org: str, workspace: str) -> ListCall[m.Role]:
    request = Request("GET", path(WORKSPACE + "/roles", org, workspace))
    return ListCall(request, "roles", m.Role.model_validate)


def get_role(org: str, role_id: str) -> Call[m.Role]:
    return Call(Request("GET", path(ORG + "/roles/{}", org, role_id)), m.Role.model_validate)


def create_role(
    org: str, role_id: str, display_name: str, permissions: Iterable[str], description: str
) -> Call[m.Role]:
    request = Request(
        "POST",
        path(ORG + "/roles", org),
        json={
            "role_id": role_id,
            "display_name": display_name,
            "description": description,
            "permissions": list(permissions),
        },
    )
    return Call(request, m.Role.model_validate)


def update_role(
    org: str,
    role_id: str,
    display_name: str | None,
    description: str | None,
    permissions: Iterable[str] | None,
) -> Call[m.Role]:
    body = _body(
        display_name=display_name,
        description=description,
        permissions=list(permissions) if permissions is not None else None,
    )
    request = Request("PATCH", path(ORG + "/roles/{}", org, role_id), json=body)
    return Call(request, m.Role.model_validate)


def delete_role(org: str, role_id: str) -> Call[None]:
    return Call(Request("DELETE", path(ORG + "/roles/{}", org, role_id)), _none)


# --- preferences --------------------------------------------------------------------


def get_preferences(org: str, workspace: str) -> Call[m.Preferences]:
    request = Request("GET", path(WORKSPACE + "/preferences", org, workspace))
    return Call(request, m.Preferences.model_validate)


def update_preferences(
    org: str, workspace: str, support_team_access: bool | None
) -> Call[m.Preferences]:
    request = Request(
        "PATCH",
        path(WORKSPACE + "/preferences", org, workspace),
        json=_body(support_team_access=support_team_access),
    )
    return Call(request, m.Preferences.model_validate)


# --- invites ------------------------------------------------------------------------


def list_invites(
    org: str, workspace: str, filter: str | None, order_by: str | None
) -> ListCall[m.Invite]:
    request = Request(
        "GET",
        path(WORKSPACE + "/invites", org, workspace),
        params={"filter": filter, "order_by": order_by},
    )
    return ListCall(request, "invites", m.Invite.model_validate)


def create_invite(
    org: str, workspace: str, email: str, role: str, ttl: timedelta | float | str | None
) -> Call[m.Invite]:
    request = Request(
        "POST",
        path(WORKSPACE + "/invites", org, workspace),
        json=_body(email=email, role=role, ttl=duration(ttl)),
    )
    return Call(request, m.Invite.model_validate)


def get_invite(org: str, workspace: str, invite_id: str) -> Call[m.Invite]:
    request = Request("GET", path(WORKSPACE + "/invites/{}", org, workspace, invite_id))
    return Call(request, m.Invite.model_validate)


def resend_invite(org: str, workspace: str, invite_id: str) -> Call[m.Invite]:
    request = Request(
        "POST", path(WORKSPACE + "/invites/{}:resend", org, workspace, invite_id), json={}
    )
    return Call(request, m.Invite.model_validate)


def revoke_invite(org: str, workspace: str, invite_id: str) -> Call[m.Invite]:
    request = Request("DELETE", path(WORKSPACE + "/invites/{}", org, workspace, invite_id))
    return Call(request, m.Invite.model_validate)


def accept_invite(invite_token: str, display_name: str | None) -> Call[m.InviteAcceptance]:
    request = Request(
        "POST",
        API + "/invites:accept",
        json=_body(invite_token=invite_token, display_name=display_name),
    )
    return Call(request, m.InviteAcceptance.model_validate)


# --- personal access tokens ---------------------------------------------------------


def list_my_tokens() -> ListCall[m.Token]:
    return ListCall(Request("GET", API + "/me/tokens"), "tokens", m.Token.model_validate)


def create_my_token(
    display_name: str, expire_time: datetime | str | None, organization: str | None
) -> Call[m.CreatedToken]:
    request = Request(
        "POST",
        API + "/me/tokens",
        json=_body(
            display_name=display_name,
            expire_time=rfc3339(expire_time, "expire_time"),
            organization=organization,
        ),
    )
    return Call(request, m.CreatedToken.model_validate)


def revoke_my_token(token_id: str) -> Call[None]:
    return Call(Request("DELETE", path(API + "/me/tokens/{}", token_id)), _none)


def list_organization_tokens(org: str, filter: str | None) -> ListCall[m.Token]:
    request = Request("GET", path(ORG + "/tokens", org), params={"filter": filter})
    return ListCall(request, "tokens", m.Token.model_validate)


def revoke_organization_token(org: str, token_id: str) -> Call[None]:
    return Call(Request("DELETE", path(ORG + "/tokens/{}", org, token_id)), _none)


# --- API keys -----------------------------------------------------------------------


def create_api_key(
    org: str, display_name: str, permissions: Iterable[str], expire_time: datetime | str | None
) -> Call[m.CreatedApiKey]:
    request = Request(
        "POST",
        path(ORG + "/apiKeys", org),
        json=_body(
            display_name=display_name,
            permissions=list(permissions),
            expire_time=rfc3339(expire_time, "expire_time"),
        ),
    )
    return Call(request, m.CreatedApiKey.model_validate)


def list_api_keys(org: str) -> ListCall[m.ApiKey]:
    return ListCall(
        Request("GET", path(ORG + "/apiKeys", org)), "api_keys", m.ApiKey.model_validate
    )


def get_api_key(org: str, key_id: str) -> Call[m.ApiKey]:
    return Call(Request("GET", path(ORG + "/apiKeys/{}", org, key_id)), m.ApiKey.model_validate)


def revoke_api_key(org: str, key_id: str) -> Call[None]:
    return Call(Request("DELETE", path(ORG + "/apiKeys/{}", org, key_id)), _none)


# --- webhooks -----------------------------------------------------------------------

WEBHOOKS = ORG + "/webhooks"
WEBHOOK = WEBHOOKS + "/{}"


def create_webhook(
    org: str, url: str, event_types: Iterable[str] | None, description: str | None
) -> Call[m.WebhookWithSecret]:
    request = Request(
        "POST",
        path(WEBHOOKS, org),
        json=_body(
            url=url,
            event_types=list(event_types) if event_types is not None else None,
            description=description,
        ),
    )
    return Call(request, m.WebhookWithSecret.model_validate)


def list_webhooks(org: str) -> ListCall[m.Webhook]:
    return ListCall(Request("GET", path(WEBHOOKS, org)), "webhooks", m.Webhook.model_validate)


def get_webhook(org: str, webhook_id: str) -> Call[m.Webhook]:
    return Call(Request("GET", path(WEBHOOK, org, webhook_id)), m.Webhook.model_validate)


def update_webhook(
    org: str,
    webhook_id: str,
    url: str | None,
    event_types: Iterable[str] | None,
    description: str | None,
    disabled: bool | None,
) -> Call[m.Webhook]:
    body = _body(
        url=url,
        event_types=list(event_types) if event_types is not None else None,
        description=description,
        disabled=disabled,
    )
    request = Request("PATCH", path(WEBHOOK, org, webhook_id), json=body)
    return Call(request, m.Webhook.model_validate)


def delete_webhook(org: str, webhook_id: str) -> Call[None]:
    return Call(Request("DELETE", path(WEBHOOK, org, webhook_id)), _none)


def rotate_webhook_secret(org: str, webhook_id: str) -> Call[m.WebhookWithSecret]:
    request = Request("POST", path(WEBHOOK + ":rotateSecret", org, webhook_id))
    return Call(request, m.WebhookWithSecret.model_validate)


def list_deliveries(org: str, webhook_id: str) -> ListCall[m.Delivery]:
    request = Request("GET", path(WEBHOOK + "/deliveries", org, webhook_id))
    return ListCall(request, "deliveries", m.Delivery.model_validate)


def retry_delivery(org: str, webhook_id: str, delivery_id: str) -> Call[m.Delivery]:
    request = Request("POST", path(WEBHOOK + "/deliveries/{}:retry", org, webhook_id, delivery_id))
    return Call(request, m.Delivery.model_validate)


# --- events and the audit log -------------------------------------------------------


def list_events(org: str, after: str | None, page_size: int | None) -> Call[m.EventPage]:
    request = Request(
        "GET", path(ORG + "/events", org), params={"after": after, "page_size": page_size}
    )
    return Call(request, m.EventPage.model_validate)


def list_audit_events(org: str, filter: str | None, order_by: str | None) -> ListCall[m.AuditEvent]:
    request = Request(
        "GET", path(ORG + "/auditEvents", org), params={"filter": filter, "order_by": order_by}
    )
    return ListCall(request, "audit_events", m.AuditEvent.model_validate)


# --- me and permission checks -------------------------------------------------------


def me() -> Call[m.Me]:
    return Call(Request("GET", API + "/me"), m.Me.model_validate)


def _granted(body: Any) -> list[str]:
    return [str(p) for p in body.get("permissions") or []]


def test_permissions(org: str, workspace: str, permissions: Iterable[str]) -> Call[list[str]]:
    request = Request(
        "POST",
        path(WORKSPACE + ":testPermissions", org, workspace),
        json={"permissions": list(permissions)},
        idempotent=True,  # a read
    )
    return Call(request, _granted)


def _allowed(body: Any) -> list[bool]:
    return [bool(r.get("allowed")) for r in body.get("results") or []]


def _check(item: m.AccessCheck | Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(item, Mapping):
        return {k: str(item[k]) for k in ("user", "workspace", "permission")}
    user, workspace, permission = item
    return {"user": user, "workspace": workspace, "permission": permission}


def check_access(
    org: str, checks: Iterable[m.AccessCheck | Sequence[str] | Mapping[str, str]]
) -> Call[list[bool]]:
    request = Request(
        "POST",
        path(ORG + ":checkAccess", org),
        json={"checks": [_check(c) for c in checks]},
        idempotent=True,  # a read
    )
    return Call(request, _allowed)
