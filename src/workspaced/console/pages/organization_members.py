"""An organization's members (owners and admins): list (search, page), add by email with
an organization role, change a member's organization role, remove a member.

Every action is `organization/users.py`'s, which authorizes itself: admins cannot touch
owners, only owners grant owner, the last owner stays, and a removal revokes the
member's credentials here. Its refusals are shown at the form that was refused."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from workspaced.authz.catalog import BUILT_IN_ORGANIZATION_ROLES
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
from workspaced.http.context import run_list_read
from workspaced.kit.errors import DomainError
from workspaced.kit.filtering import string_literal
from workspaced.kit.pagination import PageRequest
from workspaced.organization import service as organizations
from workspaced.organization import users

router = APIRouter()
Search = Annotated[str, Query(max_length=500)]
# The role selects' choices: owner, admin, member (the domain refuses what the caller
# may not grant, at the form).
ROLE_CHOICES = list(BUILT_IN_ORGANIZATION_ROLES.values())


def search_filter(search: str) -> str:
    """The aip dialect's filter for the search box: a name or email substring."""
    if not search:
        return ""
    return "search:" + string_literal(search)


def members_page(
    request: Request,
    caller: SignedIn,
    org: str,
    *,
    search: str = "",
    page_token: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    with context.database.read() as session:
        # Owners and admins only (members 403, outsiders 404), as the other admin pages;
        # the domain's list alone would show every member the list.
        access = organizations.resolve_admin(
            session, caller.principal, org, permission="organization.users:list"
        )
        try:
            items, next_token = users.list_users(
                session,
                caller.principal,
                org,
                page=PageRequest.of(PAGE_SIZE, page_token),
                codec=context.page_tokens,
                filter_text=search_filter(search),
                order_by="",
            )
        except DomainError as error:  # a bad page token, a search past the budget
            items, next_token = [], ""
            errors = FormErrors.of("search", error, ())
            status_code = status_of(error)
    return render(
        request,
        "organization_members.html",
        caller,
        status_code=status_code,
        org_slug=access.organization.slug,
        organization=access.organization,
        org_role=access.org_role,
        members=items,
        roles=ROLE_CHOICES,
        search=search,
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/members")
async def member_list(
    request: Request, org: str, caller: Caller, search: Search = "", page_token: Text = ""
) -> Response:
    search = search.strip()
    page = partial(members_page, request, caller, org, search=search, page_token=page_token)
    # A search scans: it waits for a scan slot, as the API's filtered list does (SPEC §6).
    return await run_list_read(page, filtered=bool(search))


def _back(org: str) -> str:
    return f"{PREFIX}/orgs/{org}/members"


def _refused(
    request: Request, form: Posted, org: str, name: str, error: DomainError, fields: tuple[str, ...]
) -> Response:
    errors = FormErrors.of(name, error, fields)
    if "org_role" in errors.fields:
        errors.fields["role"] = errors.fields.pop("org_role")
    return members_page(request, form.signed_in, org, errors=errors, status_code=status_of(error))


@router.post(PREFIX + "/orgs/{org}/members")
def add_member(request: Request, org: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            users.add_user(
                session,
                form.principal,
                org,
                email=form.get("email"),
                org_role=form.get("role"),
                display_name=form.get("display_name") or None,
            )
    except DomainError as error:
        return _refused(request, form, org, "add", error, ("email", "org_role", "display_name"))
    return redirect(_back(org), "member-added")


@router.post(PREFIX + "/orgs/{org}/members/{user_id}/role")
def change_role(request: Request, org: str, user_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            users.update_user(session, form.principal, org, user_id, org_role=form.get("role"))
    except DomainError as error:
        return _refused(request, form, org, f"member-{user_id}", error, ("org_role",))
    return redirect(_back(org), "role-changed")


@router.post(PREFIX + "/orgs/{org}/members/{user_id}/remove")
def remove_member(request: Request, org: str, user_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            users.remove_user(session, form.principal, org, user_id)
    except DomainError as error:
        return _refused(request, form, org, f"member-{user_id}", error, ())
    return redirect(_back(org), "member-removed")
