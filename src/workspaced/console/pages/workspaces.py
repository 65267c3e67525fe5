"""An organization's workspaces: list (filter, order, page), create, rename (title and
icon), delete, undelete."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from workspaced.console.sessions import SignedIn
from workspaced.console.web import (
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
from workspaced.kit.errors import DomainError, InvalidArgument
from workspaced.kit.pagination import PageRequest
from workspaced.organization import service as organizations
from workspaced.workspace import service as workspaces

router = APIRouter()
PAGE_SIZE = 25
ORDERS = [
    ("", "Newest first"),
    ("create_time", "Oldest first"),
    ("title", "Title, A to Z"),
    ("title desc", "Title, Z to A"),
    ("update_time desc", "Recently updated"),
]


def workspace_list_page(
    request: Request,
    caller: SignedIn,
    org: str,
    *,
    filter_text: str = "",
    order_by: str = "",
    show_deleted: bool = False,
    page_token: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    list_errors = None
    with context.database.read() as session:
        access = organizations.resolve(session, caller.principal, org)
        try:
            items, next_token = workspaces.list_visible(
                session,
                caller.principal,
                org,
                page=PageRequest.of(PAGE_SIZE, page_token),
                codec=context.page_tokens,
                filter_text=filter_text,
                order_by=order_by,
                show_deleted=show_deleted,
            )
        except InvalidArgument as error:
            items, next_token = [], ""
            list_errors = FormErrors.of("list", error, ("filter", "order_by", "page_token"))
            status_code = 400
    return render(
        request,
        "workspaces.html",
        caller,
        status_code=status_code,
        org_slug=access.organization.slug,
        organization=access.organization,
        workspaces=items,
        next_page_token=next_token,
        filter=filter_text,
        order_by=order_by,
        show_deleted=show_deleted,
        paged=bool(page_token),
        orders=ORDERS,
        errors=errors or list_errors,
    )


@router.get(PREFIX + "/orgs/{org}/workspaces")
async def workspace_list(
    request: Request,
    org: str,
    caller: Caller,
    filter: Text = "",
    order_by: Text = "",
    show_deleted: bool = False,
    page_token: Text = "",
) -> Response:
    page = partial(
        workspace_list_page,
        request,
        caller,
        org,
        filter_text=filter,
        order_by=order_by,
        show_deleted=show_deleted,
        page_token=page_token,
    )
    # A filtered page may scan: it waits for a scan slot, as the API's does (SPEC §6).
    return await run_list_read(page, filtered=bool(filter))


def _refused(
    request: Request, form: Posted, org: str, name: str, error: DomainError, fields: tuple[str, ...]
) -> Response:
    errors = FormErrors.of(name, error, fields)
    return workspace_list_page(
        request, form.signed_in, org, show_deleted=True, errors=errors, status_code=status_of(error)
    )


@router.post(PREFIX + "/orgs/{org}/workspaces")
def create_workspace(request: Request, org: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            view = workspaces.create(
                session,
                form.principal,
                org,
                title=form.get("title"),
                slug=form.get("workspace_id") or None,
            )
    except DomainError as error:
        return _refused(request, form, org, "create", error, ("title", "workspace_id"))
    return redirect(f"{PREFIX}/orgs/{org}/workspaces/{view.slug}/members", "workspace-created")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/rename")
def rename_workspace(request: Request, org: str, workspace: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            changes: dict[str, str | None] = {"title": form.get("title")}
            for optional in ("icon", "icon_color"):  # an empty one clears it
                if optional in form.fields:
                    changes[optional] = form.get(optional) or None
            workspaces.update(session, form.principal, org, workspace, changes)
    except DomainError as error:
        fields = ("title", "icon", "icon_color")
        return _refused(request, form, org, f"rename-{workspace}", error, fields)
    return redirect(f"{PREFIX}/orgs/{org}/workspaces", "workspace-renamed")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/delete")
def delete_workspace(request: Request, org: str, workspace: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            workspaces.delete(session, form.principal, org, workspace)
    except DomainError as error:
        return _refused(request, form, org, f"delete-{workspace}", error, ())
    return redirect(f"{PREFIX}/orgs/{org}/workspaces?show_deleted=true", "workspace-deleted")


@router.post(PREFIX + "/orgs/{org}/workspaces/{workspace}/undelete")
def undelete_workspace(request: Request, org: str, workspace: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            workspaces.undelete(session, form.principal, org, workspace)
    except DomainError as error:
        return _refused(request, form, org, f"undelete-{workspace}", error, ())
    return redirect(f"{PREFIX}/orgs/{org}/workspaces", "workspace-undeleted")
