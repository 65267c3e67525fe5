"""Personal access tokens: the caller's own (`/me/tokens`) and, for organization
owners/admins, their organization's (`/organizations/{org}/tokens`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import schemas as common
from workspaced.http.dialects.aip import token_schemas as schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response, secret_response
from workspaced.kit.clock import rfc3339
from workspaced.kit.errors import InvalidArgument
from workspaced.personal_access_token import service as tokens
from workspaced.personal_access_token.service import TokenView

router = APIRouter()
MINE = "/api/v1/me/tokens"
ORG = "/api/v1/organizations/{organization_id}/tokens"
_ORG_PREFIX = "organizations/"


def render(view: TokenView) -> dict[str, Any]:
    return {
        "name": view.name,
        "token_id": str(view.token_id),
        "display_name": view.display_name,
        "organization": f"organizations/{view.org_slug}",
        "create_time": rfc3339(view.create_time),
        "expire_time": rfc3339(view.expire_time),
        "last_used_time": rfc3339(view.last_used_time),
    }


def parse_rfc3339(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidArgument(field, "must be an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidArgument(field, "must carry a time zone (e.g. 'Z')")
    return parsed


def organization_ref(value: str) -> str:
    """`organizations/{slug}` (the resource name), or a bare slug or uid."""
    ref = value.removeprefix(_ORG_PREFIX)
    if not ref or "/" in ref:
        raise InvalidArgument("organization", "must be organizations/{slug}, a slug or a uid")
    return ref


@router.get(
    MINE,
    response_model=schemas.TokenList,
    openapi_extra=permission("authenticated"),
    summary="List my personal access tokens (never their secrets)",
)
def list_my_tokens(caller: Caller, context: Context, page: Page) -> Response:
    with context.database.read() as session:
        items, token = tokens.list_mine(session, caller, page=page, codec=context.page_tokens)
    return json_response({"tokens": [render(v) for v in items], "next_page_token": token})


@router.post(
    MINE,
    response_model=schemas.CreatedToken,
    openapi_extra=permission("authenticated"),
    summary="Create a personal access token; the secret is in this response only",
)
def create_my_token(body: schemas.TokenIn, caller: Caller, context: Context) -> Response:
    expire_time = (
        parse_rfc3339(body.expire_time, "expire_time") if body.expire_time is not None else None
    )
    org_ref = organization_ref(body.organization) if body.organization is not None else None
    with context.database.write() as session:
        view, secret = tokens.create(
            session,
            caller,
            display_name=body.display_name,
            expire_time=expire_time,
            org_ref=org_ref,
        )
    return secret_response({**render(view), "token": secret})


@router.delete(
    MINE + "/{token_id}",
    response_model=common.Empty,
    openapi_extra=permission("authenticated"),
    summary="Revoke one of my tokens (it gets 401 from the next request on)",
)
def revoke_my_token(token_id: str, caller: Caller, context: Context) -> Response:
    with context.database.write() as session:
        tokens.revoke_mine(session, caller, token_id)
    return json_response({})


@router.get(
    ORG,
    response_model=schemas.TokenList,
    openapi_extra=permission("organization:administer"),
    summary="Organization owners/admins: list the tokens at home in the organization",
)
def list_org_tokens(
    organization_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Annotated[
        str, Query(max_length=4096, description='AIP-160: `user_id = "<uuid>"` (or `!=`)')
    ] = "",
) -> Response:
    with context.database.read() as session:
        items, token = tokens.list_for_org(
            session,
            caller,
            organization_id,
            page=page,
            codec=context.page_tokens,
            filter_text=filter,
        )
    return json_response({"tokens": [render(v) for v in items], "next_page_token": token})


@router.delete(
    ORG + "/{token_id}",
    response_model=common.Empty,
    openapi_extra=permission("organization:administer"),
    summary="Organization owners/admins: revoke a token at home in the organization",
)
def revoke_org_token(
    organization_id: str, token_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        tokens.revoke_for_org(session, caller, organization_id, token_id)
    return json_response({})
