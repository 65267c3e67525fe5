"""Reading workspace membership: the user list (explicit and organization-scoped members,
filtered, ordered, keyset-paged), explicit members only, and member views."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, select, union_all
from sqlalchemy.orm import Session

from workspaced.authz.access import Principal, require
from workspaced.authz.catalog import (
    BUILT_IN_ORGANIZATION_ROLES,
    ORGANIZATION_ADMIN_ROLES,
)
from workspaced.kit import filtering
from workspaced.kit.errors import (
    InvalidArgument,
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
from workspaced.organization import service as organization_service
from workspaced.role import service as roles
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


def view_of_row(ctx: WorkspaceContext, row: Any, role_names: dict[str, str]) -> MemberView:
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
            "search": filtering.search_field("search", c.display_name, c.email),
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
    return [view_of_row(ctx, row, role_names) for row in rows], token


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
        organization_service.resolve_admin(session, principal, org_ref)
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    if ctx.access.org_role not in ORGANIZATION_ADMIN_ROLES:
        raise PermissionDenied(organization_service.ADMINISTER, ctx.access.resource)
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
    return [view_of_row(ctx, row, role_names) for row in rows], token


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
    members = [view_of_row(ctx, row, role_names) for row in session.execute(query)]
    return members, ctx.workspace.member_count
