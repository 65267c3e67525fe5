"""A workspace's members: list (page), add by email with a role, change a role, remove."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from workspaced.authz.access import Principal
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
from workspaced.kit.errors import DomainError
from workspaced.kit.pagination import PageRequest
from workspaced.membership import service as memberships
from workspaced.role import custom as custom_roles
from workspaced.role.service import RoleView
from workspaced.workspace import service as workspaces

router = APIRouter()


def workspace_roles(session: Session, principal: Principal, org: str) -> list[RoleView]:
    _, roles = custom_roles.list_roles(session, principal, org)
    return [role for role in roles if role.scope == "workspace"]


def member_page(
    request: Request,
    caller: SignedIn,
    org: str,
    workspace: str,
    *,
    page_token: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    with context.database.read() as session:
        view = workspaces.get(session, caller.principal, org, workspace)
        items, next_token = memberships.list_users(
            session,
            caller.principal,
            org,
            workspace,
            page=PageRequest.of(PAGE_SIZE, page_token),
            codec=context.page_tokens,
        )
        roles = workspace_roles(session, caller.principal, org)
    return render(
        request,
        "members.html",
        caller,
        status_code=status_code,
        org_slug=view.org_slug,
        workspace=view,
        members=items,
        roles=roles,
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/workspaces/{workspace}/members")
def member_list(
    request: Request, org: str, workspace: str, caller: Caller, page_token: Text = ""
) -> Response:
    return member_page(request, caller, org, workspace, page_token=page_token)


def _back(org: str, workspace: str) -> str:
    return f"{PREFIX}/orgs/{org}/workspaces/{workspace}/members"


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/members")
def add_member(request: Request, org: str, workspace: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            memberships.add(
                session,
                form.principal,
                org,
                workspace,
                user_ref=form.get("email"),
                role=form.get("role"),
                allow_role_display_name=True,
            )
    except DomainError as error:
        errors = FormErrors.of("add", error, ("user", "email", "role"))
        if "user" in errors.fields:
            errors.fields["email"] = errors.fields.pop("user")
        return member_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "member-added")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/members/{user_id}/role")
def change_role(request: Request, org: str, workspace: str, user_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            memberships.change_role(
                session,
                form.principal,
                org,
                workspace,
                user_ref=user_id,
                role=form.get("role"),
                allow_role_display_name=True,
            )
    except DomainError as error:
        errors = FormErrors.of(f"member-{user_id}", error, ("role",))
        return member_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "role-changed")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/members/{user_id}/remove")
def remove_member(
    request: Request, org: str, workspace: str, user_id: str, form: Posted
) -> Response:
    try:
        with context_of(request).database.write() as session:
            memberships.remove(session, form.principal, org, workspace, user_ref=user_id)
    except DomainError as error:
        errors = FormErrors.of(f"member-{user_id}", error, ())
        return member_page(
            request, form.signed_in, org, workspace, errors=errors, status_code=status_of(error)
        )
    return redirect(_back(org, workspace), "member-removed")
