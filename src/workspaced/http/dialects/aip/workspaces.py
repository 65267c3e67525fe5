from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from workspaced.authz.access import Principal
from workspaced.http.context import AppContext, run_list_read, run_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page, bare_etag, quoted
from workspaced.http.responses import json_response
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.pagination import PageRequest
from workspaced.membership import service as memberships
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceView

router = APIRouter()
BASE = "/api/v1/organizations/{organization_id}/workspaces"

# aip field name -> domain field name, for update_mask.
MASKABLE = {"title": "title", "workspace_icon": "icon", "workspace_icon_color": "icon_color"}

FilterParam = Annotated[
    str,
    Query(
        max_length=4096,
        description="AIP-160 filter on `title` "
        "(=, !=, :), `create_time`, `update_time` (<, <=, >, >=, =)",
    ),
]
OrderParam = Annotated[
    str,
    Query(
        max_length=1000,
        description="AIP-132: `title`, `create_time`, `update_time`, each optionally `desc`",
    ),
]


def _workspace_response(view: WorkspaceView, status_code: int = 200) -> Response:
    return json_response(
        render.workspace(view), status_code=status_code, headers={"ETag": quoted(view.etag)}
    )


@router.post(
    BASE,
    response_model=schemas.Workspace,
    openapi_extra=permission("authenticated"),
    summary="Create a workspace (the caller becomes its owner)",
)
def create_workspace(
    organization_id: str,
    body: schemas.WorkspaceIn,
    caller: Caller,
    context: Context,
    workspace_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    with context.database.write() as session:
        view = workspaces.create(
            session,
            caller,
            organization_id,
            title=body.title,
            slug=workspace_id,
            icon=body.workspace_icon,
            icon_color=body.workspace_icon_color,
        )
    return _workspace_response(view)


@router.get(
    BASE,
    response_model=schemas.WorkspaceList,
    openapi_extra=permission("workspaces:get"),
    summary="List the workspaces the caller can see",
)
async def list_workspaces(
    organization_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: FilterParam = "",
    order_by: OrderParam = "",
    show_deleted: bool = False,
) -> Response:
    return await workspace_page(
        context, caller, organization_id, page, filter, order_by, show_deleted=show_deleted
    )


async def workspace_page(
    context: AppContext,
    caller: Principal,
    organization_id: str,
    page: PageRequest,
    filter_text: str,
    order_by: str,
    *,
    show_deleted: bool = False,
    only_member_of: bool = False,
) -> Response:
    """One page of `workspaces.list_visible` as `{workspaces, next_page_token}`; a
    filtered page takes a scan slot."""

    def read() -> tuple[list[WorkspaceView], str]:
        with context.database.read() as session:
            return workspaces.list_visible(
                session,
                caller,
                organization_id,
                page=page,
                codec=context.page_tokens,
                filter_text=filter_text,
                order_by=order_by,
                show_deleted=show_deleted,
                only_member_of=only_member_of,
            )

    items, token = await run_list_read(read, filtered=bool(filter_text))
    return json_response(
        {"workspaces": [render.workspace(v) for v in items], "next_page_token": token}
    )


@router.post(
    BASE + ":countUsers",
    response_model=schemas.CountUsersOut,
    openapi_extra=permission("members:list"),
    summary="Count users of workspaces",
)
def count_users(
    organization_id: str, body: schemas.CountUsersIn, caller: Caller, context: Context
) -> Response:
    with context.database.read() as session:
        counts = memberships.count_users(session, caller, organization_id, body.workspace_ids)
    return json_response({"counts": counts})


@router.post(
    BASE + "/{workspace_id}:undelete",
    response_model=schemas.Workspace,
    openapi_extra=permission("workspaces:delete"),
    summary="Undelete a workspace",
)
def undelete_workspace(
    organization_id: str, workspace_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = workspaces.undelete(session, caller, organization_id, workspace_id)
    return _workspace_response(view)


@router.get(
    BASE + "/{workspace_id}",
    response_model=schemas.Workspace,
    openapi_extra=permission("workspaces:get"),
    summary="Get a workspace",
)
async def get_workspace(
    organization_id: str, workspace_id: str, caller: Caller, context: Context
) -> Response:
    def read() -> WorkspaceView:
        with context.database.read() as session:
            return workspaces.get(
                session, caller, organization_id, workspace_id, include_deleted=True
            )

    return _workspace_response(await run_read(context.database, read))


def _mask(update_mask: str | None, body: schemas.WorkspacePatch) -> dict[str, str | None]:
    if update_mask is None or not update_mask.strip():
        paths = [f for f in body.model_fields_set if f in MASKABLE]
    elif update_mask.strip() == "*":
        paths = list(MASKABLE)
    else:
        paths = [p.strip() for p in update_mask.split(",") if p.strip()]
    changes: dict[str, str | None] = {}
    for path in paths:
        if path not in MASKABLE:
            raise InvalidArgument(
                "update_mask",
                f"{path!r} is not an updatable field (updatable: {', '.join(MASKABLE)})",
            )
        changes[MASKABLE[path]] = getattr(body, path)
    return changes


@router.patch(
    BASE + "/{workspace_id}",
    response_model=schemas.Workspace,
    openapi_extra=permission("workspaces:update"),
    summary="Update a workspace",
)
def update_workspace(
    organization_id: str,
    workspace_id: str,
    body: schemas.WorkspacePatch,
    caller: Caller,
    context: Context,
    update_mask: Annotated[str | None, Query(max_length=1000)] = None,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    changes = _mask(update_mask, body)
    etag = body.etag or bare_etag(if_match)
    with context.database.write() as session:
        view = workspaces.update(session, caller, organization_id, workspace_id, changes, etag=etag)
    return _workspace_response(view)


@router.delete(
    BASE + "/{workspace_id}",
    response_model=schemas.Workspace,
    openapi_extra=permission("workspaces:delete"),
    summary="Soft-delete a workspace (undeletable for 30 days)",
)
def delete_workspace(
    organization_id: str,
    workspace_id: str,
    caller: Caller,
    context: Context,
    etag: Annotated[str | None, Query(max_length=100)] = None,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    with context.database.write() as session:
        view = workspaces.delete(
            session, caller, organization_id, workspace_id, etag=etag or bare_etag(if_match)
        )
    return _workspace_response(view)
