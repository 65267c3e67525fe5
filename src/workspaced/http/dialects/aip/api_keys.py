"""Organization API keys at `/api/v1/organizations/{org}/apiKeys` (owners/admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from workspaced.api_key import service as api_keys
from workspaced.api_key.service import ApiKeyView
from workspaced.authz.catalog import API_KEY_PERMISSIONS
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import schemas as common
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.dialects.aip.schemas import AipInput
from workspaced.http.dialects.aip.tokens import parse_rfc3339
from workspaced.http.responses import json_response, secret_response
from workspaced.kit.clock import rfc3339

router = APIRouter()
KEYS = "/api/v1/organizations/{organization_id}/apiKeys"
MANAGE = permission("organization:administer")


class ApiKeyIn(AipInput):
    display_name: str = Field(min_length=1, max_length=200)
    permissions: list[str] = Field(
        min_length=1,
        max_length=len(API_KEY_PERMISSIONS),
        description="What the key may do: workspace permissions (on every workspace of the "
        "organization) and organization ones; docs/identity.md lists them",
        examples=[["workspaces:get", "members:list", "members:add"]],
    )
    expire_time: str | None = Field(
        default=None,
        max_length=64,
        description="RFC 3339, in the future and at most two years ahead; absent = no expiry",
        examples=["2030-01-01T00:00:00Z"],
    )


class ApiKeyOut(BaseModel):
    name: str = Field(description="organizations/{slug}/apiKeys/{key_id}")
    key_id: str
    display_name: str
    permissions: list[str]
    creator: str = Field(description="users/{user_id}: whose authority the key borrows")
    create_time: str
    expire_time: str | None = None
    last_used_time: str | None = None


class CreatedApiKey(ApiKeyOut):
    key: str = Field(description="The secret (`wsk_...`); shown only once")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyOut]
    next_page_token: str


def render(view: ApiKeyView) -> dict[str, Any]:
    return {
        "name": view.name,
        "key_id": str(view.key_id),
        "display_name": view.display_name,
        "permissions": list(view.permissions),
        "creator": f"users/{view.creator_id}",
        "create_time": rfc3339(view.create_time),
        "expire_time": rfc3339(view.expire_time),
        "last_used_time": rfc3339(view.last_used_time),
    }


@router.post(
    KEYS,
    response_model=CreatedApiKey,
    openapi_extra=MANAGE,
    summary="Create an API key; the secret is in this response only",
)
def create_api_key(
    organization_id: str, body: ApiKeyIn, caller: Caller, context: Context
) -> Response:
    expire_time = (
        parse_rfc3339(body.expire_time, "expire_time") if body.expire_time is not None else None
    )
    with context.database.write() as session:
        view, secret = api_keys.create(
            session,
            caller,
            organization_id,
            display_name=body.display_name,
            permissions=body.permissions,
            expire_time=expire_time,
        )
    return secret_response({**render(view), "key": secret})


@router.get(KEYS, response_model=ApiKeyList, openapi_extra=MANAGE, summary="List the API keys")
def list_api_keys(organization_id: str, caller: Caller, context: Context, page: Page) -> Response:
    with context.database.read() as session:
        items, token = api_keys.list_keys(
            session, caller, organization_id, page=page, codec=context.page_tokens
        )
    return json_response({"api_keys": [render(v) for v in items], "next_page_token": token})


@router.get(
    KEYS + "/{key_id}", response_model=ApiKeyOut, openapi_extra=MANAGE, summary="Get an API key"
)
def get_api_key(organization_id: str, key_id: str, caller: Caller, context: Context) -> Response:
    with context.database.read() as session:
        view = api_keys.get(session, caller, organization_id, key_id)
    return json_response(render(view))


@router.delete(
    KEYS + "/{key_id}",
    response_model=common.Empty,
    openapi_extra=MANAGE,
    summary="Revoke an API key (it gets 401 from the next request on)",
)
def revoke_api_key(organization_id: str, key_id: str, caller: Caller, context: Context) -> Response:
    with context.database.write() as session:
        api_keys.revoke(session, caller, organization_id, key_id)
    return json_response({})
