"""Workspace membership: listing, adding, changing roles, removing, counting.

Every change locks the workspace first (`resolve(..., lock=True)`), so the last-owner
check and the write that depends on it see the same state under any concurrency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, require
from workspaced.authz.catalog import (
    BUILT_IN_ORGANIZATION_ROLES,
    ORGANIZATION_ADMIN_ROLES,
    OWNER_ROLE_ID,
)
from workspaced.kit import clock, filtering
from workspaced.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from workspaced.kit.ordering import (
    SortField,
    SortKey,
    after,
    order_clauses,
    parse_order_by,
    row_key,
)
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest
from workspaced.kit.sorting import text_sort, timestamp_sort, uuid_sort
from workspaced.membership import repository
from workspaced.models import User, WorkspaceMembership
from workspaced.organization import repository as organizations
from workspaced.organization import service as organization_service
from workspaced.role import service as roles
from workspaced.workspace import repository as workspaces_repository
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceContext


@dataclass(frozen=True)
class MemberView:
    org_id: uuid.UUID
    org_slug: str
    workspace_id: uuid.UUID
    workspace_slug: str
    user_id: uuid.UUID
    username: str
    display_name: str
    email: str
    avatar_url: str | None
    role_id: str
    role_display_name: str
    role_scope: str
    added_by: uuid.UUID | None
    create_time: datetime
    update_time: datetime


def _view(ctx: WorkspaceContext, row: Any, role_names: dict[str, str]) -> MemberView:
    if row.role_scope == "organization":
        role_name = BUILT_IN_ORGANIZATION_ROLES[row.role_id].display_name
    else:
        role_name = role_names.get(row.role_id, row.role_id)
    return MemberView(
        org_id=ctx.organization.id,
        org_slug=ctx.organization.slug,
        workspace_id=ctx.workspace.id,
        workspace_slug=ctx.workspace.slug,
        user_id=row.user_id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        avatar_url=row.avatar_url,
        role_id=row.role_id,
        role_display_name=role_name,
        role_scope=row.role_scope,
        added_by=row.added_by,
        create_time=row.created_time,
        update_time=row.updated_time,
    )


def _member_view(session: Session, ctx: WorkspaceContext, user_id: uuid.UUID) -> MemberView:
    sub = repository.explicit_members(ctx.organization.id, ctx.workspace.id)
    row = session.execute(select(sub).where(sub.c.user_id == user_id)).one()
    return _view(ctx, row, roles.display_names(session, ctx.organization.id))


def _sort_fields(c: Any) -> dict[str, SortField]:
    return {
        "display_name": text_sort(c.display_name),
        "email": text_sort(c.email),
        "created_time": timestamp_sort(c.created_time),
        "updated_time": timestamp_sort(c.updated_time),
    }


def _role_filter(c: Any, role_names: dict[str, str]) -> filtering.FieldCompiler:
    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        if operator not in ("=", "!="):
            raise InvalidArgument("filter", f"role supports = and != (position {position})")
        wanted = value.lower()
        workspace_ids = [r for r, n in role_names.items() if wanted in (r.lower(), n.lower())]
        org_ids = [
            r
            for r, role in BUILT_IN_ORGANIZATION_ROLES.items()
            if wanted in (r, role.display_name.lower())
        ]
        matches = ((c.role_scope == "workspace") & c.role_id.in_(workspace_ids)) | (
            (c.role_scope == "organization") & c.role_id.in_(org_ids)
        )
        return matches if operator == "=" else ~matches  # type: ignore[no-any-return]

    return compile_


def _scope_filter(c: Any) -> filtering.FieldCompiler:
    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        if operator not in ("=", "!=") or value not in ("workspace", "organization"):
            raise InvalidArgument(
                "filter",
                f"role_scope supports = or != with workspace|organization (position {position})",
            )
        return (c.role_scope == value) if operator == "=" else (c.role_scope != value)  # type: ignore[no-any-return]

    return compile_


def _search_filter(c: Any) -> filtering.FieldCompiler:
    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        if operator != ":":
            raise InvalidArgument("filter", f"search supports ':' only (position {position})")
        needle = value.lower()
        return (  # type: ignore[no-any-return]
            c.display_name.ilike(f"%{_escape_like(needle)}%", escape="\\")
            | c.email.ilike(f"%{_escape_like(needle)}%", escape="\\")
        )

    return compile_


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _page_of(
    session: Session,
    arms: Sequence[Subquery],
    condition_for: Any,
    order_by: str,
    default_order: str,
    page: PageRequest,
    codec: PageTokenCodec,
    query_id: str,
) -> tuple[list[Any], str]:
    """Keyset page over the union of member arms: each arm is filtered, continued after
    the token and limited on its own index, then the few survivors are merged."""

    def keys_for(c: Any) -> list[SortKey]:
        return parse_order_by(
            order_by,
            _sort_fields(c),
            default=default_order,
            tiebreaker=("user_id", uuid_sort(c.user_id)),
        )

    values = None
    if page.page_token:
        raw = codec.decode(page.page_token, query_id)
        probe = keys_for(arms[0].c)
        if len(raw) != len(probe):
            raise InvalidArgument("page_token", "is not a valid page token for this request")
        try:
            values = [k.field.decode(v) for k, v in zip(probe, raw, strict=True)]
        except (TypeError, ValueError):
            raise InvalidArgument("page_token", "is not a valid page token") from None
    limited = []
    for arm in arms:
        keys = keys_for(arm.c)
        query = select(arm).where(condition_for(arm.c))
        if values is not None:
            query = query.where(after(keys, values))
        limited.append(
            select(query.order_by(*order_clauses(keys)).limit(page.page_size + 1).subquery())
        )
    merged = limited[0].subquery() if len(limited) == 1 else union_all(*limited).subquery()
    final_keys = keys_for(merged.c)
    rows = list(
        session.execute(
            select(merged).order_by(*order_clauses(final_keys)).limit(page.page_size + 1)
        )
    )
    if len(rows) <= page.page_size:
        return rows, ""
    rows = rows[: page.page_size]
    return rows, codec.encode(query_id, row_key(final_keys, rows[-1]))


def list_users(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
    order_by: str = "",
) -> tuple[list[MemberView], str]:
    """Everyone with access: explicit members (role_scope workspace) and organization
    owners/admins who are not explicit members (role_scope organization)."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "members:list")
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    role_names = roles.display_names(session, org_id)
    tree = filtering.parse(filter_text)

    def condition_for(c: Any) -> ColumnElement[bool]:
        fields = {
            "role": _role_filter(c, role_names),
            "role_scope": _scope_filter(c),
            "search": _search_filter(c),
        }
        return filtering.compile_filter(tree, fields)

    arms = [
        repository.explicit_members(org_id, ws_id),
        repository.organization_scoped_members(org_id, ws_id),
    ]
    query_id = fingerprint("workspace-users", str(ws_id), filter_text, order_by)
    rows, token = _page_of(
        session, arms, condition_for, order_by, "created_time desc", page, codec, query_id
    )
    return [_view(ctx, row, role_names) for row in rows], token


def resolve_for_org_admin(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    refuse_members_first: bool = False,
) -> WorkspaceContext:
    """Organization owners/admins reach any workspace of their organization whatever their
    workspace role; other organization members are refused; outsiders see nothing.

    With `refuse_members_first`, a member who is not an organization owner/admin is refused
    before the workspace is looked up: the same PermissionDenied for every workspace id
    (theirs, hidden, deleted or missing), so the answer still reveals nothing about it.
    """
    if refuse_members_first:
        org_access = organization_service.resolve(session, principal, org_ref)
        if org_access.org_role not in ORGANIZATION_ADMIN_ROLES:
            raise PermissionDenied(
                "organization:administer", f"organizations/{org_access.organization.slug}"
            )
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    if ctx.access.org_role not in ORGANIZATION_ADMIN_ROLES:
        raise PermissionDenied("organization:administer", ctx.access.resource)
    return ctx


def list_explicit_members(
    session: Session,
    ctx: WorkspaceContext,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    user_id: uuid.UUID | None = None,
) -> tuple[list[MemberView], str]:
    """Explicit members only, oldest first, one keyset page (optionally one user)."""
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    query_id = fingerprint("explicit-members", str(ws_id), str(user_id))

    def condition_for(c: Any) -> ColumnElement[bool]:
        return c.user_id == user_id if user_id is not None else c.user_id.is_not(None)  # type: ignore[no-any-return]

    rows, token = _page_of(
        session,
        [repository.explicit_members(org_id, ws_id)],
        condition_for,
        "",
        "created_time asc",
        page,
        codec,
        query_id,
    )
    role_names = roles.display_names(session, org_id)
    return [_view(ctx, row, role_names) for row in rows], token


def list_all_explicit(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[MemberView], int]:
    """Explicit members, oldest first, with their total (maintained, never counted)."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "members:list")
    sub = repository.explicit_members(ctx.organization.id, ctx.workspace.id)
    query = select(sub).order_by(sub.c.created_time, sub.c.user_id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    role_names = roles.display_names(session, ctx.organization.id)
    members = [_view(ctx, row, role_names) for row in session.execute(query)]
    return members, ctx.workspace.member_count


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
    if repository.get(session, org_id, ws_id, user.id) is not None:
        raise AlreadyExists(
            f"user {user_ref!r} is already a member of the workspace", resource_id=str(user.id)
        )
    now = clock.now()
    session.add(
        WorkspaceMembership(
            org_id=org_id,
            workspace_id=ws_id,
            user_id=user.id,
            role_id=role_id,
            added_by=principal.user_id,
            create_time=now,
            update_time=now,
        )
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
    return _member_view(session, ctx, user.id)


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
    missing = roles.permissions_of(session, ctx.organization.id, role_id) - ctx.access.permissions
    if missing:
        raise PermissionDenied(sorted(missing)[0], ctx.access.resource)
    return ctx, role_id


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
    return _member_view(session, ctx, membership.user_id)


def remove(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str, *, user_ref: str
) -> None:
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref, lock=True)
    require(ctx.access, "members:remove")
    membership = _find_membership(session, ctx, user_ref)
    _refuse_losing_last_owner(session, ctx, membership)
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
