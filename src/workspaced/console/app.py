"""The console's ASGI app, mounted at /console by `http.app.create_app`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workspaced.console.pages import (
    api_keys,
    audit,
    identity_provider,
    invitations,
    members,
    organization_members,
    organizations,
    roles,
    signin,
    webhooks,
    workspaces,
)
from workspaced.console.web import (
    PREFIX,
    CsrfRefused,
    SignInRequired,
    optional_signed_in,
    plain_words,
    render,
    status_of,
)
from workspaced.http.context import AppContext
from workspaced.kit.errors import DomainError


def content_security_policy(form_origins: tuple[str, ...] = ()) -> str:
    """The console's policy; `form_origins` are origins besides its own that its forms may
    reach, redirects included (browsers apply form-action to a form's redirects too)."""
    form_action = " ".join(("'self'", *form_origins))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-ancestors 'none'; form-action {form_action}; base-uri 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def security_headers(context: AppContext) -> list[tuple[bytes, bytes]]:
    # The identity-provider sign-in is a form whose answer redirects to the provider's
    # authorization endpoint, at the issuer's origin.
    sign_in = context.console_sign_in
    form_origins = (_origin(sign_in.client.issuer),) if sign_in is not None else ()
    return [
        (b"content-security-policy", content_security_policy(form_origins).encode()),
        # The invitation page's URL carries its secret: no other site learns it from Referer.
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]


# Pages show private data (and sometimes a secret once): no cache keeps them.
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        static = scope.get("path", "").startswith(PREFIX + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.headers]
                if not static:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def form_too_large() -> Response:
    return Response("The form is too large.", status_code=413, media_type="text/plain")


def create_console(context: AppContext) -> ASGIApp:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state.workspaced = context
    console.mount(
        PREFIX + "/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )
    for module in (
        signin,
        identity_provider,
        organizations,
        workspaces,
        members,
        organization_members,
        invitations,
        audit,
        api_keys,
        webhooks,
        roles,
    ):
        console.include_router(module.router)

    @console.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _error: Exception) -> Response:
        target = request.url.path
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            target = PREFIX + "/"
        return RedirectResponse(f"{PREFIX}/sign-in?next={quote(target)}", status_code=303)

    @console.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _error: Exception) -> Response:
        return render(
            request,
            "error.html",
            None,
            status_code=403,
            title="Form refused",
            message="This form did not come from this console page, or it expired. "
            "Nothing was changed. Go back, reload the page and retry.",
        )

    @console.exception_handler(DomainError)
    async def domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        caller = await optional_signed_in(request)
        status = status_of(error)
        return render(
            request,
            "error.html",
            caller,
            status_code=status,
            title={404: "Not found", 403: "Not allowed"}.get(status, "Refused"),
            message=plain_words(error),
        )

    @console.exception_handler(404)
    async def not_found(request: Request, _error: Exception) -> Response:
        return render(
            request,
            "error.html",
            None,
            status_code=404,
            title="Not found",
            message="There is no console page at this address.",
        )

    @console.exception_handler(405)
    async def method_not_allowed(request: Request, _error: Exception) -> Response:
        return render(
            request,
            "error.html",
            None,
            status_code=405,
            title="Not allowed",
            message="Use the page's forms.",
        )

    @console.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _error: Exception) -> Response:
        return render(
            request,
            "error.html",
            None,
            status_code=400,
            title="Bad request",
            message="This address has a value the console does not understand.",
        )

    return SecurityHeaders(console, security_headers(context))
