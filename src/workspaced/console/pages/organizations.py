"""The signed-in user's organizations (switching between them) and an organization's
settings: rename, transfer ownership."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from workspaced.console.sessions import SignedIn
from workspaced.console.web import (
    PREFIX,
    Caller,
    FormErrors,
    Posted,
    context_of,
    redirect,
    render,
    status_of,
)
from workspaced.kit.errors import DomainError
from workspaced.organization import lifecycle
from workspaced.organization import service as organizations

router = APIRouter()


@router.get(PREFIX + "/organizations")
def organization_list(request: Request, caller: Caller) -> Response:
    with context_of(request).database.read() as session:
        memberships = organizations.memberships_of(session, caller.principal.user_id)
    return render(
        request,
        "organizations.html",
        caller,
        memberships=memberships,
        current_org_id=caller.principal.home_org_id,
    )


def settings_page(
    request: Request,
    caller: SignedIn,
    org_ref: str,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    with context_of(request).database.read() as session:
        # Owners and admins only, as the API's rename: members get 403, outsiders 404.
        access = organizations.resolve_admin(
            session, caller.principal, org_ref, permission="organization:update"
        )
    return render(
        request,
        "organization_settings.html",
        caller,
        status_code=status_code,
        org_slug=access.organization.slug,
        organization=access.organization,
        org_role=access.org_role,
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/settings")
def organization_settings(request: Request, org: str, caller: Caller) -> Response:
    return settings_page(request, caller, org)


@router.post(PREFIX + "/orgs/{org}/settings/rename")
def rename_organization(request: Request, org: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            lifecycle.update(session, form.principal, org, display_name=form.get("display_name"))
    except DomainError as error:
        errors = FormErrors.of("rename", error, ("display_name",))
        return settings_page(request, form.signed_in, org, errors, status_of(error))
    return redirect(f"{PREFIX}/orgs/{org}/settings", "organization-renamed")


@router.post(PREFIX + "/orgs/{org}/settings/transfer")
def transfer_ownership(request: Request, org: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            lifecycle.transfer_ownership(session, form.principal, org, user_ref=form.get("user"))
    except DomainError as error:
        errors = FormErrors.of("transfer", error, ("user",))
        return settings_page(request, form.signed_in, org, errors, status_of(error))
    return redirect(f"{PREFIX}/orgs/{org}/settings", "ownership-transferred")
