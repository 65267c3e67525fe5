"""An organization's API keys (owners and admins): list, create (the secret shown once,
on the page that answers the form), revoke."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from workspaced.api_key import service as api_keys
from workspaced.authz.catalog import API_KEY_PERMISSIONS
from workspaced.console.sessions import SignedIn
from workspaced.console.web import (
    PAGE_SIZE,
    PREFIX,
    Caller,
    FormErrors,
    Posted,
    Text,
    context_of,
    redirect,
    render,
    status_of,
)
from workspaced.kit.errors import DomainError, InvalidArgument
from workspaced.kit.pagination import PageRequest

router = APIRouter()
PERMISSION_CHOICES = sorted(API_KEY_PERMISSIONS)


def key_page(
    request: Request,
    caller: SignedIn,
    org: str,
    *,
    page_token: str = "",
    created: tuple[api_keys.ApiKeyView, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    with context.database.read() as session:
        items, next_token = api_keys.list_keys(
            session,
            caller.principal,
            org,
            page=PageRequest.of(PAGE_SIZE, page_token),
            codec=context.page_tokens,
        )
    return render(
        request,
        "api_keys.html",
        caller,
        status_code=status_code,
        org_slug=items[0].org_slug if items else org,
        keys=items,
        permissions=PERMISSION_CHOICES,
        created=created,
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/api-keys")
def key_list(request: Request, org: str, caller: Caller, page_token: Text = "") -> Response:
    return key_page(request, caller, org, page_token=page_token)


def _expire_time(value: str) -> datetime | None:
    """A `datetime-local` value, read as UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidArgument("expire_time", "must be a date and time") from None


@router.post(PREFIX + "/orgs/{org}/api-keys")
def create_key(request: Request, org: str, form: Posted) -> Response:
    chosen = [p for p in PERMISSION_CHOICES if form.fields.get(f"permission:{p}") == "on"]
    try:
        with context_of(request).database.write() as session:
            created = api_keys.create(
                session,
                form.principal,
                org,
                display_name=form.get("display_name"),
                permissions=chosen,
                expire_time=_expire_time(form.get("expire_time")),
            )
    except DomainError as error:
        errors = FormErrors.of("create", error, ("display_name", "permissions", "expire_time"))
        return key_page(request, form.signed_in, org, errors=errors, status_code=status_of(error))
    # Shown on this answer only (no redirect: the secret is never in a URL or a later page).
    return key_page(request, form.signed_in, org, created=created)


@router.post(PREFIX + "/orgs/{org}/api-keys/{key_id}/revoke")
def revoke_key(request: Request, org: str, key_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            api_keys.revoke(session, form.principal, org, key_id)
    except DomainError as error:
        errors = FormErrors.of(f"key-{key_id}", error, ())
        return key_page(request, form.signed_in, org, errors=errors, status_code=status_of(error))
    return redirect(f"{PREFIX}/orgs/{org}/api-keys", "api-key-revoked")
