"""The resource groups of the sync `Client` (`client.workspaces`, `client.members`, ...).

`async_resources.py` has the same groups, method for method, for `AsyncClient`. Paths
and bodies come from `_routes.py`; arguments name the aip dialect's fields.

Identifiers: `org` is an organization slug or uid, `workspace` a workspace slug (its
`workspace_id`) or uid, `user` a user id or email.

`list` methods return an iterator that fetches the next page when the current one is
used up (`page_size` items per request); `page` methods return one `Page` and its
`next_page_token`. The first request is sent when iteration starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from workspaced.client import _routes as routes
from workspaced.client._http import SyncHTTP
from workspaced.client.models import (
    AccessCheck,
    ApiKey,
    AuditEvent,
    CreatedApiKey,
    CreatedOrganization,
    CreatedToken,
    Delivery,
    Event,
    EventPage,
    Invite,
    InviteAcceptance,
    Member,
    Organization,
    OrganizationUser,
    Page,
    Preferences,
    Role,
    Token,
    Webhook,
    WebhookWithSecret,
    Workspace,
)

UpdateMask = str | Sequence[str] | None
ROLES_PAGE = 1000  # the largest page the server gives


class _Resource:
    def __init__(self, http: SyncHTTP) -> None:
        self._http = http


class Organizations(_Resource):
    """Organizations (`/api/v1/organizations`)."""

    def list(self, *, page_size: int | None = None) -> Iterator[Organization]:
        """The caller's organizations (for an API key or token: its own one)."""
        return self._http.iterate(routes.list_organizations(), page_size)

    def page(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[Organization]:
        return self._http.page(routes.list_organizations(), page_size, page_token)

    def get(self, org: str) -> Organization:
        return self._http.call(routes.get_organization(org))

    def create(
        self, *, display_name: str, organization_id: str | None = None
    ) -> CreatedOrganization:
        """Create an organization with the caller as its owner (`organization_id`: its
        slug). With a personal access token, the result carries a new `token` at home in
        the new organization (a token acts only in its home)."""
        return self._http.call(routes.create_organization(display_name, organization_id))

    def update(
        self, org: str, *, display_name: str | None = None, update_mask: UpdateMask = None
    ) -> Organization:
        """Rename (owners and admins)."""
        return self._http.call(routes.update_organization(org, display_name, update_mask))

    def transfer_ownership(self, org: str, user: str) -> Organization:
        """Make `user` (id or email) an owner; the calling owner becomes an admin."""
        return self._http.call(routes.transfer_ownership(org, user))


class Workspaces(_Resource):
    """Workspaces (`/api/v1/organizations/{org}/workspaces`)."""

    def list(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        show_deleted: bool = False,
        page_size: int | None = None,
    ) -> Iterator[Workspace]:
        """The workspaces the caller can see. `filter` (AIP-160) on `title` (`=`, `!=`,
        `:`), `create_time`, `update_time`; `order_by` `title`, `create_time` or
        `update_time`, optionally `desc` (default `create_time desc`)."""
        return self._http.iterate(
            routes.list_workspaces(org, filter, order_by, show_deleted), page_size
        )

    def page(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        show_deleted: bool = False,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Workspace]:
        return self._http.page(
            routes.list_workspaces(org, filter, order_by, show_deleted), page_size, page_token
        )

    def list_mine(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Workspace]:
        """The workspaces the caller is an explicit member of (`/api/v1/me/...`; people
        only, not API keys)."""
        return self._http.iterate(routes.list_my_workspaces(org, filter, order_by), page_size)

    def page_mine(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Workspace]:
        return self._http.page(
            routes.list_my_workspaces(org, filter, order_by), page_size, page_token
        )

    def get(self, org: str, workspace: str) -> Workspace:
        """The workspace with the caller's `role` and `permissions` on it (a soft-deleted
        one too, with `delete_time` and `purge_time`)."""
        return self._http.call(routes.get_workspace(org, workspace))

    def create(
        self,
        org: str,
        *,
        title: str,
        workspace_id: str | None = None,
        workspace_icon: str | None = None,
        workspace_icon_color: str | None = None,
    ) -> Workspace:
        """Create a workspace; the caller becomes its owner. `workspace_id` is its slug
        (derived from the title when omitted; taken: `AlreadyExists`)."""
        return self._http.call(
            routes.create_workspace(org, title, workspace_id, workspace_icon, workspace_icon_color)
        )

    def update(
        self,
        org: str,
        workspace: str,
        *,
        title: str | None = None,
        workspace_icon: str | None = None,
        workspace_icon_color: str | None = None,
        etag: str | None = None,
        update_mask: UpdateMask = None,
    ) -> Workspace:
        """Change the fields given. A field named in `update_mask` is sent even when None,
        which clears it: `update(org, ws, update_mask=["workspace_icon"])`. With `etag`
        (from an earlier read) a concurrent change makes it fail with `Aborted`."""
        return self._http.call(
            routes.update_workspace(
                org,
                workspace,
                title=title,
                workspace_icon=workspace_icon,
                workspace_icon_color=workspace_icon_color,
                etag=etag,
                update_mask=update_mask,
            )
        )

    def delete(self, org: str, workspace: str, *, etag: str | None = None) -> Workspace:
        """Soft-delete: returns the workspace with `delete_time`/`purge_time`; it can be
        undeleted until `purge_time`."""
        return self._http.call(routes.delete_workspace(org, workspace, etag))

    def undelete(self, org: str, workspace: str) -> Workspace:
        return self._http.call(routes.undelete_workspace(org, workspace))

    def count_users(self, org: str, workspace_ids: Iterable[str]) -> dict[str, int]:
        """How many users each workspace lists, keyed by the id as sent (at most 1000)."""
        return self._http.call(routes.count_users(org, workspace_ids))


class Members(_Resource):
    """Users of a workspace (`.../workspaces/{ws}/users`)."""

    def list(
        self,
        org: str,
        workspace: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Member]:
        """`filter`: `role="Workspace Viewer"` (display name or role id),
        `role_scope=workspace|organization`, `search:"john"`, joined with `AND`;
        `order_by`: `display_name`, `email`, `created_time`, `updated_time` (+ `desc`)."""
        return self._http.iterate(routes.list_members(org, workspace, filter, order_by), page_size)

    def page(
        self,
        org: str,
        workspace: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Member]:
        return self._http.page(
            routes.list_members(org, workspace, filter, order_by), page_size, page_token
        )

    def add(self, org: str, workspace: str, user: str, *, role: str) -> Member:
        """Add an organization user (id or email) with a role (id or display name)."""
        return self._http.call(routes.add_member(org, workspace, user, role))

    def update(self, org: str, workspace: str, user: str, *, role: str) -> Member:
        """Change a member's role."""
        return self._http.call(routes.update_member(org, workspace, user, role))

    def remove(self, org: str, workspace: str, user: str) -> None:
        self._http.call(routes.remove_member(org, workspace, user))


class OrganizationUsers(_Resource):
    """Users of an organization (`/api/v1/organizations/{org}/users`)."""

    def list(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[OrganizationUser]:
        return self._http.iterate(routes.list_organization_users(org, filter, order_by), page_size)

    def page(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[OrganizationUser]:
        return self._http.page(
            routes.list_organization_users(org, filter, order_by), page_size, page_token
        )

    def get(self, org: str, user: str) -> OrganizationUser:
        return self._http.call(routes.get_organization_user(org, user))

    def add(
        self,
        org: str,
        *,
        email: str,
        org_role: str | None = None,
        display_name: str | None = None,
    ) -> OrganizationUser:
        """Add a user by email (created as an unverified placeholder if new);
        `org_role` owner, admin or member (the server's default: member)."""
        return self._http.call(routes.add_organization_user(org, email, org_role, display_name))

    def update(self, org: str, user: str, *, org_role: str) -> OrganizationUser:
        return self._http.call(routes.update_organization_user(org, user, org_role))

    def remove(self, org: str, user: str) -> None:
        """Remove a user from the organization and all its workspaces."""
        self._http.call(routes.remove_organization_user(org, user))


class Roles(_Resource):
    """Workspace roles: built-in and the organization's custom ones."""

    def list(self, org: str) -> Iterator[Role]:
        """The organization's roles (one page holds them all)."""
        return self._http.iterate(routes.list_roles(org), None)

    def list_for_workspace(self, org: str, workspace: str) -> Iterator[Role]:
        """The roles assignable in a workspace (needs `roles:list` there). The server
        answers them in one page, cut to `page_size` with no next page token, so this
        always asks for the largest page."""
        return self._http.iterate(routes.list_workspace_roles(org, workspace), ROLES_PAGE)

    def get(self, org: str, role_id: str) -> Role:
        return self._http.call(routes.get_role(org, role_id))

    def create(
        self,
        org: str,
        *,
        role_id: str,
        display_name: str,
        permissions: Iterable[str],
        description: str = "",
    ) -> Role:
        """A custom workspace role (the caller must hold every permission it carries)."""
        return self._http.call(
            routes.create_role(org, role_id, display_name, permissions, description)
        )

    def update(
        self,
        org: str,
        role_id: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        permissions: Iterable[str] | None = None,
    ) -> Role:
        return self._http.call(
            routes.update_role(org, role_id, display_name, description, permissions)
        )

    def delete(self, org: str, role_id: str) -> None:
        """Delete a custom role nobody holds."""
        self._http.call(routes.delete_role(org, role_id))


class PreferencesResource(_Resource):
    """A workspace's preferences (`.../workspaces/{ws}/preferences`)."""

    def get(self, org: str, workspace: str) -> Preferences:
        return self._http.call(routes.get_preferences(org, workspace))

    def update(
        self, org: str, workspace: str, *, support_team_access: bool | None = None
    ) -> Preferences:
        return self._http.call(routes.update_preferences(org, workspace, support_team_access))


class Invites(_Resource):
    """Invitations to a workspace; workspaced mails the invite token to the invitee."""

    def list(
        self,
        org: str,
        workspace: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Invite]:
        """`filter` on `state` (PENDING, ACCEPTED, REVOKED, EXPIRED) and `email`;
        `order_by` `create_time` (default, desc), `expire_time`, `email`."""
        return self._http.iterate(routes.list_invites(org, workspace, filter, order_by), page_size)

    def page(
        self,
        org: str,
        workspace: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Invite]:
        return self._http.page(
            routes.list_invites(org, workspace, filter, order_by), page_size, page_token
        )

    def create(
        self,
        org: str,
        workspace: str,
        *,
        email: str,
        role: str,
        ttl: timedelta | float | str | None = None,
    ) -> Invite:
        """Invite `email` with `role`; `ttl` as a timedelta, seconds or `"86400s"`
        (default 7 days, at most 30)."""
        return self._http.call(routes.create_invite(org, workspace, email, role, ttl))

    def get(self, org: str, workspace: str, invite_id: str) -> Invite:
        return self._http.call(routes.get_invite(org, workspace, invite_id))

    def resend(self, org: str, workspace: str, invite_id: str) -> Invite:
        """Mail a pending invite again, with a new secret (the old link stops working);
        the caller becomes its inviter. A POST: not retried."""
        return self._http.call(routes.resend_invite(org, workspace, invite_id))

    def revoke(self, org: str, workspace: str, invite_id: str) -> Invite:
        """Revoke a pending invite (`FailedPrecondition` if accepted or revoked)."""
        return self._http.call(routes.revoke_invite(org, workspace, invite_id))

    def accept(self, invite_token: str, *, display_name: str | None = None) -> InviteAcceptance:
        """Accept as the signed-in invitee; or, with a client built without a token,
        create an account named `display_name` (the result then carries its `token`)."""
        return self._http.call(routes.accept_invite(invite_token, display_name))


class Tokens(_Resource):
    """Personal access tokens: the caller's own, and (owners/admins) the organization's."""

    def list(self, *, page_size: int | None = None) -> Iterator[Token]:
        """The caller's tokens (never their secrets)."""
        return self._http.iterate(routes.list_my_tokens(), page_size)

    def page(self, *, page_size: int | None = None, page_token: str | None = None) -> Page[Token]:
        return self._http.page(routes.list_my_tokens(), page_size, page_token)

    def create(
        self,
        *,
        display_name: str,
        expire_time: datetime | str | None = None,
        organization: str | None = None,
    ) -> CreatedToken:
        """A new token for the caller; its secret is in `.token`, shown only here.
        `organization` is its home (default: the calling token's; required with a JWT)."""
        return self._http.call(routes.create_my_token(display_name, expire_time, organization))

    def revoke(self, token_id: str) -> None:
        self._http.call(routes.revoke_my_token(token_id))

    def list_for_organization(
        self, org: str, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[Token]:
        """Owners/admins: the tokens at home in the organization (`filter`:
        `user_id = "<uuid>"`)."""
        return self._http.iterate(routes.list_organization_tokens(org, filter), page_size)

    def page_for_organization(
        self,
        org: str,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Token]:
        return self._http.page(routes.list_organization_tokens(org, filter), page_size, page_token)

    def revoke_for_organization(self, org: str, token_id: str) -> None:
        self._http.call(routes.revoke_organization_token(org, token_id))


class ApiKeys(_Resource):
    """Organization API keys (owners and admins, with their own credential)."""

    def create(
        self,
        org: str,
        *,
        display_name: str,
        permissions: Iterable[str],
        expire_time: datetime | str | None = None,
    ) -> CreatedApiKey:
        """A new key; its secret (`wsk_...`) is in `.key`, shown only here."""
        return self._http.call(routes.create_api_key(org, display_name, permissions, expire_time))

    def list(self, org: str, *, page_size: int | None = None) -> Iterator[ApiKey]:
        return self._http.iterate(routes.list_api_keys(org), page_size)

    def page(
        self, org: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[ApiKey]:
        return self._http.page(routes.list_api_keys(org), page_size, page_token)

    def get(self, org: str, key_id: str) -> ApiKey:
        return self._http.call(routes.get_api_key(org, key_id))

    def revoke(self, org: str, key_id: str) -> None:
        self._http.call(routes.revoke_api_key(org, key_id))


class Webhooks(_Resource):
    """Webhook endpoints and their deliveries (`/api/v1/organizations/{org}/webhooks`)."""

    def create(
        self,
        org: str,
        *,
        url: str,
        event_types: Iterable[str] | None = None,
        description: str | None = None,
    ) -> WebhookWithSecret:
        """A new endpoint (`event_types` absent or empty: every type); its signing secret
        is in `.secret`, shown only here: keep it for `verify_webhook`."""
        return self._http.call(routes.create_webhook(org, url, event_types, description))

    def list(self, org: str, *, page_size: int | None = None) -> Iterator[Webhook]:
        return self._http.iterate(routes.list_webhooks(org), page_size)

    def page(
        self, org: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[Webhook]:
        return self._http.page(routes.list_webhooks(org), page_size, page_token)

    def get(self, org: str, webhook_id: str) -> Webhook:
        return self._http.call(routes.get_webhook(org, webhook_id))

    def update(
        self,
        org: str,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: Iterable[str] | None = None,
        description: str | None = None,
        disabled: bool | None = None,
    ) -> Webhook:
        """Change the fields given (None: left alone; `event_types=[]`: every type)."""
        return self._http.call(
            routes.update_webhook(org, webhook_id, url, event_types, description, disabled)
        )

    def delete(self, org: str, webhook_id: str) -> None:
        self._http.call(routes.delete_webhook(org, webhook_id))

    def rotate_secret(self, org: str, webhook_id: str) -> WebhookWithSecret:
        """A new secret (in `.secret`); the old one keeps signing beside it for 24 h."""
        return self._http.call(routes.rotate_webhook_secret(org, webhook_id))

    def deliveries(
        self, org: str, webhook_id: str, *, page_size: int | None = None
    ) -> Iterator[Delivery]:
        """The endpoint's deliveries, newest first."""
        return self._http.iterate(routes.list_deliveries(org, webhook_id), page_size)

    def deliveries_page(
        self,
        org: str,
        webhook_id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Delivery]:
        return self._http.page(routes.list_deliveries(org, webhook_id), page_size, page_token)

    def retry(self, org: str, webhook_id: str, delivery_id: str) -> Delivery:
        """Make a delivery (and the endpoint's pending queue) due now."""
        return self._http.call(routes.retry_delivery(org, webhook_id, delivery_id))


class Events(_Resource):
    """The organization's event feed, in commit order (owners/admins, API keys holding
    `events:list`)."""

    def list(self, org: str, *, after: str = "", page_size: int | None = None) -> EventPage:
        """One page of events after the cursor `after` ("": from the start) and the
        cursor to pass next (`next_cursor`; unchanged when nothing new committed)."""
        return self._http.call(routes.list_events(org, after or None, page_size))

    def iterate(
        self, org: str, *, after: str = "", page_size: int | None = None
    ) -> Iterator[Event]:
        """Every event after `after`, page after page, until the feed has no more; each
        event's `cursor` is where to resume (store the last one you processed)."""
        cursor = after
        while True:
            page = self.list(org, after=cursor, page_size=page_size)
            yield from page.events
            if not page.events or page.next_cursor == cursor:
                return
            cursor = page.next_cursor


class AuditEvents(_Resource):
    """The organization's audit log (owners/admins, API keys holding `audit:list`)."""

    def list(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[AuditEvent]:
        return self._http.iterate(routes.list_audit_events(org, filter, order_by), page_size)

    def page(
        self,
        org: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[AuditEvent]:
        return self._http.page(
            routes.list_audit_events(org, filter, order_by), page_size, page_token
        )


class Permissions(_Resource):
    """Permission checks (SPEC §8)."""

    def test(self, org: str, workspace: str, permissions: Iterable[str]) -> list[str]:
        """Which of `permissions` the caller holds on the workspace."""
        return self._http.call(routes.test_permissions(org, workspace, permissions))

    def check(
        self, org: str, checks: Iterable[AccessCheck | Sequence[str] | Mapping[str, str]]
    ) -> list[bool]:
        """For each `(user, workspace, permission)`, in order: may that user do it? (At
        most 100; owners/admins and API keys holding `access:check`.) A user or
        workspace outside the organization is simply False."""
        return self._http.call(routes.check_access(org, checks))
