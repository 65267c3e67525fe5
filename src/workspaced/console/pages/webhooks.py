"""An organization's webhook endpoints (owners and admins): list, create (the signing
secret shown once), edit (URL, description, event types), disable and enable, rotate the
signing secret (the new one shown once), delete; an endpoint's recent deliveries with
their last response, and retrying one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

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
from workspaced.event import webhooks
from workspaced.event.outbox import ALL_TYPES
from workspaced.kit.errors import DomainError
from workspaced.kit.pagination import PageRequest

router = APIRouter()
EVENT_TYPE_CHOICES = sorted(ALL_TYPES)


def endpoint_page(
    request: Request,
    caller: SignedIn,
    org: str,
    *,
    page_token: str = "",
    created: tuple[webhooks.EndpointView, str] | None = None,
    rotated: tuple[webhooks.EndpointView, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    with context.database.read() as session:
        items, next_token = webhooks.list_endpoints(
            session,
            caller.principal,
            org,
            page=PageRequest.of(PAGE_SIZE, page_token),
            codec=context.page_tokens,
        )
    return render(
        request,
        "webhooks.html",
        caller,
        status_code=status_code,
        org_slug=org,
        endpoints=items,
        event_types=EVENT_TYPE_CHOICES,
        created=created,
        rotated=rotated,
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/webhooks")
def endpoint_list(request: Request, org: str, caller: Caller, page_token: Text = "") -> Response:
    return endpoint_page(request, caller, org, page_token=page_token)


@router.post(PREFIX + "/orgs/{org}/webhooks")
def create_endpoint(request: Request, org: str, form: Posted) -> Response:
    context = context_of(request)
    chosen = [t for t in EVENT_TYPE_CHOICES if form.fields.get(f"event:{t}") == "on"]
    try:
        with context.database.write() as session:
            created = webhooks.create(
                session,
                form.principal,
                org,
                url=form.get("url"),
                event_types=chosen,
                description=form.get("description"),
                allow_private=context.webhooks.allow_private,
            )
    except DomainError as error:
        errors = FormErrors.of("create", error, ("url", "event_types", "description"))
        return endpoint_page(
            request, form.signed_in, org, errors=errors, status_code=status_of(error)
        )
    # The signing secret is on this answer only (never in a URL or a later page).
    return endpoint_page(request, form.signed_in, org, created=created)


@router.post(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}/delete")
def delete_endpoint(request: Request, org: str, endpoint_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            webhooks.delete(session, form.principal, org, endpoint_id)
    except DomainError as error:
        errors = FormErrors.of(f"endpoint-{endpoint_id}", error, ())
        return endpoint_page(
            request, form.signed_in, org, errors=errors, status_code=status_of(error)
        )
    return redirect(f"{PREFIX}/orgs/{org}/webhooks", "endpoint-deleted")


def edit_page(
    request: Request,
    caller: SignedIn,
    org: str,
    endpoint_id: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    with context_of(request).database.read() as session:
        view = webhooks.get(session, caller.principal, org, endpoint_id)
    endpoint = view.endpoint
    shown: dict[str, object] = {
        "url": endpoint.url,
        "description": endpoint.description or "",
        "event_types": list(endpoint.event_types),
        **(values or {}),
    }
    return render(
        request,
        "webhook_edit.html",
        caller,
        status_code=status_code,
        org_slug=view.org_slug,
        endpoint=endpoint,
        shown=shown,
        event_types=EVENT_TYPE_CHOICES,
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}")
def endpoint_edit(request: Request, org: str, endpoint_id: str, caller: Caller) -> Response:
    return edit_page(request, caller, org, endpoint_id)


@router.post(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}")
def update_endpoint(request: Request, org: str, endpoint_id: str, form: Posted) -> Response:
    context = context_of(request)
    changes: dict[str, object] = {
        "url": form.get("url"),
        "description": form.get("description"),  # empty: none (the column is not nullable)
        "event_types": [t for t in EVENT_TYPE_CHOICES if form.fields.get(f"event:{t}") == "on"],
    }
    try:
        with context.database.write() as session:
            webhooks.update_endpoint(
                session,
                form.principal,
                org,
                endpoint_id,
                dict(changes),
                allow_private=context.webhooks.allow_private,
            )
    except DomainError as error:
        errors = FormErrors.of("edit", error, ("url", "event_types", "description"))
        return edit_page(
            request,
            form.signed_in,
            org,
            endpoint_id,
            errors=errors,
            values=changes,
            status_code=status_of(error),
        )
    return redirect(f"{PREFIX}/orgs/{org}/webhooks", "endpoint-updated")


@router.post(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}/state")
def set_endpoint_state(request: Request, org: str, endpoint_id: str, form: Posted) -> Response:
    """Disable (deliveries wait) or enable (the queue resumes where it stopped)."""
    disabled = form.get("disabled") == "true"
    try:
        with context_of(request).database.write() as session:
            webhooks.update_endpoint(
                session, form.principal, org, endpoint_id, {"disabled": disabled}
            )
    except DomainError as error:
        errors = FormErrors.of(f"endpoint-{endpoint_id}", error, ())
        return endpoint_page(
            request, form.signed_in, org, errors=errors, status_code=status_of(error)
        )
    notice = "endpoint-disabled" if disabled else "endpoint-enabled"
    return redirect(f"{PREFIX}/orgs/{org}/webhooks", notice)


@router.post(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}/rotate")
def rotate_endpoint_secret(request: Request, org: str, endpoint_id: str, form: Posted) -> Response:
    try:
        with context_of(request).database.write() as session:
            rotated = webhooks.rotate_secret(session, form.principal, org, endpoint_id)
    except DomainError as error:
        errors = FormErrors.of(f"endpoint-{endpoint_id}", error, ())
        return endpoint_page(
            request, form.signed_in, org, errors=errors, status_code=status_of(error)
        )
    # The new secret is on this answer only, as at creation.
    return endpoint_page(request, form.signed_in, org, rotated=rotated)


def delivery_page(
    request: Request,
    caller: SignedIn,
    org: str,
    endpoint_id: str,
    *,
    page_token: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    with context.database.read() as session:
        endpoint = webhooks.get(session, caller.principal, org, endpoint_id)
        items, next_token = webhooks.list_deliveries(
            session,
            caller.principal,
            org,
            endpoint_id,
            page=PageRequest.of(PAGE_SIZE, page_token),
            codec=context.page_tokens,
        )
    return render(
        request,
        "deliveries.html",
        caller,
        status_code=status_code,
        org_slug=org,
        endpoint=endpoint.endpoint,
        deliveries=items,
        next_page_token=next_token,
        paged=bool(page_token),
        errors=errors,
    )


@router.get(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}/deliveries")
def delivery_list(
    request: Request, org: str, endpoint_id: str, caller: Caller, page_token: Text = ""
) -> Response:
    return delivery_page(request, caller, org, endpoint_id, page_token=page_token)


@router.post(PREFIX + "/orgs/{org}/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry")
def retry_delivery(
    request: Request, org: str, endpoint_id: str, delivery_id: str, form: Posted
) -> Response:
    try:
        with context_of(request).database.write() as session:
            webhooks.retry(session, form.principal, org, endpoint_id, delivery_id)
    except DomainError as error:
        errors = FormErrors.of(f"delivery-{delivery_id}", error, ())
        return delivery_page(
            request, form.signed_in, org, endpoint_id, errors=errors, status_code=status_of(error)
        )
    return redirect(f"{PREFIX}/orgs/{org}/webhooks/{endpoint_id}/deliveries", "delivery-retried")
