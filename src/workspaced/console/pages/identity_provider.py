"""Sign-in through the identity provider (authorization code with PKCE), and switching an
identity-provider session to another of the user's organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from workspaced.auth import identities
from workspaced.console import sessions
from workspaced.console.identity_provider import FLOW_TTL_S, ConsoleSignIn
from workspaced.console.sessions import OpenedSession
from workspaced.console.web import (
    PREFIX,
    SESSION_COOKIE,
    Posted,
    clear_cookie,
    context_of,
    plain_words,
    redirect,
    render,
    safe_next,
    set_cookie,
    status_of,
)
from workspaced.kit.errors import DomainError, InvalidArgument, NotFound, Unauthenticated
from workspaced.organization import repository as organization_rows

router = APIRouter()
FLOW_COOKIE = "wsd_console_oidc"
CALLBACK = PREFIX + "/sign-in/oidc/callback"
# What the callback reads of the provider's answer (RFC 6749 4.1.2, RFC 9207), bounded.
ANSWER_FIELDS = ("code", "state", "iss", "error", "error_description")
MAX_ANSWER_FIELD = 4096


def _sign_in_of(request: Request) -> ConsoleSignIn:
    sign_in = context_of(request).console_sign_in
    if sign_in is None:
        raise NotFound("page", request.url.path)  # no identity provider configured
    return sign_in


def _redirect_uri(request: Request) -> str:
    # The public URL, not the request's Host: the provider knows the URI it registered.
    return context_of(request).mail.public_url + CALLBACK


def _org_of(path: str) -> str | None:
    """The organization a console path is in (`/console/orgs/{org}/…`), if any."""
    prefix = PREFIX + "/orgs/"
    if not path.startswith(prefix):
        return None
    return path[len(prefix) :].split("/", 1)[0].split("?", 1)[0] or None


@router.get(PREFIX + "/sign-in/oidc")
async def begin(
    request: Request,
    next: Annotated[str, Query(max_length=2000)] = "",
    login_hint: Annotated[str, Query(max_length=320)] = "",
) -> Response:
    sign_in = _sign_in_of(request)
    try:
        url, flow = await run_in_threadpool(
            sign_in.begin, _redirect_uri(request), safe_next(next), login_hint.strip()
        )
    except DomainError as error:  # the provider's discovery cannot be fetched
        return _refused(request, error)
    response = redirect(PREFIX + "/")
    response.headers["location"] = url
    set_cookie(request, response, FLOW_COOKIE, sign_in.cookies.encode(flow), FLOW_TTL_S)
    return response


def _finish(
    request: Request, sign_in: ConsoleSignIn, answer: dict[str, str]
) -> tuple[OpenedSession, str]:
    context = context_of(request)
    if context.rate_limits is not None:
        # As the token sign-in: every attempt counts against the client address.
        context.rate_limits.address(request.client.host if request.client else None)
    flow = sign_in.cookies.decode(request.cookies.get(FLOW_COOKIE))
    claims = sign_in.finish(flow, _redirect_uri(request), answer)
    assert flow is not None  # finish refuses a missing flow
    with context.database.write() as session:
        # The user is found, created or linked exactly as for the provider's bearer JWTs
        # (SPEC §3 rule 1: linked by email only when the provider verified it).
        principal = identities.sign_in(session, claims)
        opened = sessions.open_identity_session(
            session, principal, (claims.issuer, claims.subject), _org_of(flow.next_path)
        )
        # A new id at every sign-in (no fixation), and the session it replaces ends.
        sessions.close(session, request.cookies.get(SESSION_COOKIE))
    return opened, flow.next_path


@router.get(CALLBACK)
async def callback(request: Request) -> Response:
    sign_in = _sign_in_of(request)
    answer = {
        name: request.query_params[name][:MAX_ANSWER_FIELD]
        for name in ANSWER_FIELDS
        if name in request.query_params
    }
    try:
        opened, next_path = await run_in_threadpool(_finish, request, sign_in, answer)
    except DomainError as error:
        response = _refused(request, error)
    else:
        org_id = opened.signed_in.principal.home_org_id
        slug = await run_in_threadpool(_slug_of, request, str(org_id))
        if next_path == PREFIX + "/" or _org_of(next_path) not in (None, slug, str(org_id)):
            next_path = f"{PREFIX}/orgs/{slug}/workspaces"
        response = redirect(next_path)
        set_cookie(request, response, SESSION_COOKIE, opened.session_id)
    # A flow is used once, whatever its outcome: the same answer cannot be replayed.
    clear_cookie(request, response, FLOW_COOKIE)
    return response


def _slug_of(request: Request, org_id: str) -> str:
    with context_of(request).database.read() as session:
        org = organization_rows.find_by_ref(session, org_id)
    return org.slug if org is not None else ""


def _refused(request: Request, error: DomainError) -> Response:
    status = 400 if isinstance(error, Unauthenticated | InvalidArgument) else status_of(error)
    return render(
        request,
        "error.html",
        None,
        status_code=status,
        title="Sign-in refused",
        message=plain_words(error) + " Nothing was signed in.",
        retry=PREFIX + "/sign-in",
    )


def _switch(request: Request, form: Posted, org_ref: str) -> OpenedSession:
    with context_of(request).database.write() as session:
        return sessions.switch(session, form.signed_in, org_ref)


@router.post(PREFIX + "/organizations/switch")
async def switch(request: Request, form: Posted) -> Response:
    org_ref = form.get("org")[:200]
    opened = await run_in_threadpool(_switch, request, form, org_ref)
    slug = await run_in_threadpool(_slug_of, request, str(opened.signed_in.principal.home_org_id))
    response = redirect(f"{PREFIX}/orgs/{slug}/workspaces", "switched")
    set_cookie(request, response, SESSION_COOKIE, opened.session_id)
    return response
