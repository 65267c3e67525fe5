"""Reading workspace membership: the user list (explicit and organization-scoped members,
filtered, ordered, keyset-paged), explicit members only, and member views."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Subquery,
    and_,
    bindparam,
    or_,
    select,
    union_all,
)
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
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.sorting import text_sort, timestamp_sort, uuid_sort
from workspaced.kit.tenancy import AnySelect
from workspaced.membership import repository
from workspaced.organization import service as organization_service
from workspaced.role import service as roles
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceContext


class MemberView(NamedTuple):
    """One member row as the dialects render it (a NamedTuple: pages build many of them,
    and a tuple is built several times faster than a frozen dataclass)."""

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


class PageScope(NamedTuple):
    """The organization and workspace fields every member view of one page repeats, read
    once per page rather than once per row."""

    org_id: uuid.UUID
    org_slug: str
    workspace_id: uuid.UUID
    workspace_slug: str

    @classmethod
    def of(cls, ctx: WorkspaceContext) -> PageScope:
        organization, workspace = ctx.organization, ctx.workspace
        return cls(organization.id, organization.slug, workspace.id, workspace.slug)


def view_of_row(scope: PageScope, row: Any, role_names: dict[str, str]) -> MemberView:
    """A member view from a row of `repository.MEMBER_COLUMNS`, unpacked by position: a
    SQLAlchemy Row resolves `row.name` only after a failed class-attribute lookup (an
    exception raised and discarded each time), and pages read ten fields of fifty rows."""
    (
        user_id,
        username,
        display_name,
        email,
        avatar_url,
        role_id,
        role_scope,
        added_by,
        created_time,
        updated_time,
    ) = row
    if role_scope == "organization":
        role_name = BUILT_IN_ORGANIZATION_ROLES[role_id].display_name
    else:
        role_name = role_names.get(role_id, role_id)
    return MemberView(
        *scope,
        user_id,
        username,
        display_name,
        email,
        avatar_url,
        role_id,
        role_name,
        role_scope,
        added_by,
        created_time,
        updated_time,
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


@dataclass(frozen=True)
class PageStatement:
    """A keyset page query over member arms, built once per shape and then reused.

    Its SQL depends only on the filter, the order and whether it continues after a page
    token; the organization, the workspace, the keyset values (`after_0`, `after_1`, ...)
    and the limit are bound parameters. Reusing the statement object lets SQLAlchemy skip
    building, cache-keying and compiling it, which cost ~20x more than running it.
    """

    prepared: PreparedSelect
    keys: list[SortKey]

    @property
    def statement(self) -> AnySelect:
        return self.prepared.statement


def _build_page_statement(
    arms: Sequence[Subquery],
    condition_for: Any,
    order_by: str,
    default_order: str,
    continued: bool,
) -> PageStatement:
    """Each arm is filtered, continued after the token and limited on its own index, then
    the few survivors are merged and limited again."""

    def keys_for(c: Any) -> list[SortKey]:
        return parse_order_by(
            order_by,
            _sort_fields(c),
            default=default_order,
            tiebreaker=("user_id", uuid_sort(c.user_id)),
        )

    limit = bindparam("limit", type_=Integer)
    limited = []
    for arm in arms:
        keys = keys_for(arm.c)
        query = select(arm).where(condition_for(arm.c))
        if continued:
            query = query.where(after(keys, [bindparam(f"after_{i}") for i in range(len(keys))]))
        limited.append(query.order_by(*order_clauses(keys)).limit(limit))
    if len(limited) == 1:
        statement: Any = limited[0]
        final_keys = keys_for(arms[0].c)
    else:
        # SQLite takes no ORDER BY/LIMIT on the arms of a compound, so each arm is wrapped;
        # the compound itself is ordered and limited without a further wrapper (one fewer
        # level of subquery for SQLite to materialize and sort).
        merged = union_all(*(select(query.subquery()) for query in limited))
        final_keys = keys_for(merged.selected_columns)
        statement = merged.order_by(*order_clauses(final_keys)).limit(limit)
    return PageStatement(PreparedSelect(statement), final_keys)


def _page_of(
    session: Session,
    page_statement: PageStatement,
    parameters: dict[str, Any],
    page: PageRequest,
    codec: PageTokenCodec,
    query_id: str,
) -> tuple[list[Any], str]:
    """One keyset page: `parameters` bind the arms (see `repository.arm_parameters`)."""
    keys = page_statement.keys
    bound = {**parameters, "limit": page.page_size + 1}
    if page.page_token:
        raw = codec.decode(page.page_token, query_id)
        if len(raw) != len(keys):
            raise InvalidArgument("page_token", "is not a valid page token for this request")
        try:
            for i, (key, value) in enumerate(zip(keys, raw, strict=True)):
                bound[f"after_{i}"] = key.field.decode(value)
        except (TypeError, ValueError):
            raise InvalidArgument("page_token", "is not a valid page token") from None
    prepared = page_statement.prepared
    rows = prepared.all(session.connection(), bound)
    if len(rows) <= page.page_size:
        return rows, ""
    rows = rows[: page.page_size]
    return rows, codec.encode(query_id, row_key(keys, rows[-1], prepared.position))


# Statements are few (one per filter/order/role-set/continuation combination in use) and
# hold SQL only, never rows or decisions. Bounded, since filters are caller-supplied.
_STATEMENT_CACHE = 512


@lru_cache(maxsize=_STATEMENT_CACHE)
def _users_statement(
    filter_text: str,
    order_by: str,
    role_names: tuple[tuple[str, str], ...],
    continued: bool,
) -> PageStatement:
    tree = filtering.parse(filter_text)
    names = dict(role_names)

    def condition_for(c: Any) -> ColumnElement[bool]:
        fields = {
            "role": _role_filter(c, names),
            "role_scope": _scope_filter(c),
            "search": filtering.search_field("search", c.display_name, c.email),
        }
        return filtering.compile_filter(tree, fields)

    arms = [repository.explicit_members(), repository.organization_scoped_members()]
    return _build_page_statement(arms, condition_for, order_by, "created_time desc", continued)


@lru_cache(maxsize=4)
def _explicit_statement(one_user: bool, continued: bool) -> PageStatement:
    def condition_for(c: Any) -> ColumnElement[bool]:
        if one_user:
            return c.user_id == bindparam("user_id")  # type: ignore[no-any-return]
        return c.user_id.is_not(None)  # type: ignore[no-any-return]

    arms = [repository.explicit_members()]
    return _build_page_statement(arms, condition_for, "", "created_time asc", continued)


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
    ctx, statement = _users_query(
        session, principal, org_ref, workspace_ref, filter_text, order_by, bool(page.page_token)
    )
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    query_id = fingerprint("workspace-users", str(ws_id), filter_text, order_by)
    rows, token = _page_of(
        session, statement, repository.arm_parameters(org_id, ws_id), page, codec, query_id
    )
    return _views(session, ctx, rows), token


def check_list_users(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    filter_text: str = "",
    order_by: str = "",
) -> None:
    """What `list_users` refuses before it reads a member: a caller without access, and a
    filter or ordering it cannot run (syntax, fields, the scan budget). A few keyed reads,
    so a dialect can refuse at once what would otherwise wait for a scan slot (SPEC §6)."""
    _users_query(session, principal, org_ref, workspace_ref, filter_text, order_by, False)


def _users_query(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    filter_text: str,
    order_by: str,
    continued: bool,
) -> tuple[WorkspaceContext, PageStatement]:
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "members:list")
    # Only a filter on `role` needs the organization's role names to build its SQL (a
    # false positive, e.g. "role" inside a search term, merely reads them).
    names = roles.display_names(session, ctx.organization.id) if "role" in filter_text else {}
    statement = _users_statement(filter_text, order_by, tuple(sorted(names.items())), continued)
    return ctx, statement


def _views(session: Session, ctx: WorkspaceContext, rows: Sequence[Any]) -> list[MemberView]:
    workspace_roles = (row[5] for row in rows if row[6] == "workspace")  # role_id, role_scope
    scope = PageScope.of(ctx)
    role_names = roles.display_names_for(session, scope.org_id, workspace_roles)
    return [view_of_row(scope, row, role_names) for row in rows]


def _resolve_for_org_admin(
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
        organization_service.resolve_admin(session, principal, org_ref, permission="members:list")
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    if ctx.access.org_role not in ORGANIZATION_ADMIN_ROLES:
        raise PermissionDenied(organization_service.ADMINISTER, ctx.access.resource)
    return ctx


def list_for_org_admin(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    user_id: uuid.UUID | None = None,
) -> tuple[list[MemberView], str]:
    """Organization owners/admins (the admin dialect): explicit members only, oldest first,
    one keyset page (optionally one user). Other members are refused before the workspace
    is looked up, with the same PermissionDenied for every workspace id."""
    ctx = _resolve_for_org_admin(
        session, principal, org_ref, workspace_ref, refuse_members_first=True
    )
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    query_id = fingerprint("explicit-members", str(ws_id), str(user_id))
    statement = _explicit_statement(user_id is not None, bool(page.page_token))
    parameters = repository.arm_parameters(org_id, ws_id) | {"user_id": user_id}
    rows, token = _page_of(session, statement, parameters, page, codec, query_id)
    return _views(session, ctx, rows), token


@lru_cache(maxsize=2)
def _all_explicit_statement(limited: bool) -> PreparedSelect:
    sub = repository.explicit_members()
    query = (
        select(sub)
        .order_by(sub.c.created_time, sub.c.user_id)
        .offset(bindparam("offset", type_=BigInteger))
    )
    return PreparedSelect(query.limit(bindparam("limit", type_=BigInteger)) if limited else query)


@lru_cache(maxsize=1)
def _explicit_after_statement() -> PreparedSelect:
    """The next batch of explicit members after (created_time, user_id), oldest first: a
    keyset walk, so each batch costs the same however deep into the list it is."""
    sub = repository.explicit_members()
    after_time = bindparam("after_time", type_=sub.c.created_time.type)
    after_id = bindparam("after_id", type_=sub.c.user_id.type)
    query = (
        select(sub)
        .where(
            or_(
                sub.c.created_time > after_time,
                and_(sub.c.created_time == after_time, sub.c.user_id > after_id),
            )
        )
        .order_by(sub.c.created_time, sub.c.user_id)
        .limit(bindparam("limit", type_=BigInteger))
    )
    return PreparedSelect(query)


STREAM_BATCH = 1000


def stream_all_explicit(
    read: Callable[[], AbstractContextManager[Session]],
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    batch_size: int = STREAM_BATCH,
) -> Iterator[list[MemberView]]:
    """Every explicit member, oldest first, in batches each read in its own short read
    (`read` opens one), so a list of any length holds one batch in memory at a time. The
    caller is authorized when the first batch is read (before anything is sent)."""
    with read() as session:
        ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
        require(ctx.access, "members:list")
        parameters = repository.arm_parameters(ctx.organization.id, ctx.workspace.id)
        rows = _all_explicit_statement(True).all(
            session.connection(), parameters | {"offset": 0, "limit": batch_size}
        )
        batch = _views(session, ctx, rows)
    while True:
        yield batch
        if len(batch) < batch_size:
            return
        last = batch[-1]
        with read() as session:
            rows = _explicit_after_statement().all(
                session.connection(),
                parameters
                | {"after_time": last.create_time, "after_id": last.user_id, "limit": batch_size},
            )
            batch = _views(session, ctx, rows)
        if not batch:
            return


@lru_cache(maxsize=1)
def _one_member_statement() -> PreparedSelect:
    sub = repository.explicit_members()
    return PreparedSelect(select(sub).where(sub.c.user_id == bindparam("user_id")))


def _member_view(session: Session, ctx: WorkspaceContext, user_id: uuid.UUID) -> MemberView:
    """One explicit member of the workspace (who must be one)."""
    parameters = repository.arm_parameters(ctx.organization.id, ctx.workspace.id)
    parameters["user_id"] = user_id
    row = _one_member_statement().first(session.connection(), parameters)
    if row is None:
        raise LookupError(f"{user_id} is not a member of the workspace")
    return _views(session, ctx, [row])[0]


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
    parameters = repository.arm_parameters(ctx.organization.id, ctx.workspace.id)
    parameters |= {"offset": offset, "limit": limit}
    statement = _all_explicit_statement(limit is not None)
    rows = statement.all(session.connection(), parameters)
    members = _views(session, ctx, rows)
    return members, ctx.workspace.member_count
