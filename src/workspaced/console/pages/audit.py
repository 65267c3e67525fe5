"""An organization's audit log: filter by actor, action, resource and time, as the aip
route's AIP-160 filter does; newest first, paged with its keyset tokens."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from workspaced.audit import service as audit
from workspaced.console.sessions import SignedIn
from workspaced.console.web import PAGE_SIZE, PREFIX, Caller, FormErrors, context_of, render
from workspaced.http.context import run_list_read
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.filtering import string_literal
from workspaced.kit.pagination import PageRequest
from workspaced.organization import service as organizations

router = APIRouter()
Text = Annotated[str, Query(max_length=500)]


def _timestamp(value: str) -> str:
    """A `datetime-local` value (read as UTC) or an RFC 3339 timestamp."""
    value = value.strip()
    if len(value) == 16:  # 2026-12-04T19:30
        value += ":00"
    if not value.endswith("Z") and "+" not in value[10:]:
        value += "Z"
    return value


def audit_filter(actor: str, action: str, resource: str, after: str, before: str) -> str:
    """The aip dialect's filter for the form's fields (each optional, all must hold).
    `action` and `resource` ending in `*` match as prefixes (`workspace.*`)."""
    terms = []
    if actor:
        terms.append(f"actor = {string_literal(actor)}")
    for name, value in (("action", action), ("resource", resource)):
        if value.endswith("*"):
            terms.append(f"{name}:{string_literal(value.rstrip('*'))}")
        elif value:
            terms.append(f"{name} = {string_literal(value)}")
    if after:
        terms.append(f"time >= {string_literal(_timestamp(after))}")
    if before:
        terms.append(f"time < {string_literal(_timestamp(before))}")
    return " AND ".join(terms)


@router.get(PREFIX + "/orgs/{org}/audit")
async def audit_log(
    request: Request,
    org: str,
    caller: Caller,
    actor: Text = "",
    action: Text = "",
    resource: Text = "",
    after: Text = "",
    before: Text = "",
    page_token: Annotated[str, Query(max_length=4096)] = "",
) -> Response:
    fields = {
        "actor": actor,
        "action": action,
        "resource": resource,
        "after": after,
        "before": before,
    }
    fields = {name: value.strip() for name, value in fields.items()}
    page = partial(audit_page, request, caller, org, fields, page_token)
    # A filtered page may scan: it waits for a scan slot, as the API's does (SPEC §6).
    return await run_list_read(page, filtered=any(fields.values()))


def audit_page(
    request: Request, caller: SignedIn, org: str, fields: dict[str, str], page_token: str
) -> Response:
    context = context_of(request)
    errors, status_code = None, 200
    with context.database.read() as session:
        # Owners and admins only (members 403, outsiders 404): the domain decides.
        access = organizations.resolve_admin(
            session, caller.principal, org, permission="audit:list"
        )
        try:
            filter_text = audit_filter(**fields)
            items, next_token = audit.list_events(
                session,
                caller.principal,
                org,
                page=PageRequest.of(PAGE_SIZE, page_token),
                codec=context.page_tokens,
                filter_text=filter_text,
                order_by="time desc",
            )
        except InvalidArgument as error:
            items, next_token = [], ""
            errors = FormErrors.of("filter", error, ())
            status_code = 400
    return render(
        request,
        "audit.html",
        caller,
        status_code=status_code,
        org_slug=access.organization.slug,
        organization=access.organization,
        events=items,
        next_page_token=next_token,
        paged=bool(page_token),
        filters=fields,
        errors=errors,
    )
