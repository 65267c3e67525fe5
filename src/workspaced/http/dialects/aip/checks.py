"""Permission checks (SPEC §8): `:testPermissions` on a workspace for the caller, and
`:checkAccess` on the organization for its owners/admins and API keys holding
`access:check`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from workspaced.http.context import run_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip.deps import Caller, Context
from workspaced.http.dialects.aip.schemas import AipInput
from workspaced.http.responses import json_response
from workspaced.workspace import checks
from workspaced.workspace.checks import Check

router = APIRouter()


class TestPermissionsIn(AipInput):
    permissions: list[str] = Field(max_length=checks.MAX_TESTED, examples=[["members:add"]])


class TestPermissionsOut(BaseModel):
    permissions: list[str] = Field(description="The subset the caller holds")


class CheckIn(AipInput):
    user: str = Field(min_length=1, max_length=320, description="A user id or email")
    workspace: str = Field(min_length=1, max_length=100, description="A workspace id or uid")
    permission: str = Field(min_length=1, max_length=100)


class CheckAccessIn(AipInput):
    checks: list[CheckIn] = Field(max_length=checks.MAX_CHECKS)


class CheckResult(BaseModel):
    allowed: bool


class CheckAccessOut(BaseModel):
    results: list[CheckResult] = Field(description="One per check, in order")


@router.post(
    "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}:testPermissions",
    response_model=TestPermissionsOut,
    openapi_extra=permission("authenticated"),
    summary="Which of these permissions do I hold on the workspace",
)
async def test_permissions(
    organization_id: str,
    workspace_id: str,
    body: TestPermissionsIn,
    caller: Caller,
    context: Context,
) -> Response:
    def read() -> list[str]:
        with context.database.read() as session:
            return checks.test_permissions(
                session, caller, organization_id, workspace_id, body.permissions
            )

    # Keyed reads, like GET of a workspace: inline on SQLite, no thread hop.
    return json_response({"permissions": await run_read(context.database, read)})


@router.post(
    "/api/v1/organizations/{organization_id}:checkAccess",
    response_model=CheckAccessOut,
    openapi_extra=permission("organization:administer"),
    summary="May these users do these things (owners/admins, API keys with access:check)",
)
async def check_access(
    organization_id: str, body: CheckAccessIn, caller: Caller, context: Context
) -> Response:
    wanted = [Check(c.user, c.workspace, c.permission) for c in body.checks]

    def read() -> list[bool]:
        with context.database.read() as session:
            return checks.check_access(session, caller, organization_id, wanted)

    # At most 100 checks, each an indexed lookup: a bounded read (inline on SQLite).
    allowed = await run_read(context.database, read)
    return json_response({"results": [{"allowed": a} for a in allowed]})
