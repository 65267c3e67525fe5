"""An organization's workspace roles: the built-in ones and its custom roles (owners and
admins create, edit and delete custom roles; members see them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from workspaced.authz.catalog import PERMISSIONS
from workspaced.console.sessions import SignedIn
from workspaced.console.web import (
    PREFIX,
    Caller,
    FormErrors,
    Posted,
    PostedForm,
    context_of,
    redirect,
    render,
    status_of,
)
from workspaced.kit.errors import DomainError
from workspaced.role import custom as custom_roles

router = APIRouter()
FIELDS = ("role_id", "display_name", "description", "permissions")


def _chosen(form: PostedForm) -> list[str]:
    return [p for p in PERMISSIONS if form.fields.get(f"permission:{p}") == "on"]


def role_page(
    request: Request,
    caller: SignedIn,
    org: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    with context_of(request).database.read() as session:
        slug, roles = custom_roles.list_roles(session, caller.principal, org)
    return render(
        request,
        "roles.html",
        caller,
        status_code=status_code,
        org_slug=slug,
        roles=roles,
        permissions=PERMISSIONS,
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/roles")
def role_list(request: Request, org: str, caller: Caller) -> Response:
    return role_page(request, caller, org)


@router.post(PREFIX + "/orgs/{org}/roles")
def create_role(request: Request, org: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            custom_roles.create(
                session,
                form.principal,
                org,
                role_id=form.get("role_id"),
                display_name=form.get("display_name"),
                description=form.get("description"),
                permissions=_chosen(form),
            )
    except DomainError as error:
        errors = FormErrors.of("create", error, FIELDS)
        return role_page(request, form.signed_in, org, errors=errors, status_code=status_of(error))
    return redirect(f"{PREFIX}/orgs/{org}/roles", "role-created")


def edit_page(
    request: Request,
    caller: SignedIn,
    org: str,
    role_id: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    with context_of(request).database.read() as session:
        slug, role = custom_roles.get(session, caller.principal, org, role_id)
    return render(
        request,
        "role_edit.html",
        caller,
        status_code=status_code,
        org_slug=slug,
        role=role,
        permissions=PERMISSIONS,
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/roles/{role_id}")
def role_edit(request: Request, org: str, role_id: str, caller: Caller) -> Response:
    return edit_page(request, caller, org, role_id)


@router.post(PREFIX + "/orgs/{org}/roles/{role_id}")
def update_role(request: Request, org: str, role_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            custom_roles.update(
                session,
                form.principal,
                org,
                role_id,
                display_name=form.get("display_name"),
                description=form.get("description"),
                permissions=_chosen(form),
            )
    except DomainError as error:
        errors = FormErrors.of("edit", error, FIELDS)
        return edit_page(
            request, form.signed_in, org, role_id, errors=errors, status_code=status_of(error)
        )
    return redirect(f"{PREFIX}/orgs/{org}/roles", "role-updated")


@router.post(PREFIX + "/orgs/{org}/roles/{role_id}/delete")
def delete_role(request: Request, org: str, role_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            custom_roles.delete(session, form.principal, org, role_id)
    except DomainError as error:
        errors = FormErrors.of(f"role-{role_id}", error, ())
        return role_page(request, form.signed_in, org, errors=errors, status_code=status_of(error))
    return redirect(f"{PREFIX}/orgs/{org}/roles", "role-deleted")
