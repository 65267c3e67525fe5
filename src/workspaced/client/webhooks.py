"""Verifying webhook deliveries in a receiver (Standard Webhooks, SPEC §7)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Protocol

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _StandardError

from workspaced.client.models import Event


class HeaderItems(Protocol):
    """Anything with `.items()` of (name, value) pairs: a dict, `httpx.Headers`,
    Starlette's `request.headers`, or `http.server`'s `self.headers`."""

    def items(self) -> Iterable[tuple[str, str]]: ...


class WebhookVerificationError(ValueError):
    """The delivery is not authentic (missing headers, no matching signature, a timestamp
    more than 5 minutes off) or not an event: answer it with a 4xx and ignore it."""


def verify_webhook(
    payload: bytes | str, headers: Mapping[str, str] | HeaderItems, secret: str
) -> Event:
    """The event of a webhook delivery, once its signature is checked.

    `payload` is the raw request body exactly as received (do not parse and re-serialise
    it); `headers` the request's headers (any mapping; names are matched
    case-insensitively); `secret` the endpoint's `whsec_...` secret from
    `webhooks.create` or `webhooks.rotate_secret`. During a rotation deliveries carry
    both signatures, so either secret verifies.

    The event's `id` is the `webhook-id` header: the same on every retry, so deduplicate
    on it. Raises `WebhookVerificationError` when the delivery does not verify.
    """
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        verifier = Webhook(secret)
    except Exception as exc:  # a malformed secret: not base64, or empty
        raise WebhookVerificationError(f"the webhook secret is malformed: {exc}") from exc
    try:
        verifier.verify(payload, lowered, json_parse=False)
    except _StandardError as exc:
        raise WebhookVerificationError(f"webhook signature verification failed: {exc}") from exc
    try:
        body = json.loads(payload)
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        return Event.model_validate({**body, "id": lowered["webhook-id"]})
    except (ValueError, ValidationError) as exc:
        raise WebhookVerificationError(f"the delivery is signed but not an event: {exc}") from exc
