"""Webhook endpoints and their deliveries at `/api/v1/organizations/{org}/webhooks` (SPEC
§7): organization owners/admins, or API keys holding `webhooks:manage`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from workspaced.event import webhooks
from workspaced.event.webhooks import DeliveryView, EndpointView
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import schemas as common
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.dialects.aip.schemas import AipInput
from workspaced.http.responses import json_response, secret_response
from workspaced.kit.clock import rfc3339

router = APIRouter()
BASE = "/api/v1/organizations/{organization_id}/webhooks"
ONE = BASE + "/{webhook_id}"
MANAGE = permission("organization:administer")


class WebhookIn(AipInput):
    url: str = Field(
        min_length=1, max_length=webhooks.URL_MAX, examples=["https://example.com/hooks"]
    )
    event_types: list[str] = Field(
        default_factory=list, max_length=64, description="[] = every event type"
    )
    description: str = Field(default="", max_length=webhooks.DESCRIPTION_MAX)


class WebhookPatch(AipInput):
    url: str | None = Field(default=None, min_length=1, max_length=webhooks.URL_MAX)
    event_types: list[str] | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=webhooks.DESCRIPTION_MAX)
    disabled: bool | None = None


class WebhookOut(BaseModel):
    name: str = Field(description="organizations/{slug}/webhooks/{webhook_id}")
    webhook_id: str
    url: str
    event_types: list[str]
    description: str
    disabled: bool
    create_time: str
    update_time: str


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_...`); shown only once")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]
    next_page_token: str


class DeliveryOut(BaseModel):
    name: str
    delivery_id: str
    event_id: str = Field(description="The `webhook-id` header of every attempt")
    event_type: str
    state: str = Field(description="PENDING or DELIVERED")
    attempts: int
    next_attempt_time: str | None
    last_attempt_time: str | None
    response_status: int | None
    response_body: str | None
    last_error: str | None
    delivered_time: str | None
    create_time: str


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    next_page_token: str


def render(view: EndpointView) -> dict[str, Any]:
    e = view.endpoint
    return {
        "name": view.name,
        "webhook_id": str(e.id),
        "url": e.url,
        "event_types": list(e.event_types),
        "description": e.description,
        "disabled": e.disabled,
        "create_time": rfc3339(e.create_time),
        "update_time": rfc3339(e.update_time),
    }


def render_delivery(view: DeliveryView) -> dict[str, Any]:
    d = view.delivery
    return {
        "name": view.name,
        "delivery_id": str(d.id),
        "event_id": view.event_id,
        "event_type": view.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_time": rfc3339(d.next_attempt_time) if d.state == "PENDING" else None,
        "last_attempt_time": rfc3339(d.last_attempt_time),
        "response_status": d.response_status,
        "response_body": d.response_body,
        "last_error": d.last_error,
        "delivered_time": rfc3339(d.delivered_time),
        "create_time": rfc3339(d.create_time),
    }


@router.post(
    BASE,
    response_model=WebhookWithSecret,
    openapi_extra=MANAGE,
    summary="Create a webhook endpoint; its secret is in this response only",
)
def create_webhook(
    organization_id: str, body: WebhookIn, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view, secret = webhooks.create(
            session,
            caller,
            organization_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            allow_private=context.webhooks.allow_private,
        )
        rendered = render(view)
    return secret_response({**rendered, "secret": secret})


@router.get(
    BASE, response_model=WebhookList, openapi_extra=MANAGE, summary="List webhook endpoints"
)
def list_webhooks(organization_id: str, caller: Caller, context: Context, page: Page) -> Response:
    with context.database.read() as session:
        items, token = webhooks.list_endpoints(
            session, caller, organization_id, page=page, codec=context.page_tokens
        )
        rendered = [render(v) for v in items]
    return json_response({"webhooks": rendered, "next_page_token": token})


@router.get(ONE, response_model=WebhookOut, openapi_extra=MANAGE, summary="Get a webhook endpoint")
def get_webhook(
    organization_id: str, webhook_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.read() as session:
        rendered = render(webhooks.get(session, caller, organization_id, webhook_id))
    return json_response(rendered)


@router.patch(
    ONE,
    response_model=WebhookOut,
    openapi_extra=MANAGE,
    summary="Change a webhook endpoint (url, event_types, description, disabled)",
)
def update_webhook(
    organization_id: str, webhook_id: str, body: WebhookPatch, caller: Caller, context: Context
) -> Response:
    changes = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    with context.database.write() as session:
        view = webhooks.update_endpoint(
            session,
            caller,
            organization_id,
            webhook_id,
            changes,
            allow_private=context.webhooks.allow_private,
        )
        rendered = render(view)
    return json_response(rendered)


@router.delete(
    ONE,
    response_model=common.Empty,
    openapi_extra=MANAGE,
    summary="Delete a webhook endpoint and its deliveries",
)
def delete_webhook(
    organization_id: str, webhook_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        webhooks.delete(session, caller, organization_id, webhook_id)
    return json_response({})


@router.post(
    ONE + ":rotateSecret",
    response_model=WebhookWithSecret,
    openapi_extra=MANAGE,
    summary="A new signing secret (the old one keeps signing beside it for 24 h)",
)
def rotate_secret(
    organization_id: str, webhook_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view, secret = webhooks.rotate_secret(session, caller, organization_id, webhook_id)
        rendered = render(view)
    return secret_response({**rendered, "secret": secret})


@router.get(
    ONE + "/deliveries",
    response_model=DeliveryList,
    openapi_extra=MANAGE,
    summary="The endpoint's deliveries, newest first, with their last response",
)
def list_deliveries(
    organization_id: str, webhook_id: str, caller: Caller, context: Context, page: Page
) -> Response:
    with context.database.read() as session:
        items, token = webhooks.list_deliveries(
            session, caller, organization_id, webhook_id, page=page, codec=context.page_tokens
        )
        rendered = [render_delivery(v) for v in items]
    return json_response({"deliveries": rendered, "next_page_token": token})


@router.post(
    ONE + "/deliveries/{delivery_id}:retry",
    response_model=DeliveryOut,
    openapi_extra=MANAGE,
    summary="Attempt a delivery again now (same webhook-id)",
)
def retry_delivery(
    organization_id: str, webhook_id: str, delivery_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        view = webhooks.retry(session, caller, organization_id, webhook_id, delivery_id)
        rendered = render_delivery(view)
    return json_response(rendered)
