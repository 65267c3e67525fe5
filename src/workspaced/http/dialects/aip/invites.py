"""Invitations: create, list, get, resend and revoke a workspace's invites; accept one."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from workspaced.authz.access import Principal
from workspaced.http.context import authenticate, count_anonymous, run_list_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import invite_schemas as schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response, secret_response
from workspaced.invitation import acceptance
from workspaced.invitation import service as invitations
from workspaced.invitation.service import InviteView
from workspaced.kit.clock import rfc3339
from workspaced.kit.errors import InvalidArgument, Unauthenticated

router = APIRouter()
BASE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}/invites"

# JSON google.protobuf.Duration: whole or fractional seconds with an `s` suffix.
_DURATION = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?s")


def parse_duration(value: str, field: str = "ttl") -> timedelta:
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise InvalidArgument(
            field, 'must be a duration in seconds with an "s" suffix, e.g. "86400s"'
        )
    seconds, fraction = match.groups()
    return timedelta(
        seconds=int(seconds), microseconds=int((fraction or "0").ljust(9, "0")) // 1000
    )


def render(view: InviteView) -> dict[str, Any]:
    return {
        "name": view.name,
        "invite_id": str(view.invite_id),
        "email": view.email,
        "role": view.role_display_name,
        "role_id": view.role_id,
        "state": view.state,
        "inviter": str(view.inviter_id) if view.inviter_id else None,
        "create_time": rfc3339(view.create_time),
        "expire_time": rfc3339(view.expire_time),
        "accept_time": rfc3339(view.accept_time),
    }


@router.get(
    BASE,
    response_model=schemas.InviteList,
    openapi_extra=permission("invites:list"),
    summary="List a workspace's invites (reading never consumes them)",
)
async def list_invites(
    organization_id: str,
    workspace_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Annotated[
        str,
        Query(
            max_length=4096,
            description="AIP-160 on `state` (=, != PENDING|ACCEPTED|REVOKED|EXPIRED) and `email` "
            "(=, != exact, `:` contains; case-insensitive), "
            'e.g. `state=PENDING AND email:"@x.com"`',
        ),
    ] = "",
    order_by: Annotated[
        str,
        Query(
            max_length=1000,
            description="`create_time` (default, desc), `expire_time`, `email`; optionally desc",
        ),
    ] = "",
) -> Response:
    def read() -> tuple[list[InviteView], str]:
        with context.database.read() as session:
            return invitations.list_invites(
                session,
                caller,
                organization_id,
                workspace_id,
                page=page,
                codec=context.page_tokens,
                filter_text=filter,
                order_by=order_by,
            )

    items, token = await run_list_read(read, filtered=bool(filter))
    return json_response({"invites": [render(v) for v in items], "next_page_token": token})


@router.post(
    BASE,
    response_model=schemas.Invite,
    openapi_extra=permission("invites:create"),
    summary="Invite someone by email: workspaced mails them the invite token (it is shown "
    "to nobody else, the inviter included)",
)
def create_invite(
    organization_id: str,
    workspace_id: str,
    body: schemas.InviteIn,
    caller: Caller,
    context: Context,
) -> Response:
    ttl = parse_duration(body.ttl) if body.ttl is not None else None
    with context.database.write() as session:
        view = invitations.create(
            session,
            caller,
            organization_id,
            workspace_id,
            email=body.email,
            role=body.role,
            ttl=ttl,
            allow_role_display_name=True,
            public_url=context.mail.public_url,
        )
    return json_response(render(view))


@router.get(
    BASE + "/{invite_id}",
    response_model=schemas.Invite,
    openapi_extra=permission("invites:list"),
    summary="Get an invite",
)
def get_invite(
    organization_id: str, workspace_id: str, invite_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.read() as session:
        view = invitations.get(session, caller, organization_id, workspace_id, invite_id)
    return json_response(render(view))


@router.delete(
    BASE + "/{invite_id}",
    response_model=schemas.Invite,
    openapi_extra=permission("invites:delete"),
    summary="Revoke a pending invite (400 FAILED_PRECONDITION if accepted or revoked)",
)
def revoke_invite(
    organization_id: str, workspace_id: str, invite_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = invitations.revoke(session, caller, organization_id, workspace_id, invite_id)
    return json_response(render(view))


@router.post(
    BASE + "/{invite_id}:resend",
    response_model=schemas.Invite,
    openapi_extra=permission("invites:create"),
    summary="Mail a pending invite again with a new secret (the old link stops working) and "
    "a fresh expiry; the caller becomes its inviter (400 FAILED_PRECONDITION if not pending)",
)
def resend_invite(
    organization_id: str, workspace_id: str, invite_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = invitations.resend(
            session,
            caller,
            organization_id,
            workspace_id,
            invite_id,
            public_url=context.mail.public_url,
        )
    return json_response(render(view))


# Same scheme as every other route (deps.py), documented once in the OpenAPI document.
_bearer = HTTPBearer(auto_error=False, description="Personal access token (`wsd_...`)")


async def optional_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller if an Authorization header is present (a bad one is still a 401)."""
    header = request.headers.get("authorization")
    if header is None:
        await count_anonymous(request)
        return None
    return await authenticate(request, header)


@router.post(
    "/api/v1/invites:accept",
    response_model=schemas.InviteAcceptance,
    # The bearer token is optional here (an invitee without an account sends none).
    openapi_extra={**permission("authenticated"), "security": [{}]},
    summary="Accept an invite: signed in as the invitee, or without an account by sending "
    "display_name (then the response carries the new account's first token, once)",
)
def accept_invite(
    body: schemas.AcceptInviteIn,
    caller: Annotated[Principal | None, Depends(optional_caller)],
    context: Context,
) -> Response:
    if caller is not None:
        caller.require_person("invite")  # before reading the body: the same for any key
    if caller is None and body.display_name is None:
        raise Unauthenticated(
            "sign in to accept the invite, or send display_name to create an account"
        )
    if not body.invite_token:
        raise InvalidArgument("invite_token", "is required")
    with context.database.write() as session:
        result = acceptance.accept(
            session, caller, body.invite_token, display_name=body.display_name
        )
        user = {
            "user_id": str(result.user.id),
            "email": result.user.email,
            "username": result.user.username,
            "display_name": result.user.display_name,
        }
    response: dict[str, Any] = {"invite": render(result.invite), "user": user}
    if result.token is None:
        return json_response(response)
    response["token"] = result.token
    return secret_response(response)
