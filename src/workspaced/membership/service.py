"""Workspace membership: listing, adding, changing roles, removing, counting.

Every change locks the workspace first (`resolve(..., lock=True)`), so the last-owner
check and the write that depends on it see the same state under any concurrency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, require, require_all
from workspaced.authz.catalog import (
    OWNER_ROLE_ID,
)
from workspaced.invitation import lapse
from workspaced.kit import clock
from workspaced.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from workspaced.membership import repository
from workspaced.membership.listing import (  # re-exported: the membership API in one place
    MemberView,
    check_list_users,
    list_all_explicit,
    list_for_org_admin,
    list_users,
)
from workspaced.membership.listing import _member_view as member_view
from workspaced.models import User, WorkspaceMembership
from workspaced.organization import repository as organizations
from workspaced.role import service as roles
from workspaced.workspace import repository as workspaces_repository
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceContext

__all__ = [
    "MemberView",
    "add",
    "change_role",
    "check_list_users",
    "count_users",
    "list_all_explicit",
    "list_for_org_admin",
    "list_users",
    "remove",
]


def _find_org_member(session: Session, org_id: uuid.UUID, user_ref: str) -> User:
    found = organizations.find_member_by_ref(session, org_id, user_ref)
    if found is None:
        raise NotFound("user", user_ref)
    return found[1]


def _find_membership(session: Session, ctx: WorkspaceContext, user_ref: str) -> WorkspaceMembership:
    user = _find_org_member(session, ctx.organization.id, user_ref)
    membership = repository.get(session, ctx.organization.id, ctx.workspace.id, user.id)
    if membership is None:
        raise NotFound("user", user_ref)
    return membership


def add(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    user_ref: str,
    role: str,
    allow_role_display_name: bool = False,
) -> MemberView:
    """Make an organization member an explicit member of the workspace."""
    ctx, role_id = _granting(
        session, principal, org_ref, workspace_ref, "members:add", role, allow_role_display_name
    )
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    user = _find_org_member(session, org_id, user_ref)
    # The lock a removal of the user takes first: the new membership commits before the
    # removal (which then deletes it) or sees the user gone.
    if organizations.membership(session, org_id, user.id, lock=True) is None:
        raise NotFound("user", user_ref)
    if repository.get(session, org_id, ws_id, user.id) is not None:
        raise AlreadyExists(
            f"user {user_ref!r} is already a member of the workspace", resource_id=str(user.id)
        )
    session.add(
        repository.new(org_id, ws_id, user.id, role_id, added_by=principal.user_id, now=clock.now())
    )
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyExists(f"user {user_ref!r} is already a member of the workspace") from None
    workspaces_repository.add_to_member_count(session, org_id, ws_id, 1)
    audit.record(
        session,
        org_id=org_id,
        actor=principal,
        action="workspace.member.added",
        resource=f"{ctx.access.resource}/users/{user.id}",
        after={"role": role_id},
    )
    return member_view(session, ctx, user.id)


def _granting(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    permission: str,
    role: str,
    allow_role_display_name: bool,
) -> tuple[WorkspaceContext, str]:
    """Lock the workspace, check `permission`, and resolve the role to grant.

    No escalation: a caller may grant a role only if they hold all of its permissions
    (so a custom role with `members:add` cannot hand out `owner`).
    """
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref, lock=True)
    require(ctx.access, permission)
    role_id = roles.resolve_role_input(
        session, ctx.organization.id, role, allow_display_name=allow_role_display_name
    )
    require_all(ctx.access, roles.permissions_of(session, ctx.organization.id, role_id))
    return ctx, role_id


def _refuse_acting_on_superior(
    session: Session, ctx: WorkspaceContext, membership: WorkspaceMembership
) -> None:
    """Rule 4: changing or removing a member requires holding every permission of the
    member's role, so a custom role with `members:remove` cannot remove an owner."""
    require_all(ctx.access, roles.permissions_of(session, ctx.organization.id, membership.role_id))


def _refuse_losing_last_owner(
    session: Session, ctx: WorkspaceContext, membership: WorkspaceMembership
) -> None:
    if membership.role_id != OWNER_ROLE_ID:
        return
    if repository.count_owners(session, ctx.organization.id, ctx.workspace.id) <= 1:
        raise FailedPrecondition("a workspace must keep at least one owner", reason="LAST_OWNER")


def change_role(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    user_ref: str,
    role: str,
    allow_role_display_name: bool = False,
) -> MemberView:
    ctx, role_id = _granting(
        session, principal, org_ref, workspace_ref, "members:update", role, allow_role_display_name
    )
    membership = _find_membership(session, ctx, user_ref)
    _refuse_acting_on_superior(session, ctx, membership)
    if membership.role_id != role_id:
        if role_id != OWNER_ROLE_ID:
            _refuse_losing_last_owner(session, ctx, membership)
        audit.record(
            session,
            org_id=ctx.organization.id,
            actor=principal,
            action="workspace.member.role_changed",
            resource=f"{ctx.access.resource}/users/{membership.user_id}",
            before={"role": membership.role_id},
            after={"role": role_id},
        )
        membership.role_id = role_id
        membership.update_time = clock.now()
        session.flush()
        lapse.revoke_lapsed(
            session,
            principal,
            ctx.organization,
            inviter_id=membership.user_id,
            workspace_id=ctx.workspace.id,
        )
    return member_view(session, ctx, membership.user_id)


def remove(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str, *, user_ref: str
) -> MemberView:
    """Remove an explicit member; the membership as it was (some dialects answer with it)."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref, lock=True)
    require(ctx.access, "members:remove")
    membership = _find_membership(session, ctx, user_ref)
    _refuse_acting_on_superior(session, ctx, membership)
    _refuse_losing_last_owner(session, ctx, membership)
    removed = member_view(session, ctx, membership.user_id)
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    if repository.remove(session, org_id, ws_id, membership.user_id):
        workspaces_repository.add_to_member_count(session, org_id, ws_id, -1)
        audit.record(
            session,
            org_id=org_id,
            actor=principal,
            action="workspace.member.removed",
            resource=f"{ctx.access.resource}/users/{membership.user_id}",
            before={"role": membership.role_id},
        )
        lapse.revoke_lapsed(
            session,
            principal,
            ctx.organization,
            inviter_id=membership.user_id,
            workspace_id=ws_id,
        )
    return removed


MAX_COUNT_IDS = 1000


def count_users(
    session: Session, principal: Principal, org_ref: str, workspace_refs: Sequence[str]
) -> dict[str, int]:
    """For each workspace (as named by the caller), how many users an unfiltered user list
    shows. O(1) in workspace size: explicit members are a maintained counter."""
    if len(workspace_refs) > MAX_COUNT_IDS:
        raise InvalidArgument("workspace_ids", f"at most {MAX_COUNT_IDS} ids")
    contexts = {}
    for ref in workspace_refs:
        ctx = workspaces.resolve(session, principal, org_ref, ref)
        require(ctx.access, "members:list")
        contexts[ref] = ctx
    if not contexts:
        return {}
    org_id = next(iter(contexts.values())).organization.id
    admin_ids = organizations.admin_ids(session, org_id)
    overlap = repository.explicit_admin_counts(
        session, org_id, [ctx.workspace.id for ctx in contexts.values()], admin_ids
    )
    return {
        ref: ctx.workspace.member_count + len(admin_ids) - overlap.get(ctx.workspace.id, 0)
        for ref, ctx in contexts.items()
    }
