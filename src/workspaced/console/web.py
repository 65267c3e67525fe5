"""What every console page shares: templates, the session cookie, the signed-in caller,
posted forms (CSRF-checked), and domain errors in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Query, Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from workspaced.authz.access import Principal
from workspaced.console import csrf, sessions
from workspaced.console.sessions import SignedIn
from workspaced.http.context import AppContext
from workspaced.kit.errors import (
    Aborted,
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

PREFIX = "/console"
PAGE_SIZE = 50  # rows a list page shows
# A query parameter of free text (a page token, a filter): bounded, so junk is a 422.
Text = Annotated[str, Query(max_length=4096)]
SESSION_COOKIE = "wsd_console_session"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
MAX_FORM_FIELDS = 50


class SignInRequired(Exception):
    """No valid session: GET pages redirect to sign-in."""


class CsrfRefused(Exception):
    """A POST without the form's CSRF token, or with a wrong one: 403, nothing done."""


def context_of(request: Request) -> AppContext:
    context: AppContext = request.app.state.workspaced
    return context


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or context_of(request).mail.public_url.startswith("https:")


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=PREFIX, httponly=True, samesite="lax", secure=is_https(request)
    )


def _resolve(request: Request) -> SignedIn | None:
    context = context_of(request)
    database = context.database
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    # Identity-provider sessions last while the console still signs in through that issuer.
    sign_in = context.console_sign_in
    issuers = frozenset([sign_in.client.issuer]) if sign_in is not None else frozenset()
    with database.read() as session:
        found = sessions.resolve(session, session_id, issuers)
    if found is not None and sessions.needs_touch(found):
        with database.write() as session:
            sessions.touch(session, found)
    return found


async def optional_signed_in(request: Request) -> SignedIn | None:
    return await run_in_threadpool(_resolve, request)


async def signed_in(request: Request) -> SignedIn:
    found = await optional_signed_in(request)
    if found is None:
        raise SignInRequired
    return found


async def form_fields(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise CsrfRefused from None
    return dict(pairs)


@dataclass(frozen=True)
class PostedForm:
    fields: dict[str, str]
    signed_in: SignedIn

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()

    @property
    def principal(self) -> Principal:
        return self.signed_in.principal


async def posted_form(
    request: Request, caller: Annotated[SignedIn, Depends(signed_in)]
) -> PostedForm:
    fields = await form_fields(request)
    if not csrf.matches(caller.csrf_token, fields.get(csrf.FIELD)):
        raise CsrfRefused
    return PostedForm(fields, caller)


async def anonymous_form(request: Request) -> dict[str, str]:
    """A form posted before sign-in: its token must equal the anonymous CSRF cookie's."""
    fields = await form_fields(request)
    if not csrf.matches(request.cookies.get(csrf.ANONYMOUS_COOKIE), fields.get(csrf.FIELD)):
        raise CsrfRefused
    return fields


Caller = Annotated[SignedIn, Depends(signed_in)]
Posted = Annotated[PostedForm, Depends(posted_form)]


@dataclass
class FormErrors:
    """A refusal shown on the page: `form` names the form it belongs to, `fields` the
    messages next to its fields, `message` the one at the top of the form."""

    form: str
    message: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: str, error: DomainError, field_names: tuple[str, ...] = ()) -> FormErrors:
        errors = cls(form)
        if isinstance(error, InvalidArgument):
            for violation in error.violations:
                if violation.field in field_names:
                    errors.fields[violation.field] = sentence(violation.description)
                else:
                    errors.message = sentence(f"{violation.field}: {violation.description}")
        else:
            errors.message = plain_words(error)
        return errors


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def plain_words(error: DomainError) -> str:
    """The domain's own explanation (the same the API gives), as a sentence."""
    if isinstance(error, NotFound):
        return sentence(error.message) + " It does not exist, or you cannot see it."
    if isinstance(error, PermissionDenied):
        return "Refused: " + sentence(error.message)
    if isinstance(error, FailedPrecondition) and error.reason == "LAST_OWNER":
        return (
            "Refused: " + sentence(error.message) + " Make someone else an owner first, then retry."
        )
    if isinstance(error, ResourceExhausted):
        return f"Too many attempts. Retry in {error.retry_after} seconds."
    if isinstance(error, Unavailable):
        return f"The service is busy. Retry in {error.retry_after} seconds."
    return sentence(error.message)


def status_of(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Unauthenticated):
        return 401
    if isinstance(error, AlreadyExists | Aborted | FailedPrecondition):
        return 409
    if isinstance(error, ResourceExhausted):
        return 429
    if isinstance(error, Unavailable):
        return 503
    return 400


def render(
    request: Request,
    template: str,
    caller: SignedIn | None,
    status_code: int = 200,
    **values: Any,
) -> Response:
    values.setdefault("errors", None)
    values.setdefault("notice", NOTICES.get(request.query_params.get("notice", ""), ""))
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "caller": caller,
            "csrf_token": caller.csrf_token if caller is not None else values.get("csrf_token"),
            **values,
        },
        status_code=status_code,
    )


# What a page says after an action succeeded (a key in the redirect, so no link can make a
# console page say something else).
NOTICES = {
    "signed-in": "You are signed in.",
    "switched": "The console now acts in this organization.",
    "workspace-created": "The workspace was created.",
    "workspace-renamed": "The workspace was renamed.",
    "workspace-deleted": "The workspace was deleted; it can be undeleted for 30 days.",
    "workspace-undeleted": "The workspace was undeleted.",
    "member-added": "The member was added.",
    "role-changed": "The member's role was changed.",
    "member-removed": "The member was removed.",
    "invitation-sent": "The invitation was sent by mail.",
    "invitation-revoked": "The invitation was revoked.",
    "invitation-resent": "The invitation was mailed again, with a new link; the old link no "
    "longer works.",
    "organization-renamed": "The organization was renamed.",
    "ownership-transferred": "Ownership was transferred; you are now an admin.",
    "api-key-revoked": "The API key was revoked: it stops working at once.",
    "endpoint-deleted": "The webhook endpoint was deleted.",
    "endpoint-updated": "The webhook endpoint was changed.",
    "endpoint-disabled": "The webhook endpoint was disabled: its deliveries wait until it is "
    "enabled again.",
    "endpoint-enabled": "The webhook endpoint was enabled: its waiting deliveries resume.",
    "role-created": "The role was created.",
    "role-updated": "The role was changed.",
    "role-deleted": "The role was deleted.",
    "delivery-retried": "The delivery will be attempted again now.",
}


def redirect(path: str, notice: str = "") -> RedirectResponse:
    assert not notice or notice in NOTICES
    target = path if not notice else f"{path}{'&' if '?' in path else '?'}notice={quote(notice)}"
    return RedirectResponse(target, status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: only a console path (never another site)."""
    if (
        value
        and value.startswith(PREFIX + "/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return PREFIX + "/"
