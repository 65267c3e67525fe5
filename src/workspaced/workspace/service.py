"""Workspaces: who sees them, creating, listing, updating, soft delete and undelete."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import (
    Principal,
    WorkspaceAccess,
    can_see_workspace,
    effective_permissions,
    require,
    require_all,
)
from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES, OWNER_PERMISSIONS, OWNER_ROLE_ID
from workspaced.kit import clock, filtering
from workspaced.kit.errors import (
    Aborted,
    AlreadyExists,
    Deleted,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from workspaced.kit.ids import WORKSPACE_SLUG_MAX, slug_problem, slugify
from workspaced.kit.ordering import parse_order_by
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.sorting import text_sort, timestamp_sort, uuid_sort
from workspaced.kit.validation import check_text
from workspaced.membership import repository as memberships
from workspaced.models import Workspace, WorkspacePreferences
from workspaced.organization import repository as organization_repository
from workspaced.organization import service as organizations
from workspaced.role import service as roles
from workspaced.workspace import repository
from workspaced.workspace.records import (
    WORKSPACE_FIELDS,
    CreatorRecord,
    Named,
    OrganizationRecord,
    WorkspaceRecord,
)

SOFT_DELETE_RETENTION = timedelta(days=30)
TITLE_MAX = 200
ICON_MAX = 200
ICON_COLOR_MAX = 50


@dataclass(frozen=True)
class WorkspaceView:
    uid: uuid.UUID
    slug: str
    org_id: uuid.UUID
    org_slug: str
    title: str
    icon: str | None
    icon_color: str | None
    creator_id: uuid.UUID | None
    creator_display_name: str | None
    creator_email: str | None
    create_time: datetime
    update_time: datetime
    delete_time: datetime | None
    purge_time: datetime | None
    etag: str
    member_count: int
    # What the caller holds on it (SPEC §8), where the operation worked that out: their
    # explicit workspace role (None: access through the organization role) and permissions.
    caller_role: str | None = None
    caller_permissions: frozenset[str] | None = None


@dataclass(frozen=True)
class WorkspaceContext:
    """A resolved workspace and what the caller holds on it."""

    organization: OrganizationRecord
    workspace: WorkspaceRecord
    access: WorkspaceAccess
    creator: CreatorRecord | None = None  # resolved `with_creator` only


def _view(org: Named, m: Mapping[str, Any]) -> WorkspaceView:
    # By key (a Row's `_mapping`): `row.name` on a SQLAlchemy Row raises and discards an
    # AttributeError before it finds the column.
    return WorkspaceView(
        uid=m["id"],
        slug=m["slug"],
        org_id=org.id,
        org_slug=org.slug,
        title=m["title"],
        icon=m["icon"],
        icon_color=m["icon_color"],
        creator_id=m["creator_id"],
        creator_display_name=m["creator_display_name"],
        creator_email=m["creator_email"],
        create_time=m["create_time"],
        update_time=m["update_time"],
        delete_time=m["delete_time"],
        purge_time=m["purge_time"],
        etag=m["etag"],
        member_count=m["member_count"],
    )


def _view_of_record(
    org: OrganizationRecord, workspace: WorkspaceRecord, creator: CreatorRecord | None
) -> WorkspaceView:
    """The view `view_of` reads, from what the resolution already read."""
    fields = {name: getattr(workspace, name) for name in WORKSPACE_FIELDS}
    fields["creator_display_name"] = creator.display_name if creator else None
    fields["creator_email"] = creator.email if creator else None
    return _view(org, fields)


@lru_cache(maxsize=1)
def _view_by_id() -> PreparedSelect:
    # Built and compiled once, values bound at execution: every workspace read and write
    # ends here.
    query = repository.view_query(bindparam("org_id"))
    return PreparedSelect(query.where(Workspace.id == bindparam("workspace_id")))


def view_of(session: Session, org: Named, workspace: Named) -> WorkspaceView:
    parameters = {"org_id": org.id, "workspace_id": workspace.id}
    prepared = _view_by_id()
    row = prepared.first(session.connection(), parameters)
    if row is None:
        raise LookupError(f"workspace {workspace.id} vanished inside its transaction")
    return _view(org, dict(zip(prepared.columns, row, strict=True)))


def resource_name(org_slug: str, workspace_slug: str) -> str:
    return f"organizations/{org_slug}/workspaces/{workspace_slug}"


def resolve(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    include_deleted: bool = False,
    lock: bool = False,
    with_creator: bool = False,
) -> WorkspaceContext:
    """The workspace if the caller can see it, with the caller's permissions on it.

    Invisible and missing answer the same NotFound. A visible but soft-deleted workspace
    answers Deleted (a NotFound) unless `include_deleted`. `lock` takes the row lock that
    serializes every membership change of the workspace (PostgreSQL; SQLite's writer lock
    already does). `with_creator` also reads the creator's name and email (not locking).
    """
    creator = None
    if lock:
        # Writers lock the workspace row alone (FOR UPDATE OF workspaces); the one-query
        # read below outer-joins it, which PostgreSQL cannot lock. Two steps here.
        org_access = organizations.resolve(session, principal, org_ref)
        org, org_role = OrganizationRecord.of(org_access.organization), org_access.org_role
        locked, role_id = repository.find_with_member_role(
            session, org.id, workspace_ref, principal.user_id, lock=True
        )
        workspace = WorkspaceRecord.of(locked) if locked is not None else None
    else:
        found = repository.find_with_organization(
            session, org_ref, workspace_ref, principal.user_id, with_creator=with_creator
        )
        if found is None or not principal.acts_in(found[0].id):
            raise NotFound("organization", org_ref)
        org, org_role, workspace, role_id, creator = found
    if workspace is None or _purged(workspace):
        raise NotFound("workspace", workspace_ref)
    if not can_see_workspace(org_role, role_id):
        raise NotFound("workspace", workspace_ref)
    if workspace.delete_time is not None and not include_deleted:
        raise Deleted("workspace", workspace_ref)
    workspace_permissions = (
        roles.permissions_of(session, org.id, role_id) if role_id is not None else frozenset()
    )
    access = WorkspaceAccess(
        resource=resource_name(org.slug, workspace.slug),
        org_role=org_role,
        workspace_role_id=role_id,
        permissions=principal.limit(effective_permissions(org_role, workspace_permissions)),
    )
    return WorkspaceContext(org, workspace, access, creator)


def _purged(workspace: WorkspaceRecord) -> bool:
    """Past its purge time a soft-deleted workspace is gone for every caller."""
    return workspace.purge_time is not None and workspace.purge_time <= clock.now()


def get(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    include_deleted: bool = False,
) -> WorkspaceView:
    ctx = resolve(
        session,
        principal,
        org_ref,
        workspace_ref,
        include_deleted=include_deleted,
        with_creator=True,
    )
    require(ctx.access, "workspaces:get")
    view = _view_of_record(ctx.organization, ctx.workspace, ctx.creator)
    return replace(
        view,
        caller_role=ctx.access.workspace_role_id,
        caller_permissions=ctx.access.permissions,
    )


def _free_slug(session: Session, org_id: uuid.UUID, title: str) -> str:
    base = slugify(title, WORKSPACE_SLUG_MAX)
    if not repository.live_slug_taken(session, org_id, base):
        return base
    for _ in range(8):
        suffix = secrets.token_hex(3)
        candidate = f"{base[: WORKSPACE_SLUG_MAX - len(suffix) - 1]}-{suffix}"
        if not repository.live_slug_taken(session, org_id, candidate):
            return candidate
    raise AlreadyExists("could not derive a free workspace id from the title; pass one")


def create(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    title: str,
    slug: str | None = None,
    icon: str | None = None,
    icon_color: str | None = None,
    slug_field: str = "workspace_id",
) -> WorkspaceView:
    """Create a workspace; any organization member may, and becomes its owner (an API key
    holding `workspaces:create` may, and its creator becomes the owner: rule 9 wants a
    person)."""
    org = organizations.resolve(session, principal, org_ref).organization
    principal.require_key_permission("workspaces:create", f"organizations/{org.slug}")
    # The lock a removal of the creator takes first: the workspace (and its creator's
    # ownership) commits before the removal, which then sees it, or finds the creator gone.
    if organization_repository.membership(session, org.id, principal.user_id, lock=True) is None:
        raise NotFound("organization", org_ref)
    check_text("title", title, TITLE_MAX, required=True)
    check_text("workspace_icon", icon, ICON_MAX, required=False)
    check_text("workspace_icon_color", icon_color, ICON_COLOR_MAX, required=False)
    if slug is not None:
        problem = slug_problem(slug, WORKSPACE_SLUG_MAX)
        if problem:
            raise InvalidArgument(slug_field, problem)
        if repository.live_slug_taken(session, org.id, slug):
            raise AlreadyExists(f"workspace {slug!r} already exists", resource_id=slug)
    else:
        slug = _free_slug(session, org.id, title)
    now = clock.now()
    workspace = Workspace(
        org_id=org.id,
        id=uuid.uuid4(),
        slug=slug,
        title=title,
        icon=icon,
        icon_color=icon_color,
        creator_id=principal.user_id,
        create_time=now,
        update_time=now,
        etag=secrets.token_hex(8),
        member_count=1,
    )
    session.add(workspace)
    try:
        # The partial unique index decides a race between two creators of one slug.
        session.flush()
    except IntegrityError:
        raise AlreadyExists(f"workspace {slug!r} already exists", resource_id=slug) from None
    session.add_all(
        [
            memberships.new(
                org.id,
                workspace.id,
                principal.user_id,
                OWNER_ROLE_ID,
                added_by=principal.user_id,
                now=now,
            ),
            WorkspacePreferences(
                org_id=org.id, workspace_id=workspace.id, support_team_access=False, update_time=now
            ),
        ]
    )
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="workspace.created",
        resource=resource_name(org.slug, slug),
        after={"uid": workspace.id, "title": title, "icon": icon, "icon_color": icon_color},
    )
    return view_of(session, org, workspace)


FILTER_FIELDS: dict[str, filtering.FieldCompiler] = {
    "title": filtering.string_field("title", Workspace.title),
    "create_time": filtering.timestamp_field("create_time", Workspace.create_time),
    "update_time": filtering.timestamp_field("update_time", Workspace.update_time),
}
SORT_FIELDS = {
    "title": text_sort(Workspace.title),
    "create_time": timestamp_sort(Workspace.create_time),
    "update_time": timestamp_sort(Workspace.update_time),
}
_TIEBREAKER = ("id", uuid_sort(Workspace.id))


def list_visible(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
    order_by: str = "",
    show_deleted: bool = False,
    only_member_of: bool = False,
) -> tuple[list[WorkspaceView], str]:
    """The workspaces the caller can see (organization admins see all unless
    `only_member_of`), filtered (AIP-160), ordered (AIP-132), one keyset page."""
    if only_member_of:
        principal.require_person("users/me")  # a key is a member of nothing
    org_access = organizations.resolve(session, principal, org_ref)
    org = org_access.organization
    # A key sees every workspace (as an admin) only if it may see workspaces at all.
    principal.require_key_permission("workspaces:get", f"organizations/{org.slug}")
    condition = filtering.compile_filter(filtering.parse(filter_text), FILTER_FIELDS)
    keys = parse_order_by(order_by, SORT_FIELDS, default="create_time desc", tiebreaker=_TIEBREAKER)
    query = repository.view_query(org.id).where(condition)
    if not show_deleted:
        query = query.where(Workspace.delete_time.is_(None))
    else:
        query = query.where(or_(Workspace.purge_time.is_(None), Workspace.purge_time > clock.now()))
    if only_member_of or org_access.org_role not in ORGANIZATION_ADMIN_ROLES:
        query = repository.visible_to_member(query, org.id, principal.user_id)
    query_id = fingerprint(
        "workspaces",
        str(org.id),
        str(principal.user_id),
        filter_text,
        order_by,
        str(show_deleted),
        str(only_member_of),
    )
    rows, token = keyset_page(session, query, keys, page, codec, query_id)
    return [_view(org, row._mapping) for row in rows], token


STREAM_BATCH = 1000


def stream_visible(
    read: Callable[[], AbstractContextManager[Session]],
    principal: Principal,
    org_ref: str,
    *,
    codec: PageTokenCodec,
    order_by: str = "",
    batch_size: int | None = None,
) -> Iterator[list[WorkspaceView]]:
    """Every workspace `list_visible` shows, page after keyset page, each read in its own
    short read (`read` opens one): a list of any length holds one page in memory at a
    time. The caller is authorized when the first page is read (before anything is sent).
    Pages follow keys, not a snapshot: a workspace created meanwhile may or may not
    appear, none appears twice."""
    batch_size = batch_size or STREAM_BATCH
    page = PageRequest(batch_size)
    while True:
        with read() as session:
            views, token = list_visible(
                session, principal, org_ref, page=page, codec=codec, order_by=order_by
            )
        yield views
        if not token:
            return
        page = PageRequest(batch_size, token)


UPDATABLE_FIELDS = {"title": TITLE_MAX, "icon": ICON_MAX, "icon_color": ICON_COLOR_MAX}


def update(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    changes: dict[str, str | None],
    *,
    etag: str | None = None,
) -> WorkspaceView:
    """Change title/icon/icon_color. With `etag`, only if nobody changed it meanwhile."""
    ctx = resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "workspaces:update")
    for field, value in changes.items():
        if field not in UPDATABLE_FIELDS:
            raise InvalidArgument("update_mask", f"field {field!r} cannot be updated")
        check_text(field, value, UPDATABLE_FIELDS[field], required=field == "title")
    if etag is not None and etag != ctx.workspace.etag:
        raise Aborted("the workspace changed since the etag was read", etag=ctx.workspace.etag)
    before = {field: getattr(ctx.workspace, field) for field in changes}
    values: dict[str, Any] = {**changes, "update_time": clock.now(), "etag": secrets.token_hex(8)}
    if not repository.conditional_update(session, ctx.workspace, etag, values):
        raise Aborted("the workspace changed since the etag was read")
    audit.record(
        session,
        org_id=ctx.organization.id,
        actor=principal,
        action="workspace.updated",
        resource=ctx.access.resource,
        before=before,
        after=changes,
    )
    return view_of(session, ctx.organization, ctx.workspace)


def delete(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    etag: str | None = None,
) -> WorkspaceView:
    """Soft delete: the slug is freed, the workspace can be undeleted until purge_time."""
    ctx = resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "workspaces:delete")
    if etag is not None and etag != ctx.workspace.etag:
        raise Aborted("the workspace changed since the etag was read", etag=ctx.workspace.etag)
    now = clock.now()
    values = {
        "delete_time": now,
        "purge_time": now + SOFT_DELETE_RETENTION,
        "update_time": now,
        "etag": secrets.token_hex(8),
    }
    if not repository.conditional_update(session, ctx.workspace, ctx.workspace.etag, values):
        raise Aborted("the workspace changed while it was being deleted")
    audit.record(
        session,
        org_id=ctx.organization.id,
        actor=principal,
        action="workspace.deleted",
        resource=ctx.access.resource,
        after={"delete_time": now, "purge_time": values["purge_time"]},
    )
    return view_of(session, ctx.organization, ctx.workspace)


def undelete(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str
) -> WorkspaceView:
    # Locked: the owner count below and the owner added after it see the same state.
    ctx = resolve(session, principal, org_ref, workspace_ref, include_deleted=True, lock=True)
    require(ctx.access, "workspaces:delete")
    workspace = ctx.workspace
    if workspace.delete_time is None:
        raise FailedPrecondition("the workspace is not deleted")
    ownerless = memberships.count_owners(session, ctx.organization.id, workspace.id) == 0
    if ownerless:
        # Rule 9: a live workspace has an owner. Its former owners left the organization
        # while it was deleted, so whoever brings it back owns it, which only a caller
        # already holding owner-level access may become (rule 3).
        require_all(ctx.access, OWNER_PERMISSIONS)
    if repository.live_slug_taken(session, ctx.organization.id, workspace.slug):
        raise AlreadyExists(
            f"workspace id {workspace.slug!r} was taken after the delete",
            resource_id=workspace.slug,
        )
    values = {
        "delete_time": None,
        "purge_time": None,
        "update_time": clock.now(),
        "etag": secrets.token_hex(8),
    }
    try:
        updated = repository.conditional_update(session, workspace, workspace.etag, values)
    except IntegrityError:
        raise AlreadyExists(f"workspace id {workspace.slug!r} is taken") from None
    if not updated:
        raise Aborted("the workspace changed while it was being undeleted")
    if ownerless:
        _make_owner(session, principal, ctx)
    audit.record(
        session,
        org_id=ctx.organization.id,
        actor=principal,
        action="workspace.undeleted",
        resource=ctx.access.resource,
    )
    return view_of(session, ctx.organization, ctx.workspace)


def _make_owner(session: Session, principal: Principal, ctx: WorkspaceContext) -> None:
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    now = clock.now()
    before = ctx.access.workspace_role_id
    if before is None:
        session.add(
            memberships.new(
                org_id, ws_id, principal.user_id, OWNER_ROLE_ID, added_by=principal.user_id, now=now
            )
        )
        session.flush()
        repository.add_to_member_count(session, org_id, ws_id, 1)
    else:
        memberships.set_role(session, org_id, ws_id, principal.user_id, OWNER_ROLE_ID, now)
    audit.record(
        session,
        org_id=org_id,
        actor=principal,
        action="workspace.member.added" if before is None else "workspace.member.role_changed",
        resource=f"{ctx.access.resource}/users/{principal.user_id}",
        before=None if before is None else {"role": before},
        after={"role": OWNER_ROLE_ID, "reason": "undeleted a workspace without owners"},
    )
