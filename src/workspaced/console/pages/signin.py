"""Sign-in with a personal access token, sign-out, and the console's front door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from workspaced.console import csrf, sessions
from workspaced.console.sessions import OpenedSession, SignedIn
from workspaced.console.web import (
    PREFIX,
    SESSION_COOKIE,
    FormErrors,
    Posted,
    anonymous_form,
    clear_cookie,
    context_of,
    optional_signed_in,
    redirect,
    render,
    safe_next,
    set_cookie,
    status_of,
)
from workspaced.kit.errors import DomainError
from workspaced.organization import repository as organization_rows

router = APIRouter()
NextParam = Annotated[str, Query(max_length=2000)]


def home_of(session_org_slug: str) -> str:
    return f"{PREFIX}/orgs/{session_org_slug}/workspaces"


def _home_org_slug(request: Request, caller: SignedIn) -> str:
    with context_of(request).database.read() as session:
        org = organization_rows.find_by_ref(session, str(caller.principal.home_org_id))
    return org.slug if org is not None else ""


@router.get(PREFIX)
@router.get(PREFIX + "/")
async def front_door(
    request: Request, caller: Annotated[SignedIn | None, Depends(optional_signed_in)]
) -> Response:
    if caller is None:
        return redirect(PREFIX + "/sign-in")
    slug = await run_in_threadpool(_home_org_slug, request, caller)
    return redirect(home_of(slug))


def sign_in_page(
    request: Request,
    next_path: str,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(csrf.ANONYMOUS_COOKIE) or csrf.new_anonymous_token()
    sign_in = context_of(request).console_sign_in
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        csrf_token=token,
        next=next_path,
        errors=errors,
        identity_provider=sign_in.client.issuer if sign_in is not None else "",
    )
    set_cookie(request, response, csrf.ANONYMOUS_COOKIE, token)
    return response


@router.get(PREFIX + "/sign-in")
async def sign_in_form(request: Request, next: NextParam = "") -> Response:
    return sign_in_page(request, safe_next(next))


def _open(request: Request, token: str) -> OpenedSession:
    context = context_of(request)
    if context.rate_limits is not None:
        # Every attempt counts against the client address, before the token is looked
        # up: past the limit nothing is checked, so a refusal tells a guesser nothing.
        context.rate_limits.address(request.client.host if request.client else None)
    with context.database.write() as session:
        opened = sessions.open_session(session, token)
        # A new id at every sign-in (no fixation), and the session it replaces ends.
        sessions.close(session, request.cookies.get(SESSION_COOKIE))
        return opened


@router.post(PREFIX + "/sign-in")
async def sign_in(
    request: Request, fields: Annotated[dict[str, str], Depends(anonymous_form)]
) -> Response:
    next_path = safe_next(fields.get("next"))
    try:
        opened = await run_in_threadpool(_open, request, fields.get("token", ""))
    except DomainError as error:
        errors = FormErrors.of("sign-in", error, ("token",))
        return sign_in_page(request, next_path, errors, status_of(error))
    if next_path == PREFIX + "/":
        slug = await run_in_threadpool(_home_org_slug, request, opened.signed_in)
        next_path = home_of(slug)
    response = redirect(next_path)
    set_cookie(request, response, SESSION_COOKIE, opened.session_id)
    return response


def _close(request: Request) -> None:
    with context_of(request).database.write() as session:
        sessions.close(session, request.cookies.get(SESSION_COOKIE))


@router.post(PREFIX + "/sign-out")
async def sign_out(request: Request, form: Posted) -> Response:
    await run_in_threadpool(_close, request)
    response = redirect(PREFIX + "/sign-in")
    clear_cookie(request, response, SESSION_COOKIE)
    return response
