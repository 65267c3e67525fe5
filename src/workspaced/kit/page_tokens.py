"""Opaque, signed keyset page tokens bound to the query they were issued for.

A token is `base64url(json) "." base64url(hmac)`. The JSON holds the last row's sort
key and a fingerprint of the list's parameters (filter, order_by, ...); a token used
with other parameters, edited or forged is rejected as INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import orjson

from workspaced.kit.errors import InvalidArgument

_MAC_BYTES = 16
MAX_TOKEN_LENGTH = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


class PageTokenCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, query_fingerprint: str, values: Sequence[Any]) -> str:
        payload = orjson.dumps({"q": query_fingerprint, "k": list(values)})
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, token: str, query_fingerprint: str) -> list[Any]:
        invalid = InvalidArgument("page_token", "is not a valid page token for this request")
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise invalid
        body, mac = token.split(".")
        try:
            payload = _unb64(body)
            given_mac = _unb64(mac)
        except (ValueError, TypeError):
            raise invalid from None
        if not hmac.compare_digest(given_mac, self._mac(payload)):
            raise invalid
        data = orjson.loads(payload)
        if data.get("q") != query_fingerprint:
            raise InvalidArgument(
                "page_token", "was issued for a different filter, order_by or parent"
            )
        values = data.get("k")
        if not isinstance(values, list):
            raise invalid
        return values
