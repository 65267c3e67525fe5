"""POST/GET /workspaces, GET/DELETE /workspaces/{workspace_id}."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.activeloop import render, schemas
from workspaced.http.dialects.activeloop.deps import Caller, Context, home_org, workspace_ref
from workspaced.http.responses import json_response, streamed_list
from workspaced.workspace import service as workspaces

router = APIRouter()

# The seed documents a 422 even where nothing is validated; FastAPI adds it only to
# operations with parameters, so this one declares it.
VALIDATION_ERROR: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Validation Error",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
        },
    }
}


@router.post("/workspaces", openapi_extra=permission("authenticated"))
def create_workspace(
    body: schemas.WorkspaceCreateRequest, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = workspaces.create(
            session, caller, home_org(caller), title=body.name, slug=body.id, slug_field="id"
        )
    return json_response(render.workspace(view))


@router.get(
    "/workspaces",
    response_model=schemas.WorkspaceList,
    responses=VALIDATION_ERROR,
    openapi_extra=permission("workspaces:get"),
)
def list_workspaces(caller: Caller, context: Context) -> Response:
    # The seed's list has no paging: it is streamed, one keyset page at a time (SPEC §6).
    pages = workspaces.stream_visible(
        context.database.read,
        caller,
        home_org(caller),
        codec=context.page_tokens,
        order_by="create_time",
    )
    first = next(pages)  # authorizes the caller: a refusal is answered before any body
    return streamed_list("data", itertools.chain([first], pages), render.workspace)


@router.get(
    "/workspaces/{workspace_id}",
    response_model=schemas.WorkspaceObject,
    openapi_extra=permission("workspaces:get"),
)
def get_workspace(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to get.")],
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.read() as session:
        view = workspaces.get(session, caller, home_org(caller), workspace_ref(workspace_id))
    return json_response(render.workspace(view))


@router.delete("/workspaces/{workspace_id}", openapi_extra=permission("workspaces:delete"))
def delete_workspace(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to delete.")],
    caller: Caller,
    context: Context,
) -> Response:
    # A soft delete (the native API can undelete it for 30 days); the vendor answers
    # with a body, so it is the deleted workspace.
    with context.database.write() as session:
        view = workspaces.delete(session, caller, home_org(caller), workspace_ref(workspace_id))
    return json_response(render.workspace(view))
