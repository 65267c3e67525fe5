"""A workspace's invitations (send, resend, revoke, state), and the page the emailed link opens
to accept one."""

from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from workspaced.console import csrf, sessions
from workspaced.console.pages.members import workspace_roles
from workspaced.console.sessions import SignedIn
from workspaced.console.web import (
    PAGE_SIZE,
    PREFIX,
    SESSION_COOKIE,
    Caller,
    CsrfRefused,
    FormErrors,
    Posted,
    Text,
    context_of,
    form_fields,
    optional_signed_in,
    redirect,
    render,
    set_cookie,
    status_of,
)
from workspaced.http.context import run_list_read
from workspaced.invitation import acceptance
from workspaced.invitation import service as invitations
from workspaced.invitation.acceptance import Acceptance
from workspaced.kit.errors import DomainError, InvalidArgument
from workspaced.kit.pagination import PageRequest
from workspaced.workspace import service as workspaces

router = APIRouter()
STATES = ("PENDING", "ACCEPTED", "REVOKED", "EXPIRED")
ACCEPT = PREFIX + "/invitations/accept"


def invitation_page(
    request: Request,
    caller: SignedIn,
    org: str,
    workspace: str,
    *,
    state: str = "",
    page_token: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    filter_text = f"state = {state}" if state in STATES else ""
    with context.database.read() as session:
        view = workspaces.get(session, caller.principal, org, workspace)
        items, next_token = invitations.list_invites(
            session,
            caller.principal,
            org,
            workspace,
            page=PageRequest.of(PAGE_SIZE, page_token),
            codec=context.page_tokens,
            filter_text=filter_text,
        )
        roles = workspace_roles(session, caller.principal, org)
    return render(
        request,
        "invitations.html",
        caller,
        status_code=status_code,
        org_slug=view.org_slug,
        workspace=view,
        invitations=items,
        roles=roles,
        states=STATES,
        state=state if state in STATES else "",
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/workspaces/{workspace}/invitations")
async def invitation_list(
    request: Request,
    org: str,
    workspace: str,
    caller: Caller,
    state: Text = "",
    page_token: Text = "",
) -> Response:
    page = partial(
        invitation_page, request, caller, org, workspace, state=state, page_token=page_token
    )
    return await run_list_read(page, filtered=bool(state))


def _back(org: str, workspace: str) -> str:
    return f"{PREFIX}/orgs/{org}/workspaces/{workspace}/invitations"


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/invitations")
def send_invitation(request: Request, org: str, workspace: str, form: Posted) -> Response:
    context = context_of(request)
    try:
        with context.database.write() as session:
            invitations.create(
                session,
                form.principal,
                org,
                workspace,
                email=form.get("email"),
                role=form.get("role"),
                allow_role_display_name=True,
                public_url=context.mail.public_url,
            )
    except DomainError as error:
        errors = FormErrors.of("send", error, ("email", "role"))
        return invitation_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "invitation-sent")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/invitations/{invite_id}/resend")
def resend_invitation(
    request: Request, org: str, workspace: str, invite_id: str, form: Posted
) -> Response:
    context = context_of(request)
    try:
        with context.database.write() as session:
            invitations.resend(
                session,
                form.principal,
                org,
                workspace,
                invite_id,
                public_url=context.mail.public_url,
            )
    except DomainError as error:
        errors = FormErrors.of(f"invite-{invite_id}", error, ())
        return invitation_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "invitation-resent")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/invitations/{invite_id}/revoke")
def revoke_invitation(
    request: Request, org: str, workspace: str, invite_id: str, form: Posted
) -> Response:
    try:
        with context_of(request).database.write() as session:
            invitations.revoke(session, form.principal, org, workspace, invite_id)
    except DomainError as error:
        errors = FormErrors.of(f"invite-{invite_id}", error, ())
        return invitation_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "invitation-revoked")


def accept_page(
    request: Request,
    caller: SignedIn | None,
    token: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    with context_of(request).database.read() as session:
        invitation = acceptance.preview(session, token)
    anonymous_token = request.cookies.get(csrf.ANONYMOUS_COOKIE) or csrf.new_anonymous_token()
    response = render(
        request,
        "accept.html",
        caller,
        status_code=status_code,
        invitation=invitation,
        invite_token=token,
        anonymous_csrf_token=anonymous_token,
        sign_in_next=quote(f"{ACCEPT}?token={token}", safe=""),
        errors=errors,
    )
    set_cookie(request, response, csrf.ANONYMOUS_COOKIE, anonymous_token)
    return response


@router.get(ACCEPT)
def accept_form(
    request: Request,
    caller: Annotated[SignedIn | None, Depends(optional_signed_in)],
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    if not token:
        raise InvalidArgument(
            "token", "the link has no invitation token: open the link from the mail"
        )
    return accept_page(request, caller, token)


async def acceptance_form(
    request: Request, caller: Annotated[SignedIn | None, Depends(optional_signed_in)]
) -> tuple[dict[str, str], SignedIn | None]:
    """Signed in, the session's CSRF token; otherwise the anonymous one."""
    fields = await form_fields(request)
    expected = (
        caller.csrf_token if caller is not None else request.cookies.get(csrf.ANONYMOUS_COOKIE)
    )
    if not csrf.matches(expected, fields.get(csrf.FIELD)):
        raise CsrfRefused
    return fields, caller


def _accept(
    request: Request, caller: SignedIn | None, token: str, display_name: str | None
) -> tuple[Acceptance, str | None]:
    """Accept, and for a new account open a console session with its first token."""
    with context_of(request).database.write() as session:
        result = acceptance.accept(
            session, caller.principal if caller else None, token, display_name=display_name
        )
        session_id = None
        if caller is None and result.token is not None:
            session_id = sessions.open_session(session, result.token).session_id
    return result, session_id


@router.post(ACCEPT)
async def accept_invitation(
    request: Request,
    posted: Annotated[tuple[dict[str, str], SignedIn | None], Depends(acceptance_form)],
) -> Response:
    fields, caller = posted
    token = fields.get("token", "").strip()
    display_name = None if caller is not None else fields.get("display_name", "")
    try:
        result, session_id = await run_in_threadpool(_accept, request, caller, token, display_name)
    except DomainError as error:
        errors = FormErrors.of("accept", error, ("display_name",))
        status = status_of(error)
        return await run_in_threadpool(
            partial(accept_page, request, caller, token, errors=errors, status_code=status)
        )
    invite = result.invite
    response = render(
        request,
        "accepted.html",
        caller,
        invitation=invite,
        new_token=result.token,
        members_url=f"{PREFIX}/orgs/{invite.org_slug}/workspaces/{invite.workspace_slug}/members",
        signed_in_now=session_id is not None,
    )
    if session_id is not None:
        set_cookie(request, response, SESSION_COOKIE, session_id)
    return response
