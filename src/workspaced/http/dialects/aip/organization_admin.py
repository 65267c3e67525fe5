"""Organization administration: users, custom roles and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from workspaced.audit import service as audit
from workspaced.http.context import run_list_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response
from workspaced.organization import users
from workspaced.role import custom as custom_roles

router = APIRouter()
ORG = "/api/v1/organizations/{organization_id}"
ADMIN = permission("organization:administer")
MEMBER = permission("authenticated")
Filter = Annotated[str, Query(max_length=4096)]
OrderBy = Annotated[str, Query(max_length=1000)]


@router.get(
    ORG + "/users",
    response_model=schemas.OrgUserList,
    openapi_extra=MEMBER,
    summary="List organization users (filter: org_role, search)",
)
async def list_users(
    organization_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Filter = "",
    order_by: OrderBy = "",
) -> Response:
    def read() -> tuple[list[users.OrgUserView], str]:
        with context.database.read() as session:
            return users.list_users(
                session,
                caller,
                organization_id,
                page=page,
                codec=context.page_tokens,
                filter_text=filter,
                order_by=order_by,
            )

    items, token = await run_list_read(read, filtered=bool(filter))
    return json_response({"users": [render.org_user(u) for u in items], "next_page_token": token})


@router.post(
    ORG + "/users",
    response_model=schemas.OrgUser,
    openapi_extra=ADMIN,
    summary="Add a user to the organization (created if the email is new)",
)
def add_user(
    organization_id: str, body: schemas.OrgUserIn, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = users.add_user(
            session,
            caller,
            organization_id,
            email=body.email,
            org_role=body.org_role,
            display_name=body.display_name,
        )
    return json_response(render.org_user(view))


@router.get(
    ORG + "/users/{user_id}",
    response_model=schemas.OrgUser,
    openapi_extra=MEMBER,
    summary="Get an organization user (by id or email)",
)
def get_user(organization_id: str, user_id: str, caller: Caller, context: Context) -> Response:
    with context.database.read() as session:
        view = users.get_user(session, caller, organization_id, user_id)
    return json_response(render.org_user(view))


@router.patch(
    ORG + "/users/{user_id}",
    response_model=schemas.OrgUser,
    openapi_extra=ADMIN,
    summary="Change a user's organization role",
)
def update_user(
    organization_id: str, user_id: str, body: schemas.OrgUserPatch, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = users.update_user(session, caller, organization_id, user_id, org_role=body.org_role)
    return json_response(render.org_user(view))


@router.delete(
    ORG + "/users/{user_id}",
    response_model=schemas.Empty,
    openapi_extra=ADMIN,
    summary="Remove a user from the organization and all its workspaces",
)
def remove_user(organization_id: str, user_id: str, caller: Caller, context: Context) -> Response:
    with context.database.write() as session:
        users.remove_user(session, caller, organization_id, user_id)
    return json_response({})


@router.get(
    ORG + "/roles",
    response_model=schemas.RoleList,
    openapi_extra=MEMBER,
    summary="List the organization's workspace roles (built-in and custom)",
)
def list_roles(organization_id: str, caller: Caller, context: Context) -> Response:
    with context.database.read() as session:
        org_slug, items = custom_roles.list_roles(session, caller, organization_id)
    return json_response(
        {"roles": [render.role(org_slug, r) for r in items], "next_page_token": ""}
    )


@router.post(
    ORG + "/roles",
    response_model=schemas.Role,
    openapi_extra=ADMIN,
    summary="Create a custom workspace role",
)
def create_role(
    organization_id: str, body: schemas.RoleIn, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        slug, view = custom_roles.create(
            session,
            caller,
            organization_id,
            role_id=body.role_id,
            display_name=body.display_name,
            description=body.description,
            permissions=body.permissions,
        )
    return json_response(render.role(slug, view))


@router.get(
    ORG + "/roles/{role_id}",
    response_model=schemas.Role,
    openapi_extra=MEMBER,
    summary="Get a role",
)
def get_role(organization_id: str, role_id: str, caller: Caller, context: Context) -> Response:
    with context.database.read() as session:
        slug, view = custom_roles.get(session, caller, organization_id, role_id)
    return json_response(render.role(slug, view))


@router.patch(
    ORG + "/roles/{role_id}",
    response_model=schemas.Role,
    openapi_extra=ADMIN,
    summary="Change a custom role",
)
def update_role(
    organization_id: str, role_id: str, body: schemas.RolePatch, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        slug, view = custom_roles.update(
            session,
            caller,
            organization_id,
            role_id,
            display_name=body.display_name,
            description=body.description,
            permissions=body.permissions,
        )
    return json_response(render.role(slug, view))


@router.delete(
    ORG + "/roles/{role_id}",
    response_model=schemas.Empty,
    openapi_extra=ADMIN,
    summary="Delete a custom role that nobody holds",
)
def delete_role(organization_id: str, role_id: str, caller: Caller, context: Context) -> Response:
    with context.database.write() as session:
        custom_roles.delete(session, caller, organization_id, role_id)
    return json_response({})


@router.get(
    ORG + "/auditEvents",
    response_model=schemas.AuditEventList,
    openapi_extra=ADMIN,
    summary="Read the audit log (filter: action, actor, resource, time)",
)
async def list_audit_events(
    organization_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Filter = "",
    order_by: OrderBy = "",
) -> Response:
    def read() -> tuple[list[audit.AuditEventView], str]:
        with context.database.read() as session:
            return audit.list_events(
                session,
                caller,
                organization_id,
                page=page,
                codec=context.page_tokens,
                filter_text=filter,
                order_by=order_by,
            )

    items, token = await run_list_read(read, filtered=bool(filter))
    return json_response(
        {"audit_events": [render.audit_event(e) for e in items], "next_page_token": token}
    )
